/* web_metrics - see web_metrics.h. */
#include "services/web/web_metrics.h"
#include "bus/bus_json.h"
#include <assert.h>
#include <czmq.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    bool up;
    uint32_t restarts;
    uint64_t rss_kb, peak_rss_kb;
    double uptime_s;
} svc_t;

typedef struct {
    bool connected, silent;
    uint64_t bytes_in, bytes_out, frames_in, frames_out, crc_errors, last_byte_ns;
    uint32_t reconnects;
    uint64_t lines;             /* tel.serial lines seen by the web service */
} board_t;

typedef struct {
    uint64_t bytes_acked, image_size;
    uint32_t retransmissions;
    double percent, rate_bps;
} ota_t;

typedef struct {
    uint32_t done, total, errors, cohorts_done, cohorts_total;
} sweep_t;

typedef struct {
    double distance_m, rssi_dbm;
    uint32_t samples;
} link_t;

typedef struct {
    uint64_t count;
} count_t;

enum { T_SVC, T_BOARD, T_OTA, T_SWEEP, T_LINK, T_ALERT, T_EVALROW, T_CHAT, T_CHATMSG, T_COUNT };
static const size_t s_item_size[T_COUNT] = { sizeof (svc_t), sizeof (board_t), sizeof (ota_t),
                                             sizeof (sweep_t), sizeof (link_t), sizeof (count_t),
                                             sizeof (count_t), sizeof (count_t), sizeof (count_t) };

struct _web_metrics_t {
    pthread_mutex_t lock;
    zhashx_t *tables[T_COUNT];
    bool have_bus;
    uint64_t bus_in, bus_out, bus_drops, bus_malformed, bus_requests, bus_not_running,
        bus_recorder_bytes;
    double bus_uptime_s;
    uint64_t untracked;
    uint64_t web_received, web_gaps, web_malformed, web_duplicates;
};

web_metrics_t *
web_metrics_new (void)
{
    web_metrics_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    pthread_mutex_init (&self->lock, NULL);
    for (int t = 0; t < T_COUNT; t++) {
        self->tables[t] = zhashx_new ();
        zhashx_set_destructor (self->tables[t], (zhashx_destructor_fn *) zstr_free);
    }
    return self;
}

