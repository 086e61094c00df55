/* sb_board - one board's port, text and frames, bus telemetry, alerts and
 * log file (see sb_board.h). */
#include "services/serial-bridge/sb_board.h"
#include "services/serial-bridge/sb_addr2line.h"
#include "bus/bus_alerts.h"
#include "bus/bus_json.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 1024
#define TAIL_LINES 256
#define PANIC_LINES 24
#define RECONNECT_MS 250
#define ADDR2LINE_TIMEOUT_MS 2000

typedef struct {
    uint64_t ts_ns;
    char *text;
} tail_line_t;

/* A board's alerts of one kind go on the bus at most once per this long;
 * repeats in between are counted into the next one (bus_alerts.h). */
#define SB_ALERT_INTERVAL_MS 10000

struct _sb_board_t {
    char name[64];
    sb_port_t *port;
    bus_client_t *bus;
    bus_alerts_t *alerts;       /* de-duplicates this board's alerts */
    long silent_after_ms;
    char reset[16];
    char *flash;
    char *elf, *addr2line;
    bool hexdump;
    link_reader_t reader;
    sb_frame_fn *on_frame;
    sb_mac_name_fn *mac_name;
    void *cb_ctx;
    /* state */
    bool connected, released, silent;
    uint64_t bytes_in, bytes_out, frames_in, frames_out, crc_errors;
    uint64_t last_byte_ns, last_byte_ms;
    uint32_t reconnects;
    bool ever_connected;
    uint64_t boots;
    char version[LINK_BOOT_STR_MAX + 1], partition[LINK_BOOT_STR_MAX + 1];
    char reset_reason[LINK_BOOT_STR_MAX + 1];
    uint8_t mac[6];
    bool have_mac;
    char last_line[160];
    uint16_t tx_seq;
    uint64_t next_retry_ms, next_state_ms, expected_reset_until_ms;
    char last_error[256];
    /* text assembly */
    char line[LINE_MAX_BYTES + 1];
    size_t line_len;
    uint64_t line_ts_ns;
    tail_line_t tail[TAIL_LINES];
    size_t tail_next;
    /* a panic alert waiting for its backtrace to be symbolised */
    sb_addr2line_t *a2l;
    char **a2l_detail;
    size_t a2l_n;
    char a2l_text[256];
    bool a2l_pending;         /* the alert is not published yet */
    /* panic collection */
    bool in_panic;
    char *panic[PANIC_LINES];
    int npanic;
    uint64_t panic_deadline_ms;
    /* log file */
    char *log_path;
    FILE *log;
    long log_size, log_max;
    int log_files;
};

static uint64_t
s_ms (void)
{
    return bus_mono_ns () / 1000000u;
}

/* --- log file -------------------------------------------------------- */

static void
s_log_open (sb_board_t *self)
{
    if (!self->log_path || self->log)
        return;
    self->log = fopen (self->log_path, "a");
    if (!self->log) {
        zsys_warning ("serial-bridge: %s: cannot open log %s: %s", self->name, self->log_path,
                      strerror (errno));
        free (self->log_path);
        self->log_path = NULL;
        return;
    }
    setvbuf (self->log, NULL, _IOLBF, 0);
    fseek (self->log, 0, SEEK_END);
    self->log_size = ftell (self->log);
}

/* board.log -> board.log.1 -> ... -> board.log.<files-1>, oldest dropped. */
static void
s_log_rotate (sb_board_t *self)
{
    fclose (self->log);
    self->log = NULL;
    size_t len = strlen (self->log_path) + 16;
    char *from = malloc (len), *to = malloc (len);
    for (int i = self->log_files - 1; i >= 1; i--) {
        if (i == 1)
            snprintf (from, len, "%s", self->log_path);
        else
            snprintf (from, len, "%s.%d", self->log_path, i - 1);
        snprintf (to, len, "%s.%d", self->log_path, i);
        rename (from, to);
    }
    if (self->log_files <= 1)
        unlink (self->log_path);
    free (from);
    free (to);
    s_log_open (self);
}

