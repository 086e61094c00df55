/* chat_gateway - see chat_gateway.h. */
#include "services/chat-gateway/chat_gateway.h"
#include "services/chat-gateway/chat_cmd.h"
#include "services/chat-gateway/chat_fw.h"
#include "services/chat-gateway/chat_text.h"
#include "bus/bus_json.h"
#include "bus/bus_topic.h"
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IDS_MAX 64
#define PENDING_MAX 16
#define WATCH_MAX 16

typedef struct {
    char chat[64];
    chat_cmd_t cmd;
    char text[CHAT_TEXT_MAX + 1]; /* as typed, for the journal */
    uint64_t expires_ms;
} pending_t;

typedef struct {
    char chat[64];
    char topic[160];
    uint64_t next_ms;
    char last[512];
} watch_t;

struct _chat_gw_t {
    bus_client_t *bus;
    char allowed[IDS_MAX][32];
    int nallowed;
    char admins[IDS_MAX][32];
    int nadmins;
    char notify[IDS_MAX][32];
    int nnotify;
    int confirm_ms;
    long stale_s;
    int alert_max, alert_window_ms, dedupe_ms;
    uint64_t alert_window_start;
    int alert_sent;
    zhashx_t *seen_alerts;           /* kind/subject -> last ms (as a string) */
    zhashx_t *state;                 /* topic -> Lab__Envelope* */
    zhashx_t *foreign;               /* topic -> the body it carried instead (a string) */
    pending_t pending[PENDING_MAX];
    watch_t watches[WATCH_MAX];
    int watch_every_ms;
    FILE *audit;
    chat_send_fn *send;
    void *send_ctx;
    chat_journal_t *journal;
    int64_t cur_id;                  /* the update being answered, -1 for none */
    chat_gw_counters_t counters;
};

static bool s_watch_text (chat_gw_t *self, const char *name, char *text, size_t len);

static uint64_t s_ms (void) { return bus_mono_ns () / 1000000ull; }

static void
s_env_free (void **item)
{
    lab__envelope__free_unpacked ((Lab__Envelope *) *item, NULL);
    *item = NULL;
}

static int
s_ids (const char *list, char ids[][32], int max)
{
    int n = 0;
    char copy[2048];
    snprintf (copy, sizeof copy, "%s", list ? list : "");
    for (char *save = NULL, *t = strtok_r (copy, " ,", &save); t && n < max; t = strtok_r (NULL, " ,", &save))
        snprintf (ids[n++], 32, "%s", t);
    return n;
}

static bool
s_in (const char *id, char ids[][32], int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp (ids[i], id))
            return true;
    return false;
}

static void
s_audit (chat_gw_t *self, const char *transport, const char *sender, const char *what, const char *cmd,
         const char *outcome)
{
    if (!self->audit)
        return;
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    char stamp[32], clean[512];
    strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* One audit line per event, whatever a sender typed into an error. */
    snprintf (clean, sizeof clean, "%s", outcome);
    for (char *c = clean; *c; c++)
        if ((unsigned char) *c < 0x20 || *c == '"')
            *c = '?';
    outcome = clean;
    if (self->cur_id >= 0)
        fprintf (self->audit, "%s %s sender=%s %s cmd=%s update=%lld outcome=\"%s\"\n", stamp, transport, sender,
                 what, cmd, (long long) self->cur_id, outcome);
    else
        fprintf (self->audit, "%s %s sender=%s %s cmd=%s outcome=\"%s\"\n", stamp, transport, sender, what, cmd,
                 outcome);
    fflush (self->audit);
    if (self->bus) {
        char topic[96];
        snprintf (topic, sizeof topic, "evt.chat.%s.%s", !strcmp (what, "accepted") ? "accepted" : "refused", cmd);
        bus_client_publish_text (self->bus, topic, outcome);
    }
}

