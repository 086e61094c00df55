/* serial_bridge - the service: config, bus commands, ping-pong runs, flash
 * jobs and the event loop (see serial_bridge.h). */
#include "services/serial-bridge/serial_bridge.h"
#include "bus/lab_stats.h"
#include "bus/lab_spawn.h"
#include "services/serial-bridge/board_keys.h"
#include "services/serial-bridge/sb_board.h"
#include "app_desc.h"
#include "espnow_hdr.h"
#include <jansson.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_BOARDS 32
#define MAX_RUNS 8
#define MAX_JOBS 8

typedef struct {
    bool active;
    char id[48];
    uint32_t run;
    sb_board_t *sender;
    char responder[64];
    uint32_t count, sent, received;
    double hz;
    double *rtt_ms;
    size_t nrtt;
    uint64_t deadline_ms, next_progress_ms;
    bus_request_t *rq;
} pp_run_t;

typedef enum { JOB_FREE, JOB_RUNNING, JOB_BOOTING } job_phase_t;

typedef struct {
    job_phase_t phase;
    sb_board_t *board;
    char image[512];
    pid_t pid;
    int out_fd;
    char output[1024];
    size_t out_len;
    int exit_status;
    uint64_t boots_before;
    uint64_t deadline_ms;
    bus_request_t *rq;
    char caller[64];          /* who asked: the builder records the others' flashes */
    char expect[33];          /* the image's own version ("" when it has no description) */
    char seen[33];            /* the last version a boot report named since the flash */
    uint64_t first_boot_ms;   /* when the first boot report after the flash came */
} flash_job_t;

struct _serial_bridge_t {
    lab_config_t *cfg;
    char config_path[512];
    char runtime[512];
    char bin_dir[512];
    bus_client_t *bus;
    sb_board_t *boards[MAX_BOARDS];
    int nboards;
    pp_run_t runs[MAX_RUNS];
    uint32_t next_run;
    flash_job_t jobs[MAX_JOBS];
    /* cmd.espnow.<board>: ESP-NOW frames streamed in by ota-initiator */
    uint64_t stream_written, stream_bad, stream_dropped;
    uint64_t stream_next_warn_ms;
};

static uint64_t
s_ms (void)
{
    return bus_mono_ns () / 1000000u;
}

static sb_board_t *
s_board (serial_bridge_t *self, const char *name)
{
    for (int i = 0; i < self->nboards; i++)
        if (!strcmp (sb_board_name (self->boards[i]), name))
            return self->boards[i];
    return NULL;
}

static const char *
s_mac_name (void *ctx, const uint8_t mac[6])
{
    serial_bridge_t *self = ctx;
    uint8_t m[6];
    for (int i = 0; i < self->nboards; i++)
        if (sb_board_mac (self->boards[i], m) && !memcmp (m, mac, 6))
            return sb_board_name (self->boards[i]);
    return NULL;
}

/* --- ping-pong ------------------------------------------------------- */

static void
s_run_finish (serial_bridge_t *self, pp_run_t *r, bool done)
{
    double *sorted = malloc ((r->nrtt + 1) * sizeof (double));
    memcpy (sorted, r->rtt_ms, r->nrtt * sizeof (double));
    lab_stats_sort (sorted, r->nrtt);
    double median = r->nrtt ? lab_stats_percentile (sorted, r->nrtt, 50) : 0;
    double p99 = r->nrtt ? lab_stats_percentile (sorted, r->nrtt, 99) : 0;
    double mn = r->nrtt ? sorted[0] : 0, mx = r->nrtt ? sorted[r->nrtt - 1] : 0;
    free (sorted);
    uint32_t received = r->received > r->nrtt ? r->received : (uint32_t) r->nrtt;
    uint32_t sent = r->sent ? r->sent : (done ? r->count : (uint32_t) r->nrtt);
    uint32_t lost = sent > received ? sent - received : 0;
    Lab__PingPongStats st = LAB__PING_PONG_STATS__INIT;
    st.sender = (char *) sb_board_name (r->sender);
    st.responder = r->responder;
    st.sent = sent;
    st.received = received;
    st.lost = lost;
    st.rtt_min_ms = mn;
    st.rtt_median_ms = median;
    st.rtt_p99_ms = p99;
    st.rtt_max_ms = mx;
    st.done = done;
    st.run_id = r->id;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_PINGPONG;
    env.pingpong = &st;
    char topic[96];
    snprintf (topic, sizeof topic, "tel.pingpong.%s", r->id);
    bus_client_publish (self->bus, topic, &env);
    if (!done)
        return;
    if (r->rq) {
        char json[640];
        snprintf (json, sizeof json,
                  "{\"run\":\"%s\",\"sender\":\"%s\",\"responder\":\"%s\",\"sent\":%u,\"received\":%u,"
                  "\"lost\":%u,\"rtt_min_ms\":%.3f,\"rtt_median_ms\":%.3f,\"rtt_p99_ms\":%.3f,"
                  "\"rtt_max_ms\":%.3f}",
                  r->id, sb_board_name (r->sender), r->responder, sent, received, lost, mn, median,
                  p99, mx);
        bus_request_reply (r->rq, BUS_OK, json,
                           "pingpong %s -> %s: %u/%u received, %u lost, rtt min %.2f / median %.2f "
                           "/ p99 %.2f ms",
                           sb_board_name (r->sender), r->responder, received, sent, lost, mn, median, p99);
        r->rq = NULL;
    }
    free (r->rtt_ms);
    r->rtt_ms = NULL;
    r->active = false;
}