static void
s_log (sb_board_t *self, uint64_t ts_ns, const char *tag, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_log (sb_board_t *self, uint64_t ts_ns, const char *tag, const char *fmt, ...)
{
    if (!self->log)
        return;
    time_t secs = (time_t) (ts_ns / 1000000000u);
    struct tm tm;
    gmtime_r (&secs, &tm);
    char when[40];
    strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    va_list ap;
    va_start (ap, fmt);
    int n = fprintf (self->log, "%s.%03uZ %s ", when, (unsigned) (ts_ns / 1000000u % 1000u), tag);
    n += vfprintf (self->log, fmt, ap);
    n += fprintf (self->log, "\n");
    va_end (ap);
    self->log_size += n > 0 ? n : 0;
    if (self->log_max > 0 && self->log_size >= self->log_max)
        s_log_rotate (self);
}

static char *
s_hex (const uint8_t *p, size_t len)
{
    char *out = malloc (len * 2 + 1);
    for (size_t i = 0; i < len; i++)
        sprintf (out + i * 2, "%02x", p[i]);
    out[len * 2] = 0;
    return out;
}

/* --- publishing ------------------------------------------------------ */

/* bus_alerts' sender: the alert as it goes on the bus. */
static void
s_send_alert (void *arg, const Lab__Alert *alert)
{
    sb_board_t *self = (sb_board_t *) arg;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_ALERT;
    env.alert = (Lab__Alert *) alert;
    char topic[160];
    snprintf (topic, sizeof topic, "evt.alert.%s.%s", alert->kind, alert->subject);
    bus_client_publish (self->bus, topic, &env);
}

/* Every alert is logged; on the bus a crash loop is one alert per interval
 * with a count (bus_alerts), not one per crash. */
static void
s_publish_alert (sb_board_t *self, const char *severity, const char *kind, const char *text,
                 char **detail, size_t ndetail)
{
    bus_alerts_raise (self->alerts, severity, kind, self->name, text, detail, ndetail, s_ms ());
    s_log (self, bus_now_ns (), "!!", "%s: %s", kind, text);
}

void
sb_board_publish_state (sb_board_t *self)
{
    Lab__BoardState st = LAB__BOARD_STATE__INIT;
    char mac[18] = "";
    if (self->have_mac)
        link_mac_format (self->mac, mac);
    st.board = self->name;
    st.connected = self->connected;
    st.port = (char *) sb_port_url (self->port);
    st.bytes_in = self->bytes_in;
    st.bytes_out = self->bytes_out;
    st.frames_in = self->frames_in;
    st.frames_out = self->frames_out;
    st.crc_errors = self->crc_errors;
    st.last_byte_ns = self->last_byte_ns;
    st.last_line = self->last_line;
    st.firmware_version = self->version;
    st.partition = self->partition;
    st.reset_reason = self->reset_reason;
    st.silent = self->silent;
    st.reconnects = self->reconnects;
    st.mac = mac;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_BOARD;
    env.board = &st;
    char topic[128];
    snprintf (topic, sizeof topic, "state.board.%s", self->name);
    bus_client_publish (self->bus, topic, &env);
}

static void
s_publish_frame (sb_board_t *self, uint8_t type, uint16_t seq, const uint8_t *p, size_t len,
                 uint32_t direction, bool crc_ok, uint64_t ts_ns)
{
    Lab__BoardFrame f = LAB__BOARD_FRAME__INIT;
    f.board = self->name;
    f.type = type;
    f.seq = seq;
    f.payload.data = (uint8_t *) p;
    f.payload.len = len;
    f.rx_ts_ns = ts_ns;
    f.direction = direction;
    f.crc_ok = crc_ok;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_BOARD_FRAME;
    env.board_frame = &f;
    char topic[128];
    snprintf (topic, sizeof topic, "tel.frame.%s", self->name);
    bus_client_publish (self->bus, topic, &env);
}

/* --- panics and resets in the text ------------------------------------ */

static void
s_free_lines (char **lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free (lines[i]);
    free (lines);
}

/* Publishes the panic alert that waited for addr2line, with what it said. */
static void
s_symbolised (sb_board_t *self)
{
    const char *out = sb_addr2line_output (self->a2l);
    char *copy = strdup (out), *save = NULL;
    for (char *l = strtok_r (copy, "\n", &save); l; l = strtok_r (NULL, "\n", &save)) {
        self->a2l_detail = realloc (self->a2l_detail, (self->a2l_n + 1) * sizeof (char *));
        self->a2l_detail[self->a2l_n++] = strdup (l);
    }
    free (copy);
    if (sb_addr2line_timed_out (self->a2l)) {
        self->a2l_detail = realloc (self->a2l_detail, (self->a2l_n + 1) * sizeof (char *));
        self->a2l_detail[self->a2l_n++] = strdup ("(addr2line did not finish within 2 s; killed)");
    }
    s_publish_alert (self, "error", "board_panic", self->a2l_text, self->a2l_detail, self->a2l_n);
    s_free_lines (self->a2l_detail, self->a2l_n);
    self->a2l_detail = NULL;
    self->a2l_n = 0;
    self->a2l_pending = false;
}

static void
s_panic_finish (sb_board_t *self)
{
    if (!self->in_panic)
        return;
    self->in_panic = false;
    char **detail = NULL;
    size_t n = 0;
    const char *backtrace = NULL;
    for (int i = 0; i < self->npanic; i++) {
        detail = realloc (detail, (n + 1) * sizeof (char *));
        detail[n++] = strdup (self->panic[i]);
        if (!backtrace && !strncmp (self->panic[i], "Backtrace:", 10))
            backtrace = self->panic[i];
    }
    char text[256];
    snprintf (text, sizeof text, "%s panicked: %s", self->name, self->npanic ? self->panic[0] : "");
    /* The backtrace is symbolised by a child the loop watches: the alert
     * goes out when it has answered (or after 2 s), and no board waits. */
    if (backtrace && self->elf && self->addr2line && !self->a2l) {
        self->a2l = sb_addr2line_start (self->addr2line, self->elf, backtrace, s_ms (), ADDR2LINE_TIMEOUT_MS);
        if (self->a2l) {
            self->a2l_detail = detail;
            self->a2l_n = n;
            snprintf (self->a2l_text, sizeof self->a2l_text, "%s", text);
            self->a2l_pending = true;
            detail = NULL;
            n = 0;
        }
    }
    if (detail)
        s_publish_alert (self, "error", "board_panic", text, detail, n);
    s_free_lines (detail, n);
    for (int i = 0; i < self->npanic; i++)
        free (self->panic[i]);
    self->npanic = 0;
}

static void
s_addr2line_tick (sb_board_t *self, uint64_t now)
{
    if (!self->a2l)
        return;
    sb_addr2line_work (self->a2l, now);
    if (self->a2l_pending && sb_addr2line_done (self->a2l))
        s_symbolised (self);
    if (!self->a2l_pending && sb_addr2line_reaped (self->a2l))
        sb_addr2line_destroy (&self->a2l);
}

int
sb_board_child_fd (sb_board_t *self)
{
    return self->a2l ? sb_addr2line_fd (self->a2l) : -1;
}

void
sb_board_on_child (sb_board_t *self)
{
    s_addr2line_tick (self, s_ms ());
}

static void
s_watch_line (sb_board_t *self, const char *text)
{
    uint64_t now = s_ms ();
    if (strstr (text, "Guru Meditation") || strstr (text, "abort() was called")) {
        s_panic_finish (self);
        self->in_panic = true;
        self->panic_deadline_ms = now + 1500;
        /* The reboot that follows a panic is part of it. */
        self->expected_reset_until_ms = now + 5000;
    }
    if (self->in_panic) {
        if (self->npanic < PANIC_LINES && *text)
            self->panic[self->npanic++] = strdup (text);
        if (!strncmp (text, "Rebooting", 9) || !strncmp (text, "rst:", 4))
            s_panic_finish (self);
    }
    if (!strncmp (text, "rst:", 4) && now > self->expected_reset_until_ms) {
        char msg[256];
        snprintf (msg, sizeof msg, "%s reset unexpectedly: %s", self->name, text);
        char *detail[1] = { (char *) text };
        s_publish_alert (self, "warning", "board_reset", msg, detail, 1);
    }
}

/* --- text ------------------------------------------------------------ */

static void
s_emit_line (sb_board_t *self, bool truncated)
{
    while (self->line_len && (self->line[self->line_len - 1] == '\r'))
        self->line_len--;
    self->line[self->line_len] = 0;
    /* Text may hold any byte; keep it valid for protobuf strings (UTF-8):
     * replace control and high bytes. */
    for (size_t i = 0; i < self->line_len; i++) {
        unsigned char c = (unsigned char) self->line[i];
        if (c < 0x20 && c != '\t')
            self->line[i] = '.';
        else if (c >= 0x80)
            self->line[i] = '?';
    }
    Lab__SerialLine sl = LAB__SERIAL_LINE__INIT;
    sl.board = self->name;
    sl.text = self->line;
    sl.rx_ts_ns = self->line_ts_ns;
    sl.truncated = truncated;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_SERIAL_LINE;
    env.serial_line = &sl;
    char topic[128];
    snprintf (topic, sizeof topic, "tel.serial.%s", self->name);
    bus_client_publish (self->bus, topic, &env);
    s_log (self, self->line_ts_ns, "<", "%s", self->line);
    snprintf (self->last_line, sizeof self->last_line, "%s", self->line);
    tail_line_t *t = &self->tail[self->tail_next++ % TAIL_LINES];
    free (t->text);
    t->text = strdup (self->line);
    t->ts_ns = self->line_ts_ns;
    s_watch_line (self, self->line);
    self->line_len = 0;
}

static void
s_on_text (void *ctx, const uint8_t *text, size_t len)
{
    sb_board_t *self = ctx;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n') {
            s_emit_line (self, false);
            continue;
        }
        if (text[i] == 0)
            continue;
        self->line[self->line_len++] = (char) text[i];
        self->line_ts_ns = self->last_byte_ns;
        if (self->line_len >= LINE_MAX_BYTES)
            s_emit_line (self, true);
    }
}

