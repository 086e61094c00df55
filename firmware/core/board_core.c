/* board_core - relay between UART and radio, ping-pong, boot report,
 * heartbeat, beacons and the handler registry (see board_core.h). */
#include "board_core.h"
#include <string.h>

const uint8_t board_broadcast_mac[BOARD_MAC_LEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void s_on_frame (void *ctx, uint8_t type, uint16_t seq, const uint8_t *payload, size_t len);
static void s_on_error (void *ctx, link_err_t err, const uint8_t *raw, size_t len);

static void
s_copy_str (char *dst, const char *src)
{
    size_t n = src ? strlen (src) : 0;
    if (n > LINK_BOOT_STR_MAX)
        n = LINK_BOOT_STR_MAX;
    memcpy (dst, src ? src : "", n);
    dst[n] = 0;
}

static uint64_t
s_now (board_core_t *self)
{
    return self->port.now_us (self->port.ctx);
}

void
board_core_init (board_core_t *self, const board_port_t *port, const board_info_t *info)
{
    memset (self, 0, sizeof *self);
    self->port = *port;
    memcpy (self->mac, info->mac, BOARD_MAC_LEN);
    self->channel = info->channel;
    s_copy_str (self->version, info->version);
    s_copy_str (self->partition, info->partition);
    s_copy_str (self->reset_reason, info->reset_reason);
    link_reader_cb_t cb = { .on_frame = s_on_frame, .on_text = NULL, .on_error = s_on_error,
                            .ctx = self };
    link_reader_init (&self->reader, &cb);
    self->heartbeat_ms = 1000;
    self->beacon_ms = 1000;
    self->boot_us = s_now (self);
}

void
board_core_set_identity (board_core_t *self, const char *version, const char *partition,
                         const char *reset_reason)
{
    if (version)
        s_copy_str (self->version, version);
    if (partition)
        s_copy_str (self->partition, partition);
    if (reset_reason)
        s_copy_str (self->reset_reason, reset_reason);
}

void
board_core_log (board_core_t *self, const char *line)
{
    if (self->port.log)
        self->port.log (self->port.ctx, line);
}

void
board_core_reboot (board_core_t *self)
{
    if (self->port.reboot)
        self->port.reboot (self->port.ctx);
}

int
board_core_send_link (board_core_t *self, uint8_t type, const void *payload, size_t len)
{
    size_t n = link_frame_encode (self->txbuf, sizeof self->txbuf, type, self->link_seq++,
                                  payload, len);
    if (!n)
        return -1;
    self->port.uart_write (self->port.ctx, self->txbuf, n);
    return 0;
}

static int
s_radio_send (board_core_t *self, const uint8_t mac[BOARD_MAC_LEN], const uint8_t *data, size_t len)
{
    int rc = self->port.radio_send (self->port.ctx, mac, data, len);
    if (rc == 0)
        self->stats.radio_tx++;
    else
        self->stats.radio_tx_fail++;
    return rc;
}

int
board_core_send_espnow (board_core_t *self, const uint8_t mac[BOARD_MAC_LEN], uint8_t type,
                        const void *payload, size_t len)
{
    size_t n = espnow_frame_encode (self->airbuf, sizeof self->airbuf, type, self->espnow_seq++,
                                    payload, len);
    if (!n)
        return -1;
    return s_radio_send (self, mac, self->airbuf, n);
}

void
board_core_boot (board_core_t *self)
{
    char line[128];
    size_t o = 0;
    const char *parts[] = { "boot: version ", self->version, " partition ", self->partition,
                            " reset ", self->reset_reason };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        size_t n = strlen (parts[i]);
        if (o + n >= sizeof line)
            n = sizeof line - 1 - o;
        memcpy (line + o, parts[i], n);
        o += n;
    }
    line[o] = 0;
    board_core_log (self, line);
    link_boot_t boot;
    memset (&boot, 0, sizeof boot);
    memcpy (boot.mac, self->mac, BOARD_MAC_LEN);
    boot.channel = self->channel;
    memcpy (boot.version, self->version, sizeof boot.version);
    memcpy (boot.partition, self->partition, sizeof boot.partition);
    memcpy (boot.reset_reason, self->reset_reason, sizeof boot.reset_reason);
    size_t n = link_boot_encode (self->scratch, sizeof self->scratch, &boot);
    board_core_send_link (self, LINK_T_BOOT, self->scratch, n);
    uint64_t now = s_now (self);
    self->next_heartbeat_us = now + (uint64_t) self->heartbeat_ms * 1000u;
    /* Stagger beacons by the MAC so boards do not all speak at once. */
    self->next_beacon_us = now + (uint64_t) (self->mac[5] % 50u) * 1000u;
}