static pp_run_t *
s_run_find (serial_bridge_t *self, sb_board_t *board, uint32_t run)
{
    for (int i = 0; i < MAX_RUNS; i++)
        if (self->runs[i].active && self->runs[i].sender == board && self->runs[i].run == run)
            return &self->runs[i];
    return NULL;
}

static void
s_on_frame (void *ctx, sb_board_t *board, uint8_t type, uint16_t seq, const uint8_t *p, size_t len)
{
    (void) seq;
    serial_bridge_t *self = ctx;
    if (type == LINK_T_PP_RESULT && len >= 12) {
        pp_run_t *r = s_run_find (self, board, link_get32 (p));
        if (r && r->nrtt < r->count) {
            r->rtt_ms[r->nrtt++] = (double) link_get32 (p + 8) / 1000.0;
            r->received++;
        }
    } else if (type == LINK_T_PP_DONE && len >= 12) {
        pp_run_t *r = s_run_find (self, board, link_get32 (p));
        if (r) {
            r->sent = link_get32 (p + 4);
            r->received = link_get32 (p + 8);
            s_run_finish (self, r, true);
        }
    }
}

static void
s_cmd_pingpong (serial_bridge_t *self, bus_request_t *rq, int argc, char *const *argv)
{
    double count, hz, size = 32;
    char *end;
    if (argc < 4 || argc > 5 || (count = strtod (argv[2], &end), *end) || count < 1 || count > 100000
        || (hz = strtod (argv[3], &end), *end) || !(hz > 0) || hz > 10000
        || (argc == 5 && ((size = strtod (argv[4], &end), *end) || size < 16 || size > 200))) {
        bus_request_reply (rq, BUS_EUSAGE, NULL, "pingpong A B COUNT HZ [SIZE 16..200]");
        return;
    }
    sb_board_t *a = s_board (self, argv[0]), *b = s_board (self, argv[1]);
    uint8_t mac[6];
    if (!a || !b) {
        bus_request_reply (rq, BUS_ENOTFOUND, NULL, "no board '%s'", !a ? argv[0] : argv[1]);
        return;
    }
    if (!sb_board_mac (b, mac)) {
        bus_request_reply (rq, BUS_ERROR, NULL, "%s: MAC unknown (no boot report yet, none in the config)",
                           argv[1]);
        return;
    }
    pp_run_t *r = NULL;
    for (int i = 0; i < MAX_RUNS && !r; i++)
        if (!self->runs[i].active)
            r = &self->runs[i];
    if (!r) {
        bus_request_reply (rq, BUS_EBUSY, NULL, "too many ping-pong runs at once");
        return;
    }
    memset (r, 0, sizeof *r);
    r->run = ++self->next_run ^ ((uint32_t) getpid () << 16);
    snprintf (r->id, sizeof r->id, "%s-%s-%u", argv[0], argv[1], r->run);
    r->sender = a;
    snprintf (r->responder, sizeof r->responder, "%s", argv[1]);
    r->count = (uint32_t) count;
    r->hz = hz;
    uint8_t start[20];
    memcpy (start, mac, 6);
    link_put32 (start + 6, r->run);
    link_put32 (start + 10, r->count);
    link_put32 (start + 14, (uint32_t) (1e6 / hz));
    link_put16 (start + 18, (uint16_t) size);
    int seq = sb_board_send_frame (a, LINK_T_PP_START, start, sizeof start);
    if (seq < 0) {
        bus_request_reply (rq, seq == SB_PORT_EFULL ? BUS_EBUSY : BUS_ERROR, NULL, "%s is %s", argv[0],
                           seq == SB_PORT_EFULL ? "not reading" : "not connected");
        return;
    }
    r->rtt_ms = calloc (r->count, sizeof (double));
    r->active = true;
    r->deadline_ms = s_ms () + (uint64_t) (count / hz * 1000.0) + 5000;
    r->next_progress_ms = s_ms () + 1000;
    r->rq = bus_request_keep (rq);
}

static void
s_runs_tick (serial_bridge_t *self, uint64_t now)
{
    for (int i = 0; i < MAX_RUNS; i++) {
        pp_run_t *r = &self->runs[i];
        if (!r->active)
            continue;
        if (now >= r->deadline_ms)
            s_run_finish (self, r, true);
        else if (now >= r->next_progress_ms) {
            r->next_progress_ms = now + 1000;
            s_run_finish (self, r, false);
        }
    }
}

