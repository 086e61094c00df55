/* fw_job - see fw_job.h. */
#include "services/builder/fw_ctx.h"
#include "services/builder/fw_image.h"
#include "bus/lab_spawn.h"
#include "services/builder/fw_store.h"
#include "services/labd/labd_proc.h"
#include "bus/lab_proc.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define KILL_GRACE_MS 2000      /* SIGTERM to the group, then SIGKILL */
#define LINE_MAX_LEN 1000

const char *
fw_job_kind_name (fw_job_kind_t kind)
{
    static const char *names[] = { "build", "flash", "ota", "reflash", "diagnose" };
    return (unsigned) kind < sizeof names / sizeof *names ? names[kind] : "?";
}

uint64_t
fw_ms (void)
{
    return bus_mono_ns () / 1000000ull;
}

/* ------------------------------------------------------------------ */
/* State */

void
fw_ctx_publish (fw_ctx_t *c)
{
    Lab__BuildJobState s = LAB__BUILD_JOB_STATE__INIT;
    s.job = c->a->id;
    s.kind = (char *) fw_job_kind_name (c->a->kind);
    s.recipe = c->a->has_recipe ? c->a->recipe.name : c->a->image_recipe;
    s.board = c->a->board;
    s.state = c->state;
    s.step = c->step;
    s.exit_status = c->exit_status;
    s.exit_signal = c->exit_signal;
    s.build_s = c->build_s;
    s.artefact_size = c->size;
    s.sha256 = c->sha256;
    s.version = c->version;
    s.how = c->how;
    s.booted_version = c->booted;
    s.error = c->error;
    s.verdict = c->verdict;
    s.timed_out = c->timed_out;
    s.deliver_s = c->deliver_s;
    s.elapsed_s = (double) (fw_ms () - c->t0_ms) / 1000.0;
    /* Oldest first. */
    char *lines[FW_LAST_LINES];
    for (int i = 0; i < c->nlines; i++)
        lines[i] = c->lines[(c->line_head - c->nlines + i + FW_LAST_LINES) % FW_LAST_LINES];
    if (!strcmp (c->state, "failed")) {
        s.last_lines = lines;
        s.n_last_lines = (size_t) c->nlines;
    }
    s.evidence = c->evidence;
    s.n_evidence = (size_t) c->nevidence;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_BUILD_JOB;
    env.build_job = &s;
    char topic[64];
    snprintf (topic, sizeof topic, "state.build.%s", c->a->id);
    bus_client_publish (c->bus, topic, &env);
}

void
fw_ctx_step (fw_ctx_t *c, const char *state, const char *fmt, ...)
{
    snprintf (c->state, sizeof c->state, "%s", state);
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (c->step, sizeof c->step, fmt, ap);
    va_end (ap);
    fw_ctx_publish (c);
}

void
fw_ctx_evidence (fw_ctx_t *c, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof text, fmt, ap);
    va_end (ap);
    if (c->nevidence < FW_EVIDENCE_MAX)
        c->evidence[c->nevidence++] = strdup (text);
    snprintf (c->step, sizeof c->step, "%s", text);
    fw_ctx_publish (c);
}

static void
s_fail (fw_ctx_t *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_fail (fw_ctx_t *c, const char *fmt, ...)
{
    /* FMT's arguments may include c->error itself. */
    char text[sizeof c->error];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof text, fmt, ap);
    va_end (ap);
    snprintf (c->error, sizeof c->error, "%s", text);
    fw_ctx_step (c, "failed", "%s", c->error);
}

bool
fw_ctx_sleep (fw_ctx_t *c, int ms)
{
    uint64_t end = fw_ms () + (uint64_t) ms;
    while (!c->term) {
        uint64_t now = fw_ms ();
        if (now >= end)
            return true;
        zsock_set_rcvtimeo (c->pipe, (int) (end - now));
        char *cmd = zstr_recv (c->pipe);
        zsock_set_rcvtimeo (c->pipe, -1);
        if (cmd && !strcmp (cmd, "$TERM"))
            c->term = true;
        zstr_free (&cmd);
    }
    return false;
}