chat_gw_t *
chat_gw_new (lab_config_t *cfg, bus_client_t *bus, char *err, size_t errlen)
{
    chat_gw_t *self = (chat_gw_t *) calloc (1, sizeof (chat_gw_t));
    self->bus = bus;
    zconfig_t *chat = zconfig_locate (lab_config_root (cfg), "chat");
    self->nallowed = s_ids (lab_config_get (cfg, "chat/allow", ""), self->allowed, IDS_MAX);
    self->nadmins = s_ids (lab_config_get (cfg, "chat/admins", ""), self->admins, IDS_MAX);
    self->nnotify = s_ids (lab_config_get (cfg, "chat/notify", ""), self->notify, IDS_MAX);
    if (*lab_config_get (cfg, "chat/refusal", ""))
        zsys_warning ("chat-gateway: chat/refusal is not used any more: strangers get nothing at all");
    self->cur_id = -1;
    long v;
    if (lab_config_int (cfg, zconfig_locate (lab_config_root (cfg), "chat/telegram"), "stale_after", 600, 1, 86400,
                        &v, err, errlen))
        goto fail;
    self->stale_s = v;
    if (lab_config_duration_ms (cfg, chat, "confirm_timeout", 60000, &v, err, errlen))
        goto fail;
    self->confirm_ms = (int) v;
    if (lab_config_int (cfg, chat, "alert_max", 5, 0, 1000, &v, err, errlen))
        goto fail;
    self->alert_max = (int) v;
    if (lab_config_duration_ms (cfg, chat, "alert_window", 600000, &v, err, errlen))
        goto fail;
    self->alert_window_ms = (int) v;
    if (lab_config_duration_ms (cfg, chat, "alert_dedupe", 600000, &v, err, errlen))
        goto fail;
    self->dedupe_ms = (int) v;
    if (lab_config_duration_ms (cfg, chat, "watch_every", 30000, &v, err, errlen))
        goto fail;
    self->watch_every_ms = (int) v;
    const char *audit = lab_config_get (cfg, "chat/audit", NULL);
    char path[1024];
    if (!audit) {
        snprintf (path, sizeof path, "%s/chat-audit.log", lab_config_get (cfg, "lab/logs", "var/log"));
        audit = path;
    }
    self->audit = fopen (audit, "a");
    self->seen_alerts = zhashx_new ();
    zhashx_set_destructor (self->seen_alerts, (zhashx_destructor_fn *) zstr_free);
    self->state = zhashx_new ();
    zhashx_set_destructor (self->state, s_env_free);
    self->foreign = zhashx_new ();
    zhashx_set_destructor (self->foreign, (zhashx_destructor_fn *) zstr_free);
    if (bus) {
        bus_client_subscribe (bus, "state.");
        bus_client_subscribe (bus, "evt.alert.");
    }
    return self;
fail:
    free (self);
    return NULL;
}

void
chat_gw_destroy (chat_gw_t **self_p)
{
    chat_gw_t *self = *self_p;
    if (!self)
        return;
    if (self->audit)
        fclose (self->audit);
    zhashx_destroy (&self->seen_alerts);
    zhashx_destroy (&self->state);
    zhashx_destroy (&self->foreign);
    free (self);
    *self_p = NULL;
}

void
chat_gw_set_sender (chat_gw_t *self, chat_send_fn *fn, void *ctx)
{
    self->send = fn;
    self->send_ctx = ctx;
}

/* ------------------------------------------------------------------ */

static char *
s_fmt (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    char *out = NULL;
    if (vasprintf (&out, fmt, ap) < 0)
        out = NULL;
    va_end (ap);
    return out;
}

/* A service's answer as chat text; a service that is down says so. */
static char *
s_call (chat_gw_t *self, const char *service, const char *command, int argc, const char *const *args,
        int timeout_ms)
{
    if (!self->bus)
        return strdup ("the bus is not connected");
    Lab__CommandReply *reply = NULL;
    int rc = bus_client_call (self->bus, service, command, argc, args, timeout_ms, &reply);
    if (rc == BUS_ENOTRUNNING)
        return s_fmt ("%s is not running", service);
    if (rc == BUS_ETIMEOUT)
        return s_fmt ("%s did not answer within %d s", service, timeout_ms / 1000);
    if (rc != BUS_OK)
        return s_fmt ("%s: %s", service, bus_client_error (self->bus));
    char *out = s_fmt ("%s%s", reply->status == BUS_OK ? "" : "error: ", reply->message ? reply->message : "");
    lab__command_reply__free_unpacked (reply, NULL);
    return out;
}

static char *
s_fw_call (void *ctx, const char *service, const char *command, int argc, const char *const *args, int timeout_ms)
{
    return s_call ((chat_gw_t *) ctx, service, command, argc, args, timeout_ms);
}

