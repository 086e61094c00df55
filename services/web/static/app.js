// labbus dashboard: one EventSource on /events, plain DOM, no library.
// Every value from the bus is put on the page as text (never as HTML).
'use strict';
(function () {
  const TAIL_MAX = 300, POINTS_MAX = 90, ALERTS_MAX = 15, SEEN_MAX = 2000;
  const services = new Map(), boards = new Map(), links = new Map(), jobs = new Map();
  const fwHistory = new Map();   // board -> FirmwareHistory (builder: what was flashed or pushed)
  const sweeps = new Map(), tails = new Map();
  let alerts = [], tailBoard = null, busStats = null, dirty = new Set();
  // Time each serial line reached the page, for the end-to-end test.
  window.labSeen = new Map();

  const $ = (id) => document.getElementById(id);
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else e.setAttribute(k, v);
    }
    for (const k of kids) e.append(k instanceof Node ? k : String(k));
    return e;
  }
  function replace(id, nodes) { const box = $(id); box.replaceChildren(...nodes); }
  function bytes(n) {
    if (!n) return '0 B';
    const u = ['B', 'KB', 'MB', 'GB']; let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n) + ' ' + u[i];
  }
  function dur(s) {
    s = Math.round(s || 0);
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm' + (s % 60) + 's';
    return Math.floor(s / 3600) + 'h' + Math.floor(s % 3600 / 60) + 'm';
  }
  function ago(ns) {
    if (!ns) return 'never';
    const s = Date.now() / 1000 - ns / 1e9;
    return s < 1 ? 'now' : dur(s) + ' ago';
  }
  function badge(text, kind) { return el('span', { class: 'badge ' + kind }, text); }
  function bar(pct, state) {
    const b = el('div', { class: 'bar ' + (state || '') }, el('div'));
    b.firstChild.style.width = Math.max(0, Math.min(100, pct || 0)).toFixed(1) + '%';
    return b;
  }

  // --- renderers ---------------------------------------------------------
  function renderServices() {
    const rows = [...services.values()].sort((a, b) => a.name.localeCompare(b.name)).map((s) => {
      const st = s.state || 'unknown';
      const kind = st === 'up' ? 'ok' : (st === 'failed' || st === 'exited') ? 'bad' : 'warn';
      const name = s.kind === 'backend' ? [s.name, ' ', el('span', { class: 'kv' }, 'backend')] : [s.name];
      return el('tr', {}, el('td', {}, ...name), el('td', {}, badge(st, kind)),
        el('td', { class: 'num' }, s.restarts || 0), el('td', { class: 'num' }, bytes((s.rss_kb || 0) * 1024)),
        el('td', { class: 'num' }, st === 'up' ? dur((s.uptime_s || 0) + (Date.now() - s.ts) / 1000) : '–'));
    });
    replace('services', rows.length ? rows : [el('tr', { class: 'empty' }, el('td', { colspan: 5 }, 'none yet'))]);
  }
  function renderBoards() {
    const cards = [...boards.values()].sort((a, b) => a.board.localeCompare(b.board)).map((b) => {
      const state = !b.connected ? badge('disconnected', 'bad') : b.silent ? badge('silent', 'warn') : badge('connected', 'ok');
      return el('div', { class: 'card', 'data-board': b.board }, el('b', {}, b.board, ' ', state),
        el('div', { class: 'last' }, b.last_line || ''),
        el('div', { class: 'kv' }, 'frames ', (b.frames_in || 0), '/', (b.frames_out || 0),
          ' · crc err ', (b.crc_errors || 0)),
        el('div', { class: 'kv' }, bytes(b.bytes_in), ' in · seen ', ago(b.last_byte_ns)),
        b.firmware_version ? el('div', { class: 'kv' }, 'fw ', b.firmware_version, ' ', b.partition || '') : '',
        ...renderFirmwareHistory(b));
    });
    replace('boards', cards.length ? cards : [el('p', { class: 'empty' }, 'none yet')]);
  }
  // The board's last flashes and OTAs, and a warning when it runs something
  // other than what was last put on it.
  function renderFirmwareHistory(b) {
    const h = fwHistory.get(b.board);
    if (!h || !(h.events || []).length) return [];
    const out = [];
    if (h.expected_version && b.firmware_version && h.expected_version !== b.firmware_version)
      out.push(el('div', { class: 'kv' }, badge('fw mismatch', 'bad'), ' expected ', h.expected_version));
    for (const e of h.events.slice(0, 3)) {
      const when = new Date((e.ts_ns || 0) / 1e6).toLocaleString();
      const kind = e.result === 'ok' ? 'ok' : e.result === 'failed' ? 'bad' : 'warn';
      out.push(el('div', { class: 'kv fw-event' }, when, ' ', e.how || '', ' ', e.version || '', ' ',
        (e.sha256 || '').slice(0, 12), ' ', badge(e.result || '?', kind), e.rollback ? ' rollback' : ''));
    }
    return out;
  }
  function renderTailChoices() {
    const sel = $('tail-board');
    const names = [...new Set([...boards.keys(), ...tails.keys(), ...(tailBoard ? [tailBoard] : [])])].sort();
    if (!tailBoard && names.length) tailBoard = names[0];
    if (sel.options.length !== names.length || [...sel.options].some((o, i) => o.value !== names[i])) {
      sel.replaceChildren(...names.map((n) => el('option', { value: n }, n)));
    }
    if (tailBoard) sel.value = tailBoard;
  }
  function renderTail() {
    let lines = tails.get(tailBoard) || [];
    // Nothing printed since the web service started: show the board's last
    // line as the bridge reported it.
    const b = boards.get(tailBoard);
    if (!lines.length && b && b.last_line) lines = [{ text: b.last_line, dir: 0 }];
    const pre = $('tail');
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.replaceChildren(...lines.map(lineNode));
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  }
  // One more line at the end of the shown tail, without redrawing the rest:
  // a board can print hundreds of lines a second.
  function clock(ms) {
    const d = new Date(ms);
    return d.toTimeString().slice(0, 8) + '.' + String(d.getMilliseconds()).padStart(3, '0');
  }
  // One tail line: arrival time (dim), then the text; lines sent to the
  // board are coloured.
  function lineNode(l) {
    return el('span', { class: l.dir ? 'to' : '' }, l.ms ? el('span', { class: 'ts' }, clock(l.ms) + ' ') : '', l.text + '\n');
  }
  function appendTail(line) {
    const pre = $('tail');
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.append(lineNode(line));
    while (pre.childNodes.length > TAIL_MAX) pre.firstChild.remove();
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  }
  function chart(points) {
    const w = 300, h = 70;
    const svgNS = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(svgNS, 'svg');
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.setAttribute('class', 'chart');
    if (points.length < 1) return svg;
    let max = 0;
    for (const p of points) max = Math.max(max, p.hi || p.d || 0, p.d || 0);
    max = max > 0 ? max * 1.1 : 1;
    const x = (i) => points.length === 1 ? w : i * w / (points.length - 1);
    const y = (v) => h - (v / max) * (h - 4) - 2;
    const band = points.map((p, i) => `${x(i)},${y(p.hi || p.d)}`).concat(
      points.map((p, i) => `${x(i)},${y(p.lo || p.d)}`).reverse());
    const poly = document.createElementNS(svgNS, 'polygon');
    poly.setAttribute('points', band.join(' ')); poly.setAttribute('class', 'band');
    const line = document.createElementNS(svgNS, 'polyline');
    line.setAttribute('points', points.map((p, i) => `${x(i)},${y(p.d)}`).join(' '));
    line.setAttribute('class', 'line');
    svg.append(poly, line);
    return svg;
  }
  function renderLinks() {
    const cards = [...links.entries()].sort().map(([key, l]) => {
      const last = l.points[l.points.length - 1] || {};
      return el('div', { class: 'card', 'data-link': key }, el('b', {}, key),
        el('div', {}, (last.d || 0).toFixed(2), ' m ',
          el('span', { class: 'kv' }, '[', (last.lo || 0).toFixed(2), '–', (last.hi || 0).toFixed(2), ']')),
        el('div', { class: 'kv' }, (last.rssi || 0).toFixed(1), ' dBm', l.calibrated ? ' · calibrated' : ' · uncalibrated'),
        l.moved ? el('div', { class: 'moved' }, 'moved ', new Date(l.moved.at).toLocaleTimeString(), ': about ',
          (l.moved.ratio >= 1 ? l.moved.ratio : 1 / l.moved.ratio).toFixed(1), '× ',
          l.moved.ratio >= 1 ? 'farther' : 'closer') : '',
        chart(l.points));
    });
    replace('links', cards.length ? cards : [el('p', { class: 'empty' }, 'no links yet')]);
  }
  function renderOta() {
    const rows = [...jobs.values()].sort((a, b) => a.job.localeCompare(b.job)).map((j) => {
      const st = j.state || 'queued';
      const cls = st === 'done' ? 'done' : (st === 'failed' || st === 'aborted') ? 'failed' : '';
      return el('div', { class: 'job' }, el('b', {}, j.job, ' '), badge(st, cls === 'done' ? 'ok' : cls ? 'bad' : 'warn'),
        ' ', el('span', { class: 'kv' }, j.image || '', ' → ', j.target || '', j.via ? ' via ' + j.via : ''),
        bar(j.percent, cls),
        el('div', { class: 'kv' }, (j.percent || 0).toFixed(1), '% · ', bytes(j.bytes_acked), ' / ', bytes(j.image_size),
          ' · ', bytes(j.rate_bps), '/s · eta ', dur(j.eta_s), ' · retx ', j.retransmissions || 0,
          j.error ? ' · ' + j.error : '', j.booted_version ? ' · booted ' + j.booted_version : ''));
    });
    replace('ota', rows.length ? rows : [el('p', { class: 'empty' }, 'no jobs yet')]);
  }
  // The sweep's summary is a markdown table; pipe rows become an HTML table,
  // other lines stay text.
  function markdownTable(md) {
    const box = el('div', { class: 'summary' });
    let table = null;
    for (const raw of (md || '').split('\n')) {
      const line = raw.trim();
      if (line.startsWith('|')) {
        const cells = line.replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
        if (cells.every((c) => /^:?-{2,}:?$/.test(c))) continue;
        const head = !table;
        if (!table) { table = el('table'); box.append(table); }
        table.append(el('tr', {}, ...cells.map((c) => el(head ? 'th' : 'td', {}, c))));
      } else {
        table = null;
        if (line) box.append(el('p', {}, line.replace(/^#+\s*/, '')));
      }
    }
    return box;
  }
  function renderEval() {
    const rows = [...sweeps.values()].sort((a, b) => (b.ts || 0) - (a.ts || 0)).slice(0, 3).map((s) => {
      const pct = s.total ? 100 * (s.done || 0) / s.total : 0;
      const st = s.state || 'running';
      return el('div', { class: 'job' }, el('b', {}, s.sweep, ' '), badge(st, st === 'done' ? 'ok' : st === 'failed' ? 'bad' : 'warn'),
        ' ', el('span', { class: 'kv' }, s.plan || '', s.cohort ? ' · ' + s.cohort : ''),
        bar(pct, st === 'done' ? 'done' : ''),
        el('div', { class: 'kv' }, (s.done || 0), ' / ', (s.total || 0), ' rows · ', (s.errors || 0), ' errors · cohorts ',
          (s.cohorts_done || 0), '/', (s.cohorts_total || 0), s.eta_s ? ' · eta ' + dur(s.eta_s) : ''),
        s.summary_md ? markdownTable(s.summary_md) : '');
    });
    replace('eval', rows.length ? rows : [el('p', { class: 'empty' }, 'no sweep yet')]);
  }
  function renderAlerts() {
    $('sec-alerts').hidden = alerts.length === 0;
    replace('alerts', alerts.map((a) => el('li', { class: a.severity || '' },
      new Date(a.ts).toLocaleTimeString(), ' ', a.subject || '', ': ', a.text || a.kind || '')));
  }
  function renderBus() {
    if (!busStats) return;
    $('busline').textContent = `bus ${(busStats.msgs_in_per_s || 0).toFixed(0)} msg/s in · ` +
      `${busStats.drops_total || 0} drops · ${(busStats.services || []).length} registered`;
  }
  const renderers = { services: renderServices, boards: renderBoards, tail: renderTail, choices: renderTailChoices,
    links: renderLinks, ota: renderOta, eval: renderEval, alerts: renderAlerts, bus: renderBus };

  // --- bus messages --------------------------------------------------------
  function addLine(board, line) {
    let t = tails.get(board);
    if (!t) { t = []; tails.set(board, t); dirty.add('choices'); }
    t.push(line);
    if (t.length > TAIL_MAX) t.splice(0, t.length - TAIL_MAX);
  }
  function onMessage(m) {
    const ts = m.ts_ns ? m.ts_ns / 1e6 : Date.now();
    if (m.serial_line) {
      const l = m.serial_line, board = l.board || m.topic.split('.').slice(2).join('.');
      const line = { text: l.text || '', dir: l.direction || 0, ms: l.rx_ts_ns ? l.rx_ts_ns / 1e6 : ts };
      addLine(board, line);
      // Render the tail now (not on the next frame) so a line is on the page
      // as soon as it arrives; the test reads labSeen.
      if (!tailBoard) { tailBoard = board; renderTailChoices(); renderTail(); }
      else if (board === tailBoard) { appendTail(line); dirty.delete('tail'); }
      window.labSeen.set(l.text || '', Date.now());
      if (window.labSeen.size > SEEN_MAX) window.labSeen.delete(window.labSeen.keys().next().value);
    } else if (m.service) {
      // uptime_s is as of publishing; the page counts on from there.
      services.set(m.service.name, Object.assign({ ts }, m.service)); dirty.add('services');
    } else if (m.board) {
      boards.set(m.board.board, m.board); dirty.add('boards'); dirty.add('choices');
      if (m.board.board === tailBoard && !(tails.get(tailBoard) || []).length) dirty.add('tail');
    } else if (m.distance) {
      const d = m.distance, key = `${d.a} ↔ ${d.b}`;
      let l = links.get(key);
      if (!l) { l = { points: [] }; links.set(key, l); }
      l.calibrated = !!d.calibrated;
      // The last move rssi-ranger detected (evt.rssi.moved.*), kept in the state too.
      if (Number(d.moved_unix_ms) > 0 && d.moved_ratio > 0) l.moved = { at: Number(d.moved_unix_ms), ratio: d.moved_ratio };
      l.points.push({ d: d.distance_m || 0, lo: d.low_m || 0, hi: d.high_m || 0, rssi: d.rssi_filtered_dbm || d.rssi_raw_dbm || 0 });
      if (l.points.length > POINTS_MAX) l.points.shift();
      dirty.add('links');
    } else if (m.fw_history) {
      fwHistory.set(m.fw_history.board, m.fw_history); dirty.add('boards');
    } else if (m.ota) {
      jobs.set(m.ota.job, m.ota); dirty.add('ota');
    } else if (m.eval_sweep) {
      sweeps.set(m.eval_sweep.sweep, Object.assign({ ts }, m.eval_sweep)); dirty.add('eval');
    } else if (m.alert) {
      alerts.unshift(Object.assign({ ts }, m.alert));
      alerts = alerts.slice(0, ALERTS_MAX); dirty.add('alerts');
    } else if (m.bus_stats) {
      busStats = m.bus_stats; dirty.add('bus');
    }
  }
  function flush() {
    for (const k of dirty) renderers[k]();
    dirty.clear();
  }
  setInterval(flush, 250);
  setInterval(() => { dirty.add('services'); dirty.add('boards'); }, 5000);   // ages and uptimes

  // The chosen board survives a reload (a phone reloads tabs often).
  try { tailBoard = localStorage.getItem('labbus.tailBoard') || null; } catch (e) { tailBoard = null; }
  $('tail-board').addEventListener('change', (e) => {
    tailBoard = e.target.value; renderTail();
    try { localStorage.setItem('labbus.tailBoard', tailBoard); } catch (err) { /* private mode */ }
  });

  const topics = 'state.,tel.serial.,evt.alert.';
  function connect() {
    const es = new EventSource('events?topics=' + encodeURIComponent(topics));
    const live = $('live');
    es.onopen = () => {
      // Every (re)connection starts with a snapshot of recent lines: start the
      // tail afresh so no line is shown twice.
      tails.clear(); $('tail').replaceChildren();
      live.textContent = 'live'; live.className = 'badge ok';
      document.body.dataset.live = '1';
    };
    es.onmessage = (e) => {
      try { onMessage(JSON.parse(e.data)); } catch (err) { console.warn('bad event', err); }
    };
    es.onerror = () => {
      live.textContent = 'reconnecting'; live.className = 'badge off';
      document.body.dataset.live = '0';
      if (es.readyState === EventSource.CLOSED) { setTimeout(connect, 1000); }
    };
  }
  connect();
})();