int
fw_ctx_call (fw_ctx_t *c, const char *service, const char *command, int argc, const char *const *args,
             int timeout_ms, char *msg, size_t msglen)
{
    Lab__CommandReply *reply = NULL;
    int rc = bus_client_call (c->bus, service, command, argc, args, timeout_ms, &reply);
    if (rc != BUS_OK) {
        snprintf (msg, msglen, "%s: %s", service, bus_client_error (c->bus));
        return rc;
    }
    rc = reply->status;
    snprintf (msg, msglen, "%s", reply->message ? reply->message : "");
    lab__command_reply__free_unpacked (reply, NULL);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Talking to the service */

/* Sends FRAMES (NULL-terminated) to the service. */
static void
s_tell (fw_ctx_t *c, const char *first, ...)
{
    zmsg_t *m = zmsg_new ();
    va_list ap;
    va_start (ap, first);
    for (const char *f = first; f; f = va_arg (ap, const char *))
        zmsg_addstr (m, f);
    va_end (ap);
    zmsg_send (&m, c->pipe);
}

static void
s_history (fw_ctx_t *c, const char *board, const char *how, const char *result, bool rollback)
{
    json_t *ev = json_pack ("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s}", "ts_ns",
                            (json_int_t) bus_now_ns (), "board", board, "sha256", c->sha256, "version",
                            c->version, "how", how, "result", result, "rollback", rollback, "booted_version",
                            c->booted, "job", c->a->id, "recipe",
                            c->a->has_recipe ? c->a->recipe.name : c->a->image_recipe, "error", c->error,
                            "source", c->source);
    char *text = json_dumps (ev, JSON_COMPACT);
    s_tell (c, "history", text, NULL);
    free (text);
    json_decref (ev);
}

/* ------------------------------------------------------------------ */
/* Build */

static void
s_line (fw_ctx_t *c, const char *text)
{
    free (c->lines[c->line_head]);
    c->lines[c->line_head] = strdup (text);
    c->line_head = (c->line_head + 1) % FW_LAST_LINES;
    if (c->nlines < FW_LAST_LINES)
        c->nlines++;
    Lab__Blob blob = LAB__BLOB__INIT;
    blob.data.data = (uint8_t *) text;
    blob.data.len = strlen (text);
    blob.content_type = "text/plain";
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_BLOB;
    env.blob = &blob;
    char topic[64];
    snprintf (topic, sizeof topic, "log.build.%s", c->a->id);
    bus_client_publish (c->bus, topic, &env);
}

typedef struct {
    char buf[LINE_MAX_LEN + 1];
    size_t len;
} linebuf_t;

/* Reads what the pipe holds; false at end of file. */
static bool
s_drain (fw_ctx_t *c, int fd, linebuf_t *lb)
{
    char chunk[4096];
    for (;;) {
        ssize_t n = read (fd, chunk, sizeof chunk);
        if (n == 0)
            return false;
        if (n < 0)
            return errno == EAGAIN || errno == EINTR;
        for (ssize_t i = 0; i < n; i++) {
            char ch = chunk[i];
            if (ch == '\n' || lb->len == LINE_MAX_LEN) {
                if (lb->len && lb->buf[lb->len - 1] == '\r')
                    lb->len--;
                lb->buf[lb->len] = 0;
                s_line (c, lb->buf);
                lb->len = 0;
                if (ch == '\n')
                    continue;
            }
            lb->buf[lb->len++] = ch;
        }
    }
}

/* Waits for PID, killing its group with SIG first; the group's leftovers
 * die too (a one-shot job leaves nothing behind). */
static int
s_reap (pid_t pid, int sig)
{
    int status = 0;
    if (sig)
        lab_spawn_signal (pid, sig);
    if (sig == SIGTERM) {
        uint64_t end = fw_ms () + KILL_GRACE_MS;
        while (waitpid (pid, &status, WNOHANG) == 0) {
            if (fw_ms () >= end) {
                lab_spawn_signal (pid, SIGKILL);
                waitpid (pid, &status, 0);
                break;
            }
            usleep (20000);
        }
    }
    else
        waitpid (pid, &status, 0);
    lab_spawn_signal (pid, SIGKILL);
    return status;
}

/* Runs the recipe; 0 with c->artefact kept in the store, or -1 (failed). */
static int
s_build (fw_ctx_t *c)
{
    const fw_recipe_t *r = &c->a->recipe;
    fw_ctx_step (c, "building", "building %s", r->name);
    char env_job[64], env_recipe[128], env_art[PATH_MAX + 32];
    snprintf (env_job, sizeof env_job, "LAB_BUILD_JOB=%s", c->a->id);
    snprintf (env_recipe, sizeof env_recipe, "LAB_BUILD_RECIPE=%s", r->name);
    snprintf (env_art, sizeof env_art, "LAB_BUILD_ARTEFACT=%s", r->artefact);
    char *env[] = { env_job, env_recipe, env_art, NULL };
    char err[512];
    uint64_t start = fw_ms ();
    uint64_t start_ns = bus_now_ns ();
    int fd = -1;
    /* A stale artefact must not pass for this build's output. */
    unlink (r->artefact);
    lab_spawn_opts_t so = { .cwd = r->cwd, .env = env, .merge_stderr = true };
    pid_t pid = lab_spawn (r->argv, &so, &fd, NULL, err, sizeof err);
    int status = 0;
    bool killed = false;
    if (pid < 0) {
        snprintf (c->error, sizeof c->error, "%s", err);
        c->exit_status = -1;
    }
    else {
        /* If this process is killed outright, the next builder kills the
         * build's group from this file (children of a dead leader escape
         * PR_SET_PDEATHSIG). */
        labd_pidfile_write (c->a->piddir, c->a->id, pid, lab_proc_start_time (pid));
        linebuf_t lb = { .len = 0 };
        bool open_fd = true;
        uint64_t deadline = start + (uint64_t) r->timeout_ms, next_pub = start + 1000;
        for (;;) {
            zmq_pollitem_t items[2] = { { zsock_resolve (c->pipe), 0, ZMQ_POLLIN, 0 },
                                        { NULL, fd, ZMQ_POLLIN, 0 } };
            zmq_poll (items, open_fd ? 2 : 1, 200);
            if (items[0].revents & ZMQ_POLLIN) {
                char *cmd = zstr_recv (c->pipe);
                if (cmd && !strcmp (cmd, "$TERM"))
                    c->term = true;
                zstr_free (&cmd);
            }
            if (open_fd && !s_drain (c, fd, &lb))
                open_fd = false;
            pid_t w = waitpid (pid, &status, WNOHANG);
            if (w == pid) {
                lab_spawn_signal (pid, SIGKILL);
                break;
            }
            uint64_t now = fw_ms ();
            if (c->term) {
                status = s_reap (pid, SIGKILL);
                killed = true;
                snprintf (c->error, sizeof c->error, "stopped: the builder is shutting down");
                break;
            }
            if (now >= deadline) {
                c->timed_out = true;
                killed = true;
                status = s_reap (pid, SIGTERM);
                snprintf (c->error, sizeof c->error, "timed out after %d s: process group killed",
                          r->timeout_ms / 1000);
                break;
            }
            if (now >= next_pub) {
                next_pub = now + 1000;
                c->build_s = (double) (now - start) / 1000.0;
                fw_ctx_publish (c);
            }
        }
        /* What the group wrote before it died; every writer is gone now. */
        for (int i = 0; open_fd && i < 100; i++) {
            open_fd = s_drain (c, fd, &lb);
            if (open_fd)
                usleep (5000);
        }
        if (lb.len) {
            lb.buf[lb.len] = 0;
            s_line (c, lb.buf);
        }
        close (fd);
        labd_pidfile_remove (c->a->piddir, c->a->id);
        c->exit_status = WIFEXITED (status) && !killed ? WEXITSTATUS (status) : -1;
        c->exit_signal = WIFSIGNALED (status) ? WTERMSIG (status) : 0;
        if (!killed && c->exit_status != 0)
            snprintf (c->error, sizeof c->error, "%s exited with status %d", r->name,
                      WIFEXITED (status) ? WEXITSTATUS (status) : 128 + c->exit_signal);
    }
    c->build_s = (double) (fw_ms () - start) / 1000.0;
    if (c->term) {
        /* The service is in zactor_destroy: it answers nothing now. */
        s_fail (c, "%s", c->error);
        return -1;
    }
    fw_image_info_t info;
    memset (&info, 0, sizeof info);
    bool ok = !c->error[0];
    if (ok && fw_image_inspect (r->artefact, &info, err, sizeof err)) {
        snprintf (c->error, sizeof c->error, "%s exited 0 but its artefact is unusable: %s", r->name, err);
        ok = false;
    }
    if (ok) {
        snprintf (c->sha256, sizeof c->sha256, "%s", info.sha256);
        snprintf (c->version, sizeof c->version, "%s", info.version);
        c->size = info.size;
    }
    json_t *lines = json_array ();
    for (int i = 0; i < c->nlines; i++)
        json_array_append_new (lines, json_string (c->lines[(c->line_head - c->nlines + i + FW_LAST_LINES) % FW_LAST_LINES]));
    json_t *row = json_pack ("{s:s, s:s, s:I, s:s, s:i, s:i, s:b, s:f, s:I, s:s, s:s, s:s, s:s, s:s, s:o}",
                             "job", c->a->id, "recipe", r->name, "ts_ns", (json_int_t) start_ns, "result",
                             ok ? "ok" : "failed", "exit_status", c->exit_status, "exit_signal", c->exit_signal,
                             "timed_out", c->timed_out, "build_s", c->build_s, "size", (json_int_t) c->size,
                             "sha256", c->sha256, "version", c->version, "project", info.project, "built",
                             info.built, "error", c->error, "last_lines", ok ? json_array () : lines);
    if (ok)
        json_decref (lines);
    char *text = json_dumps (row, JSON_COMPACT);
    json_decref (row);
    s_tell (c, "built", text, NULL);
    free (text);
    /* The service answers with where it kept the image. */
    zmsg_t *reply = zmsg_recv (c->pipe);
    char *what = reply ? zmsg_popstr (reply) : NULL;
    char *path = reply ? zmsg_popstr (reply) : NULL;
    char *store_err = reply ? zmsg_popstr (reply) : NULL;
    if (what && !strcmp (what, "$TERM"))
        c->term = true;
    if (ok && (!path || !*path)) {
        snprintf (c->error, sizeof c->error, "cannot keep the artefact: %s", store_err ? store_err : "no answer");
        ok = false;
    }
    else if (ok)
        snprintf (c->artefact, sizeof c->artefact, "%s", path);
    zstr_free (&what);
    zstr_free (&path);
    zstr_free (&store_err);
    zmsg_destroy (&reply);
    if (!ok) {
        s_fail (c, "%s", c->error);
        return -1;
    }
    fw_ctx_step (c, "built", "%s built in %.1f s: %s, %llu bytes, sha256 %.12s", r->name, c->build_s,
                 c->version, (unsigned long long) c->size, c->sha256);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Deliver */

/* The bridge's answer ends "..., booted version V" when the board reported. */
static void
s_booted_from_reply (const char *msg, char *out, size_t outlen)
{
    const char *at = strstr (msg, "booted version ");
    if (at)
        snprintf (out, outlen, "%s", at + strlen ("booted version "));
}

static int
s_flash_usb (fw_ctx_t *c, const char *board)
{
    fw_ctx_step (c, "flashing", "flashing %s onto %s over USB", c->version, board);
    const char *args[] = { board, c->artefact };
    char msg[1024];
    int rc = fw_ctx_call (c, "serial-bridge", "flash", 2, args, c->a->boot_timeout_ms + 120000, msg, sizeof msg);
    if (rc != BUS_OK) {
        snprintf (c->error, sizeof c->error, "%s", msg);
        /* The bridge says so when the image went on but no boot followed. */
        return strstr (msg, "no boot report") ? 1 : -1;
    }
    s_booted_from_reply (msg, c->booted, sizeof c->booted);
    return 0;
}

/* A copy of the artefact in the OTA image directory, named so a person
 * recognises it there. */
static int
s_stage_ota_image (fw_ctx_t *c, char *name, size_t namelen)
{
    const char *recipe = c->a->has_recipe ? c->a->recipe.name : c->a->image_recipe;
    snprintf (name, namelen, "%s-%.12s.bin", *recipe ? recipe : "image", c->sha256);
    char dst[PATH_MAX + 200];
    snprintf (dst, sizeof dst, "%s/%s", c->a->images_dir, name);
    if (!access (dst, R_OK))
        return 0;
    zsys_dir_create ("%s", c->a->images_dir);
    return fw_store_copy (c->artefact, dst, c->error, sizeof c->error);
}

static int
s_push_espnow (fw_ctx_t *c, const char *board, const char *via)
{
    char name[256];
    if (s_stage_ota_image (c, name, sizeof name))
        return -1;
    fw_ctx_step (c, "pushing", "pushing %s to %s over ESP-NOW via %s", c->version, board, via);
    bus_client_subscribe (c->bus, "state.ota.");
    const char *args[] = { name, board, via };
    Lab__CommandReply *reply = NULL;
    int rc = bus_client_call (c->bus, "ota-initiator", "push", 3, args, 10000, &reply);
    if (rc != BUS_OK || reply->status != BUS_OK) {
        snprintf (c->error, sizeof c->error, "ota-initiator: %s",
                  rc != BUS_OK ? bus_client_error (c->bus) : reply->message);
        if (reply)
            lab__command_reply__free_unpacked (reply, NULL);
        return -1;
    }
    json_error_t jerr;
    json_t *j = json_loads (reply->json ? reply->json : "", 0, &jerr);
    char ota_job[64] = "";
    snprintf (ota_job, sizeof ota_job, "%s", json_string_value (json_object_get (j, "job")) ?: "");
    json_decref (j);
    lab__command_reply__free_unpacked (reply, NULL);
    /* The service records OTA jobs it did not start itself; this one is ours. */
    s_tell (c, "ota-job", ota_job, NULL);
    char topic[128];
    snprintf (topic, sizeof topic, "state.ota.%s", ota_job);
    /* Generous: 1 KB/s is a tenth of what a bad link still manages. */
    uint64_t deadline = fw_ms () + 60000 + c->size + (uint64_t) c->a->boot_timeout_ms;
    int result = -1;
    while (!c->term && fw_ms () < deadline) {
        bus_msg_t *m = bus_client_recv (c->bus, 250);
        if (!m) {
            fw_ctx_sleep (c, 0);
            continue;
        }
        const Lab__OtaJobState *s = !strcmp (m->topic, topic) ? bus_msg_body (m, LAB__ENVELOPE__BODY_OTA) : NULL;
        if (s) {
            /* The same key the service gives an OTA job it did not start:
             * the final state replayed after a restart is not recorded twice. */
            snprintf (c->source, sizeof c->source, "ota:%s@%llu", ota_job, (unsigned long long) m->env->ts_ns);
            if (!strcmp (s->state, "done")) {
                snprintf (c->booted, sizeof c->booted, "%s", s->booted_version);
                result = 0;
            }
            else if (!strcmp (s->state, "failed")) {
                snprintf (c->booted, sizeof c->booted, "%s", s->booted_version);
                snprintf (c->error, sizeof c->error, "OTA %s: %s", ota_job, s->error);
                result = -1;
            }
            else {
                snprintf (c->step, sizeof c->step, "pushing %s to %s via %s: %s %.0f%%", c->version, board, via,
                          s->state, s->percent);
                fw_ctx_publish (c);
                bus_msg_destroy (&m);
                continue;
            }
            bus_msg_destroy (&m);
            bus_client_unsubscribe (c->bus, "state.ota.");
            return result;
        }
        bus_msg_destroy (&m);
    }
    bus_client_unsubscribe (c->bus, "state.ota.");
    snprintf (c->error, sizeof c->error, "OTA %s did not finish in time", ota_job);
    return -1;
}

static void
s_alert (fw_ctx_t *c, const char *board, const char *text)
{
    Lab__Alert a = LAB__ALERT__INIT;
    a.severity = "error";
    a.kind = "fw_mismatch";
    a.subject = (char *) board;
    a.text = (char *) text;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_ALERT;
    env.alert = &a;
    char topic[128];
    snprintf (topic, sizeof topic, "evt.alert.fw_mismatch.%s", board);
    bus_client_publish (c->bus, topic, &env);
}

int
fw_ctx_deliver (fw_ctx_t *c, const char *board, fw_deliver_t how, const char *via)
{
    snprintf (c->how, sizeof c->how, "%s", fw_deliver_name (how));
    c->booted[0] = 0;
    c->error[0] = 0;
    c->source[0] = 0;
    uint64_t start = fw_ms ();
    int rc = how == FW_DELIVER_USB ? s_flash_usb (c, board) : s_push_espnow (c, board, via);
    c->deliver_s = (double) (fw_ms () - start) / 1000.0;
    if (rc < 0) {
        s_history (c, board, c->how, "failed", false);
        return -1;
    }
    if (rc > 0 || !c->booted[0]) {
        /* Written, never confirmed: it is what the board should run now. */
        if (!c->error[0])
            snprintf (c->error, sizeof c->error, "no boot report from %s", board);
        s_history (c, board, c->how, "unconfirmed", false);
        return -1;
    }
    if (strcmp (c->booted, c->version)) {
        bool rollback = c->a->prev_version[0] && !strcmp (c->booted, c->a->prev_version);
        snprintf (c->error, sizeof c->error, "%s booted %s, not the %s just %s%s", board, c->booted, c->version,
                  how == FW_DELIVER_USB ? "flashed" : "pushed", rollback ? " (rolled back)" : "");
        s_history (c, board, c->how, "mismatch", rollback);
        s_alert (c, board, c->error);
        return -1;
    }
    s_history (c, board, c->how, "ok", false);
    return 0;
}

/* ------------------------------------------------------------------ */

static void
s_finish (fw_ctx_t *c)
{
    if (strcmp (c->state, "failed"))
        fw_ctx_step (c, "done", "%s", c->step);
    json_t *j = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f}", "job", c->a->id, "state", c->state,
                           "version", c->version, "booted_version", c->booted, "error", c->error, "verdict",
                           c->verdict, "how", c->how, "elapsed_s", (double) (fw_ms () - c->t0_ms) / 1000.0);
    char *text = json_dumps (j, JSON_COMPACT);
    s_tell (c, "done", text, NULL);
    free (text);
    json_decref (j);
}