/* --- registry -------------------------------------------------------- */

static int
s_set (board_handler_t *table, uint8_t type, void *fn, void *ctx)
{
    board_handler_t *free_slot = NULL;
    for (size_t i = 0; i < BOARD_HANDLERS_MAX; i++) {
        if (table[i].fn && table[i].type == type) {
            table[i].fn = fn;
            table[i].ctx = ctx;
            return 0;
        }
        if (!table[i].fn && !free_slot)
            free_slot = &table[i];
    }
    if (!fn)
        return 0;
    if (!free_slot)
        return -1;
    free_slot->type = type;
    free_slot->fn = fn;
    free_slot->ctx = ctx;
    return 0;
}

static const board_handler_t *
s_find (const board_handler_t *table, uint8_t type)
{
    for (size_t i = 0; i < BOARD_HANDLERS_MAX; i++)
        if (table[i].fn && table[i].type == type)
            return &table[i];
    return NULL;
}

int
board_core_set_handler (board_core_t *self, uint8_t espnow_type, board_radio_fn *fn, void *ctx)
{
    return s_set (self->radio_handlers, espnow_type, (void *) fn, ctx);
}

int
board_core_set_link_handler (board_core_t *self, uint8_t link_type, board_link_fn *fn, void *ctx)
{
    return s_set (self->link_handlers, link_type, (void *) fn, ctx);
}

int
board_core_add_poller (board_core_t *self, board_poll_fn *fn, void *ctx)
{
    for (size_t i = 0; i < BOARD_HANDLERS_MAX; i++)
        if (!self->pollers[i].fn) {
            self->pollers[i].fn = fn;
            self->pollers[i].ctx = ctx;
            return 0;
        }
    return -1;
}

void
board_core_set_heartbeat (board_core_t *self, uint32_t interval_ms)
{
    self->heartbeat_ms = interval_ms;
    self->next_heartbeat_us = s_now (self) + (uint64_t) interval_ms * 1000u;
}

void
board_core_set_beacon (board_core_t *self, uint32_t interval_ms)
{
    self->beacon_ms = interval_ms;
    self->next_beacon_us = s_now (self) + (uint64_t) interval_ms * 1000u;
}

const board_stats_t *
board_core_stats (board_core_t *self)
{
    self->stats.uptime_ms = (uint32_t) ((s_now (self) - self->boot_us) / 1000u);
    return &self->stats;
}

/* --- ping-pong ------------------------------------------------------- */

static void
s_pp_send_ping (board_core_t *self, uint64_t now)
{
    board_pp_t *pp = &self->pp;
    uint8_t *b = self->scratch;
    size_t size = pp->size < BOARD_PING_BODY ? BOARD_PING_BODY : pp->size;
    memset (b, 0x5A, size);
    link_put32 (b, pp->run);
    link_put32 (b + 4, pp->sent);
    link_put32 (b + 8, (uint32_t) now);
    link_put32 (b + 12, (uint32_t) (now >> 32));
    board_core_send_espnow (self, pp->peer, ESPNOW_T_PING, b, size);
    pp->sent++;
    pp->last_sent_us = now;
    pp->next_us = now + pp->interval_us;
}

static void
s_pp_done (board_core_t *self)
{
    board_pp_t *pp = &self->pp;
    uint8_t b[12];
    link_put32 (b, pp->run);
    link_put32 (b + 4, pp->sent);
    link_put32 (b + 8, pp->received);
    pp->active = false;
    board_core_send_link (self, LINK_T_PP_DONE, b, sizeof b);
}