/* --- frames ---------------------------------------------------------- */

static void
s_on_boot (sb_board_t *self, const uint8_t *p, size_t len)
{
    link_boot_t boot;
    if (link_boot_decode (p, len, &boot))
        return;
    snprintf (self->version, sizeof self->version, "%s", boot.version);
    snprintf (self->partition, sizeof self->partition, "%s", boot.partition);
    snprintf (self->reset_reason, sizeof self->reset_reason, "%s", boot.reset_reason);
    memcpy (self->mac, boot.mac, 6);
    self->have_mac = true;
    self->boots++;
    sb_board_publish_state (self);
}

static void
s_on_espnow_rx (sb_board_t *self, const uint8_t *p, size_t len)
{
    if (len < 8)
        return;
    char mac[18];
    link_mac_format (p, mac);
    const char *sender = self->mac_name ? self->mac_name (self->cb_ctx, p) : NULL;
    Lab__RssiSample r = LAB__RSSI_SAMPLE__INIT;
    r.board = self->name;
    r.receiver = self->name;
    r.sender = (char *) (sender ? sender : mac);
    r.sender_mac = mac;
    r.rssi_dbm = (int8_t) p[6];
    r.channel = p[7];
    r.rx_ts_ns = self->last_byte_ns;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_RSSI;
    env.rssi = &r;
    char topic[128];
    snprintf (topic, sizeof topic, "tel.rssi.%s", self->name);
    bus_client_publish (self->bus, topic, &env);
}