/* --- flash ----------------------------------------------------------- */

/* Splits TEMPLATE on spaces ("double quotes" group) and replaces {port},
 * {image}, {board}, {config}. Returns argc, argv entries malloc'ed. */
static int
s_flash_argv (serial_bridge_t *self, flash_job_t *job, const char *tmpl, char **argv, int max)
{
    int argc = 0;
    const char *p = tmpl;
    while (*p && argc < max - 1) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        char word[1024];
        size_t n = 0;
        bool quoted = false;
        while (*p && (quoted || *p != ' ') && n < sizeof word - 1) {
            if (*p == '"') {
                quoted = !quoted;
                p++;
                continue;
            }
            word[n++] = *p++;
        }
        word[n] = 0;
        char *out = strdup (word);
        const char *keys[] = { "{port}", "{image}", "{board}", "{config}" };
        const char *vals[] = { sb_board_device (job->board), job->image, sb_board_name (job->board),
                               self->config_path };
        for (int k = 0; k < 4; k++) {
            char *at;
            while ((at = strstr (out, keys[k]))) {
                char *next = NULL;
                if (asprintf (&next, "%.*s%s%s", (int) (at - out), out, vals[k], at + strlen (keys[k])) < 0)
                    break;
                free (out);
                out = next;
            }
        }
        argv[argc++] = out;
    }
    argv[argc] = NULL;
    return argc;
}