void
web_metrics_destroy (web_metrics_t **self_p)
{
    web_metrics_t *self = *self_p;
    if (!self)
        return;
    for (int t = 0; t < T_COUNT; t++)
        zhashx_destroy (&self->tables[t]);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

/* The item KEY of table T, created zeroed; NULL when the table is full. */
static void *
s_item (web_metrics_t *self, int t, const char *key)
{
    if (!key || !*key)
        return NULL;
    void *item = zhashx_lookup (self->tables[t], key);
    if (item)
        return item;
    if (zhashx_size (self->tables[t]) >= WEB_METRICS_MAX_ITEMS) {
        self->untracked++;
        return NULL;
    }
    item = calloc (1, s_item_size[t]);
    if (item)
        zhashx_insert (self->tables[t], key, item);
    return item;
}

/* KEY for two-label items: the labels joined by a unit separator. */
static void
s_pair (char *out, size_t outlen, const char *a, const char *b)
{
    snprintf (out, outlen, "%s\x1f%s", a ? a : "", b ? b : "");
}

static void
s_update_locked (web_metrics_t *self, const char *topic, const Lab__Envelope *env)
{
    char key[512];
    switch (env->body_case) {
    case LAB__ENVELOPE__BODY_SERVICE: {
        const Lab__ServiceState *m = env->service;
        svc_t *s = s_item (self, T_SVC, m->name);
        if (s) {
            s->up = m->state && strcmp (m->state, "up") == 0;
            s->restarts = m->restarts;
            s->rss_kb = m->rss_kb;
            s->peak_rss_kb = m->peak_rss_kb;
            s->uptime_s = m->uptime_s;
        }
        break;
    }
    case LAB__ENVELOPE__BODY_BOARD: {
        const Lab__BoardState *m = env->board;
        board_t *b = s_item (self, T_BOARD, m->board);
        if (b) {
            b->connected = m->connected;
            b->silent = m->silent;
            b->bytes_in = m->bytes_in;
            b->bytes_out = m->bytes_out;
            b->frames_in = m->frames_in;
            b->frames_out = m->frames_out;
            b->crc_errors = m->crc_errors;
            b->last_byte_ns = m->last_byte_ns;
            b->reconnects = m->reconnects;
        }
        break;
    }
    case LAB__ENVELOPE__BODY_SERIAL_LINE: {
        board_t *b = s_item (self, T_BOARD, env->serial_line->board);
        if (b && env->serial_line->direction == 0)
            b->lines++;
        break;
    }
    case LAB__ENVELOPE__BODY_OTA: {
        const Lab__OtaJobState *m = env->ota;
        ota_t *o = s_item (self, T_OTA, m->job);
        if (o) {
            o->bytes_acked = m->bytes_acked;
            o->image_size = m->image_size;
            o->retransmissions = m->retransmissions;
            o->percent = m->percent;
            o->rate_bps = m->rate_bps;
        }
        break;
    }
    case LAB__ENVELOPE__BODY_EVAL_SWEEP: {
        const Lab__EvalSweepState *m = env->eval_sweep;
        sweep_t *s = s_item (self, T_SWEEP, m->sweep);
        if (s) {
            s->done = m->done;
            s->total = m->total;
            s->errors = m->errors;
            s->cohorts_done = m->cohorts_done;
            s->cohorts_total = m->cohorts_total;
        }
        break;
    }
    case LAB__ENVELOPE__BODY_EVAL_ROW: {
        count_t *c = s_item (self, T_EVALROW, env->eval_row->outcome && *env->eval_row->outcome
                                                   ? env->eval_row->outcome
                                                   : "unknown");
        if (c)
            c->count++;
        break;
    }
    case LAB__ENVELOPE__BODY_DISTANCE: {
        const Lab__DistanceEstimate *m = env->distance;
        s_pair (key, sizeof key, m->a, m->b);
        link_t *l = s_item (self, T_LINK, key);
        if (l) {
            l->distance_m = m->distance_m;
            l->rssi_dbm = m->rssi_filtered_dbm;
            l->samples = m->samples;
        }
        break;
    }
    case LAB__ENVELOPE__BODY_ALERT: {
        const Lab__Alert *m = env->alert;
        s_pair (key, sizeof key, m->kind && *m->kind ? m->kind : "unknown",
                m->severity && *m->severity ? m->severity : "unknown");
        count_t *c = s_item (self, T_ALERT, key);
        if (c)
            c->count++;
        break;
    }
    case LAB__ENVELOPE__BODY_BUS_STATS: {
        const Lab__BusStats *m = env->bus_stats;
        self->have_bus = true;
        self->bus_in = m->msgs_in_total;
        self->bus_out = m->msgs_out_total;
        self->bus_drops = m->drops_total;
        self->bus_malformed = m->malformed_total;
        self->bus_requests = m->requests_total;
        self->bus_not_running = m->not_running_total;
        self->bus_recorder_bytes = m->recorder_bytes;
        self->bus_uptime_s = m->uptime_s;
        break;
    }
    case LAB__ENVELOPE__BODY_CHAT: {
        count_t *c = s_item (self, T_CHATMSG, env->chat->outgoing ? "out" : "in");
        if (c)
            c->count++;
        break;
    }
    default: break;
    }
    /* Chat outcomes travel on evt.chat.<outcome>[.<more>] whatever the body. */
    if (strncmp (topic, "evt.chat.", 9) == 0) {
        const char *o = topic + 9;
        size_t n = strcspn (o, ".");
        if ((n == 8 && strncmp (o, "accepted", 8) == 0) || (n == 7 && strncmp (o, "refused", 7) == 0)) {
            snprintf (key, sizeof key, "%.*s", (int) n, o);
            count_t *c = s_item (self, T_CHAT, key);
            if (c)
                c->count++;
        }
    }
}

void
web_metrics_update (web_metrics_t *self, const char *topic, const Lab__Envelope *env)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    s_update_locked (self, topic, env);
    pthread_mutex_unlock (&self->lock);
}

void
web_metrics_set_bus (web_metrics_t *self, uint64_t received, uint64_t gaps, uint64_t malformed,
                     uint64_t duplicates)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    self->web_received = received;
    self->web_gaps = gaps;
    self->web_malformed = malformed;
    self->web_duplicates = duplicates;
    pthread_mutex_unlock (&self->lock);
}

/* --- rendering --------------------------------------------------------- */