static char *
s_status (chat_gw_t *self)
{
    char *svc = s_call (self, "labd", "status", 0, NULL, 3000);
    char boards[2048] = "", jobs[2048] = "";
    size_t bo = 0, jo = 0;
    for (Lab__Envelope *e = (Lab__Envelope *) zhashx_first (self->state); e;
         e = (Lab__Envelope *) zhashx_next (self->state)) {
        if (e->body_case == LAB__ENVELOPE__BODY_BOARD && bo < sizeof boards)
            bo += (size_t) snprintf (boards + bo, sizeof boards - bo, "%s: %s, fw %s%s\n", e->board->board,
                                     e->board->connected ? "connected" : "DISCONNECTED", e->board->firmware_version,
                                     e->board->silent ? ", SILENT" : "");
        else if (e->body_case == LAB__ENVELOPE__BODY_OTA && jo < sizeof jobs)
            jo += (size_t) snprintf (jobs + jo, sizeof jobs - jo, "OTA %s -> %s: %s %.0f%%\n", e->ota->job,
                                     e->ota->target, e->ota->state, e->ota->percent);
        else if (e->body_case == LAB__ENVELOPE__BODY_EVAL_SWEEP && jo < sizeof jobs)
            jo += (size_t) snprintf (jobs + jo, sizeof jobs - jo, "eval %s: %s %u/%u rows, %u errors\n",
                                     e->eval_sweep->sweep, e->eval_sweep->state, e->eval_sweep->done,
                                     e->eval_sweep->total, e->eval_sweep->errors);
        else if (jo < sizeof jobs)
            jo += chat_fw_job_line (e, jobs + jo, sizeof jobs - jo);
    }
    char *out = s_fmt ("%s\n\nBoards:\n%s\nJobs:\n%s", svc, bo ? boards : "(none seen)\n", jo ? jobs : "(none)\n");
    free (svc);
    return out;
}

static char *
s_run (chat_gw_t *self, const chat_cmd_t *c, const char *chat)
{
    const char *a[CHAT_ARGS_MAX];
    for (int i = 0; i < CHAT_ARGS_MAX; i++)
        a[i] = c->argv[i];
    if (chat_fw_handles (c))
        return chat_fw_run (c, s_fw_call, self);
    switch (c->kind) {
        case CHAT_HELP: return strdup (chat_cmd_help ());
        case CHAT_STATUS: return s_status (self);
        case CHAT_TAIL: {
            const char *args[] = { a[0], c->argc > 1 ? a[1] : "10" };
            return s_call (self, "serial-bridge", "tail", 2, args, 3000);
        }
        case CHAT_PINGPONG: {
            const char *args[] = { a[0], a[1], c->argc > 2 ? a[2] : "20", "20" };
            return s_call (self, "serial-bridge", "pingpong", 4, args, 60000);
        }
        case CHAT_RSSI: return s_call (self, "rssi-ranger", "distances", 0, NULL, 3000);
        case CHAT_OTA_PUSH: {
            const char *args[] = { a[0], a[1], a[2] };
            return s_call (self, "ota-initiator", "push", c->argc, args, 5000);
        }
        case CHAT_OTA_STATUS: return s_call (self, "ota-initiator", "status", 0, NULL, 3000);
        case CHAT_EVAL_RUN: return s_call (self, "eval-runner", "run", 1, a, 5000);
        case CHAT_EVAL_STATUS: return s_call (self, "eval-runner", "status", 0, NULL, 3000);
        case CHAT_EVAL_DECIDE: return s_call (self, "eval-runner", "decide", c->argc, a, 10000);
        case CHAT_RESTART: return s_call (self, "labd", "restart", 1, a, 5000);
        case CHAT_STOP: return s_call (self, "labd", "stop", 1, a, 5000);
        case CHAT_FLASH: return s_call (self, "serial-bridge", "flash", 2, a, 120000);
        case CHAT_WATCH: {
            char now[512];
            if (!s_watch_text (self, a[0], now, sizeof now) && strstr (now, ": not an "))
                return strdup (now);
            for (int i = 0; i < WATCH_MAX; i++)
                if (!self->watches[i].topic[0]) {
                    watch_t *w = &self->watches[i];
                    snprintf (w->chat, sizeof w->chat, "%s", chat);
                    snprintf (w->topic, sizeof w->topic, "%s", a[0]);
                    w->next_ms = s_ms ();
                    return s_fmt ("watching %s: progress every %d s until it ends", a[0], self->watch_every_ms / 1000);
                }
            return strdup ("too many watches");
        }
        default: return strdup (chat_cmd_help ());
    }
}

