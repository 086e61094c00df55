/* labd - the supervision engine. One thread, one poll loop over the bus
 * sockets, a signalfd and every child's output pipes. */
#include "services/labd/labd.h"
#include "services/labd/labd_alerts.h"
#include "services/labd/labd_ctl.h"
#include "services/labd/labd_health.h"
#include "services/labd/labd_liveness.h"
#include "services/labd/labd_proc.h"
#include "bus/lab_spawn.h"
#include "bus/lab_proc.h"
#include "services/labd/labd_unit.h"
#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOG_ROTATE_BYTES (1L << 20)
#define LOG_KEEP 3
#define TICK_MS 100
#define PERMANENT_FAILURE_EXIT 100   /* as s6: "do not restart me" */
#define BROKER_BACKOFF_CAP_MS 2000   /* the spine is retried at least this often, for ever */
#define HELD_ALERTS_SETTLE_MS 1000   /* after the bus is back, before held alerts go out */

struct _labd_t {
    lab_config_t *cfg;
    char config_abs[PATH_MAX];
    char runtime[512], piddir[600], logdir[512], bindir[PATH_MAX];
    labd_unit_t *units;
    int n;
    bus_client_t *bus;
    bus_endpoints_t ep;
    int sigfd;
    int lockfd;
    bool shutting_down;
    uint64_t next_state_ms;
    /* Telling a dead bus, or labd's own stall, from dead services. */
    labd_liveness_t live;
    labd_unit_t *broker;          /* the unit running labbus, or NULL */
    labd_alerts_t *alerts;
    uint64_t alerts_due_ms;       /* held alerts go out then (0: none due) */
    labd_ctl_t *ctl;              /* the control socket: a way in without the bus */
    labd_health_t *health;        /* backends' health checks, never waited for */
};

/* A JSON text built with jansson (json_pack FMT); the caller frees it. */
static char *
s_json (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    json_t *j = json_vpack_ex (NULL, 0, fmt, ap);
    va_end (ap);
    char *text = j ? json_dumps (j, JSON_COMPACT) : NULL;
    json_decref (j);
    return text;
}

static uint64_t
s_now_ms (void)
{
    return bus_mono_ns () / 1000000ull;
}

/* Milliseconds from T to NOW, 0 when T is later (it was stamped after NOW
 * was read, within the same pass). */
static uint64_t
s_since (uint64_t now, uint64_t t)
{
    return now > t ? now - t : 0;
}

static labd_unit_t *
s_unit (labd_t *self, const char *name)
{
    for (int i = 0; i < self->n; i++)
        if (!strcmp (self->units[i].name, name))
            return &self->units[i];
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Publishing */

static void
s_publish_state (labd_t *self, labd_unit_t *u)
{
    if (!self->bus)
        return;
    char topic[128];
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    uint64_t now = s_now_ms ();
    double uptime = u->state == LABD_UP ? (double) s_since (now, u->up_ms) / 1000.0 : 0;
    if (u->backend) {
        Lab__BackendState bs = LAB__BACKEND_STATE__INIT;
        bs.name = u->name;
        bs.state = (char *) labd_state_name (u->state);
        bs.base_url = u->base_url;
        bs.peak_rss_kb = u->peak_rss_kb;
        bs.error = u->reason;
        env.body_case = LAB__ENVELOPE__BODY_BACKEND;
        env.backend = &bs;
        snprintf (topic, sizeof topic, "state.backend.%s", u->name);
        bus_client_publish (self->bus, topic, &env);
    }
    Lab__ServiceState ss = LAB__SERVICE_STATE__INIT;
    ss.name = u->name;
    ss.state = (char *) labd_state_name (u->state);
    ss.pid = u->pid;
    ss.restarts = u->restarts;
    ss.last_exit_status = u->last_status;
    ss.last_exit_signal = u->last_signal;
    ss.uptime_s = uptime;
    ss.rss_kb = u->pid > 0 ? u->rss_kb : 0;
    ss.peak_rss_kb = u->peak_rss_kb;
    ss.kind = u->backend ? "backend" : "service";
    ss.reason = u->reason;
    env = (Lab__Envelope) LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_SERVICE;
    env.service = &ss;
    snprintf (topic, sizeof topic, "state.service.%s", u->name);
    bus_client_publish (self->bus, topic, &env);
}

/* The bus carries messages now, and the broker unit (if labd runs one) is up. */
static bool
s_bus_up (labd_t *self)
{
    return self->bus && labd_liveness_bus_up (&self->live, s_now_ms ())
           && (!self->broker || self->broker->state == LABD_UP);
}

static void
s_publish_alert (labd_t *self, const labd_alert_t *a)
{
    char text[600];
    if (a->count > 1)
        snprintf (text, sizeof text, "%s (%d times while the bus was down)", a->text, a->count);
    else
        snprintf (text, sizeof text, "%s", a->text);
    Lab__Alert al = LAB__ALERT__INIT;
    al.severity = (char *) a->severity;
    al.kind = (char *) a->kind;
    al.subject = (char *) a->subject;
    al.text = text;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_ALERT;
    env.alert = &al;
    char topic[160];
    snprintf (topic, sizeof topic, "evt.alert.%s.%s", a->kind, a->subject);
    bus_client_publish (self->bus, topic, &env);
}

/* Sends what was held while the bus was down, once it has been back long
 * enough for subscribers (chat-gateway) to have reconnected. */
static void
s_release_alerts (labd_t *self, uint64_t now)
{
    if (!self->alerts_due_ms || now < self->alerts_due_ms)
        return;
    if (!s_bus_up (self))
        return;              /* down again: wait for the next recovery */
    self->alerts_due_ms = 0;
    labd_alert_t a;
    while (labd_alerts_pop (self->alerts, &a))
        s_publish_alert (self, &a);
}

static void
s_alert (labd_t *self, labd_unit_t *u, const char *severity, const char *kind, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof text, fmt, ap);
    va_end (ap);
    labd_alert_t a = { .count = 1 };
    snprintf (a.severity, sizeof a.severity, "%s", severity);
    snprintf (a.kind, sizeof a.kind, "%s", kind);
    snprintf (a.subject, sizeof a.subject, "%s", u->name);
    snprintf (a.text, sizeof a.text, "%s", text);
    labd_alerts_record (self->alerts, &a);
    /* Published into a dead bus it would be lost: hold it until the bus is
     * back (s_release_alerts). */
    if (s_bus_up (self))
        s_publish_alert (self, &a);
    else
        labd_alerts_hold (self->alerts, &a);
}

