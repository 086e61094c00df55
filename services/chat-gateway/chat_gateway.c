/* chat_gateway - see chat_gateway.h. */
#include "services/chat-gateway/chat_gateway.h"
#include "services/chat-gateway/chat_cmd.h"
#include "bus/bus_json.h"
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
    char refusal[256];
    int confirm_ms;
    int alert_max, alert_window_ms, dedupe_ms;
    uint64_t alert_window_start;
    int alert_sent;
    zhashx_t *seen_alerts;           /* kind/subject -> last ms (as a string) */
    zhashx_t *state;                 /* topic -> Lab__Envelope* */
    pending_t pending[PENDING_MAX];
    watch_t watches[WATCH_MAX];
    int watch_every_ms;
    FILE *audit;
    chat_send_fn *send;
    void *send_ctx;
};

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
    char stamp[32];
    strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
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
    snprintf (self->refusal, sizeof self->refusal, "%s", lab_config_get (cfg, "chat/refusal", ""));
    long v;
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
        case CHAT_EVAL_DECIDE: return s_call (self, "eval-runner", "decide", 1, a, 10000);
        case CHAT_RESTART: return s_call (self, "labd", "restart", 1, a, 5000);
        case CHAT_STOP: return s_call (self, "labd", "stop", 1, a, 5000);
        case CHAT_FLASH: return s_call (self, "serial-bridge", "flash", 2, a, 120000);
        case CHAT_WATCH: {
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

char *
chat_gw_handle (chat_gw_t *self, const char *transport, const char *sender, const char *chat, const char *text)
{
    /* Who, before what: an unknown sender's text is not even parsed. */
    bool console = !strcmp (transport, "console");
    if (!console && !s_in (sender, self->allowed, self->nallowed)) {
        s_audit (self, transport, sender, "refused", "-", "sender not on the allow-list");
        return self->refusal[0] ? strdup (self->refusal) : NULL;
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
                p->expires_ms = 0;
            return strdup ("nothing to confirm (or it expired)");
        }
        chat_cmd_t todo = p->cmd;
        p->expires_ms = 0;
        if (c.kind == CHAT_NO) {
            s_audit (self, transport, sender, "refused", chat_cmd_name (todo.kind), "cancelled");
            return strdup ("cancelled");
        }
        char *out = s_run (self, &todo, chat);
        s_audit (self, transport, sender, "accepted", chat_cmd_name (todo.kind), "confirmed and run");
        return out;
    }
    if (chat_cmd_is_admin (c.kind)) {
        if (!admin) {
            s_audit (self, transport, sender, "refused", chat_cmd_name (c.kind), "not an admin");
            return strdup ("that command is for admins only");
        }
        if (!p)
            for (int i = 0; i < PENDING_MAX && !p; i++)
                if (!self->pending[i].expires_ms || s_ms () > self->pending[i].expires_ms)
                    p = &self->pending[i];
        if (!p)
            return strdup ("too many commands waiting for confirmation");
        snprintf (p->chat, sizeof p->chat, "%s", chat);
        p->cmd = c;
        p->expires_ms = s_ms () + (uint64_t) self->confirm_ms;
        s_audit (self, transport, sender, "pending", chat_cmd_name (c.kind), "asked to confirm");
        return s_fmt ("Confirm %s%s%s%s%s? Reply /yes within %d s (or /no).", text[0] == '/' ? "" : "/",
                      chat_cmd_name (c.kind), c.argc ? " " : "", c.argv[0], c.argc > 1 ? " ..." : "",
                      self->confirm_ms / 1000);
    }
    char *out = s_run (self, &c, chat);
    s_audit (self, transport, sender, "accepted", chat_cmd_name (c.kind), "ok");
    return out;
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
    if (!strncmp (msg->topic, "evt.alert.", 10) && msg->env->body_case == LAB__ENVELOPE__BODY_ALERT)
        s_on_alert (self, msg->topic, msg->env->alert);
    else if (!strncmp (msg->topic, "state.", 6)) {
        zhashx_update (self->state, msg->topic, msg->env);
        msg->env = NULL;
    }
}

void
chat_gw_tick (chat_gw_t *self)
{
    uint64_t now = s_ms ();
    for (int i = 0; i < WATCH_MAX; i++) {
        watch_t *w = &self->watches[i];
        if (!w->topic[0] || now < w->next_ms)
            continue;
        w->next_ms = now + (uint64_t) self->watch_every_ms;
        char key[200];
        Lab__Envelope *e = NULL;
        const char *kinds[] = { "state.ota.", "state.eval." };
        for (int k = 0; k < 2 && !e; k++) {
            snprintf (key, sizeof key, "%s%s", kinds[k], w->topic);
            e = (Lab__Envelope *) zhashx_lookup (self->state, key);
        }
        char text[512];
        bool over = false;
        if (!e)
            snprintf (text, sizeof text, "%s: no such job (yet)", w->topic);
        else if (e->body_case == LAB__ENVELOPE__BODY_OTA) {
            snprintf (text, sizeof text, "OTA %s: %s %.0f%% %.1f KB/s eta %.0f s%s%s", e->ota->job, e->ota->state,
                      e->ota->percent, e->ota->rate_bps / 1024, e->ota->eta_s, e->ota->error[0] ? " — " : "",
                      e->ota->error);
            over = !strcmp (e->ota->state, "done") || !strcmp (e->ota->state, "failed");
        }
        else {
            snprintf (text, sizeof text, "eval %s: %s %u/%u rows, %u errors, eta %.0f s", e->eval_sweep->sweep,
                      e->eval_sweep->state, e->eval_sweep->done, e->eval_sweep->total, e->eval_sweep->errors,
                      e->eval_sweep->eta_s);
            over = !strcmp (e->eval_sweep->state, "done") || !strcmp (e->eval_sweep->state, "failed");
        }
        if (strcmp (text, w->last) || over) {
            snprintf (w->last, sizeof w->last, "%s", text);
            if (self->send && strcmp (w->chat, "console"))
                self->send (self->send_ctx, w->chat, text);
        }
        if (over || !e)
            w->topic[0] = 0;
    }
}

int
chat_split (const char *text, size_t max, char **out, int max_pieces)
{
    int n = 0;
    size_t len = strlen (text);
    const char *p = text;
    while (len && n < max_pieces) {
        size_t take = len <= max ? len : max;
        if (take < len) {
            /* Back up to a line end, unless that leaves too little. */
            size_t cut = take;
            while (cut > max / 2 && p[cut - 1] != '\n')
                cut--;
            if (cut > max / 2)
                take = cut;
        }
        out[n++] = strndup (p, take);
        p += take;
        len -= take;
    }
    return n;
}