static bool
s_persisted (chat_gw_t *self, const char *chat)
{
    return self->journal && strcmp (chat, "console");
}

/* The confirmation for CHAT ends (run, cancelled, expired, replaced). */
static void
s_pending_end (chat_gw_t *self, pending_t *p)
{
    if (s_persisted (self, p->chat) && chat_journal_ask_end (self->journal, p->chat))
        zsys_error ("chat-gateway: cannot record the end of a confirmation in the journal");
    p->expires_ms = 0;
}

static void
s_pending_set (chat_gw_t *self, pending_t *p, const char *chat, const char *sender, const chat_cmd_t *c,
               const char *text, int ms)
{
    snprintf (p->chat, sizeof p->chat, "%s", chat);
    p->cmd = *c;
    snprintf (p->text, sizeof p->text, "%s", text);
    p->expires_ms = s_ms () + (uint64_t) ms;
    if (s_persisted (self, chat)) {
        chat_journal_ask_t a;
        snprintf (a.chat, sizeof a.chat, "%s", chat);
        snprintf (a.sender, sizeof a.sender, "%s", sender);
        snprintf (a.text, sizeof a.text, "%s", text);
        a.expires = (int64_t) time (NULL) + ms / 1000;
        if (chat_journal_ask (self->journal, &a))
            zsys_error ("chat-gateway: cannot record a confirmation in the journal; it will not survive a restart");
    }
}

static char *
s_confirmed (chat_gw_t *self, const char *transport, const char *sender, const char *chat, pending_t *p)
{
    chat_cmd_t todo = p->cmd;
    /* Recorded before it runs: a crash while it runs is then reported after
     * the restart, never run a second time. */
    if (self->journal && self->cur_id >= 0 && chat_journal_start (self->journal, self->cur_id)) {
        s_audit (self, transport, sender, "refused", chat_cmd_name (todo.kind), "journal not writable");
        return strdup ("not run: the gateway cannot record it (journal not writable); try again later");
    }
    s_pending_end (self, p);
    char *out = s_run (self, &todo, chat);
    s_audit (self, transport, sender, "accepted", chat_cmd_name (todo.kind), "confirmed and run");
    return out;
}

char *
chat_gw_handle (chat_gw_t *self, const char *transport, const char *sender, const char *chat, const char *text)
{
    /* Who, before what: an unknown sender's text is not even parsed, and
     * nothing at all goes back (a stranger does not learn the bot is alive). */
    bool console = !strcmp (transport, "console");
    if (!console && !s_in (sender, self->allowed, self->nallowed)) {
        self->counters.strangers++;
        s_audit (self, transport, sender, "refused", "stranger", "sender not on the allow-list");
        return NULL;
    }
    bool admin = console || s_in (sender, self->admins, self->nadmins);
    chat_cmd_t c;
    if (chat_cmd_parse (text, &c)) {
        s_audit (self, transport, sender, "refused", "parse", c.error);
        if (c.kind == CHAT_UNKNOWN && !strcmp (c.error, "not a command"))
            return strdup (chat_cmd_help ());
        return s_fmt ("%s\n\n/help lists the commands", c.error);
    }
    pending_t *p = NULL;
    for (int i = 0; i < PENDING_MAX; i++)
        if (self->pending[i].expires_ms && !strcmp (self->pending[i].chat, chat))
            p = &self->pending[i];
    if (c.kind == CHAT_YES || c.kind == CHAT_NO) {
        if (!p || s_ms () > p->expires_ms) {
            if (p)
                s_pending_end (self, p);
            return strdup ("nothing to confirm (or it expired)");
        }
        if (c.kind == CHAT_NO) {
            s_pending_end (self, p);
            s_audit (self, transport, sender, "refused", chat_cmd_name (p->cmd.kind), "cancelled");
            return strdup ("cancelled");
        }
        return s_confirmed (self, transport, sender, chat, p);
    }
    if (chat_cmd_is_admin (c.kind)) {
        if (!admin) {
            s_audit (self, transport, sender, "refused", chat_cmd_name (c.kind), "not an admin");
            return strdup ("that command is for admins only");
        }
        if (!p)
            for (int i = 0; i < PENDING_MAX && !p; i++)
                if (!self->pending[i].expires_ms)
                    p = &self->pending[i];
        if (!p)
            return strdup ("too many commands waiting for confirmation");
        s_pending_set (self, p, chat, sender, &c, text, self->confirm_ms);
        s_audit (self, transport, sender, "pending", chat_cmd_name (c.kind), "asked to confirm");
        return s_fmt ("Confirm %s%s%s%s%s? Reply /yes within %d s (or /no).", text[0] == '/' ? "" : "/",
                      chat_cmd_name (c.kind), c.argc ? " " : "", c.argv[0], c.argc > 1 ? " ..." : "",
                      self->confirm_ms / 1000);
    }
    char *out = s_run (self, &c, chat);
    s_audit (self, transport, sender, "accepted", chat_cmd_name (c.kind), "ok");
    return out;
}

