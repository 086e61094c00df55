/* labctl start|stop|restart|top - the supervisor from the command line. */
#include "services/labctl/labctl.h"
#include "services/labctl/labctl_ctl.h"
#include <czmq.h>
#include <poll.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static int
s_service_cmd (labctl_t *ctx, int argc, char **argv, const char *what)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf (stderr, "usage: labctl %s SERVICE\n%s a service supervised by labd.\n", argv[0], what);
        return argc == 2 && !strcmp (argv[1], "--help") ? 0 : BUS_EUSAGE;
    }
    const char *args[] = { argv[1] };
    return labctl_labd_call (ctx, argv[0], 1, args);
}

int
labctl_labd_call (labctl_t *ctx, const char *command, int argc, const char *const *args)
{
    /* Over the bus when it answers; labd's control socket when it does not
     * (no broker, a frozen one, or labd not registered with a new one). */
    int rc = BUS_ENOTRUNNING;
    bus_client_t *bus = labctl_bus (ctx);
    if (bus) {
        Lab__CommandReply *reply = NULL;
        rc = bus_client_call (bus, "labd", command, argc, args, ctx->timeout_ms, &reply);
        if (rc == BUS_OK) {
            rc = reply->status;
            if (ctx->json)
                printf ("%s\n", reply->json && *reply->json ? reply->json : "{}");
            else if (reply->message && *reply->message)
                fprintf (rc == BUS_OK ? stdout : stderr, "%s\n", reply->message);
            lab__command_reply__free_unpacked (reply, NULL);
            return rc;
        }
        fprintf (stderr, "labctl: labd over the bus: %s; asking its control socket\n", bus_client_error (bus));
    }
    if (rc != BUS_ENOTRUNNING && rc != BUS_ETIMEOUT)
        return rc;
    char *message = NULL, *json = NULL;
    int crc = labctl_ctl_call (ctx, command, argc ? args[0] : NULL, ctx->timeout_ms, &message, &json);
    if (crc == BUS_ENOTRUNNING || crc == BUS_ETIMEOUT || crc == BUS_EPROTO) {
        fprintf (stderr, "labctl: %s\n", message);
        free (message);
        free (json);
        return rc;                /* what the bus said: not running, or a timeout */
    }
    ctx->not_running = false;     /* labd answered: the lab is running */
    if (ctx->json)
        printf ("%s\n", json ? json : "{}");
    else if (message && *message)
        fprintf (crc == BUS_OK ? stdout : stderr, "%s\n", message);
    free (message);
    free (json);
    return crc;
}

int
labctl_cmd_start (labctl_t *ctx, int argc, char **argv)
{
    return s_service_cmd (ctx, argc, argv, "Starts (or, after FAILED, tries again)");
}

int
labctl_cmd_stop (labctl_t *ctx, int argc, char **argv)
{
    return s_service_cmd (ctx, argc, argv, "Stops (no restart until `labctl start`)");
}

int
labctl_cmd_restart (labctl_t *ctx, int argc, char **argv)
{
    return s_service_cmd (ctx, argc, argv, "Restarts");
}

/* ------------------------------------------------------------------ */
/* top: the last state.* message of each kind, redrawn every second. */

typedef struct {
    zhashx_t *services;   /* name -> Lab__Envelope* (owned) */
    zhashx_t *boards;
    zhashx_t *jobs;       /* ota and eval */
} top_t;

static void
s_env_free (void **item)
{
    lab__envelope__free_unpacked ((Lab__Envelope *) *item, NULL);
    *item = NULL;
}

static void
s_bar (char *out, size_t len, double pct)
{
    int width = 20, full = (int) (pct / 100.0 * width + 0.5);
    if (full > width)
        full = width;
    size_t o = 0;
    out[o++] = '[';
    for (int i = 0; i < width && o + 2 < len; i++)
        out[o++] = i < full ? '#' : '.';
    out[o++] = ']';
    out[o] = 0;
}