static void
s_on_frame (void *ctx, uint8_t type, uint16_t seq, const uint8_t *p, size_t len)
{
    sb_board_t *self = ctx;
    self->frames_in++;
    s_publish_frame (self, type, seq, p, len, 0, true, self->last_byte_ns);
    if (self->hexdump) {
        char *hex = s_hex (p, len);
        s_log (self, self->last_byte_ns, "F<", "type 0x%02x seq %u len %zu %s", type, seq, len, hex);
        free (hex);
    }
    if (type == LINK_T_BOOT)
        s_on_boot (self, p, len);
    else if (type == LINK_T_ESPNOW_RX)
        s_on_espnow_rx (self, p, len);
    if (self->on_frame)
        self->on_frame (self->cb_ctx, self, type, seq, p, len);
}

static void
s_on_error (void *ctx, link_err_t err, const uint8_t *raw, size_t len)
{
    sb_board_t *self = ctx;
    static const char *const names[] = { "", "crc", "length", "cobs", "overflow" };
    self->crc_errors++;
    size_t shown = len > 600 ? 600 : len;
    char *hex = s_hex (raw, shown);
    s_log (self, self->last_byte_ns, "F!", "bad frame (%s), %zu bytes: %s%s", names[err], len, hex,
           shown < len ? "..." : "");
    free (hex);
    s_publish_frame (self, 0, 0, raw, shown, 0, false, self->last_byte_ns);
    if (self->crc_errors <= 5 || self->crc_errors % 100 == 0)
        zsys_warning ("serial-bridge: %s: bad frame (%s), %zu bytes (%lu so far)", self->name,
                      names[err], len, (unsigned long) self->crc_errors);
}