void
web_metrics_label (FILE *out, const char *name, const char *value)
{
    /* Label values are names from the bus (boards, jobs, services): any
     * bytes. Invalid UTF-8 becomes U+FFFD (bus_json_text does the repair),
     * other control characters too; \\, \" and \n are escaped. */
    json_t *text = bus_json_text (value);
    fprintf (out, "%s=\"", name);
    for (const char *p = json_string_value (text); p && *p; p++) {
        if (*p == '\\')
            fputs ("\\\\", out);
        else if (*p == '"')
            fputs ("\\\"", out);
        else if (*p == '\n')
            fputs ("\\n", out);
        else if ((unsigned char) *p < 0x20 || *p == 0x7f)
            fputs ("\xEF\xBF\xBD", out);
        else
            fputc (*p, out);
    }
    fputc ('"', out);
    json_decref (text);
}

static void
s_family (FILE *o, const char *name, const char *type, const char *help)
{
    fprintf (o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
s_value (FILE *o, double v)
{
    if (isnan (v))
        fputs ("NaN", o);
    else if (isinf (v))
        fputs (v > 0 ? "+Inf" : "-Inf", o);
    else if (v == floor (v) && fabs (v) < 9e15)
        fprintf (o, "%.0f", v);
    else
        fprintf (o, "%.15g", v);
}

static int
s_cmp (const void *a, const void *b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The keys of table T, sorted so the output is stable; free() the array. */
static const char **
s_keys (web_metrics_t *self, int t, size_t *n)
{
    *n = zhashx_size (self->tables[t]);
    const char **keys = calloc (*n + 1, sizeof *keys);
    size_t i = 0;
    for (void *it = zhashx_first (self->tables[t]); it && i < *n; it = zhashx_next (self->tables[t]))
        keys[i++] = zhashx_cursor (self->tables[t]);
    *n = i;
    qsort (keys, *n, sizeof *keys, s_cmp);
    return keys;
}

typedef double (value_fn) (const void *item);

/* One family over table T with one label (or two, split at \x1f). */
static void
s_table_family (web_metrics_t *self, FILE *o, int t, const char *labels, const char *name,
                const char *type, const char *help, value_fn *fn)
{
    size_t n;
    const char **keys = s_keys (self, t, &n);
    if (n > 0) {
        s_family (o, name, type, help);
        char l1[64], l2[64] = "";
        const char *comma = strchr (labels, ',');
        snprintf (l1, sizeof l1, "%.*s", comma ? (int) (comma - labels) : (int) strlen (labels), labels);
        if (comma)
            snprintf (l2, sizeof l2, "%s", comma + 1);
        for (size_t i = 0; i < n; i++) {
            char first[512];
            snprintf (first, sizeof first, "%s", keys[i]);
            char *second = strchr (first, '\x1f');
            if (second)
                *second++ = 0;
            fprintf (o, "%s{", name);
            web_metrics_label (o, l1, first);
            if (*l2) {
                fputc (',', o);
                web_metrics_label (o, l2, second ? second : "");
            }
            fputs ("} ", o);
            s_value (o, fn (zhashx_lookup (self->tables[t], keys[i])));
            fputc ('\n', o);
        }
    }
    free (keys);
}

#define VALUE_FN(fname, type, expr) \
    static double fname (const void *item) { const type *x = item; return (double) (expr); }
VALUE_FN (v_svc_up, svc_t, x->up)
VALUE_FN (v_svc_restarts, svc_t, x->restarts)
VALUE_FN (v_svc_rss, svc_t, x->rss_kb * 1024.0)
VALUE_FN (v_svc_peak, svc_t, x->peak_rss_kb * 1024.0)
VALUE_FN (v_svc_uptime, svc_t, x->uptime_s)
VALUE_FN (v_b_conn, board_t, x->connected)
VALUE_FN (v_b_silent, board_t, x->silent)
VALUE_FN (v_b_bin, board_t, x->bytes_in)
VALUE_FN (v_b_bout, board_t, x->bytes_out)
VALUE_FN (v_b_fin, board_t, x->frames_in)
VALUE_FN (v_b_fout, board_t, x->frames_out)
VALUE_FN (v_b_crc, board_t, x->crc_errors)
VALUE_FN (v_b_seen, board_t, x->last_byte_ns / 1e9)
VALUE_FN (v_b_reconn, board_t, x->reconnects)
VALUE_FN (v_b_lines, board_t, x->lines)
VALUE_FN (v_ota_acked, ota_t, x->bytes_acked)
VALUE_FN (v_ota_size, ota_t, x->image_size)
VALUE_FN (v_ota_retx, ota_t, x->retransmissions)
VALUE_FN (v_ota_ratio, ota_t, x->percent / 100.0)
VALUE_FN (v_ota_rate, ota_t, x->rate_bps)
VALUE_FN (v_sw_done, sweep_t, x->done)
VALUE_FN (v_sw_total, sweep_t, x->total)
VALUE_FN (v_sw_err, sweep_t, x->errors)
VALUE_FN (v_sw_cdone, sweep_t, x->cohorts_done)
VALUE_FN (v_sw_ctotal, sweep_t, x->cohorts_total)
VALUE_FN (v_link_d, link_t, x->distance_m)
VALUE_FN (v_link_rssi, link_t, x->rssi_dbm)
VALUE_FN (v_count, count_t, x->count)

static void
s_scalar (FILE *o, const char *name, const char *type, const char *help, double v)
{
    s_family (o, name, type, help);
    fprintf (o, "%s ", name);
    s_value (o, v);
    fputc ('\n', o);
}

static void
s_render_locked (web_metrics_t *self, FILE *o, const web_metrics_self_t *w)
{
    if (self->have_bus) {
        s_scalar (o, "labbus_bus_messages_in_total", "counter", "Messages the broker received from publishers.", (double) self->bus_in);
        s_scalar (o, "labbus_bus_messages_out_total", "counter", "Messages the broker forwarded to subscribers.", (double) self->bus_out);
        s_scalar (o, "labbus_bus_drops_total", "counter", "Messages the broker dropped at a high-water mark.", (double) self->bus_drops);
        s_scalar (o, "labbus_bus_malformed_total", "counter", "Messages the broker dropped because they did not unpack.", (double) self->bus_malformed);
        s_scalar (o, "labbus_bus_requests_total", "counter", "Requests the broker routed to services.", (double) self->bus_requests);
        s_scalar (o, "labbus_bus_not_running_total", "counter", "Requests to services that were not running.", (double) self->bus_not_running);
        s_scalar (o, "labbus_bus_recorder_bytes", "gauge", "Size of the flight-recorder file.", (double) self->bus_recorder_bytes);
        s_scalar (o, "labbus_bus_uptime_seconds", "gauge", "Time since the broker started.", self->bus_uptime_s);
    }
    s_table_family (self, o, T_SVC, "service", "labbus_service_up", "gauge", "1 when the service is up, else 0.", v_svc_up);
    s_table_family (self, o, T_SVC, "service", "labbus_service_restarts_total", "counter", "Restarts of the service by labd.", v_svc_restarts);
    s_table_family (self, o, T_SVC, "service", "labbus_service_resident_memory_bytes", "gauge", "Resident memory (VmRSS) of the service.", v_svc_rss);
    s_table_family (self, o, T_SVC, "service", "labbus_service_peak_resident_memory_bytes", "gauge", "Peak resident memory (VmHWM) of the service.", v_svc_peak);
    s_table_family (self, o, T_SVC, "service", "labbus_service_uptime_seconds", "gauge", "Time since the service was last started.", v_svc_uptime);
    s_table_family (self, o, T_BOARD, "board", "labbus_board_connected", "gauge", "1 when the board's port is open.", v_b_conn);
    s_table_family (self, o, T_BOARD, "board", "labbus_board_silent", "gauge", "1 when the board has sent nothing for its silent_after time.", v_b_silent);
    s_table_family (self, o, T_BOARD, "board", "labbus_board_received_bytes_total", "counter", "Bytes read from the board.", v_b_bin);
    s_table_family (self, o, T_BOARD, "board", "labbus_board_sent_bytes_total", "counter", "Bytes written to the board.", v_b_bout);
    s_table_family (self, o, T_BOARD, "board", "labbus_board_received_frames_total", "counter", "Link frames read from the board.", v_b_fin);
    s_table_family (self, o, T_BOARD, "board", "labbus_board_sent_frames_total", "counter", "Link frames written to the board.", v_b_fout);
    s_table_family (self, o, T_BOARD, "board", "labbus_board_crc_errors_total", "counter", "Link frames from the board with a bad CRC.", v_b_crc);
    s_table_family (self, o, T_BOARD, "board", "labbus_board_last_seen_timestamp_seconds", "gauge", "Unix time of the last byte from the board.", v_b_seen);
    s_table_family (self, o, T_BOARD, "board", "labbus_board_reconnects_total", "counter", "Times the board's port was opened again.", v_b_reconn);
    s_table_family (self, o, T_BOARD, "board", "labbus_board_lines_total", "counter", "Serial lines from the board seen by the web service.", v_b_lines);
    s_table_family (self, o, T_OTA, "job", "labbus_ota_acked_bytes_total", "counter", "Image bytes the responder acknowledged.", v_ota_acked);
    s_table_family (self, o, T_OTA, "job", "labbus_ota_image_bytes", "gauge", "Size of the image being pushed.", v_ota_size);
    s_table_family (self, o, T_OTA, "job", "labbus_ota_retransmissions_total", "counter", "Chunks sent again.", v_ota_retx);
    s_table_family (self, o, T_OTA, "job", "labbus_ota_progress_ratio", "gauge", "Acknowledged share of the image, 0 to 1.", v_ota_ratio);
    s_table_family (self, o, T_OTA, "job", "labbus_ota_rate_bytes_per_second", "gauge", "Current push rate.", v_ota_rate);
    s_table_family (self, o, T_SWEEP, "sweep", "labbus_eval_rows_total", "counter", "Rows the sweep has written.", v_sw_done);
    s_table_family (self, o, T_SWEEP, "sweep", "labbus_eval_rows_planned", "gauge", "Rows the sweep will write in all.", v_sw_total);
    s_table_family (self, o, T_SWEEP, "sweep", "labbus_eval_errors_total", "counter", "Rows of the sweep that ended in an error.", v_sw_err);
    s_table_family (self, o, T_SWEEP, "sweep", "labbus_eval_cohorts_done", "gauge", "Cohorts of the sweep finished.", v_sw_cdone);
    s_table_family (self, o, T_SWEEP, "sweep", "labbus_eval_cohorts_planned", "gauge", "Cohorts of the sweep in all.", v_sw_ctotal);
    s_table_family (self, o, T_EVALROW, "outcome", "labbus_eval_row_events_total", "counter", "Eval rows seen on evt.eval.*, by outcome.", v_count);
    s_table_family (self, o, T_LINK, "a,b", "labbus_link_distance_meters", "gauge", "Estimated distance between two boards.", v_link_d);
    s_table_family (self, o, T_LINK, "a,b", "labbus_link_rssi_dbm", "gauge", "Filtered RSSI between two boards.", v_link_rssi);
    s_table_family (self, o, T_ALERT, "kind,severity", "labbus_alerts_total", "counter", "Alerts seen on evt.alert.*.", v_count);
    s_table_family (self, o, T_CHAT, "outcome", "labbus_chat_commands_total", "counter", "Chat commands, by outcome (accepted, refused).", v_count);
    s_table_family (self, o, T_CHATMSG, "direction", "labbus_chat_messages_total", "counter", "Chat messages seen on the bus, by direction (in, out).", v_count);
    s_scalar (o, "labbus_web_untracked_total", "counter", "Names not tracked because a table was full.", (double) self->untracked);
    s_scalar (o, "labbus_web_bus_messages_total", "counter", "Bus messages the web service received.", (double) self->web_received);
    s_scalar (o, "labbus_web_bus_gaps_total", "counter", "Bus messages the web service missed (sequence gaps).", (double) self->web_gaps);
    s_scalar (o, "labbus_web_bus_malformed_total", "counter", "Bus messages the web service could not unpack.", (double) self->web_malformed);
    s_scalar (o, "labbus_web_bus_duplicates_total", "counter", "Bus messages seen twice and dropped.", (double) self->web_duplicates);
    if (w) {
        s_scalar (o, "labbus_web_sse_clients", "gauge", "Event-stream clients connected now.", (double) w->sse_clients);
        s_scalar (o, "labbus_web_sse_clients_total", "counter", "Event-stream clients ever connected.", (double) w->sse_clients_total);
        s_scalar (o, "labbus_web_sse_clients_dropped_total", "counter", "Event-stream clients cut off for reading too slowly.", (double) w->sse_clients_dropped);
        s_scalar (o, "labbus_web_sse_refused_total", "counter", "Event-stream clients refused (too many).", (double) w->sse_refused);
        s_scalar (o, "labbus_web_sse_events_total", "counter", "Events queued to event-stream clients.", (double) w->sse_events);
        s_scalar (o, "labbus_web_http_requests_total", "counter", "HTTP requests served.", (double) w->http_requests);
        s_scalar (o, "labbus_web_http_bad_requests_total", "counter", "HTTP requests refused as malformed or unauthorised.", (double) w->http_bad_requests);
    }
}

char *
web_metrics_render (web_metrics_t *self, const web_metrics_self_t *w)
{
    assert (self);
    char *text = NULL;
    size_t len = 0;
    FILE *o = open_memstream (&text, &len);
    if (!o)
        return NULL;
    pthread_mutex_lock (&self->lock);
    s_render_locked (self, o, w);
    pthread_mutex_unlock (&self->lock);
    if (fclose (o) != 0) {
        free (text);
        return NULL;
    }
    return text;
}