/* A /yes whose command had started when the gateway went down: say so, and
 * never run it again. */
static char *
s_interrupted (chat_gw_t *self, const chat_update_t *u)
{
    self->counters.interrupted++;
    const char *what = "the confirmed command";
    for (int i = 0; i < PENDING_MAX; i++)
        if (self->pending[i].expires_ms && !strcmp (self->pending[i].chat, u->chat)) {
            what = chat_cmd_name (self->pending[i].cmd.kind);
            s_pending_end (self, &self->pending[i]);
        }
    s_audit (self, "telegram", u->sender, "refused", what, "interrupted by a restart; not run again");
    return s_fmt ("The gateway restarted while running %s; it may or may not have taken effect, and it was not run "
                  "again. /status shows where things are.",
                  what);
}

char *
chat_gw_on_update (chat_gw_t *self, const chat_update_t *u, bool started)
{
    self->cur_id = u->id;
    char *reply = NULL;
    char detail[160];
    if (u->sender[0] && !s_in (u->sender, self->allowed, self->nallowed)) {
        self->counters.strangers++;
        snprintf (detail, sizeof detail, "sender not on the allow-list (%s)", u->what);
        s_audit (self, "telegram", u->sender, "refused", "stranger", detail);
    }
    else if (u->kind == CHAT_UPDATE_MALFORMED) {
        self->counters.malformed++;
        s_audit (self, "telegram", u->sender[0] ? u->sender : "-", "malformed", "-", u->what);
    }
    else if (u->kind == CHAT_UPDATE_OTHER) {
        self->counters.ignored++;
        snprintf (detail, sizeof detail, "not handled: %s", u->what);
        s_audit (self, "telegram", u->sender[0] ? u->sender : "-", "ignored", "-", detail);
    }
    else if (started)
        reply = s_interrupted (self, u);
    else if (u->date > 0 && (int64_t) time (NULL) - u->date > self->stale_s) {
        self->counters.stale++;
        s_audit (self, "telegram", u->sender, "refused", "stale", "waited too long while the lab was down");
        reply = strdup ("(ignored: this message waited too long while the lab was down; send it again)");
    }
    else if (u->kind == CHAT_UPDATE_TOO_LONG) {
        self->counters.too_long++;
        snprintf (detail, sizeof detail, "text of %zu characters, over %d", u->units, CHAT_TEXT_UNITS_MAX);
        s_audit (self, "telegram", u->sender, "refused", "too_long", detail);
        reply = s_fmt ("That message is %zu characters long; the limit is %d. Nothing was run.", u->units,
                       CHAT_TEXT_UNITS_MAX);
    }
    else
        reply = chat_gw_handle (self, "telegram", u->sender, u->chat, u->text ? u->text : "");
    self->cur_id = -1;
    return reply;
}

void
chat_gw_audit_delivery (chat_gw_t *self, uint64_t q, const char *outcome, const char *detail)
{
    if (!strcmp (outcome, "delivered"))
        self->counters.delivered++;
    else if (!strcmp (outcome, "retrying"))
        self->counters.retrying++;
    else
        self->counters.failed++;
    if (!self->audit)
        return;
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    char stamp[32];
    strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf (self->audit, "%s telegram reply q=%llu %s outcome=\"%s\"\n", stamp, (unsigned long long) q, outcome,
             detail);
    fflush (self->audit);
}

void
chat_gw_counters (chat_gw_t *self, chat_gw_counters_t *out)
{
    *out = self->counters;
}