/* --- life cycle ------------------------------------------------------ */

sb_board_t *
sb_board_new (const sb_board_opts_t *opts, bus_client_t *bus, char *err, size_t errlen)
{
    sb_board_t *self = calloc (1, sizeof *self);
    snprintf (self->name, sizeof self->name, "%s", opts->name);
    self->port = sb_port_new (opts->url, opts->baud, opts->runtime_dir);
    if (!self->port) {
        sb_port_check_url (opts->url, err, errlen);
        free (self);
        return NULL;
    }
    self->bus = bus;
    self->alerts = bus_alerts_new (SB_ALERT_INTERVAL_MS, s_send_alert, self);
    self->silent_after_ms = opts->silent_after_ms;
    snprintf (self->reset, sizeof self->reset, "%s", opts->reset ? opts->reset : "dtr-rts");
    self->flash = opts->flash ? strdup (opts->flash) : NULL;
    self->elf = opts->elf ? strdup (opts->elf) : NULL;
    self->addr2line = opts->addr2line ? strdup (opts->addr2line) : NULL;
    self->hexdump = opts->hexdump;
    if (opts->mac) {
        memcpy (self->mac, opts->mac, 6);
        self->have_mac = true;
    }
    self->log_path = opts->log_path ? strdup (opts->log_path) : NULL;
    self->log_max = opts->log_max;
    self->log_files = opts->log_files > 0 ? opts->log_files : 4;
    s_log_open (self);
    link_reader_cb_t cb = { .on_frame = s_on_frame, .on_text = s_on_text, .on_error = s_on_error,
                            .ctx = self };
    link_reader_init (&self->reader, &cb);
    return self;
}

void
sb_board_destroy (sb_board_t **self_p)
{
    sb_board_t *self = *self_p;
    if (!self)
        return;
    sb_port_destroy (&self->port);
    bus_alerts_destroy (&self->alerts);
    sb_addr2line_destroy (&self->a2l);
    s_free_lines (self->a2l_detail, self->a2l_n);
    for (size_t i = 0; i < TAIL_LINES; i++)
        free (self->tail[i].text);
    for (int i = 0; i < self->npanic; i++)
        free (self->panic[i]);
    if (self->log)
        fclose (self->log);
    free (self->log_path);
    free (self->flash);
    free (self->elf);
    free (self->addr2line);
    free (self);
    *self_p = NULL;
}

