/* chat_fixture - see chat_fixture.h. */
#include "tests/chat/chat_fixture.h"
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
s_fake_labd (bus_request_t *rq, void *arg)
{
    fx_t *f = (fx_t *) arg;
    const Lab__CommandRequest *c = bus_request_command (rq);
    if (c && !strcmp (c->command, "restart"))
        f->restarts++;
    bus_request_reply (rq, BUS_OK, NULL, "1/1 services up");
}

/* tail bN: answered "tail of bN" and counted; one board can be held. */
static void
s_fake_bridge (bus_request_t *rq, void *arg)
{
    fx_t *f = (fx_t *) arg;
    const Lab__CommandRequest *c = bus_request_command (rq);
    if (!c || strcmp (c->command, "tail") || c->n_args < 1 || c->args[0][0] != 'b') {
        bus_request_reply (rq, BUS_EUSAGE, NULL, "tail BOARD");
        return;
    }
    int n = atoi (c->args[0] + 1);
    if (n > 0 && n == f->hold_tail && !f->held) {
        f->held = bus_request_keep (rq);
        f->tails_held++;
        return;
    }
    if (n > 0 && n < FX_BOARDS)
        f->tails[n]++;
    bus_request_reply (rq, BUS_OK, NULL, "tail of %s", c->args[0]);
}

static void
s_fake_eval (bus_request_t *rq, void *arg)
{
    fx_t *f = (fx_t *) arg;
    const Lab__CommandRequest *c = bus_request_command (rq);
    if (c && !strcmp (c->command, "decide")) {
        f->decides++;
        f->decide_args[0] = 0;
        for (size_t i = 0; i < c->n_args; i++)
            snprintf (f->decide_args + strlen (f->decide_args), sizeof f->decide_args - strlen (f->decide_args),
                      "%s%s", i ? " " : "", c->args[i]);
        bus_request_reply (rq, BUS_OK, NULL, "overall: keep (fake eval-runner)");
        return;
    }
    bus_request_reply (rq, BUS_EUSAGE, NULL, "unknown command");
}

static const char *s_labd_services
    = "services\n    labbus\n        command = \"labbus -c ${config}\"\n        backoff_min = \"20ms\"\n"
      "    chat-gateway\n        command = \"chat-gateway -c ${config}\"\n        after = \"labbus\"\n"
      "        heartbeat = \"1s\"\n        misses = 3\n";

static fx_t *
s_new (const char *extra, bool labd)
{
    fx_t *f = (fx_t *) calloc (1, sizeof (fx_t));
    f->labd = labd;
    f->dir = lab_test_tmpdir ("chat");
    f->api = fake_api_new ("testtoken");
    if (!labd && f->dir)
        f->broker = lab_test_start_broker (f->dir, NULL);
    if (!f->dir || (!labd && f->broker <= 0) || !f->api) {
        fx_destroy (&f);
        return NULL;
    }
    snprintf (f->cfg, sizeof f->cfg, "%s/lab.cfg", f->dir);
    FILE *c = fopen (f->cfg, "w");
    fprintf (c,
             "lab\n    state = \"%s/state\"\n    logs = \"%s\"\nchat\n    allow = \"42 7\"\n    admins = \"42\"\n"
             "    notify = \"42\"\n    alert_max = 3\n    alert_window = \"10m\"\n    confirm_timeout = \"5s\"\n"
             "    telegram\n        base_url = \"http://127.0.0.1:%d\"\n        poll_timeout = 1\n"
             "        send_timeout = \"2s\"\n%s%s",
             f->dir, f->dir, fake_api_port (f->api), extra ? extra : "", labd ? s_labd_services : "");
    fclose (c);
    setenv ("LAB_BUS_DIR", f->dir, 1);
    setenv ("LAB_RUNTIME_DIR", f->dir, 1);
    setenv ("TELEGRAM_BOT_TOKEN", "testtoken", 1);
    if (labd) {
        char log[700];
        snprintf (log, sizeof log, "%s/labd.out", f->dir);
        const char *argv[] = { "labd", "-c", f->cfg, NULL };
        f->broker = lab_test_spawn ("labd", argv, log);
    }
    bus_endpoints_t ep;
    bus_endpoints_in_dir (&ep, f->dir);
    f->bus = bus_client_new ("test", &ep);
    bus_client_subscribe (f->bus, "state.service.chat-gateway");
    bus_client_serve (f->bus, "labd", s_fake_labd, f);
    bus_client_serve (f->bus, "serial-bridge", s_fake_bridge, f);
    bus_client_serve (f->bus, "eval-runner", s_fake_eval, f);
    return f;
}