char *
chat_gw_counters_json (chat_gw_t *self)
{
    const chat_gw_counters_t *c = &self->counters;
    json_t *o = json_pack ("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "strangers",
                           (json_int_t) c->strangers, "malformed", (json_int_t) c->malformed, "ignored",
                           (json_int_t) c->ignored, "too_long", (json_int_t) c->too_long, "stale",
                           (json_int_t) c->stale, "interrupted", (json_int_t) c->interrupted, "bus_mismatch",
                           (json_int_t) c->bus_mismatch, "delivered", (json_int_t) c->delivered, "retrying",
                           (json_int_t) c->retrying, "failed", (json_int_t) c->failed);
    char *s = o ? json_dumps (o, JSON_COMPACT) : NULL;
    json_decref (o);
    return s;
}

void
chat_gw_set_journal (chat_gw_t *self, chat_journal_t *journal)
{
    self->journal = journal;
    if (!journal)
        return;
    chat_journal_ask_t asks[PENDING_MAX];
    size_t n = chat_journal_asks (journal, asks, PENDING_MAX);
    int64_t now = (int64_t) time (NULL);
    for (size_t i = 0; i < n; i++) {
        chat_cmd_t c;
        pending_t *p = NULL;
        for (int k = 0; k < PENDING_MAX && !p; k++)
            if (!self->pending[k].expires_ms)
                p = &self->pending[k];
        if (chat_cmd_parse (asks[i].text, &c) || !p || asks[i].expires <= now) {
            /* Expired while the gateway was down: visibly, not silently. */
            if (chat_journal_ask_end (journal, asks[i].chat))
                zsys_error ("chat-gateway: cannot record the end of a confirmation in the journal");
            char *note = s_fmt ("Not confirmed in time (the gateway restarted meanwhile): %.100s was not run. "
                                "Send it again if you still want it.",
                                asks[i].text);
            if (note && chat_journal_send (journal, asks[i].chat, note))
                zsys_error ("chat-gateway: cannot queue a message in the journal");
            free (note);
            continue;
        }
        snprintf (p->chat, sizeof p->chat, "%s", asks[i].chat);
        p->cmd = c;
        snprintf (p->text, sizeof p->text, "%s", asks[i].text);
        p->expires_ms = s_ms () + (uint64_t) (asks[i].expires - now) * 1000u;
    }
}

/* ------------------------------------------------------------------ */

static void
s_notify (chat_gw_t *self, const char *text)
{
    if (!self->send)
        return;
    for (int i = 0; i < self->nnotify; i++)
        self->send (self->send_ctx, self->notify[i], text);
}

static void
s_on_alert (chat_gw_t *self, const char *topic, const Lab__Alert *a)
{
    uint64_t now = s_ms ();
    /* The same alert again (a restart loop): once per dedupe period. */
    char *seen = (char *) zhashx_lookup (self->seen_alerts, topic);
    if (seen && now - strtoull (seen, NULL, 10) < (uint64_t) self->dedupe_ms)
        return;
    char stamp[32];
    snprintf (stamp, sizeof stamp, "%llu", (unsigned long long) now);
    zhashx_update (self->seen_alerts, topic, strdup (stamp));
    /* And never more than alert_max per window, whatever happens. */
    if (now - self->alert_window_start > (uint64_t) self->alert_window_ms) {
        self->alert_window_start = now;
        self->alert_sent = 0;
    }
    if (self->alert_sent >= self->alert_max)
        return;
    self->alert_sent++;
    char text[600];
    snprintf (text, sizeof text, "[%s] %s%s", a->severity ? a->severity : "alert", a->text ? a->text : topic,
              self->alert_sent == self->alert_max ? "\n(further alerts held back for a while)" : "");
    s_notify (self, text);
}