void
sb_board_set_callbacks (sb_board_t *self, sb_frame_fn *on_frame, sb_mac_name_fn *mac_name, void *ctx)
{
    self->on_frame = on_frame;
    self->mac_name = mac_name;
    self->cb_ctx = ctx;
}

const char *sb_board_name (sb_board_t *self) { return self->name; }
bool sb_board_connected (sb_board_t *self) { return self->connected; }
bool sb_board_released (sb_board_t *self) { return self->released; }
const char *sb_board_version (sb_board_t *self) { return self->version; }
uint64_t sb_board_boots (sb_board_t *self) { return self->boots; }
const char *sb_board_flash_template (sb_board_t *self) { return self->flash; }
const char *sb_board_device (sb_board_t *self) { return sb_port_device (self->port); }
int sb_board_fd (sb_board_t *self) { return self->connected ? sb_port_fd (self->port) : -1; }

bool
sb_board_mac (sb_board_t *self, uint8_t mac[6])
{
    if (self->have_mac)
        memcpy (mac, self->mac, 6);
    return self->have_mac;
}

static void
s_disconnected (sb_board_t *self, const char *why)
{
    if (!self->connected)
        return;
    self->connected = false;
    sb_port_close (self->port);
    s_log (self, bus_now_ns (), "--", "disconnected: %s", why);
    zsys_info ("serial-bridge: %s: disconnected (%s)", self->name, why);
    self->next_retry_ms = s_ms () + RECONNECT_MS;
    sb_board_publish_state (self);
}

static void
s_try_connect (sb_board_t *self, uint64_t now)
{
    if (sb_port_open (self->port)) {
        if (strcmp (self->last_error, sb_port_error (self->port))) {
            snprintf (self->last_error, sizeof self->last_error, "%s", sb_port_error (self->port));
            zsys_info ("serial-bridge: %s: waiting for %s", self->name, self->last_error);
        }
        self->next_retry_ms = now + RECONNECT_MS;
        return;
    }
    *self->last_error = 0;
    if (self->ever_connected)
        self->reconnects++;
    self->ever_connected = true;
    self->connected = true;
    self->silent = false;
    self->last_byte_ms = now;
    /* A reconnect drops any half-read frame or line. */
    link_reader_cb_t cb = self->reader.cb;
    link_reader_init (&self->reader, &cb);
    self->line_len = 0;
    s_log (self, bus_now_ns (), "--", "connected to %s", sb_port_device (self->port));
    zsys_info ("serial-bridge: %s: connected to %s", self->name, sb_port_device (self->port));
    sb_board_publish_state (self);
    /* Ask for a boot report so we know the version even if the board booted
     * before we were listening. */
    sb_board_send_frame (self, LINK_T_QUERY, NULL, 0);
}

void
sb_board_on_readable (sb_board_t *self)
{
    uint8_t buf[4096];
    for (int rounds = 0; rounds < 16 && self->connected; rounds++) {
        long n = sb_port_read (self->port, buf, sizeof buf);
        if (n < 0) {
            s_disconnected (self, sb_port_error (self->port));
            return;
        }
        if (n == 0)
            return;
        self->bytes_in += (uint64_t) n;
        self->last_byte_ns = bus_now_ns ();
        self->last_byte_ms = s_ms ();
        if (self->silent) {
            self->silent = false;
            sb_board_publish_state (self);
        }
        link_reader_feed (&self->reader, buf, (size_t) n);
        if ((size_t) n < sizeof buf)
            return;
    }
}