static void
s_pp_start (board_core_t *self, const uint8_t *p, size_t len)
{
    if (len < 6 + 4 + 4 + 4 + 2)
        return;
    board_pp_t *pp = &self->pp;
    memset (pp, 0, sizeof *pp);
    memcpy (pp->peer, p, BOARD_MAC_LEN);
    pp->run = link_get32 (p + 6);
    pp->count = link_get32 (p + 10);
    pp->interval_us = link_get32 (p + 14);
    pp->size = link_get16 (p + 18);
    if (pp->size > BOARD_PP_SIZE_MAX)
        pp->size = BOARD_PP_SIZE_MAX;
    /* Wait for the last pong at least 500 ms (radio latency plus retries). */
    pp->window_us = pp->interval_us > 500000u ? pp->interval_us : 500000u;
    pp->active = true;
    pp->next_us = s_now (self);
}

static void
s_pp_poll (board_core_t *self, uint64_t now)
{
    board_pp_t *pp = &self->pp;
    if (!pp->active)
        return;
    if (pp->sent < pp->count) {
        if (now >= pp->next_us)
            s_pp_send_ping (self, now);
        return;
    }
    if (pp->received >= pp->sent || now - pp->last_sent_us >= pp->window_us)
        s_pp_done (self);
}

static void
s_pp_pong (board_core_t *self, const uint8_t src[BOARD_MAC_LEN], const uint8_t *p, size_t len)
{
    board_pp_t *pp = &self->pp;
    if (!pp->active || len < BOARD_PING_BODY || memcmp (src, pp->peer, BOARD_MAC_LEN) != 0)
        return;
    if (link_get32 (p) != pp->run)
        return;
    uint32_t seq = link_get32 (p + 4);
    if (seq >= pp->sent)
        return;
    uint64_t t = (uint64_t) link_get32 (p + 8) | ((uint64_t) link_get32 (p + 12) << 32);
    uint64_t rtt = s_now (self) - t;
    pp->received++;
    uint8_t b[12];
    link_put32 (b, pp->run);
    link_put32 (b + 4, seq);
    link_put32 (b + 8, rtt > 0xFFFFFFFEu ? 0xFFFFFFFEu : (uint32_t) rtt);
    board_core_send_link (self, LINK_T_PP_RESULT, b, sizeof b);
}

/* --- host frames ----------------------------------------------------- */

static void
s_send_status (board_core_t *self, uint16_t ref, uint8_t status)
{
    uint8_t b[3];
    link_put16 (b, ref);
    b[2] = status;
    board_core_send_link (self, LINK_T_SEND_STATUS, b, sizeof b);
}

static void
s_on_frame (void *ctx, uint8_t type, uint16_t seq, const uint8_t *p, size_t len)
{
    board_core_t *self = (board_core_t *) ctx;
    self->stats.link_rx++;
    const board_handler_t *h = s_find (self->link_handlers, type);
    if (h) {
        ((board_link_fn *) h->fn) (h->ctx, self, seq, p, len);
        return;
    }
    switch (type) {
    case LINK_T_ESPNOW_SEND:
        if (len < BOARD_MAC_LEN + 1) {
            s_send_status (self, seq, LINK_SEND_BAD_FRAME);
        } else if (len - BOARD_MAC_LEN > ESPNOW_MAX_FRAME) {
            s_send_status (self, seq, LINK_SEND_TOO_LONG);
        } else {
            int rc = s_radio_send (self, p, p + BOARD_MAC_LEN, len - BOARD_MAC_LEN);
            s_send_status (self, seq, rc == 0 ? LINK_SEND_OK : LINK_SEND_FAIL);
        }
        break;
    case LINK_T_PP_START:
        s_pp_start (self, p, len);
        break;
    case LINK_T_PP_STOP:
        if (self->pp.active)
            s_pp_done (self);
        break;
    case LINK_T_QUERY:
        board_core_boot (self);
        break;
    case LINK_T_REBOOT:
        board_core_reboot (self);
        break;
    case LINK_T_BEACON_CFG:
        if (len >= 4)
            board_core_set_beacon (self, link_get32 (p));
        break;
    default:
        self->stats.link_unknown++;
        break;
    }
}