void
chat_gw_on_bus (chat_gw_t *self, bus_msg_t *msg)
{
    /* bus_client_recv already drops bodies of the wrong type for typed
     * topics; checked again here because messages can also come from
     * elsewhere (tests, replays), and untyped families are not checked. */
    if (!msg->env || !bus_topic_body_ok (msg->topic, msg->env)) {
        /* Counted and kept out of the cache: nothing reads a body that is
         * not what its topic says. /watch can still tell what it was. */
        self->counters.bus_mismatch++;
        if (!strncmp (msg->topic, "state.", 6)) {
            zhashx_delete (self->state, msg->topic);
            zhashx_update (self->foreign, msg->topic,
                           strdup (bus_topic_body_name (msg->env ? msg->env->body_case : LAB__ENVELOPE__BODY__NOT_SET)));
        }
        return;
    }
    const Lab__Alert *alert;
    if (!strncmp (msg->topic, "evt.alert.", 10)) {
        if ((alert = (const Lab__Alert *) bus_msg_body (msg, LAB__ENVELOPE__BODY_ALERT)))
            s_on_alert (self, msg->topic, alert);
    }
    else if (!strncmp (msg->topic, "state.", 6)) {
        zhashx_delete (self->foreign, msg->topic);
        zhashx_update (self->state, msg->topic, msg->env);
        msg->env = NULL;
    }
}

/* A job's progress line for /watch NAME: from state.ota.NAME,
 * state.eval.NAME or state.build.NAME (chat_fw). Returns false when there is nothing (more) to watch:
 * no such job, a topic carrying something else, or the job is over. */
static bool
s_watch_text (chat_gw_t *self, const char *name, char *text, size_t len)
{
    char key[200];
    const char *kinds[] = { "state.ota.", "state.eval.", "state.build." };
    for (int k = 0; k < 3; k++) {
        snprintf (key, sizeof key, "%s%s", kinds[k], name);
        Lab__Envelope *e = (Lab__Envelope *) zhashx_lookup (self->state, key);
        bool over;
        if (k == 2 && chat_fw_watch_text (e, text, len, &over))
            return !over;
        if (e && e->body_case == LAB__ENVELOPE__BODY_OTA) {
            snprintf (text, len, "OTA %s: %s %.0f%% %.1f KB/s eta %.0f s%s%s", e->ota->job, e->ota->state,
                      e->ota->percent, e->ota->rate_bps / 1024, e->ota->eta_s, e->ota->error[0] ? " — " : "",
                      e->ota->error);
            return strcmp (e->ota->state, "done") && strcmp (e->ota->state, "failed");
        }
        if (e && e->body_case == LAB__ENVELOPE__BODY_EVAL_SWEEP) {
            snprintf (text, len, "eval %s: %s %u/%u rows, %u errors, eta %.0f s", e->eval_sweep->sweep,
                      e->eval_sweep->state, e->eval_sweep->done, e->eval_sweep->total, e->eval_sweep->errors,
                      e->eval_sweep->eta_s);
            return strcmp (e->eval_sweep->state, "done") && strcmp (e->eval_sweep->state, "failed");
        }
        const char *foreign = (const char *) zhashx_lookup (self->foreign, key);
        if (foreign) {
            snprintf (text, len, "%s: not an %s job (%s carries a %s)", name, k == 0 ? "OTA" : k == 1 ? "eval" : "builder", key, foreign);
            return false;
        }
    }
    snprintf (text, len, "%s: no such job (yet)", name);
    return false;
}

/* Confirmations not answered in time end visibly, in their chat. */
static void
s_expire_pending (chat_gw_t *self, uint64_t now)
{
    for (int i = 0; i < PENDING_MAX; i++) {
        pending_t *p = &self->pending[i];
        if (!p->expires_ms || now <= p->expires_ms)
            continue;
        s_pending_end (self, p);
        if (!self->send || !strcmp (p->chat, "console"))
            continue;
        char *note = s_fmt ("Not confirmed within %d s: %.100s was not run.", self->confirm_ms / 1000, p->text);
        if (note)
            self->send (self->send_ctx, p->chat, note);
        free (note);
    }
}

void
chat_gw_tick (chat_gw_t *self)
{
    uint64_t now = s_ms ();
    s_expire_pending (self, now);
    for (int i = 0; i < WATCH_MAX; i++) {
        watch_t *w = &self->watches[i];
        if (!w->topic[0] || now < w->next_ms)
            continue;
        w->next_ms = now + (uint64_t) self->watch_every_ms;
        char text[512];
        bool going = s_watch_text (self, w->topic, text, sizeof text);
        if (strcmp (text, w->last) || !going) {
            snprintf (w->last, sizeof w->last, "%s", text);
            if (self->send && strcmp (w->chat, "console"))
                self->send (self->send_ctx, w->chat, text);
        }
        if (!going)
            w->topic[0] = 0;
    }
}