void
sb_board_tick (sb_board_t *self, uint64_t now)
{
    if (!self->connected && !self->released && now >= self->next_retry_ms)
        s_try_connect (self, now);
    if (self->connected && self->silent_after_ms > 0 && !self->silent
        && now - self->last_byte_ms >= (uint64_t) self->silent_after_ms) {
        self->silent = true;
        char text[200];
        snprintf (text, sizeof text, "%s sent nothing for %.1f s", self->name,
                  (double) (now - self->last_byte_ms) / 1000.0);
        s_publish_alert (self, "warning", "board_silent", text, NULL, 0);
        sb_board_publish_state (self);
    }
    /* A partial line (a prompt, a line cut by a reset) goes out after a pause. */
    if (self->line_len && now - self->last_byte_ms >= 200)
        s_emit_line (self, false);
    if (self->in_panic && now >= self->panic_deadline_ms)
        s_panic_finish (self);
    s_addr2line_tick (self, now);
    bus_alerts_tick (self->alerts, now);
    if (now >= self->next_state_ms) {
        self->next_state_ms = now + 1000;
        sb_board_publish_state (self);
    }
}

/* --- output ---------------------------------------------------------- */

bool
sb_board_want_write (sb_board_t *self)
{
    return self->connected && sb_port_queued (self->port) > 0;
}

void
sb_board_on_writable (sb_board_t *self)
{
    if (self->connected && sb_port_flush (self->port))
        s_disconnected (self, sb_port_error (self->port));
}

size_t
sb_board_queued (sb_board_t *self)
{
    return sb_port_queued (self->port);
}

int
sb_board_send_frame (sb_board_t *self, uint8_t type, const void *payload, size_t len)
{
    if (!self->connected)
        return -1;
    uint8_t wire[LINK_MAX_WIRE];
    uint16_t seq = self->tx_seq++;
    size_t n = link_frame_encode (wire, sizeof wire, type, seq, payload, len);
    if (!n)
        return -1;
    int rc = sb_port_write (self->port, wire, n);
    if (rc == SB_PORT_EFULL) {
        self->tx_seq--;           /* never sent: the seq stays unused */
        return SB_PORT_EFULL;
    }
    if (rc) {
        s_disconnected (self, sb_port_error (self->port));
        return -1;
    }
    self->bytes_out += n;
    self->frames_out++;
    uint64_t now = bus_now_ns ();
    s_publish_frame (self, type, seq, payload, len, 1, true, now);
    if (self->hexdump) {
        char *hex = s_hex (payload, len);
        s_log (self, now, "F>", "type 0x%02x seq %u len %zu %s", type, seq, len, hex);
        free (hex);
    }
    return seq;
}

int
sb_board_write_text (sb_board_t *self, const char *text)
{
    if (!self->connected)
        return -1;
    size_t len = strlen (text);
    int rc = sb_port_write (self->port, text, len);
    if (rc == SB_PORT_EFULL)
        return SB_PORT_EFULL;
    if (rc) {
        s_disconnected (self, sb_port_error (self->port));
        return -1;
    }
    self->bytes_out += len;
    s_log (self, bus_now_ns (), ">", "%s", text);
    return 0;
}

void
sb_board_release (sb_board_t *self)
{
    self->released = true;
    if (self->connected) {
        self->connected = false;
        sb_port_close (self->port);
        s_log (self, bus_now_ns (), "--", "released");
    }
    sb_board_publish_state (self);
}

int
sb_board_acquire (sb_board_t *self)
{
    self->released = false;
    if (!self->connected)
        s_try_connect (self, s_ms ());
    return self->connected ? 0 : -1;
}

void
sb_board_expect_reset (sb_board_t *self, uint64_t for_ms)
{
    self->expected_reset_until_ms = s_ms () + for_ms;
}

static void
s_sleep_ms (int ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L };
    nanosleep (&ts, NULL);
}