fx_t *
fx_new (const char *extra)
{
    return s_new (extra, false);
}

fx_t *
fx_new_under_labd (void)
{
    fx_t *f = s_new ("", true);
    if (f && f->broker <= 0)
        fx_destroy (&f);
    return f;
}

void
fx_start_gw (fx_t *f)
{
    char log[700];
    snprintf (log, sizeof log, "%s/gw.log", f->dir);
    const char *argv[] = { "chat-gateway", "-c", f->cfg, NULL };
    f->gw = lab_test_spawn ("chat-gateway", argv, log);
}

void
fx_kill_gw (fx_t *f, int sig)
{
    lab_test_stop (f->gw, sig, 5000);
    f->gw = 0;
}

int
fx_teardown (void **state)
{
    fx_t *f = (fx_t *) *state;
    fx_destroy (&f);
    return 0;
}

void
fx_destroy (fx_t **self_p)
{
    fx_t *f = *self_p;
    if (!f)
        return;
    if (f->gw > 0)
        lab_test_stop (f->gw, SIGTERM, 5000);
    bus_request_destroy (&f->held);
    bus_client_destroy (&f->bus);
    fake_api_destroy (&f->api);
    if (f->broker > 0)
        lab_test_stop (f->broker, SIGTERM, f->labd ? 10000 : 3000);
    if (f->dir)
        lab_test_rmdir (f->dir);
    free (f->dir);
    free (f);
    *self_p = NULL;
}

void
fx_pump (fx_t *f, int ms)
{
    uint64_t end = fake_api_ms () + (uint64_t) ms;
    while (fake_api_ms () < end) {
        bus_msg_t *m = bus_client_recv (f->bus, 20);
        if (m && m->env && m->env->body_case == LAB__ENVELOPE__BODY_SERVICE
            && !strcmp (m->topic, "state.service.chat-gateway")) {
            const Lab__ServiceState *s = m->env->service;
            f->gw_restarts = (int) s->restarts;
            snprintf (f->gw_state, sizeof f->gw_state, "%s", s->state);
            bool known = s->pid <= 0;
            for (int i = 0; i < f->ngw_pids && !known; i++)
                known = f->gw_pids[i] == s->pid;
            if (!known && f->ngw_pids < 8)
                f->gw_pids[f->ngw_pids++] = s->pid;
        }
        bus_msg_destroy (&m);
    }
}

bool
fx_wait_sent (fx_t *f, const char *chat, const char *needle, int want, int timeout_ms)
{
    uint64_t end = fake_api_ms () + (uint64_t) timeout_ms;
    while (fake_api_ms () < end) {
        if (fake_api_sent (f->api, chat, needle) >= want)
            return true;
        fx_pump (f, 30);
    }
    return fake_api_sent (f->api, chat, needle) >= want;
}

int
fx_audit (fx_t *f, const char *needle, const char *needle2)
{
    char path[700], line[2048];
    snprintf (path, sizeof path, "%s/chat-audit.log", f->dir);
    FILE *a = fopen (path, "r");
    if (!a)
        return 0;
    int n = 0;
    while (fgets (line, sizeof line, a))
        n += strstr (line, needle) && (!needle2 || strstr (line, needle2));
    fclose (a);
    return n;
}

long
fx_counter (fx_t *f, const char *name)
{
    Lab__CommandReply *reply = NULL;
    if (bus_client_call (f->bus, "chat-gateway", "counters", 0, NULL, 5000, &reply) != BUS_OK)
        return -1;
    json_t *j = reply->json && *reply->json ? json_loads (reply->json, 0, NULL) : NULL;
    json_t *v = json_object_get (j, name);
    long out = json_is_integer (v) ? (long) json_integer_value (v) : -1;
    json_decref (j);
    lab__command_reply__free_unpacked (reply, NULL);
    return out;
}