static void
s_set_state (labd_t *self, labd_unit_t *u, labd_state_t state)
{
    if (u->state == state)
        return;
    zsys_info ("labd: %s: %s -> %s%s%s", u->name, labd_state_name (u->state),
               labd_state_name (state), u->reason[0] ? " — " : "", u->reason);
    u->state = state;
    s_publish_state (self, u);
}

/* ------------------------------------------------------------------ */
/* Output: per-service log file (rotated) and log.<name> on the bus */

static void
s_log_open (labd_t *self, labd_unit_t *u)
{
    if (u->log)
        return;
    char path[1024];
    snprintf (path, sizeof path, "%s/%s.log", self->logdir, u->name);
    u->log = fopen (path, "a");
    if (u->log) {
        setvbuf (u->log, NULL, _IOLBF, 0);
        u->log_size = ftell (u->log);
    }
}

static void
s_log_rotate (labd_t *self, labd_unit_t *u)
{
    fclose (u->log);
    u->log = NULL;
    char from[1024], to[1024];
    for (int i = LOG_KEEP - 1; i >= 1; i--) {
        snprintf (from, sizeof from, "%s/%s.log.%d", self->logdir, u->name, i);
        snprintf (to, sizeof to, "%s/%s.log.%d", self->logdir, u->name, i + 1);
        rename (from, to);
    }
    snprintf (from, sizeof from, "%s/%s.log", self->logdir, u->name);
    snprintf (to, sizeof to, "%s/%s.log.1", self->logdir, u->name);
    rename (from, to);
    s_log_open (self, u);
}