int
sb_board_reset (sb_board_t *self, bool bootloader, char *err, size_t errlen)
{
    if (!self->connected) {
        snprintf (err, errlen, "%s is not connected", self->name);
        return -1;
    }
    sb_board_expect_reset (self, 5000);
    if (!strcmp (self->reset, "none")) {
        snprintf (err, errlen, "%s has reset = none", self->name);
        return -1;
    }
    if (!strcmp (self->reset, "frame")) {
        if (bootloader) {
            snprintf (err, errlen, "%s: reset = frame cannot enter the bootloader", self->name);
            return -1;
        }
        return sb_board_send_frame (self, LINK_T_REBOOT, NULL, 0) < 0 ? -1 : 0;
    }
    /* The DevKitC auto-reset circuit: RTS drives EN and DTR drives IO0, both
     * inverted, and DTR=RTS=1 leaves both high. Same sequence as esptool. */
    int rc;
    if (bootloader) {
        rc = sb_port_set_lines (self->port, false, true);   /* EN low, IO0 high */
        s_sleep_ms (100);
        rc |= sb_port_set_lines (self->port, true, false);  /* EN high, IO0 low */
        s_sleep_ms (50);
        rc |= sb_port_set_lines (self->port, false, false); /* IO0 released */
    } else {
        rc = sb_port_set_lines (self->port, false, true);   /* EN low */
        s_sleep_ms (100);
        rc |= sb_port_set_lines (self->port, false, false); /* EN high: run */
    }
    if (rc) {
        snprintf (err, errlen, "%s", sb_port_error (self->port));
        return -1;
    }
    return 0;
}

/* --- queries --------------------------------------------------------- */

char *
sb_board_tail (sb_board_t *self, int n)
{
    if (n <= 0 || n > TAIL_LINES)
        n = TAIL_LINES;
    size_t cap = 256, len = 0;
    char *out = malloc (cap);
    *out = 0;
    for (int i = n; i >= 1; i--) {
        if ((size_t) i > self->tail_next)
            continue;
        tail_line_t *t = &self->tail[(self->tail_next - (size_t) i) % TAIL_LINES];
        if (!t->text)
            continue;
        time_t secs = (time_t) (t->ts_ns / 1000000000u);
        struct tm tm;
        localtime_r (&secs, &tm);
        char when[32];
        strftime (when, sizeof when, "%H:%M:%S", &tm);
        size_t need = strlen (t->text) + 32;
        if (len + need >= cap) {
            cap = (len + need) * 2;
            out = realloc (out, cap);
        }
        len += (size_t) snprintf (out + len, cap - len, "%s.%03u %s\n", when,
                                  (unsigned) (t->ts_ns / 1000000u % 1000u), t->text);
    }
    return out;
}

char *
sb_board_json (sb_board_t *self)
{
    char mac[18] = "";
    if (self->have_mac)
        link_mac_format (self->mac, mac);
    /* Through jansson: the version and reset reason come from the board's
     * BOOT report and may hold anything (quotes, control bytes, bad UTF-8). */
    json_t *o = json_object ();
    json_object_set_new (o, "board", bus_json_text (self->name));
    json_object_set_new (o, "connected", json_boolean (self->connected));
    json_object_set_new (o, "released", json_boolean (self->released));
    json_object_set_new (o, "port", bus_json_text (sb_port_url (self->port)));
    json_object_set_new (o, "device", bus_json_text (sb_port_device (self->port)));
    json_object_set_new (o, "mac", bus_json_text (mac));
    json_object_set_new (o, "bytes_in", json_integer ((json_int_t) self->bytes_in));
    json_object_set_new (o, "bytes_out", json_integer ((json_int_t) self->bytes_out));
    json_object_set_new (o, "frames_in", json_integer ((json_int_t) self->frames_in));
    json_object_set_new (o, "frames_out", json_integer ((json_int_t) self->frames_out));
    json_object_set_new (o, "crc_errors", json_integer ((json_int_t) self->crc_errors));
    json_object_set_new (o, "silent", json_boolean (self->silent));
    json_object_set_new (o, "reconnects", json_integer ((json_int_t) self->reconnects));
    json_object_set_new (o, "firmware_version", bus_json_text (self->version));
    json_object_set_new (o, "partition", bus_json_text (self->partition));
    json_object_set_new (o, "reset_reason", bus_json_text (self->reset_reason));
    char *out = json_dumps (o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (o);
    return out;
}