static void
s_draw (top_t *t, bool tty)
{
    if (tty)
        printf ("\033[H\033[2J");
    time_t now = time (NULL);
    printf ("labctl top — %s (q to quit)\n\n", ctime (&now));
    printf ("%-18s %-9s %7s %8s %9s %9s\n", "SERVICE", "STATE", "PID", "RESTARTS", "UPTIME", "RSS");
    for (Lab__Envelope *e = (Lab__Envelope *) zhashx_first (t->services); e;
         e = (Lab__Envelope *) zhashx_next (t->services)) {
        Lab__ServiceState *s = e->service;
        printf ("%-18s %-9s %7d %8u %8.0fs %7.1f MB\n", s->name, s->state, s->pid, s->restarts,
                s->uptime_s, s->rss_kb / 1024.0);
    }
    printf ("\n%-10s %-5s %10s %10s %8s %6s  %s\n", "BOARD", "CONN", "BYTES IN", "FRAMES", "CRC ERR",
            "SILENT", "LAST LINE");
    for (Lab__Envelope *e = (Lab__Envelope *) zhashx_first (t->boards); e;
         e = (Lab__Envelope *) zhashx_next (t->boards)) {
        Lab__BoardState *b = e->board;
        printf ("%-10s %-5s %10llu %10llu %8llu %6s  %.50s\n", b->board, b->connected ? "yes" : "no",
                (unsigned long long) b->bytes_in, (unsigned long long) b->frames_in,
                (unsigned long long) b->crc_errors, b->silent ? "yes" : "", b->last_line);
    }
    printf ("\nJOBS\n");
    char bar[32];
    for (Lab__Envelope *e = (Lab__Envelope *) zhashx_first (t->jobs); e;
         e = (Lab__Envelope *) zhashx_next (t->jobs)) {
        if (e->body_case == LAB__ENVELOPE__BODY_OTA) {
            Lab__OtaJobState *o = e->ota;
            s_bar (bar, sizeof bar, o->percent);
            printf ("ota  %-14s %s %5.1f%% %-9s %7.1f KB/s eta %4.0fs -> %s\n", o->job, bar, o->percent,
                    o->state, o->rate_bps / 1024.0, o->eta_s, o->target);
        }
        else if (e->body_case == LAB__ENVELOPE__BODY_EVAL_SWEEP) {
            Lab__EvalSweepState *s = e->eval_sweep;
            double pct = s->total ? 100.0 * s->done / s->total : 0;
            s_bar (bar, sizeof bar, pct);
            printf ("eval %-14s %s %5.1f%% %-9s %u/%u rows, %u errors, eta %.0fs (%s)\n", s->sweep, bar,
                    pct, s->state, s->done, s->total, s->errors, s->eta_s, s->cohort);
        }
    }
    fflush (stdout);
}

int
labctl_cmd_top (labctl_t *ctx, int argc, char **argv)
{
    bool once = argc > 1 && !strcmp (argv[1], "--once");
    if (argc > 1 && !once) {
        printf ("usage: labctl top [--once]\nLive view of services, boards and running jobs; q or Ctrl-C quits.\n");
        return strcmp (argv[1], "--help") ? BUS_EUSAGE : 0;
    }
    bus_client_t *bus = labctl_bus (ctx);
    if (!bus)
        return BUS_ERROR;
    top_t t = { zhashx_new (), zhashx_new (), zhashx_new () };
    zhashx_set_destructor (t.services, s_env_free);
    zhashx_set_destructor (t.boards, s_env_free);
    zhashx_set_destructor (t.jobs, s_env_free);
    bus_client_subscribe (bus, "state.service.");
    bus_client_subscribe (bus, "state.board.");
    bus_client_subscribe (bus, "state.ota.");
    bus_client_subscribe (bus, "state.eval.");
    bool tty = isatty (1) && isatty (0) && !once;
    struct termios saved, raw;
    if (tty) {
        tcgetattr (0, &saved);
        raw = saved;
        raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
        tcsetattr (0, TCSANOW, &raw);
    }
    uint64_t next_draw = bus_mono_ns () + (tty ? 300000000ull : 1500000000ull);
    bool quit = false;
    while (!quit && !zsys_interrupted) {
        bus_msg_t *m = bus_client_recv (bus, 100);
        if (m) {
            zhashx_t *into = !strncmp (m->topic, "state.service.", 14) ? t.services
                             : !strncmp (m->topic, "state.board.", 12)  ? t.boards
                                                                         : t.jobs;
            /* Each table holds one family's type; s_draw reads them as such. */
            bool ok = (into == t.services && bus_msg_body (m, LAB__ENVELOPE__BODY_SERVICE))
                      || (into == t.boards && bus_msg_body (m, LAB__ENVELOPE__BODY_BOARD))
                      || (into == t.jobs && !strncmp (m->topic, "state.ota.", 10)
                          && bus_msg_body (m, LAB__ENVELOPE__BODY_OTA))
                      || (into == t.jobs && !strncmp (m->topic, "state.eval.", 11)
                          && bus_msg_body (m, LAB__ENVELOPE__BODY_EVAL_SWEEP));
            if (ok) {
                zhashx_update (into, m->topic, m->env);
                m->env = NULL;       /* now owned by the table */
            }
            bus_msg_destroy (&m);
        }
        if (tty) {
            struct pollfd p = { 0, POLLIN, 0 };
            char c;
            if (poll (&p, 1, 0) > 0 && read (0, &c, 1) == 1 && (c == 'q' || c == 'Q'))
                quit = true;
        }
        if (bus_mono_ns () >= next_draw) {
            s_draw (&t, tty);
            if (!tty)
                break;
            next_draw = bus_mono_ns () + 1000000000ull;
        }
    }
    if (tty)
        tcsetattr (0, TCSANOW, &saved);
    zhashx_destroy (&t.services);
    zhashx_destroy (&t.boards);
    zhashx_destroy (&t.jobs);
    return 0;
}