static void
s_job_reply (flash_job_t *job, int status, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static void
s_job_reply (flash_job_t *job, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    if (job->rq)
        bus_request_reply (job->rq, status, NULL, "%s", msg);
    job->rq = NULL;
    if (job->out_fd >= 0)
        close (job->out_fd);
    job->out_fd = -1;
    job->phase = JOB_FREE;
}

/* The version IMAGE says it is, so the boot report that confirms the flash
 * can be told from older ones: the port buffers what the board printed
 * while the flash tool had it (a pty keeps it all; a USB-serial chip keeps
 * its FIFO), and a board that was crash-looping has several stale boot
 * reports of the old image waiting there. */
static void
s_image_expect (const char *image, char *out, size_t len)
{
    out[0] = 0;
    FILE *f = fopen (image, "rb");
    if (!f)
        return;
    uint8_t head[APP_DESC_HEAD_LEN];
    size_t n = fread (head, 1, sizeof head, f);
    fclose (f);
    app_desc_t d;
    if (app_desc_read (head, n, &d) == APP_DESC_OK)
        snprintf (out, len, "%s", d.version);
}

static void
s_cmd_flash (serial_bridge_t *self, bus_request_t *rq, sb_board_t *b, const char *image)
{
    const char *tmpl = sb_board_flash_template (b);
    if (!tmpl) {
        bus_request_reply (rq, BUS_ERROR, NULL, "%s has no flash command in the config", sb_board_name (b));
        return;
    }
    flash_job_t *job = NULL;
    for (int i = 0; i < MAX_JOBS; i++) {
        if (self->jobs[i].phase != JOB_FREE && self->jobs[i].board == b) {
            bus_request_reply (rq, BUS_EBUSY, NULL, "%s is already being flashed", sb_board_name (b));
            return;
        }
        if (!job && self->jobs[i].phase == JOB_FREE)
            job = &self->jobs[i];
    }
    if (!job) {
        bus_request_reply (rq, BUS_EBUSY, NULL, "too many flash jobs");
        return;
    }
    memset (job, 0, sizeof *job);
    job->board = b;
    const Lab__CommandRequest *req = bus_request_command (rq);
    snprintf (job->caller, sizeof job->caller, "%s", req && req->caller ? req->caller : "");
    snprintf (job->image, sizeof job->image, "%s", image);
    char *argv[64];
    s_flash_argv (self, job, tmpl, argv, 64);
    s_image_expect (image, job->expect, sizeof job->expect);
    sb_board_release (b);
    job->boots_before = sb_board_boots (b);
    /* A bare program name is looked up next to serial-bridge first. */
    lab_spawn_opts_t so = { .bindir = self->bin_dir, .merge_stderr = true };
    char err[512];
    int fd = -1;
    pid_t pid = lab_spawn (argv, &so, &fd, NULL, err, sizeof err);
    if (pid < 0) {
        sb_board_acquire (b);
        bus_request_reply (rq, BUS_ERROR, NULL, "%s: flash: %s", sb_board_name (b), err);
        goto out;
    }
    job->out_fd = fd;
    job->pid = pid;
    job->phase = JOB_RUNNING;
    job->deadline_ms = s_ms () + 300000;
    job->rq = bus_request_keep (rq);
    zsys_info ("serial-bridge: %s: flashing %s (pid %d)", sb_board_name (b), image, (int) pid);
out:
    for (int i = 0; argv[i]; i++)
        free (argv[i]);
}

/* evt.flash.<board>: every flash changes what a board runs, whoever asked
 * for it, so the firmware history (builder) hears of each. */
static void
s_flash_event (serial_bridge_t *self, flash_job_t *job, const char *result, const char *booted)
{
    Lab__FirmwareEvent ev = LAB__FIRMWARE_EVENT__INIT;
    ev.ts_ns = bus_now_ns ();
    ev.how = "usb";
    ev.result = (char *) result;
    ev.booted_version = (char *) booted;
    ev.job = job->caller;
    ev.error = strcmp (result, "ok") ? job->output : "";
    ev.image = job->image;
    ev.board = (char *) sb_board_name (job->board);
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_FW_EVENT;
    env.fw_event = &ev;
    char topic[128];
    snprintf (topic, sizeof topic, "evt.flash.%s", sb_board_name (job->board));
    bus_client_publish (self->bus, topic, &env);
}

static void
s_job_booted (serial_bridge_t *self, flash_job_t *job, const char *version)
{
    s_flash_event (self, job, "ok", version);
    s_job_reply (job, BUS_OK, "%s: flashed %s, booted version %s", sb_board_name (job->board), job->image,
                 version);
}

/* After the flash: the first boot report of the image's own version
 * confirms it. Boot reports of another version may be stale ones from
 * before the flash, so they only count once FLASH_SETTLE_MS passed without
 * the expected one (then the board really booted something else: the
 * bootloader refused the image, or the image names a version it is not). */
#define FLASH_SETTLE_MS 3000
static void
s_job_booting (serial_bridge_t *self, flash_job_t *job, uint64_t now)
{
    if (!sb_board_connected (job->board))
        sb_board_acquire (job->board);
    uint64_t boots = sb_board_boots (job->board);
    if (boots > job->boots_before) {
        job->boots_before = boots;
        const char *v = sb_board_version (job->board);
        if (!job->expect[0] || !strcmp (v, job->expect)) {
            s_job_booted (self, job, v);
            return;
        }
        snprintf (job->seen, sizeof job->seen, "%s", v);
        if (!job->first_boot_ms)
            job->first_boot_ms = now;
    }
    if (job->first_boot_ms && now >= job->first_boot_ms + FLASH_SETTLE_MS)
        s_job_booted (self, job, job->seen);
    else if (now >= job->deadline_ms) {
        if (job->seen[0])
            s_job_booted (self, job, job->seen);
        else {
            s_flash_event (self, job, "unconfirmed", "");
            s_job_reply (job, BUS_ERROR, "%s: flashed %s but no boot report within 15 s",
                         sb_board_name (job->board), job->image);
        }
    }
}

static void
s_jobs_tick (serial_bridge_t *self, uint64_t now)
{
    for (int i = 0; i < MAX_JOBS; i++) {
        flash_job_t *job = &self->jobs[i];
        if (job->phase == JOB_RUNNING) {
            char buf[512];
            ssize_t n;
            while ((n = read (job->out_fd, buf, sizeof buf)) > 0) {
                /* Keep the end: that is where tools say what went wrong. */
                for (ssize_t k = 0; k < n; k++) {
                    if (job->out_len == sizeof job->output - 1) {
                        memmove (job->output, job->output + 1, job->out_len - 1);
                        job->out_len--;
                    }
                    job->output[job->out_len++] = buf[k] == '\n' ? ' ' : buf[k];
                }
                job->output[job->out_len] = 0;
            }
            int status;
            pid_t w = waitpid (job->pid, &status, WNOHANG);
            if (w == 0 && now < job->deadline_ms)
                continue;
            if (w == 0) {
                lab_spawn_signal (job->pid, SIGKILL);
                waitpid (job->pid, &status, 0);
            }
            sb_board_expect_reset (job->board, 10000);
            sb_board_acquire (job->board);
            if (!WIFEXITED (status) || WEXITSTATUS (status)) {
                s_flash_event (self, job, "failed", "");
                s_job_reply (job, BUS_ERROR, "%s: flash failed (%s %d): %s", sb_board_name (job->board),
                             WIFEXITED (status) ? "exit" : "signal",
                             WIFEXITED (status) ? WEXITSTATUS (status) : WTERMSIG (status), job->output);
                continue;
            }
            job->phase = JOB_BOOTING;
            job->deadline_ms = now + 15000;
        } else if (job->phase == JOB_BOOTING)
            s_job_booting (self, job, now);
    }
}

/* --- commands -------------------------------------------------------- */

static int
s_unhex (const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen (hex);
    if (n % 2 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf (hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t) v;
    }
    return (int) (n / 2);
}

static void
s_cmd_boards (serial_bridge_t *self, bus_request_t *rq)
{
    size_t tlen = 0;
    char text[2048] = "";
    json_t *boards = json_array ();
    for (int i = 0; i < self->nboards; i++) {
        char *b = sb_board_json (self->boards[i]);
        json_t *bj = b ? json_loads (b, 0, NULL) : NULL;
        json_array_append_new (boards, bj ? bj : json_null ());
        free (b);
        sb_board_t *bd = self->boards[i];
        tlen += (size_t) snprintf (text + tlen, sizeof text - tlen, "%s%s %s %s", i ? "\n" : "",
                                   sb_board_name (bd),
                                   sb_board_released (bd) ? "released"
                                   : sb_board_connected (bd) ? "connected" : "disconnected",
                                   *sb_board_version (bd) ? sb_board_version (bd) : "?");
        if (tlen >= sizeof text)
            tlen = sizeof text - 1;
    }
    json_t *o = json_pack ("{s:o}", "boards", boards);
    char *json = o ? json_dumps (o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref (o);
    bus_request_reply (rq, BUS_OK, json, "%s", text);
    free (json);
}

static void
s_handle (bus_request_t *rq, void *arg)
{
    serial_bridge_t *self = arg;
    const Lab__CommandRequest *cmd = bus_request_command (rq);
    if (!cmd) {
        bus_request_reply (rq, BUS_EPROTO, NULL, "expected a CommandRequest");
        return;
    }
    const char *c = cmd->command;
    int argc = (int) cmd->n_args;
    char *const *argv = cmd->args;
    if (!strcmp (c, "boards")) {
        s_cmd_boards (self, rq);
        return;
    }
    if (!strcmp (c, "pingpong")) {
        s_cmd_pingpong (self, rq, argc, argv);
        return;
    }
    if (!strcmp (c, "stream")) {
        bus_request_reply (rq, BUS_OK, NULL,
                           "cmd.espnow stream: %llu frames written, %llu refused (malformed or unknown board), "
                           "%llu dropped (board not connected or not reading)",
                           (unsigned long long) self->stream_written, (unsigned long long) self->stream_bad,
                           (unsigned long long) self->stream_dropped);
        return;
    }
    static const char *const with_board[] = { "tail", "write", "frame", "espnow", "release",
                                              "acquire", "reset", "flash", "status", NULL };
    bool known = false;
    for (int i = 0; with_board[i]; i++)
        known |= !strcmp (c, with_board[i]);
    if (!known) {
        bus_request_reply (rq, BUS_EUSAGE, NULL,
                           "serial-bridge: boards | tail B [N] | write B TEXT | frame B TYPE HEX | "
                           "espnow B MAC HEX | release B | acquire B | reset B [bootloader] | "
                           "flash B IMAGE | pingpong A B COUNT HZ | stream");
        return;
    }
    if (argc < 1) {
        bus_request_reply (rq, BUS_EUSAGE, NULL, "%s BOARD ...", c);
        return;
    }
    sb_board_t *b = s_board (self, argv[0]);
    if (!b) {
        bus_request_reply (rq, BUS_ENOTFOUND, NULL, "no board '%s'", argv[0]);
        return;
    }
    char err[512];
    if (!strcmp (c, "status")) {
        char *j = sb_board_json (b);
        bus_request_reply (rq, BUS_OK, j, "%s %s, version %s", argv[0],
                           sb_board_connected (b) ? "connected" : "disconnected", sb_board_version (b));
        free (j);
    } else if (!strcmp (c, "tail")) {
        char *t = sb_board_tail (b, argc > 1 ? atoi (argv[1]) : 20);
        size_t n = strlen (t);
        if (n && t[n - 1] == '\n')
            t[n - 1] = 0;
        bus_request_reply (rq, BUS_OK, NULL, "%s", t);
        free (t);
    } else if (!strcmp (c, "write")) {
        if (argc < 2) {
            bus_request_reply (rq, BUS_EUSAGE, NULL, "write BOARD TEXT");
            return;
        }
        char text[1024] = "";
        size_t n = 0;
        for (int i = 1; i < argc && n < sizeof text - 2; i++)
            n += (size_t) snprintf (text + n, sizeof text - 1 - n, "%s%s", i > 1 ? " " : "", argv[i]);
        if (n > sizeof text - 2)
            n = sizeof text - 2;
        text[n++] = '\n';
        text[n] = 0;
        int rc = sb_board_write_text (b, text);
        if (rc == SB_PORT_EFULL)
            bus_request_reply (rq, BUS_EBUSY, NULL, "%s is not reading: %zu bytes still queued", argv[0],
                               sb_board_queued (b));
        else if (rc)
            bus_request_reply (rq, BUS_ERROR, NULL, "%s is not connected", argv[0]);
        else
            bus_request_reply (rq, BUS_OK, NULL, "%s: wrote %zu bytes", argv[0], n);
    } else if (!strcmp (c, "frame")) {
        uint8_t payload[LINK_MAX_PAYLOAD];
        char *end;
        long type = argc >= 2 ? strtol (argv[1], &end, 0) : -1;
        int n = argc == 3 ? s_unhex (argv[2], payload, sizeof payload) : (argc == 2 ? 0 : -1);
        if (argc < 2 || argc > 3 || *end || type < 0 || type > 255 || n < 0) {
            bus_request_reply (rq, BUS_EUSAGE, NULL, "frame BOARD TYPE [HEX]");
            return;
        }
        int seq = sb_board_send_frame (b, (uint8_t) type, payload, (size_t) n);
        if (seq == SB_PORT_EFULL)
            bus_request_reply (rq, BUS_EBUSY, NULL, "%s is not reading: %zu bytes still queued", argv[0],
                               sb_board_queued (b));
        else if (seq < 0)
            bus_request_reply (rq, BUS_ERROR, NULL, "%s is not connected", argv[0]);
        else
            bus_request_reply (rq, BUS_OK, NULL, "%s: frame type 0x%02lx seq %d, %d bytes", argv[0],
                               type, seq, n);
    } else if (!strcmp (c, "espnow")) {
        uint8_t buf[6 + ESPNOW_MAX_FRAME], raw[ESPNOW_MAX_FRAME];
        int n = argc == 3 ? s_unhex (argv[2], raw, sizeof raw) : -1;
        if (argc != 3 || n < 0) {
            bus_request_reply (rq, BUS_EUSAGE, NULL, "espnow BOARD MAC|BOARD|broadcast HEX");
            return;
        }
        sb_board_t *to = s_board (self, argv[1]);
        if (!strcmp (argv[1], "broadcast"))
            memset (buf, 0xff, 6);
        else if (!(to ? sb_board_mac (to, buf) : link_mac_parse (argv[1], buf) == 0)) {
            bus_request_reply (rq, BUS_EUSAGE, NULL, "'%s' is neither a MAC nor a board with a known MAC",
                               argv[1]);
            return;
        }
        espnow_hdr_t h;
        const uint8_t *pl;
        size_t len = (size_t) n;
        if (espnow_frame_decode (raw, len, &h, &pl) == 0)
            memcpy (buf + 6, raw, len);
        else if (!(len = espnow_frame_encode (buf + 6, ESPNOW_MAX_FRAME, ESPNOW_T_APP, 0, raw, len))) {
            bus_request_reply (rq, BUS_EUSAGE, NULL, "payload too long for one ESP-NOW frame");
            return;
        }
        int seq = sb_board_send_frame (b, LINK_T_ESPNOW_SEND, buf, 6 + len);
        if (seq == SB_PORT_EFULL)
            bus_request_reply (rq, BUS_EBUSY, NULL, "%s is not reading: %zu bytes still queued", argv[0],
                               sb_board_queued (b));
        else if (seq < 0)
            bus_request_reply (rq, BUS_ERROR, NULL, "%s is not connected", argv[0]);
        else
            bus_request_reply (rq, BUS_OK, NULL, "%s: %zu bytes to %s (seq %d)", argv[0], len, argv[1], seq);
    } else if (!strcmp (c, "release")) {
        sb_board_release (b);
        bus_request_reply (rq, BUS_OK, NULL, "%s: released %s", argv[0], sb_board_device (b));
    } else if (!strcmp (c, "acquire")) {
        if (sb_board_acquire (b))
            bus_request_reply (rq, BUS_ERROR, NULL, "%s: cannot open %s yet (retrying)", argv[0],
                               sb_board_device (b));
        else
            bus_request_reply (rq, BUS_OK, NULL, "%s: acquired %s", argv[0], sb_board_device (b));
    } else if (!strcmp (c, "reset")) {
        bool boot = argc > 1 && !strcmp (argv[1], "bootloader");
        if (sb_board_reset (b, boot, err, sizeof err))
            bus_request_reply (rq, BUS_ERROR, NULL, "%s", err);
        else
            bus_request_reply (rq, BUS_OK, NULL, "%s: reset%s", argv[0], boot ? " into the bootloader" : "");
    } else if (!strcmp (c, "flash")) {
        if (argc != 2)
            bus_request_reply (rq, BUS_EUSAGE, NULL, "flash BOARD IMAGE");
        else
            s_cmd_flash (self, rq, b, argv[1]);
    }
}

/* --- config and loop ------------------------------------------------- */

static int
s_load (serial_bridge_t *self, char *err, size_t errlen)
{
    zconfig_t *root = lab_config_root (self->cfg);
    static const char *const keys[] = { BOARD_KEYS };
    char logs[600];
    snprintf (logs, sizeof logs, "%s/boards", lab_config_get (self->cfg, "lab/logs", "var/log"));
    bool logs_ok = zsys_dir_create ("%s", logs) == 0;
    for (zconfig_t *sec = zconfig_child (root); sec; sec = zconfig_next (sec)) {
        if (strcmp (zconfig_name (sec), "boards"))
            continue;
        for (zconfig_t *b = zconfig_child (sec); b; b = zconfig_next (b)) {
            if (lab_config_known_keys (self->cfg, b, keys, err, errlen))
                return -1;
            if (self->nboards >= MAX_BOARDS)
                return lab_config_error (self->cfg, b, err, errlen, "more than %d boards", MAX_BOARDS);
            const char *url = zconfig_get (b, "port", NULL);
            if (!url)
                return lab_config_error (self->cfg, b, err, errlen, "board '%s' has no port", zconfig_name (b));
            char perr[512];
            if (sb_port_check_url (url, perr, sizeof perr))
                return lab_config_error (self->cfg, b, err, errlen, "%s", perr);
            long baud, silent, log_max, log_files;
            bool hexdump;
            if (lab_config_int (self->cfg, b, "baud", 921600, 300, 8000000, &baud, err, errlen)
                || lab_config_duration_ms (self->cfg, b, "silent_after", 10000, &silent, err, errlen)
                || lab_config_size (self->cfg, b, "log_max", 1 << 20, &log_max, err, errlen)
                || lab_config_int (self->cfg, b, "log_files", 4, 1, 100, &log_files, err, errlen)
                || lab_config_bool (self->cfg, b, "hexdump", false, &hexdump, err, errlen))
                return -1;
            const char *reset = zconfig_get (b, "reset", NULL);
            if (!reset)
                reset = strncmp (url, "pty:", 4) && strncmp (url, "sim:", 4) && strncmp (url, "tcp:", 4)
                            ? "dtr-rts" : "frame";
            if (strcmp (reset, "dtr-rts") && strcmp (reset, "frame") && strcmp (reset, "none"))
                return lab_config_error (self->cfg, b, err, errlen,
                                         "reset must be dtr-rts, frame or none, not '%s'", reset);
            uint8_t mac[6];
            const char *mac_text = zconfig_get (b, "mac", NULL);
            if (mac_text && link_mac_parse (mac_text, mac))
                return lab_config_error (self->cfg, b, err, errlen, "bad mac '%s'", mac_text);
            char log_path[700];
            snprintf (log_path, sizeof log_path, "%s/%s.log", logs, zconfig_name (b));
            sb_board_opts_t o = { .name = zconfig_name (b), .url = url, .baud = baud,
                                  .silent_after_ms = silent, .reset = reset,
                                  .flash = zconfig_get (b, "flash", NULL),
                                  .elf = zconfig_get (b, "elf", NULL),
                                  .addr2line = zconfig_get (b, "addr2line", NULL), .hexdump = hexdump,
                                  .log_path = logs_ok ? log_path : NULL, .log_max = log_max,
                                  .log_files = (int) log_files, .runtime_dir = self->runtime,
                                  .mac = mac_text ? mac : NULL };
            sb_board_t *board = sb_board_new (&o, self->bus, perr, sizeof perr);
            if (!board)
                return lab_config_error (self->cfg, b, err, errlen, "%s", perr);
            sb_board_set_callbacks (board, s_on_frame, s_mac_name, self);
            self->boards[self->nboards++] = board;
        }
    }
    if (!self->nboards) {
        snprintf (err, errlen, "%s: no boards section with a board in it", lab_config_path (self->cfg));
        return -1;
    }
    return 0;
}

serial_bridge_t *
serial_bridge_new (const char *config_path, const char *source, char *err, size_t errlen)
{
    serial_bridge_t *self = calloc (1, sizeof *self);
    snprintf (self->config_path, sizeof self->config_path, "%s", config_path);
    char exe[512];
    ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    snprintf (self->bin_dir, sizeof self->bin_dir, "%s", n > 0 ? dirname (exe) : ".");
    for (int i = 0; i < MAX_JOBS; i++)
        self->jobs[i].out_fd = -1;
    self->cfg = lab_config_load (config_path, err, errlen);
    if (!self->cfg)
        goto fail;
    if (lab_config_runtime_dir (self->cfg, self->runtime, sizeof self->runtime)) {
        snprintf (err, errlen, "cannot make the runtime directory");
        goto fail;
    }
    bus_endpoints_t ep;
    if (bus_endpoints_resolve (&ep, config_path, err, errlen))
        goto fail;
    self->bus = bus_client_new (source, &ep);
    if (!self->bus) {
        snprintf (err, errlen, "cannot connect to the bus at %s", ep.req);
        goto fail;
    }
    if (s_load (self, err, errlen))
        goto fail;
    bus_client_set_heartbeat (self->bus, 1000);
    bus_client_serve (self->bus, "serial-bridge", s_handle, self);
    bus_client_subscribe (self->bus, "cmd.espnow.");
    return self;
fail:
    serial_bridge_destroy (&self);
    return NULL;
}

void
serial_bridge_destroy (serial_bridge_t **self_p)
{
    serial_bridge_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < MAX_RUNS; i++) {
        if (self->runs[i].rq)
            bus_request_destroy (&self->runs[i].rq);
        free (self->runs[i].rtt_ms);
    }
    for (int i = 0; i < MAX_JOBS; i++) {
        flash_job_t *job = &self->jobs[i];
        if (job->phase == JOB_RUNNING) {
            kill (job->pid, SIGTERM);
            waitpid (job->pid, NULL, 0);
        }
        if (job->rq)
            bus_request_destroy (&job->rq);
        if (job->out_fd >= 0)
            close (job->out_fd);
    }
    for (int i = 0; i < self->nboards; i++)
        sb_board_destroy (&self->boards[i]);
    bus_client_destroy (&self->bus);
    lab_config_destroy (&self->cfg);
    free (self);
    *self_p = NULL;
}

/* One frame of the ESP-NOW stream (cmd.espnow.<board>, a BoardFrame whose
 * payload is a LINK_T_ESPNOW_SEND body: MAC, then the ESP-NOW frame). Binary
 * end to end and fire-and-forget: nothing answers it, so a sender never
 * waits per frame; what gets lost (bad input, a board that is not connected
 * or not reading) is counted, and the sender's protocol repairs it as it
 * repairs loss on the air. */
static void
s_on_stream (serial_bridge_t *self, bus_msg_t *m)
{
    static const char prefix[] = "cmd.espnow.";
    Lab__BoardFrame *f = (Lab__BoardFrame *) bus_msg_body (m, LAB__ENVELOPE__BODY_BOARD_FRAME);
    sb_board_t *b = f && !strncmp (m->topic, prefix, sizeof prefix - 1) ? s_board (self, m->topic + sizeof prefix - 1)
                                                                         : NULL;
    espnow_hdr_t h;
    const uint8_t *pl;
    if (!b || f->type != LINK_T_ESPNOW_SEND || f->payload.len < 6 + ESPNOW_HDR_SIZE
        || f->payload.len > 6 + ESPNOW_MAX_FRAME
        || espnow_frame_decode (f->payload.data + 6, f->payload.len - 6, &h, &pl)) {
        self->stream_bad++;
        uint64_t now = s_ms ();
        if (now >= self->stream_next_warn_ms) {        /* one line per 10 s at most */
            zsys_warning ("serial-bridge: %s: refused a malformed or misaddressed ESP-NOW stream frame "
                          "(%llu so far)", m->topic, (unsigned long long) self->stream_bad);
            self->stream_next_warn_ms = now + 10000;
        }
        return;
    }
    if (sb_board_send_frame (b, LINK_T_ESPNOW_SEND, f->payload.data, f->payload.len) < 0)
        self->stream_dropped++;
    else
        self->stream_written++;
}

static void
s_drain_stream (serial_bridge_t *self)
{
    bus_msg_t *m;
    while ((m = bus_client_recv (self->bus, 0))) {
        s_on_stream (self, m);
        bus_msg_destroy (&m);
    }
}

void
serial_bridge_run (serial_bridge_t *self)
{
    zmq_pollitem_t items[2 + 2 * MAX_BOARDS];
    sb_board_t *owner[2 + 2 * MAX_BOARDS];
    while (!zsys_interrupted) {
        int n = 0;
        items[n++] = (zmq_pollitem_t) { .socket = zsock_resolve (bus_client_req_sock (self->bus)),
                                        .events = ZMQ_POLLIN };
        items[n++] = (zmq_pollitem_t) { .socket = zsock_resolve (bus_client_sub_sock (self->bus)),
                                        .events = ZMQ_POLLIN };
        for (int i = 0; i < self->nboards; i++) {
            int cfd = sb_board_child_fd (self->boards[i]);
            if (cfd >= 0) {
                owner[n] = self->boards[i];
                items[n++] = (zmq_pollitem_t) { .fd = cfd, .events = ZMQ_POLLIN };
            }
        }
        int first_port = n;
        for (int i = 0; i < self->nboards; i++) {
            int fd = sb_board_fd (self->boards[i]);
            if (fd < 0)
                continue;
            owner[n] = self->boards[i];
            short events = ZMQ_POLLIN | (sb_board_want_write (self->boards[i]) ? ZMQ_POLLOUT : 0);
            items[n++] = (zmq_pollitem_t) { .fd = fd, .events = events };
        }
        if (zmq_poll (items, n, 50) < 0 && errno != EINTR)
            break;
        if (items[1].revents & ZMQ_POLLIN)
            s_drain_stream (self);
        for (int i = 2; i < first_port; i++)
            if (items[i].revents & (ZMQ_POLLIN | ZMQ_POLLERR))
                sb_board_on_child (owner[i]);
        for (int i = first_port; i < n; i++) {
            if (items[i].revents & ZMQ_POLLOUT)
                sb_board_on_writable (owner[i]);
            if (items[i].revents & (ZMQ_POLLIN | ZMQ_POLLERR))
                sb_board_on_readable (owner[i]);
        }
        bus_client_tick (self->bus);
        uint64_t now = s_ms ();
        for (int i = 0; i < self->nboards; i++)
            sb_board_tick (self->boards[i], now);
        s_runs_tick (self, now);
        s_jobs_tick (self, now);
    }
}
