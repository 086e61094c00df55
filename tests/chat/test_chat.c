/* test_chat - chat-gateway against a fake Telegram Bot API (libmicrohttpd in
 * this process) and a real broker: allow-list, audit, confirmations, 429,
 * alert storms, malformed updates, offset across a restart; and the strict
 * command parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "services/chat-gateway/chat_cmd.h"
#include "services/chat-gateway/chat_gateway.h"
#include "tests/lab_test.h"
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- the fake Bot API ------------------------------------------------------ */
typedef struct {
    pthread_mutex_t lock;
    json_t *updates;          /* queued update objects */
    json_t *sent;             /* {"chat_id", "text", "t_ms"} */
    int fail_next_429;
    int next_id;
} fake_t;

static fake_t F;

static uint64_t s_ms (void) { return bus_mono_ns () / 1000000ull; }

typedef struct { char *body; size_t len; } post_t;

static enum MHD_Result
s_answer (void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
          const char *data, size_t *size, void **con_cls)
{
    (void) cls; (void) version;
    if (!strcmp (method, "POST")) {
        post_t *p = (post_t *) *con_cls;
        if (!p) {
            *con_cls = calloc (1, sizeof (post_t));
            return MHD_YES;
        }
        if (*size) {
            p->body = realloc (p->body, p->len + *size + 1);
            memcpy (p->body + p->len, data, *size);
            p->len += *size;
            p->body[p->len] = 0;
            *size = 0;
            return MHD_YES;
        }
    }
    char *reply = NULL;
    unsigned code = 200;
    pthread_mutex_lock (&F.lock);
    if (strstr (url, "/bottesttoken/getUpdates")) {
        const char *off = MHD_lookup_connection_value (c, MHD_GET_ARGUMENT_KIND, "offset");
        long long offset = off ? atoll (off) : 0;
        json_t *res = json_array ();
        size_t i;
        json_t *u;
        json_array_foreach (F.updates, i, u)
            if (json_integer_value (json_object_get (u, "update_id")) >= offset)
                json_array_append (res, u);
        json_t *r = json_pack ("{s:b, s:o}", "ok", 1, "result", res);
        reply = json_dumps (r, JSON_COMPACT);
        json_decref (r);
    }
    else if (strstr (url, "/bottesttoken/sendMessage")) {
        post_t *p = (post_t *) *con_cls;
        if (F.fail_next_429) {
            F.fail_next_429 = 0;
            code = 429;
            reply = strdup ("{\"ok\":false,\"error_code\":429,\"parameters\":{\"retry_after\":1}}");
        }
        else {
            json_t *m = p && p->body ? json_loads (p->body, 0, NULL) : NULL;
            if (m) {
                json_object_set_new (m, "t_ms", json_integer ((json_int_t) s_ms ()));
                json_array_append_new (F.sent, m);
            }
            reply = strdup ("{\"ok\":true,\"result\":{}}");
        }
    }
    else {
        code = 404;
        reply = strdup ("{\"ok\":false}");
    }
    pthread_mutex_unlock (&F.lock);
    if (!strstr (url, "getUpdates") || code != 200 || strlen (reply) > 30)
        ;
    else
        usleep (200000);      /* a short "long poll" */
    struct MHD_Response *r = MHD_create_response_from_buffer (strlen (reply), reply, MHD_RESPMEM_MUST_FREE);
    enum MHD_Result rc = MHD_queue_response (c, code, r);
    MHD_destroy_response (r);
    return rc;
}

static void
s_done (void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void) cls; (void) c; (void) t;
    post_t *p = (post_t *) *con_cls;
    if (p) {
        free (p->body);
        free (p);
    }
    *con_cls = NULL;
}

static void
s_update (long long from, const char *text)
{
    pthread_mutex_lock (&F.lock);
    int id = ++F.next_id;
    json_array_append_new (F.updates, json_pack ("{s:i, s:{s:i, s:I, s:{s:I}, s:{s:I}, s:s}}", "update_id", id,
                                                 "message", "message_id", id, "date", (json_int_t) time (NULL),
                                                 "from", "id", (json_int_t) from, "chat", "id",
                                                 (json_int_t) from, "text", text));
    pthread_mutex_unlock (&F.lock);
}

static void
s_raw_update (json_t *u)
{
    pthread_mutex_lock (&F.lock);
    json_object_set_new (u, "update_id", json_integer (++F.next_id));
    json_array_append_new (F.updates, u);
    pthread_mutex_unlock (&F.lock);
}

/* Messages sent to CHAT containing NEEDLE so far. */
static int
s_count (const char *chat, const char *needle)
{
    int n = 0;
    pthread_mutex_lock (&F.lock);
    size_t i;
    json_t *m;
    json_array_foreach (F.sent, i, m) {
        const char *c = json_string_value (json_object_get (m, "chat_id"));
        const char *t = json_string_value (json_object_get (m, "text"));
        if (c && t && !strcmp (c, chat) && strstr (t, needle))
            n++;
    }
    pthread_mutex_unlock (&F.lock);
    return n;
}