static void
s_run (fw_ctx_t *c)
{
    fw_job_args_t *a = c->a;
    if (a->kind == FW_JOB_BUILD) {
        s_build (c);
        return;
    }
    if (a->kind == FW_JOB_DIAGNOSE) {
        /* No known-good image kept yet: make one from its recipe. */
        if (a->has_recipe && !a->good_image[0]) {
            if (s_build (c))
                return;
            snprintf (a->good_image, sizeof a->good_image, "%s", c->artefact);
            snprintf (a->good_version, sizeof a->good_version, "%s", c->version);
            snprintf (a->good_sha256, sizeof a->good_sha256, "%s", c->sha256);
        }
        fw_diagnose_run (c);
        return;
    }
    if (a->kind == FW_JOB_REFLASH) {
        if (s_build (c))
            return;     /* nothing is flashed after a failed build */
    }
    else {
        snprintf (c->artefact, sizeof c->artefact, "%s", a->image);
        snprintf (c->sha256, sizeof c->sha256, "%s", a->sha256);
        snprintf (c->version, sizeof c->version, "%s", a->version);
        c->size = a->size;
    }
    if (c->term) {
        s_fail (c, "stopped: the builder is shutting down");
        return;
    }
    fw_deliver_t how = a->kind == FW_JOB_FLASH ? FW_DELIVER_USB : a->kind == FW_JOB_OTA ? FW_DELIVER_ESPNOW : a->how;
    if (fw_ctx_deliver (c, a->board, how, a->via)) {
        s_fail (c, "%s", c->error);
        return;
    }
    fw_ctx_step (c, "done", "%s -> %s %s booted (%s, %.1f s)", a->has_recipe ? a->recipe.name : c->sha256,
                 a->board, c->booted, c->how, (double) (fw_ms () - c->t0_ms) / 1000.0);
}

void
fw_job_actor (zsock_t *pipe, void *args)
{
    fw_ctx_t c;
    memset (&c, 0, sizeof c);
    c.a = (fw_job_args_t *) args;
    c.pipe = pipe;
    c.t0_ms = fw_ms ();
    char source[64];
    snprintf (source, sizeof source, "builder.%s", c.a->id);
    c.bus = bus_client_new (source, &c.a->ep);
    zsock_signal (pipe, 0);
    if (c.bus) {
        fw_ctx_step (&c, "queued", "%s starting", fw_job_kind_name (c.a->kind));
        s_run (&c);
        s_finish (&c);
    }
    else
        s_tell (&c, "done", "{\"state\":\"failed\",\"error\":\"no bus\"}", NULL);
    /* Wait for the service's $TERM (zactor_destroy). */
    while (!c.term) {
        char *cmd = zstr_recv (pipe);
        if (!cmd || !strcmp (cmd, "$TERM"))
            c.term = true;
        zstr_free (&cmd);
    }
    for (int i = 0; i < FW_LAST_LINES; i++)
        free (c.lines[i]);
    for (int i = 0; i < c.nevidence; i++)
        free (c.evidence[i]);
    bus_client_destroy (&c.bus);
}