static void
s_line (labd_t *self, labd_unit_t *u, const char *line, bool err)
{
    s_log_open (self, u);
    if (u->log) {
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        struct tm tm;
        localtime_r (&ts.tv_sec, &tm);
        char stamp[32];
        strftime (stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
        int n = fprintf (u->log, "%s.%03ld %s%s\n", stamp, ts.tv_nsec / 1000000, err ? "! " : "", line);
        if (n > 0)
            u->log_size += n;
        if (u->log_size > LOG_ROTATE_BYTES)
            s_log_rotate (self, u);
    }
    if (self->bus) {
        Lab__SerialLine sl = LAB__SERIAL_LINE__INIT;
        sl.board = u->name;
        sl.text = (char *) line;
        sl.rx_ts_ns = bus_now_ns ();
        sl.direction = err ? 2 : 0;
        Lab__Envelope env = LAB__ENVELOPE__INIT;
        env.body_case = LAB__ENVELOPE__BODY_SERIAL_LINE;
        env.serial_line = &sl;
        char topic[128];
        snprintf (topic, sizeof topic, "log.%s", u->name);
        bus_client_publish (self->bus, topic, &env);
    }
}

/* Reads what is there; returns false at end of file (the child closed it). */
static bool
s_drain (labd_t *self, labd_unit_t *u, labd_pipe_t *p, bool err)
{
    if (p->fd < 0)
        return false;
    for (;;) {
        ssize_t r = read (p->fd, p->buf + p->len, sizeof p->buf - 1 - p->len);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return true;
        if (r <= 0) {
            if (p->len) {
                p->buf[p->len] = 0;
                s_line (self, u, p->buf, err);
                p->len = 0;
            }
            close (p->fd);
            p->fd = -1;
            return false;
        }
        p->len += (size_t) r;
        char *start = p->buf, *nl;
        while ((nl = memchr (start, '\n', p->len - (size_t) (start - p->buf)))) {
            *nl = 0;
            if (nl > start && nl[-1] == '\r')
                nl[-1] = 0;
            s_line (self, u, start, err);
            start = nl + 1;
        }
        size_t rest = p->len - (size_t) (start - p->buf);
        memmove (p->buf, start, rest);
        p->len = rest;
        if (p->len == sizeof p->buf - 1) {      /* a line longer than the buffer */
            p->buf[p->len] = 0;
            s_line (self, u, p->buf, err);
            p->len = 0;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Starting and stopping */

static bool
s_deps_up (labd_t *self, labd_unit_t *u)
{
    for (int d = 0; d < u->nafter; d++) {
        labd_unit_t *dep = s_unit (self, u->after[d]);
        if (!dep || dep->state != LABD_UP)
            return false;
    }
    return true;
}

static void
s_start (labd_t *self, labd_unit_t *u)
{
    /* The child's environment: the config's env plus who it is. */
    size_t nenv = 0;
    while (u->env[nenv])
        nenv++;
    char **env = (char **) calloc (nenv + 5, sizeof (char *));
    char name[128], cfg[PATH_MAX + 16], rt[600], path[PATH_MAX + 8200];
    snprintf (name, sizeof name, "LAB_SERVICE_NAME=%s", u->name);
    snprintf (cfg, sizeof cfg, "LAB_CONFIG=%s", self->config_abs);
    snprintf (rt, sizeof rt, "LAB_RUNTIME_DIR=%s", self->runtime);
    const char *old_path = getenv ("PATH");
    snprintf (path, sizeof path, "PATH=%s:%s", self->bindir, old_path ? old_path : "/usr/bin:/bin");
    size_t k = 0;
    env[k++] = name;
    env[k++] = cfg;
    env[k++] = rt;
    env[k++] = path;
    for (size_t i = 0; i < nenv; i++)
        env[k++] = u->env[i];
    char err[256] = "";
    lab_spawn_opts_t so = { .bindir = self->bindir, .env = env };
    u->pid = lab_spawn (u->argv, &so, &u->out.fd, &u->err.fd, err, sizeof err);
    free (env);
    uint64_t now = s_now_ms ();
    u->started_ms = now;
    u->last_hb_ms = 0;
    u->out.len = u->err.len = 0;
    if (u->pid < 0) {
        u->pid = 0;
        snprintf (u->reason, sizeof u->reason, "%s", err);
        u->last_status = 127;
        u->state = LABD_BACKOFF;    /* handled like an immediate exit */
        u->next_start_ms = now + (uint64_t) u->backoff_ms;
        s_alert (self, u, "error", "service_failed", "%s: %s", u->name, err);
        s_set_state (self, u, u->backend ? LABD_EXITED : LABD_FAILED);
        return;
    }
    u->pid_start = lab_proc_start_time (u->pid);
    labd_pidfile_write (self->piddir, u->name, u->pid, u->pid_start);
    u->reason[0] = 0;
    u->health_wait_start_ms = now;
    /* Nothing to wait for: a service without heartbeats is up once running. */
    if (!u->backend && u->heartbeat_ms == 0) {
        u->up_ms = now;
        s_set_state (self, u, LABD_UP);
    }
    else
        s_set_state (self, u, LABD_STARTING);
}

static void
s_sample (labd_unit_t *u)
{
    uint64_t rss, hwm;
    if (u->pid > 0 && lab_proc_memory (u->pid, &rss, &hwm) == 0) {
        u->rss_kb = rss;
        if (hwm > u->peak_rss_kb)
            u->peak_rss_kb = hwm;
    }
}

static void
s_stop (labd_t *self, labd_unit_t *u, const char *why)
{
    if (u->pid <= 0 || u->state == LABD_STOPPING)
        return;
    s_sample (u);        /* the last look at its memory before it goes */
    snprintf (u->reason, sizeof u->reason, "%s", why);
    lab_spawn_signal (u->pid, SIGTERM);
    u->stop_deadline_ms = s_now_ms () + (uint64_t) u->grace_ms;
    s_set_state (self, u, LABD_STOPPING);
}

static void
s_reply_pending (labd_unit_t *u, int status, const char *json, const char *msg)
{
    if (!u->pending)
        return;
    bus_request_reply (u->pending, status, json, "%s", msg);
    u->pending = NULL;
}

/* Restart intensity: how many restarts in the last period. */
static int
s_recent_restarts (labd_unit_t *u, uint64_t now)
{
    int count = 0;
    for (int i = 0; i < LABD_HISTORY; i++)
        if (u->restart_at[i] && now - u->restart_at[i] <= (uint64_t) u->period_ms)
            count++;
    return count;
}

/* The broker is the lab's spine: without it no heartbeat, no labctl over the
 * bus, no alert to the phone. It is never given up: restarted for ever with
 * a backoff capped at BROKER_BACKOFF_CAP_MS, each failure alerted (in the
 * log at once, on the bus once it is back). */
static void
s_broker_failed (labd_t *self, labd_unit_t *u, const char *how, bool was_up, uint64_t now)
{
    if (was_up && s_since (now, u->up_ms) >= (uint64_t) u->reset_after_ms)
        u->backoff_ms = u->backoff_min_ms;
    u->restart_at[u->restart_head] = now;
    u->restart_head = (u->restart_head + 1) % LABD_HISTORY;
    int recent = s_recent_restarts (u, now);
    u->restarts++;
    u->next_start_ms = now + (uint64_t) u->backoff_ms;
    s_alert (self, u, "error", "service_failed",
             "%s (the bus) %s; restarting in %d ms (%d restarts in %d s; the bus is never given up)",
             u->name, how, u->backoff_ms, recent, u->period_ms / 1000);
    int cap = u->backoff_max_ms < BROKER_BACKOFF_CAP_MS ? u->backoff_max_ms : BROKER_BACKOFF_CAP_MS;
    u->backoff_ms = u->backoff_ms * 2 > cap ? cap : u->backoff_ms * 2;
    s_set_state (self, u, LABD_BACKOFF);
}

static void
s_on_exit (labd_t *self, labd_unit_t *u, int status)
{
    uint64_t now = s_now_ms ();
    s_drain (self, u, &u->out, false);
    s_drain (self, u, &u->err, true);
    if (u->out.fd >= 0) { close (u->out.fd); u->out.fd = -1; }
    if (u->err.fd >= 0) { close (u->err.fd); u->err.fd = -1; }
    labd_pidfile_remove (self->piddir, u->name);
    u->last_status = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
    u->last_signal = WIFSIGNALED (status) ? WTERMSIG (status) : 0;
    bool was_up = u->state == LABD_UP;
    bool requested = u->state == LABD_STOPPING && (!u->wanted || self->shutting_down || u->reason[0] == '!');
    labd_state_t before = u->state;
    u->pid = 0;
    char how[64];
    if (u->last_signal)
        snprintf (how, sizeof how, "killed by signal %d", u->last_signal);
    else
        snprintf (how, sizeof how, "exited with status %d", u->last_status);

    if (u->backend) {
        labd_health_cancel (self->health, u);
        if (u->pending && u->pending_is_start) {
            char msg[300];
            snprintf (msg, sizeof msg, "%s %s before its health check passed", u->name, how);
            s_reply_pending (u, BUS_ERROR, NULL, msg);
            snprintf (u->reason, sizeof u->reason, "%s", msg);
        }
        else if (!requested)
            s_alert (self, u, "error", "backend_exited", "backend %s %s", u->name, how);
        u->wanted = false;
        s_set_state (self, u, requested ? LABD_STOPPED : LABD_EXITED);
        return;
    }
    if (u == self->broker)
        labd_liveness_bus_lost (&self->live);   /* no heartbeat can arrive now */
    if (requested) {
        if (u->reason[0] == '!') {       /* labctl restart: start again at once */
            u->reason[0] = 0;
            u->next_start_ms = now;
        }
        s_set_state (self, u, LABD_STOPPED);
        return;
    }
    (void) before;
    bool failed = u->last_signal || u->last_status != 0;
    if (u->reason[0] == 0)
        snprintf (u->reason, sizeof u->reason, "%s", how);
    if (u == self->broker) {
        s_broker_failed (self, u, how, was_up, now);
        return;
    }
    if (u->last_status == PERMANENT_FAILURE_EXIT && !u->last_signal) {
        snprintf (u->reason, sizeof u->reason, "exited with status 100 (permanent failure)");
        s_alert (self, u, "error", "service_failed", "%s gave up: exit status 100 means do not restart",
                 u->name);
        s_set_state (self, u, LABD_FAILED);
        return;
    }
    if (u->restart == LABD_RESTART_NEVER || (u->restart == LABD_RESTART_ON_FAILURE && !failed)) {
        s_set_state (self, u, LABD_EXITED);
        return;
    }
    /* A run that lasted starts the backoff from the bottom again. */
    if (was_up && s_since (now, u->up_ms) >= (uint64_t) u->reset_after_ms)
        u->backoff_ms = u->backoff_min_ms;
    u->restart_at[u->restart_head] = now;
    u->restart_head = (u->restart_head + 1) % LABD_HISTORY;
    if (s_recent_restarts (u, now) > u->intensity) {
        snprintf (u->reason, sizeof u->reason, "%s; more than %d restarts in %d s: given up", how,
                  u->intensity, u->period_ms / 1000);
        s_alert (self, u, "error", "service_failed",
                 "%s FAILED: %s, more than %d restarts in %d s; `labctl start %s` to try again",
                 u->name, how, u->intensity, u->period_ms / 1000, u->name);
        s_set_state (self, u, LABD_FAILED);
        return;
    }
    u->restarts++;
    u->next_start_ms = now + (uint64_t) u->backoff_ms;
    u->backoff_ms = u->backoff_ms * 2 > u->backoff_max_ms ? u->backoff_max_ms : u->backoff_ms * 2;
    s_set_state (self, u, LABD_BACKOFF);
}

static void
s_reap (labd_t *self)
{
    int status;
    pid_t pid;
    while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
        for (int i = 0; i < self->n; i++)
            if (self->units[i].pid == pid) {
                s_on_exit (self, &self->units[i], status);
                break;
            }
}

/* ------------------------------------------------------------------ */
/* Backends */

static bool
s_group_busy (labd_t *self, labd_unit_t *u)
{
    if (!u->group[0])
        return false;
    for (int i = 0; i < self->n; i++) {
        labd_unit_t *o = &self->units[i];
        if (o != u && o->backend && o->pid > 0 && !strcmp (o->group, u->group))
            return true;
    }
    return false;
}

static void
s_backend_tick (labd_t *self, labd_unit_t *u, uint64_t now)
{
    long code = 0;
    bool answered = u->state == LABD_STARTING && labd_health_result (self->health, u, &code);
    if (u->state == LABD_STARTING && !answered && now >= u->next_health_ms) {
        /* The next probe, if none is in flight; its answer comes on a later turn. */
        u->next_health_ms = now + 100;
        labd_health_probe (self->health, u, u->health_url, 1000);
    }
    if (u->state == LABD_STARTING) {
        if (answered && code == 200) {
            u->up_ms = now;
            double waited = (double) s_since (now, u->health_wait_start_ms) / 1000.0;
            char *json = s_json ("{s:s, s:s, s:i, s:f}", "name", u->name, "base_url", u->base_url, "pid",
                                 (int) u->pid, "health_wait_s", waited);
            char msg[300];
            snprintf (msg, sizeof msg, "%s healthy after %.1f s at %s", u->name, waited, u->base_url);
            s_reply_pending (u, BUS_OK, json, msg);
            free (json);
            s_set_state (self, u, LABD_UP);
        }
        else if (s_since (now, u->health_wait_start_ms) > (uint64_t) u->start_timeout_ms) {
            char msg[300];
            snprintf (msg, sizeof msg, "%s: %s did not answer 200 within %.1f s (last: %ld); stopped",
                      u->name, u->health_url, u->start_timeout_ms / 1000.0,
                      labd_health_last (self->health, u));
            labd_health_cancel (self->health, u);
            s_reply_pending (u, BUS_ETIMEOUT, NULL, msg);
            u->wanted = false;
            s_stop (self, u, msg);
        }
    }
    /* A stop is answered once the process is gone and its port is closed,
     * so the next backend finds the memory and the port free. */
    if (u->pending && !u->pending_is_start && u->pid == 0) {
        if (!labd_port_open (u->base_url) || now > u->pending_deadline_ms) {
            char *json = s_json ("{s:s, s:I, s:b}", "name", u->name, "peak_rss_kb", (json_int_t) u->peak_rss_kb,
                                 "port_closed", !labd_port_open (u->base_url));
            char msg[200];
            snprintf (msg, sizeof msg, "%s stopped (peak RSS %.1f MB)", u->name, u->peak_rss_kb / 1024.0);
            s_reply_pending (u, BUS_OK, json, msg);
            free (json);
        }
    }
}

/* ------------------------------------------------------------------ */
/* The periodic pass */

/* LOST ms (labd's own stall, or the bus down) do not count against any
 * child: its last heartbeat (and a starting child's start) move forward by
 * that much, never past NOW. */
static void
s_discount (labd_t *self, uint64_t now, uint64_t lost, const char *why)
{
    if (lost >= 1000)
        zsys_info ("labd: %s for %.1f s: that time does not count against anybody's heartbeat", why,
                   lost / 1000.0);
    for (int i = 0; i < self->n; i++) {
        labd_unit_t *u = &self->units[i];
        if (u->pid <= 0)
            continue;
        if (u->last_hb_ms)
            u->last_hb_ms = u->last_hb_ms + lost < now ? u->last_hb_ms + lost : now;
        if (u->state == LABD_STARTING && !u->backend)
            u->started_ms = u->started_ms + lost < now ? u->started_ms + lost : now;
    }
}

/* May this child's missing heartbeat count against it? Only while the bus
 * carries messages: the broker's own heartbeat is its liveness, everyone
 * else's silence means nothing while the bus is down, nor in the first
 * BUS_CLIENT_RECONNECT_MAX_MS after it came back: a child's heartbeats reach
 * the bus only once its own client has reconnected, on libzmq's backoff. */
static bool
s_silence_counts (labd_t *self, labd_unit_t *u, uint64_t now)
{
    if (u == self->broker)
        return true;
    return labd_liveness_bus_up (&self->live, now)
           && s_since (now, self->live.bus_back_ms) >= BUS_CLIENT_RECONNECT_MAX_MS;
}

static void
s_tick (labd_t *self)
{
    uint64_t now = s_now_ms ();
    /* Measured here, with the NOW every check below uses: a stall anywhere
     * since the last pass is discounted before any silence is judged. */
    uint64_t stalled = labd_liveness_turn (&self->live, now);
    if (stalled)
        s_discount (self, now, stalled, "labd itself stalled");
    labd_liveness_bus_up (&self->live, now);    /* latches "down" after a silence */
    s_release_alerts (self, now);
    for (int i = 0; i < self->n; i++) {
        labd_unit_t *u = &self->units[i];
        switch (u->state) {
            case LABD_STOPPED:
            case LABD_BACKOFF:
                if (self->shutting_down || !u->wanted || u->external || now < u->next_start_ms || !s_deps_up (self, u))
                    break;
                if (u->backend && s_group_busy (self, u))
                    break;
                s_start (self, u);
                break;
            case LABD_STARTING:
                if (!u->backend && s_since (now, u->started_ms) > (uint64_t) u->start_timeout_ms
                    && s_silence_counts (self, u, now)) {
                    snprintf (u->reason, sizeof u->reason, "not ready (no heartbeat) after %.1f s",
                              u->start_timeout_ms / 1000.0);
                    lab_spawn_signal (u->pid, SIGKILL);
                }
                break;
            case LABD_UP:
                if (!u->backend && u->heartbeat_ms > 0 && u->last_hb_ms
                    && s_since (now, u->last_hb_ms) > (uint64_t) u->heartbeat_ms * (uint64_t) u->misses
                    && s_silence_counts (self, u, now)) {
                    snprintf (u->reason, sizeof u->reason, "hung: no heartbeat for %.1f s",
                              (double) s_since (now, u->last_hb_ms) / 1000.0);
                    s_alert (self, u, "warning", "service_hung", "%s is hung (no heartbeat for %.1f s); killing it",
                             u->name, (double) s_since (now, u->last_hb_ms) / 1000.0);
                    lab_spawn_signal (u->pid, SIGKILL);
                }
                break;
            case LABD_STOPPING:
                if (now > u->stop_deadline_ms && u->pid > 0) {
                    lab_spawn_signal (u->pid, SIGKILL);
                    u->stop_deadline_ms = now + 1000;
                }
                break;
            default:
                break;
        }
        if (u->backend) {
            /* A backend's peak RSS is an eval figure: sample it every pass. */
            s_sample (u);
            s_backend_tick (self, u, now);
        }
    }
    if (now >= self->next_state_ms) {
        self->next_state_ms = now + 1000;
        for (int i = 0; i < self->n; i++) {
            s_sample (&self->units[i]);
            s_publish_state (self, &self->units[i]);
        }
    }
}

/* Shutdown: one unit at a time, last started first. */
static bool
s_shutdown_step (labd_t *self)
{
    for (int i = self->n - 1; i >= 0; i--) {
        labd_unit_t *u = &self->units[i];
        if (u->pid > 0) {
            if (u->state != LABD_STOPPING)
                s_stop (self, u, "labd is stopping");
            return false;
        }
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* The bus service `labd` */

/* labd's table: JSON (one object per unit) in *JSON_P and text in *TABLE_P,
 * both malloc'd. */
static void
s_status (labd_t *self, char **json_p, char **table_p)
{
    char *table = NULL;
    size_t tlen = 0;
    FILE *t = open_memstream (&table, &tlen);
    json_t *arr = json_array ();
    uint64_t now = s_now_ms ();
    fprintf (t, "%-18s %-9s %7s %8s %9s %9s  %s\n", "service", "state", "pid", "restarts", "uptime",
             "rss", "reason");
    int up = 0, total = 0;
    for (int i = 0; i < self->n; i++) {
        labd_unit_t *u = &self->units[i];
        double uptime = u->state == LABD_UP ? (double) s_since (now, u->up_ms) / 1000.0 : 0;
        if (!u->backend) {
            total++;
            up += u->state == LABD_UP;
        }
        char rss[32];
        snprintf (rss, sizeof rss, "%.1f MB", (u->pid > 0 ? u->rss_kb : 0) / 1024.0);
        fprintf (t, "%-18s %-9s %7d %8u %8.0fs %9s  %s\n", u->name, labd_state_name (u->state),
                 (int) u->pid, u->restarts, uptime, rss, u->reason);
        json_array_append_new (arr, json_pack ("{s:s, s:s, s:s, s:i, s:i, s:f, s:I, s:I, s:i, s:i, s:s}",
            "name", u->name, "kind", u->backend ? "backend" : "service", "state",
            labd_state_name (u->state), "pid", (int) u->pid, "restarts", (int) u->restarts,
            "uptime_s", uptime, "rss_kb", (json_int_t) u->rss_kb, "peak_rss_kb",
            (json_int_t) u->peak_rss_kb, "last_exit_status", u->last_status, "last_exit_signal",
            u->last_signal, "reason", u->reason));
    }
    fprintf (t, "%d/%d services up", up, total);
    if (!labd_liveness_bus_up (&self->live, now))
        fprintf (t, "; the bus is down (heartbeats do not count until it is back)");
    fclose (t);
    *json_p = json_dumps (arr, JSON_COMPACT);
    *table_p = table;
    json_decref (arr);
}

/* The commands both ways in (bus and control socket) answer at once:
 * status, start, stop, restart of a service. Returns a bus_status_t with
 * *MESSAGE (and, for status, *JSON) malloc'd; -1 when COMMAND is not one of
 * them. */
static int
s_command (labd_t *self, const char *c, int argc, const char *const *args, char **json, char **message)
{
    *json = *message = NULL;
    if (!strcmp (c, "status") || !strcmp (c, "backends")) {
        s_status (self, json, message);
        return BUS_OK;
    }
    if (strcmp (c, "start") && strcmp (c, "stop") && strcmp (c, "restart"))
        return -1;
    if (argc != 1) {
        *message = strdup ("usage: status | start|stop|restart NAME");
        return BUS_EUSAGE;
    }
    labd_unit_t *u = s_unit (self, args[0]);
    if (!u) {
        *message = zsys_sprintf ("labd: no service or backend named '%s'", args[0]);
        return BUS_ENOTFOUND;
    }
    if (u->backend) {
        *message = zsys_sprintf ("labd: %s is a backend: backend-start or backend-stop it", u->name);
        return BUS_EUSAGE;
    }
    if (self->shutting_down) {
        *message = strdup ("labd is shutting down");
        return BUS_EBUSY;
    }
    uint64_t now = s_now_ms ();
    if (!strcmp (c, "start")) {
        u->wanted = true;
        memset (u->restart_at, 0, sizeof u->restart_at);
        u->backoff_ms = u->backoff_min_ms;
        *message = zsys_sprintf ("%s: %s", u->name, u->pid > 0 ? "already running" : "starting");
        if (u->pid <= 0) {
            u->reason[0] = 0;
            u->next_start_ms = now;
            s_set_state (self, u, LABD_STOPPED);
        }
    }
    else if (!strcmp (c, "stop")) {
        u->wanted = false;
        if (u->pid > 0)
            s_stop (self, u, "stopped by request");
        else
            s_set_state (self, u, LABD_STOPPED);
        *message = zsys_sprintf ("%s: stopping", u->name);
    }
    else {
        u->wanted = true;
        memset (u->restart_at, 0, sizeof u->restart_at);
        u->backoff_ms = u->backoff_min_ms;
        if (u->pid > 0)
            s_stop (self, u, "!restart requested");
        else {
            u->next_start_ms = now;
            s_set_state (self, u, LABD_STOPPED);
        }
        *message = zsys_sprintf ("%s: restarting", u->name);
    }
    return BUS_OK;
}

/* The control socket's handler: the same commands as on the bus, minus
 * the backend ones (an eval runs over the bus anyway). */
static int
s_ctl_handle (const char *command, int argc, const char *const *args, char **json, char **message,
              void *arg)
{
    labd_t *self = (labd_t *) arg;
    int rc = s_command (self, command, argc, args, json, message);
    if (rc < 0) {
        *message = zsys_sprintf ("labd: '%s' is not served here (status, start, stop, restart)", command);
        rc = BUS_EUSAGE;
    }
    return rc;
}

static void
s_handle (bus_request_t *rq, void *arg)
{
    labd_t *self = (labd_t *) arg;
    const Lab__CommandRequest *cmd = bus_request_command (rq);
    if (!cmd || !cmd->command) {
        bus_request_reply (rq, BUS_EUSAGE, NULL, "labd: expected a command");
        return;
    }
    const char *c = cmd->command;
    char *json = NULL, *message = NULL;
    int rc = s_command (self, c, (int) cmd->n_args, (const char *const *) cmd->args, &json, &message);
    if (rc >= 0) {
        bus_request_reply (rq, rc, json, "%s", message ? message : "");
        free (json);
        free (message);
        return;
    }
    if (cmd->n_args < 1) {
        bus_request_reply (rq, BUS_EUSAGE, NULL,
                           "usage: status | start|stop|restart NAME | backend-start NAME [timeout_ms] "
                           "| backend-stop NAME | backends");
        return;
    }
    labd_unit_t *u = s_unit (self, cmd->args[0]);
    if (!u) {
        bus_request_reply (rq, BUS_ENOTFOUND, NULL, "labd: no service or backend named '%s'", cmd->args[0]);
        return;
    }
    if (self->shutting_down) {
        bus_request_reply (rq, BUS_EBUSY, NULL, "labd is shutting down");
        return;
    }
    uint64_t now = s_now_ms ();
    if ((!strcmp (c, "backend-start") || !strcmp (c, "backend-stop")) && u->external)
        bus_request_reply (rq, BUS_EUSAGE, NULL, "%s is external (base_url, no command): labd does not start or stop it",
                           u->name);
    else if (!strcmp (c, "backend-start") && u->backend) {
        if (u->pending) {
            bus_request_reply (rq, BUS_EBUSY, NULL, "%s: another request is in progress", u->name);
            return;
        }
        if (u->state == LABD_UP) {
            /* Same answer as a fresh start: a caller that restarted must not
             * have to know it was already running. */
            char *json = s_json ("{s:s, s:s, s:i, s:f, s:b}", "name", u->name, "base_url", u->base_url, "pid",
                                 (int) u->pid, "health_wait_s", 0.0, "already_up", 1);
            bus_request_reply (rq, BUS_OK, json, "%s already up at %s", u->name, u->base_url);
            free (json);
            return;
        }
        long timeout = 0;
        if (cmd->n_args > 1) {
            char *end = NULL;
            timeout = strtol (cmd->args[1], &end, 10);
            if (!*cmd->args[1] || *end || timeout < 1 || timeout > 24L * 3600 * 1000) {
                bus_request_reply (rq, BUS_EUSAGE, NULL, "backend-start %s: timeout_ms '%s' is not a whole number of ms",
                                   u->name, cmd->args[1]);
                return;
            }
        }
        if (timeout > 0)
            u->start_timeout_ms = (int) timeout;
        /* One backend per group: ask the others to go first. */
        for (int i = 0; i < self->n; i++) {
            labd_unit_t *o = &self->units[i];
            if (o != u && o->backend && u->group[0] && !strcmp (o->group, u->group) && o->pid > 0) {
                o->wanted = false;
                s_stop (self, o, "another backend of its group was asked for");
            }
        }
        u->wanted = true;
        u->peak_rss_kb = 0;
        u->next_start_ms = now;
        u->reason[0] = 0;
        u->pending = bus_request_keep (rq);
        u->pending_is_start = true;
        if (u->state != LABD_STOPPED && u->state != LABD_STARTING)
            s_set_state (self, u, LABD_STOPPED);
    }
    else if (!strcmp (c, "backend-stop") && u->backend) {
        if (u->pending) {
            bus_request_reply (rq, BUS_EBUSY, NULL, "%s: another request is in progress", u->name);
            return;
        }
        u->wanted = false;
        u->pending = bus_request_keep (rq);
        u->pending_is_start = false;
        u->pending_deadline_ms = now + (uint64_t) u->grace_ms + 5000;
        if (u->pid > 0)
            s_stop (self, u, "stopped by request");
    }
    else
        bus_request_reply (rq, BUS_EUSAGE, NULL, "labd: '%s' does not apply to %s %s", c,
                           u->backend ? "backend" : "service", u->name);
}

/* ------------------------------------------------------------------ */

static void
s_on_message (labd_t *self, bus_msg_t *msg)
{
    uint64_t now = s_now_ms ();
    uint64_t down = labd_liveness_bus_rx (&self->live, now);
    if (down) {
        s_discount (self, now, down, "the bus was down");
        if (labd_alerts_held (self->alerts))
            self->alerts_due_ms = now + HELD_ALERTS_SETTLE_MS;
    }
    const Lab__Heartbeat *hb = bus_msg_body (msg, LAB__ENVELOPE__BODY_HEARTBEAT);
    if (hb && !strncmp (msg->topic, "hb.", 3)) {
        labd_unit_t *u = s_unit (self, msg->topic + 3);
        /* Only the child's own heartbeat counts: the broker stamps the
         * sender's pid (from the kernel, on ipc://); without a stamp (a TCP
         * bus) the heartbeat's own pid must at least be the child's. */
        pid_t sender = msg->env->sender_pid ? msg->env->sender_pid : hb->pid;
        if (u && u->pid > 0 && sender == u->pid) {
            u->last_hb_ms = s_now_ms ();
            if (u->state == LABD_STARTING && !u->backend) {
                u->up_ms = u->last_hb_ms;
                s_set_state (self, u, LABD_UP);
            }
        }
    }
}

static void
s_connect_bus (labd_t *self)
{
    if (self->bus)
        return;
    self->bus = bus_client_new ("labd", &self->ep);
    if (!self->bus)
        return;
    /* labd's own heartbeat comes back through the broker: the bus probe. */
    bus_client_set_heartbeat (self->bus, self->live.interval_ms);
    bus_client_subscribe (self->bus, "hb.");
    bus_client_serve (self->bus, "labd", s_handle, self);
}

/* Sleep until the next tick, or sooner when a restart is due before it. */
static long
s_poll_timeout (labd_t *self)
{
    uint64_t now = s_now_ms ();
    /* Turn at least as often as labd's own heartbeat: it is the bus probe. */
    long timeout = TICK_MS < self->live.interval_ms ? TICK_MS : self->live.interval_ms;
    for (int i = 0; i < self->n; i++) {
        labd_unit_t *u = &self->units[i];
        /* Only starts that can happen: one waiting on a dependency or on its
         * group would otherwise spin the loop. */
        if ((u->state == LABD_BACKOFF || u->state == LABD_STOPPED) && u->wanted && !self->shutting_down
            && s_deps_up (self, u) && !(u->backend && s_group_busy (self, u))) {
            long due = u->next_start_ms > now ? (long) (u->next_start_ms - now) : 0;
            if (due < timeout)
                timeout = due;
        }
    }
    return timeout;
}

int
labd_run (labd_t *self)
{
    /* The broker is a unit like the others; labd joins the bus once the
     * first units (the broker among them) are spawned. */
    s_tick (self);
    s_connect_bus (self);
    for (;;) {
        zmq_pollitem_t items[2 + 2 * 64 + 1 + 16];
        labd_unit_t *owner[2 + 2 * 64 + 1 + 16];
        int n = 0;
        items[n++] = (zmq_pollitem_t) { NULL, self->sigfd, ZMQ_POLLIN, 0 };
        int ctl_first = n;
        if (self->ctl)
            n += labd_ctl_pollitems (self->ctl, items + n, 12);
        int ctl_end = n;
        n += labd_health_pollitems (self->health, items + n, 4);
        if (self->bus) {
            items[n++] = (zmq_pollitem_t) { zsock_resolve (bus_client_sub_sock (self->bus)), 0, ZMQ_POLLIN, 0 };
            items[n++] = (zmq_pollitem_t) { zsock_resolve (bus_client_req_sock (self->bus)), 0, ZMQ_POLLIN, 0 };
        }
        int fixed = n;
        for (int i = 0; i < self->n && n < (int) (sizeof items / sizeof *items) - 1; i++) {
            labd_unit_t *u = &self->units[i];
            if (u->out.fd >= 0) {
                owner[n] = u;
                items[n++] = (zmq_pollitem_t) { NULL, u->out.fd, ZMQ_POLLIN, 0 };
            }
            if (u->err.fd >= 0) {
                owner[n] = u;
                items[n++] = (zmq_pollitem_t) { NULL, u->err.fd, ZMQ_POLLIN, 0 };
            }
        }
        int rc = zmq_poll (items, n, s_poll_timeout (self));
        if (rc < 0 && errno != EINTR)
            break;
        /* Only when there is something to do: an idle labd stays cheap. */
        bool ctl_busy = ctl_end - ctl_first > 1;        /* connections open */
        for (int i = ctl_first; i < ctl_end; i++)
            ctl_busy |= items[i].revents != 0;
        if (self->ctl && ctl_busy)
            labd_ctl_work (self->ctl, s_now_ms ());
        if (labd_health_busy (self->health))
            labd_health_work (self->health);
        if (items[0].revents & ZMQ_POLLIN) {
            struct signalfd_siginfo si;
            while (read (self->sigfd, &si, sizeof si) == (ssize_t) sizeof si) {
                if (si.ssi_signo == SIGCHLD)
                    s_reap (self);
                else if (!self->shutting_down) {
                    zsys_info ("labd: signal %d: stopping every service, last started first",
                               (int) si.ssi_signo);
                    self->shutting_down = true;
                    for (int i = 0; i < self->n; i++)
                        self->units[i].wanted = false;
                }
            }
        }
        for (int i = fixed; i < n; i++)
            if (items[i].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) {
                labd_unit_t *u = owner[i];
                bool is_err = items[i].fd == u->err.fd;
                s_drain (self, u, is_err ? &u->err : &u->out, is_err);
            }
        if (self->bus) {
            bus_msg_t *msg;
            while ((msg = bus_client_recv (self->bus, 0))) {
                s_on_message (self, msg);
                bus_msg_destroy (&msg);
            }
            bus_client_tick (self->bus);
        }
        s_reap (self);
        s_tick (self);
        if (self->shutting_down && s_shutdown_step (self))
            break;
    }
    zsys_info ("labd: every service stopped");
    return 0;
}

/* ------------------------------------------------------------------ */

/* The unit that runs the broker: the one whose program is labbus. */
static labd_unit_t *
s_find_broker (labd_t *self)
{
    for (int i = 0; i < self->n; i++) {
        labd_unit_t *u = &self->units[i];
        if (u->backend || !u->argv || !u->argv[0])
            continue;
        const char *slash = strrchr (u->argv[0], '/');
        if (!strcmp (slash ? slash + 1 : u->argv[0], "labbus"))
            return u;
    }
    return NULL;
}

static int
s_mkdirs (const char *path)
{
    char buf[1024];
    snprintf (buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir (buf, 0755);
            *p = '/';
        }
    return mkdir (buf, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

labd_t *
labd_new (const char *config_path, char *err, size_t errlen)
{
    labd_t *self = (labd_t *) zmalloc (sizeof (labd_t));
    self->sigfd = self->lockfd = -1;
    self->cfg = lab_config_load (config_path, err, errlen);
    if (!self->cfg || !realpath (config_path, self->config_abs)
        || lab_config_runtime_dir (self->cfg, self->runtime, sizeof self->runtime)) {
        if (self->cfg && !err[0])
            snprintf (err, errlen, "cannot prepare the runtime directory: %s", strerror (errno));
        labd_destroy (&self);
        return NULL;
    }
    ssize_t len = readlink ("/proc/self/exe", self->bindir, sizeof self->bindir - 1);
    if (len > 0) {
        self->bindir[len] = 0;
        char *slash = strrchr (self->bindir, '/');
        if (slash)
            *slash = 0;
    }
    snprintf (self->logdir, sizeof self->logdir, "%s", lab_config_get (self->cfg, "lab/logs", "var/log"));
    snprintf (self->piddir, sizeof self->piddir, "%s/labd", self->runtime);
    if (s_mkdirs (self->logdir) || s_mkdirs (self->piddir)) {
        snprintf (err, errlen, "cannot create %s or %s: %s", self->logdir, self->piddir, strerror (errno));
        labd_destroy (&self);
        return NULL;
    }
    /* One labd per runtime directory. */
    char lock[700];
    snprintf (lock, sizeof lock, "%s/labd.lock", self->runtime);
    self->lockfd = open (lock, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (self->lockfd < 0 || flock (self->lockfd, LOCK_EX | LOCK_NB)) {
        snprintf (err, errlen, "another labd is running on %s", self->runtime);
        labd_destroy (&self);
        return NULL;
    }
    self->n = labd_units_load (self->cfg, self->config_abs, self->runtime, &self->units, err, errlen);
    if (self->n < 0 || bus_endpoints_from_config (&self->ep, self->cfg, err, errlen)) {
        self->n = 0;
        labd_destroy (&self);
        return NULL;
    }
    int leftovers = labd_pidfile_reap_all (self->piddir);
    if (leftovers)
        zsys_warning ("labd: stopped %d process(es) left running by a previous labd", leftovers);
    self->broker = s_find_broker (self);
    int min_hb = 0;
    for (int i = 0; i < self->n; i++) {
        labd_unit_t *u = &self->units[i];
        if (!u->backend && u->heartbeat_ms > 0 && (!min_hb || u->heartbeat_ms < min_hb))
            min_hb = u->heartbeat_ms;
    }
    labd_liveness_init (&self->live, min_hb, TICK_MS, s_now_ms ());
    self->alerts = labd_alerts_new (self->logdir);
    self->health = labd_health_new ();
    /* The control socket sits with the pid files, in a directory only the
     * user can enter: its permissions are the protection. */
    chmod (self->piddir, 0700);
    char ctlpath[700];
    snprintf (ctlpath, sizeof ctlpath, "%s/ctl.sock", self->piddir);
    self->ctl = labd_ctl_new (ctlpath, s_ctl_handle, self, err, errlen);
    if (!self->ctl) {
        labd_destroy (&self);
        return NULL;
    }
    sigset_t mask;
    sigemptyset (&mask);
    sigaddset (&mask, SIGCHLD);
    sigaddset (&mask, SIGTERM);
    sigaddset (&mask, SIGINT);
    sigaddset (&mask, SIGHUP);
    sigprocmask (SIG_BLOCK, &mask, NULL);
    self->sigfd = signalfd (-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    return self;
}

void
labd_destroy (labd_t **self_p)
{
    labd_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < self->n; i++)
        if (self->units[i].pending)
            bus_request_destroy (&self->units[i].pending);
    labd_ctl_destroy (&self->ctl);
    labd_alerts_destroy (&self->alerts);
    labd_health_destroy (&self->health);
    bus_client_destroy (&self->bus);
    labd_units_free (self->units, self->n);
    lab_config_destroy (&self->cfg);
    if (self->sigfd >= 0)
        close (self->sigfd);
    if (self->lockfd >= 0)
        close (self->lockfd);
    free (self);
    *self_p = NULL;
}