/* --- fixture: broker, fake API, a fake labd counting restarts, the gateway */
typedef struct {
    char *dir;
    pid_t broker, gw;
    struct MHD_Daemon *http;
    int port;
    char cfg[600];
    bus_client_t *bus;
    volatile int restarts;
} fx_t;

static fx_t *FX;

static void
s_fake_labd (bus_request_t *rq, void *arg)
{
    fx_t *f = (fx_t *) arg;
    const Lab__CommandRequest *c = bus_request_command (rq);
    if (c && !strcmp (c->command, "restart"))
        f->restarts++;
    bus_request_reply (rq, BUS_OK, NULL, "1/1 services up");
}

static void
s_start_gw (fx_t *f)
{
    char log[700];
    snprintf (log, sizeof log, "%s/gw.log", f->dir);
    const char *argv[] = { "chat-gateway", "-c", f->cfg, NULL };
    f->gw = lab_test_spawn ("chat-gateway", argv, log);
    assert_true (f->gw > 0);
}

static int
s_setup (void **state)
{
    fx_t *f = (fx_t *) calloc (1, sizeof (fx_t));
    pthread_mutex_init (&F.lock, NULL);
    F.updates = json_array ();
    F.sent = json_array ();
    F.next_id = 100;
    f->dir = lab_test_tmpdir ("chat");
    f->broker = lab_test_start_broker (f->dir, NULL);
    f->http = MHD_start_daemon (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
                                s_answer, NULL, MHD_OPTION_NOTIFY_COMPLETED, s_done, NULL,
                                MHD_OPTION_SOCK_ADDR, NULL, MHD_OPTION_END);
    assert_non_null (f->http);
    f->port = MHD_get_daemon_info (f->http, MHD_DAEMON_INFO_BIND_PORT)->port;
    snprintf (f->cfg, sizeof f->cfg, "%s/lab.cfg", f->dir);
    FILE *c = fopen (f->cfg, "w");
    fprintf (c, "lab\n    state = \"%s/state\"\n    logs = \"%s\"\nchat\n    allow = \"42 7\"\n    admins = \"42\"\n"
                "    notify = \"42\"\n    alert_max = 3\n    alert_window = \"10m\"\n    confirm_timeout = \"5s\"\n"
                "    telegram\n        base_url = \"http://127.0.0.1:%d\"\n        poll_timeout = 1\n",
             f->dir, f->dir, f->port);
    fclose (c);
    setenv ("LAB_BUS_DIR", f->dir, 1);
    setenv ("TELEGRAM_BOT_TOKEN", "testtoken", 1);
    bus_endpoints_t ep;
    bus_endpoints_in_dir (&ep, f->dir);
    f->bus = bus_client_new ("test", &ep);
    bus_client_serve (f->bus, "labd", s_fake_labd, f);
    s_start_gw (f);
    FX = f;
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fx_t *f = (fx_t *) *state;
    lab_test_stop (f->gw, SIGTERM, 5000);
    bus_client_destroy (&f->bus);
    MHD_stop_daemon (f->http);
    lab_test_stop (f->broker, SIGTERM, 3000);
    lab_test_rmdir (f->dir);
    free (f->dir);
    free (f);
    json_decref (F.updates);
    json_decref (F.sent);
    return 0;
}

/* Keeps the fake labd answering while the test waits. */
static void
s_pump (int ms)
{
    uint64_t end = s_ms () + (uint64_t) ms;
    while (s_ms () < end) {
        bus_msg_t *m = bus_client_recv (FX->bus, 20);
        bus_msg_destroy (&m);
    }
}

static bool
s_wait_pumped (const char *chat, const char *needle, int want, int timeout_ms)
{
    uint64_t end = s_ms () + (uint64_t) timeout_ms;
    while (s_ms () < end) {
        if (s_count (chat, needle) >= want)
            return true;
        s_pump (50);
    }
    return false;
}