static void
s_on_error (void *ctx, link_err_t err, const uint8_t *raw, size_t len)
{
    (void) err;
    (void) raw;
    (void) len;
    board_core_t *self = (board_core_t *) ctx;
    self->stats.link_err++;
}

void
board_core_uart_in (board_core_t *self, const uint8_t *data, size_t len)
{
    link_reader_feed (&self->reader, data, len);
}

/* --- radio ----------------------------------------------------------- */

void
board_core_radio_in (board_core_t *self, const uint8_t src[BOARD_MAC_LEN], int8_t rssi,
                     const uint8_t *data, size_t len)
{
    board_core_radio_in_to (self, src, false, rssi, data, len);
}

void
board_core_radio_in_to (board_core_t *self, const uint8_t src[BOARD_MAC_LEN], bool broadcast, int8_t rssi,
                        const uint8_t *data, size_t len)
{
    self->stats.radio_rx++;
    /* Every frame goes to the host with its RSSI: the ranger lives there. */
    size_t n = len > ESPNOW_MAX_FRAME ? ESPNOW_MAX_FRAME : len;
    uint8_t *b = self->scratch;
    memcpy (b, src, BOARD_MAC_LEN);
    b[6] = (uint8_t) rssi;
    b[7] = self->channel;
    memcpy (b + 8, data, n);
    board_core_send_link (self, LINK_T_ESPNOW_RX, b, 8 + n);

    espnow_hdr_t hdr;
    const uint8_t *payload;
    if (espnow_frame_decode (data, len, &hdr, &payload) != 0) {
        self->stats.radio_bad++;
        return;
    }
    const board_handler_t *h = s_find (self->radio_handlers, hdr.type);
    if (h) {
        self->rx_broadcast = broadcast;
        ((board_radio_fn *) h->fn) (h->ctx, self, src, rssi, &hdr, payload, hdr.len);
        self->rx_broadcast = false;
        return;
    }
    if (hdr.type == ESPNOW_T_PING) {
        /* The pong echoes the ping body; copy it out of DATA first because
         * sending reuses the core's buffers. */
        size_t plen = hdr.len > BOARD_PP_SIZE_MAX ? BOARD_PP_SIZE_MAX : hdr.len;
        uint8_t body[BOARD_PP_SIZE_MAX];
        memcpy (body, payload, plen);
        board_core_send_espnow (self, src, ESPNOW_T_PONG, body, plen);
    } else if (hdr.type == ESPNOW_T_PONG) {
        s_pp_pong (self, src, payload, hdr.len);
    }
}

void
board_core_poll (board_core_t *self)
{
    uint64_t now = s_now (self);
    if (self->heartbeat_ms && now >= self->next_heartbeat_us) {
        self->next_heartbeat_us = now + (uint64_t) self->heartbeat_ms * 1000u;
        const board_stats_t *st = board_core_stats (self);
        uint8_t b[16];
        link_put32 (b, st->uptime_ms);
        link_put32 (b + 4, st->radio_tx);
        link_put32 (b + 8, st->radio_rx);
        link_put32 (b + 12, st->link_err);
        board_core_send_link (self, LINK_T_HEARTBEAT, b, sizeof b);
    }
    if (self->beacon_ms && now >= self->next_beacon_us) {
        self->next_beacon_us = now + (uint64_t) self->beacon_ms * 1000u;
        uint8_t b[4];
        link_put32 (b, (uint32_t) (now / 1000u));
        board_core_send_espnow (self, board_broadcast_mac, ESPNOW_T_BEACON, b, sizeof b);
    }
    s_pp_poll (self, now);
    for (size_t i = 0; i < BOARD_HANDLERS_MAX; i++)
        if (self->pollers[i].fn)
            self->pollers[i].fn (self->pollers[i].ctx, self, now);
}