static void
test_gateway_over_a_fake_bot_api (void **state)
{
    fx_t *f = (fx_t *) *state;
    /* Allowed sender: answered. */
    s_update (42, "/help");
    assert_true (s_wait_pumped ("42", "Lab commands", 1, 10000));
    /* Unknown sender: nothing back, and an audit line. */
    s_update (99, "/status");
    s_pump (1500);
    assert_int_equal (s_count ("99", ""), 0);
    char path[700], line[512];
    snprintf (path, sizeof path, "%s/chat-audit.log", f->dir);
    FILE *a = fopen (path, "r");
    assert_non_null (a);
    bool audited = false;
    while (fgets (line, sizeof line, a))
        audited |= strstr (line, "sender=99 refused") != NULL;
    fclose (a);
    assert_true (audited);
    /* An admin command is only asked about; nothing runs without /yes. */
    s_update (42, "/restart web");
    assert_true (s_wait_pumped ("42", "Confirm", 1, 5000));
    s_pump (500);
    assert_int_equal (f->restarts, 0);
    s_update (42, "/yes");
    assert_true (s_wait_pumped ("42", "services up", 1, 5000));
    assert_int_equal (f->restarts, 1);
    /* A non-admin on the allow-list cannot. */
    s_update (7, "/restart web");
    assert_true (s_wait_pumped ("7", "admins only", 1, 5000));
    /* Malformed updates (missing sender, huge text) are skipped; the next works. */
    s_raw_update (json_pack ("{s:{s:s}}", "message", "text", "/help"));
    char *huge = (char *) malloc (6000);
    memset (huge, 'x', 5999);
    huge[5999] = 0;
    s_raw_update (json_pack ("{s:{s:I, s:{s:i}, s:{s:i}, s:s}}", "message", "date", (json_int_t) time (NULL),
                             "from", "id", 42, "chat", "id", 42, "text", huge));
    free (huge);
    s_update (42, "/frobnicate");
    assert_true (s_wait_pumped ("42", "unknown command", 1, 5000));
    /* 429: the gateway waits as long as it was told, then sends. */
    F.fail_next_429 = 1;
    uint64_t t0 = s_ms ();
    s_update (42, "/help");
    assert_true (s_wait_pumped ("42", "Lab commands", 2, 10000));
    assert_true (s_ms () - t0 >= 1000);
    /* An alert storm: at most alert_max messages. */
    for (int i = 0; i < 20; i++) {
        char topic[64];
        snprintf (topic, sizeof topic, "evt.alert.service_failed.svc%d", i);
        Lab__Alert al = LAB__ALERT__INIT;
        al.severity = "error";
        al.kind = "service_failed";
        al.subject = "svc";
        al.text = "svc FAILED";
        Lab__Envelope env = LAB__ENVELOPE__INIT;
        env.body_case = LAB__ENVELOPE__BODY_ALERT;
        env.alert = &al;
        bus_client_publish (f->bus, topic, &env);
    }
    s_pump (2000);
    int alerts = s_count ("42", "svc FAILED");
    assert_true (alerts >= 1 && alerts <= 3);
    /* Restart: handled updates are not answered again, a new one is. */
    int helps = s_count ("42", "Lab commands");
    lab_test_stop (f->gw, SIGTERM, 5000);
    s_update (42, "/help");
    s_start_gw (f);
    assert_true (s_wait_pumped ("42", "Lab commands", helps + 1, 10000));
    s_pump (2000);
    assert_int_equal (s_count ("42", "Lab commands"), helps + 1);
    assert_int_equal (f->restarts, 1);
}

static void
test_parser_is_strict (void **state)
{
    (void) state;
    chat_cmd_t c;
    assert_int_equal (chat_cmd_parse ("/tail board-a 20", &c), 0);
    assert_int_equal (c.kind, CHAT_TAIL);
    assert_string_equal (c.argv[1], "20");
    assert_int_equal (chat_cmd_parse ("/status@labbot", &c), 0);
    assert_int_equal (chat_cmd_parse ("/ota push img.bin board-b", &c), 0);
    assert_int_equal (c.kind, CHAT_OTA_PUSH);
    assert_true (chat_cmd_is_admin (c.kind));
    assert_int_equal (chat_cmd_parse ("/tail board-a;reboot", &c), -1);
    assert_int_equal (chat_cmd_parse ("/flash board-a ../../etc/passwd", &c), -1);
    assert_int_equal (chat_cmd_parse ("/restart", &c), -1);
    assert_non_null (strstr (c.error, "usage"));
    assert_int_equal (chat_cmd_parse ("/ota frobnicate", &c), -1);
    assert_int_equal (chat_cmd_parse ("how is the test going?", &c), -1);
    assert_int_equal (c.kind, CHAT_UNKNOWN);
    assert_int_equal (chat_cmd_parse ("/tail -rf x", &c), -1);
}

static void
test_long_replies_are_split (void **state)
{
    (void) state;
    char *text = (char *) malloc (10001);
    for (int i = 0; i < 10000; i++)
        text[i] = i % 100 == 99 ? '\n' : 'a';
    text[10000] = 0;
    char *pieces[16];
    int n = chat_split (text, 4096, pieces, 16);
    assert_int_equal (n, 3);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        assert_true (strlen (pieces[i]) <= 4096);
        total += strlen (pieces[i]);
        free (pieces[i]);
    }
    assert_int_equal (total, 10000);
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_parser_is_strict),
        cmocka_unit_test (test_long_replies_are_split),
        cmocka_unit_test_setup_teardown (test_gateway_over_a_fake_bot_api, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
