/* test_bus - the broker and client library, end to end against a real labbus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <signal.h>
#include "tests/bus/bus_fixture.h"
#include "bus/bus_json.h"
#include "bus/bus_recorder.h"
#include <pthread.h>
#include <sys/stat.h>

typedef bus_fixture_t fixture_t;

/* The broker with its flight recorder under the fixture's directory. */
static void
s_start_broker (fixture_t *f)
{
    char rec[600];
    snprintf (rec, sizeof rec, "%s/rec/bus.rec", f->dir);
    const char *extra[] = { "--recorder", rec, NULL };
    bus_fixture_broker (f, extra);
}

static int
s_setup (void **state)
{
    fixture_t *f = (fixture_t *) calloc (1, sizeof (fixture_t));
    bus_fixture_dir (f, "bus");
    s_start_broker (f);
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    lab_test_stop (f->broker, SIGTERM, 2000);   /* a test may have killed it */
    bus_fixture_remove (f);
    free (f);
    return 0;
}

/* Receives until a message on TOPIC arrives or TIMEOUT_MS passes. */
static bus_msg_t *
s_recv_topic (bus_client_t *c, const char *topic, int timeout_ms)
{
    uint64_t deadline = bus_mono_ns () + (uint64_t) timeout_ms * 1000000ull;
    while (bus_mono_ns () < deadline) {
        bus_msg_t *m = bus_client_recv (c, 50);
        if (m && !strcmp (m->topic, topic))
            return m;
        bus_msg_destroy (&m);
    }
    return NULL;
}

static void
test_message_round_trips_through_broker (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    bus_client_t *sub = bus_client_new ("sub", &f->ep);
    bus_client_subscribe (sub, "tel.");
    zclock_sleep (100);   /* let the SUB subscription reach the broker */
    bus_client_t *pub = bus_client_new ("pub", &f->ep);
    assert_true (bus_client_connected (pub));
    assert_int_equal (bus_client_publish_text (pub, "tel.test.a", "hello"), 0);
    bus_msg_t *m = s_recv_topic (sub, "tel.test.a", 2000);
    assert_non_null (m);
    assert_string_equal (m->env->source, "pub");
    assert_int_equal (m->env->seq, 1);
    assert_int_equal (m->env->body_case, LAB__ENVELOPE__BODY_BLOB);
    assert_memory_equal (m->env->blob->data.data, "hello", 5);
    assert_true (m->env->ts_ns > 0);
    bus_msg_destroy (&m);
    bus_client_destroy (&pub);
    bus_client_destroy (&sub);
}

static void
test_first_messages_of_new_publisher_are_not_lost (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    bus_client_t *sub = bus_client_new ("sub", &f->ep);
    bus_client_subscribe (sub, "tel.first");
    zclock_sleep (100);
    /* Publish at once after connecting, 100 times: the slow-joiner case. */
    bus_client_t *pub = bus_client_new ("early", &f->ep);
    for (int i = 0; i < 100; i++)
        bus_client_publish_text (pub, "tel.first", "x");
    int got = 0;
    uint64_t deadline = bus_mono_ns () + 3000000000ull;
    while (got < 100 && bus_mono_ns () < deadline) {
        bus_client_tick (pub);
        bus_msg_t *m = bus_client_recv (sub, 20);
        if (m)
            got++;
        bus_msg_destroy (&m);
    }
    assert_int_equal (got, 100);
    bus_counters_t c;
    bus_client_counters (sub, &c);
    assert_int_equal (c.gaps, 0);
    bus_client_destroy (&pub);
    bus_client_destroy (&sub);
}

static void
test_late_joiner_gets_last_state_value (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    bus_client_t *pub = bus_client_new ("stater", &f->ep);
    bus_client_publish_text (pub, "state.thing.x", "first");
    bus_client_publish_text (pub, "state.thing.x", "second");
    bus_client_publish_text (pub, "state.thing.y", "why");
    zclock_sleep (200);   /* the broker has them before anyone subscribes */
    bus_client_t *late = bus_client_new ("late", &f->ep);
    bus_client_subscribe (late, "state.thing.x");
    bus_msg_t *m = s_recv_topic (late, "state.thing.x", 2000);
    assert_non_null (m);
    assert_memory_equal (m->env->blob->data.data, "second", 6);
    assert_int_equal (m->env->seq, 2);
    bus_msg_destroy (&m);
    /* Only the subscribed topic is replayed. */
    m = s_recv_topic (late, "state.thing.y", 300);
    assert_null (m);
    bus_client_destroy (&late);
    bus_client_destroy (&pub);
}

static void
test_state_replay_is_not_duplicated_for_existing_subscriber (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    bus_client_t *early = bus_client_new ("early", &f->ep);
    bus_client_subscribe (early, "state.dup");
    zclock_sleep (100);
    bus_client_t *pub = bus_client_new ("stater", &f->ep);
    bus_client_publish_text (pub, "state.dup.x", "v1");
    bus_msg_t *m = s_recv_topic (early, "state.dup.x", 2000);
    assert_non_null (m);
    bus_msg_destroy (&m);
    /* A new subscriber makes the broker replay; the early one drops the copy. */
    bus_client_t *late = bus_client_new ("late", &f->ep);
    bus_client_subscribe (late, "state.dup");
    m = s_recv_topic (late, "state.dup.x", 2000);
    assert_non_null (m);
    bus_msg_destroy (&m);
    m = s_recv_topic (early, "state.dup.x", 300);
    assert_null (m);
    bus_client_destroy (&late);
    bus_client_destroy (&pub);
    bus_client_destroy (&early);
}

static void
test_request_to_missing_service_fails_fast (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    bus_client_t *c = bus_client_new ("caller", &f->ep);
    Lab__CommandReply *reply = NULL;
    uint64_t t0 = bus_mono_ns ();
    int rc = bus_client_call (c, "no-such-service", "ping", 0, NULL, 5000, &reply);
    uint64_t ms = (bus_mono_ns () - t0) / 1000000ull;
    assert_int_equal (rc, BUS_ENOTRUNNING);
    assert_null (reply);
    assert_true (ms < 200);
    assert_non_null (strstr (bus_client_error (c), "not running"));
    bus_client_destroy (&c);
}

static void
s_echo (bus_request_t *rq, void *arg)
{
    (void) arg;
    const Lab__CommandRequest *cmd = bus_request_command (rq);
    if (cmd && !strcmp (cmd->command, "echo") && cmd->n_args == 1)
        bus_request_reply (rq, BUS_OK, "{\"ok\":true}", "%s", cmd->args[0]);
    else
        bus_request_reply (rq, BUS_EUSAGE, NULL, "usage: echo TEXT");
}

/* A service in its own thread, so the test thread can call it. */
typedef struct {
    const bus_endpoints_t *ep;
    volatile bool stop;
    volatile bool ready;
    bool defer;
} service_arg_t;

static bus_request_t *s_kept;

static void
s_defer (bus_request_t *rq, void *arg)
{
    (void) arg;
    s_kept = bus_request_keep (rq);
}

static void *
s_service_thread (void *argp)
{
    service_arg_t *a = (service_arg_t *) argp;
    bus_client_t *svc = bus_client_new ("svc-proc", a->ep);
    bus_client_serve (svc, "echo-svc", a->defer ? s_defer : s_echo, NULL);
    a->ready = true;
    while (!a->stop) {
        bus_msg_t *m = bus_client_recv (svc, 20);
        bus_msg_destroy (&m);
        if (s_kept) {   /* answer the deferred request a little later */
            zclock_sleep (50);
            bus_request_reply (s_kept, BUS_OK, NULL, "late answer");
            s_kept = NULL;
        }
    }
    bus_client_destroy (&svc);
    return NULL;
}

static bool
s_service_up (void *arg)
{
    bus_client_t *c = (bus_client_t *) arg;
    Lab__CommandReply *reply = NULL;
    int rc = bus_client_call (c, "echo-svc", "echo", 1, (const char *[]) { "x" }, 200, &reply);
    if (reply)
        lab__command_reply__free_unpacked (reply, NULL);
    return rc == BUS_OK;
}

static void
test_request_to_registered_service_gets_reply (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    service_arg_t a = { .ep = &f->ep };
    pthread_t t;
    pthread_create (&t, NULL, s_service_thread, &a);
    bus_client_t *c = bus_client_new ("caller", &f->ep);
    assert_true (lab_test_wait (s_service_up, c, 3000));
    Lab__CommandReply *reply = NULL;
    const char *args[] = { "hello there" };
    assert_int_equal (bus_client_call (c, "echo-svc", "echo", 1, args, 2000, &reply), BUS_OK);
    assert_int_equal (reply->status, BUS_OK);
    assert_string_equal (reply->message, "hello there");
    assert_string_equal (reply->json, "{\"ok\":true}");
    lab__command_reply__free_unpacked (reply, NULL);
    assert_int_equal (bus_client_call (c, "echo-svc", "bogus", 0, NULL, 2000, &reply), BUS_OK);
    assert_int_equal (reply->status, BUS_EUSAGE);
    lab__command_reply__free_unpacked (reply, NULL);
    /* The broker lists it. */
    assert_int_equal (bus_client_call (c, "labbus", "services", 0, NULL, 2000, &reply), BUS_OK);
    assert_non_null (strstr (reply->json, "echo-svc"));
    lab__command_reply__free_unpacked (reply, NULL);
    a.stop = true;
    pthread_join (t, NULL);
    /* Once the service is gone, calls fail at once. */
    uint64_t t0 = bus_mono_ns ();
    int rc = bus_client_call (c, "echo-svc", "echo", 1, args, 3000, &reply);
    assert_int_equal (rc, BUS_ENOTRUNNING);
    assert_true ((bus_mono_ns () - t0) / 1000000ull < 200);
    bus_client_destroy (&c);
}

static void
test_deferred_reply_arrives (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    service_arg_t a = { .ep = &f->ep, .defer = true };
    pthread_t t;
    pthread_create (&t, NULL, s_service_thread, &a);
    bus_client_t *c = bus_client_new ("caller", &f->ep);
    while (!a.ready)
        zclock_sleep (10);
    zclock_sleep (200);
    Lab__CommandReply *reply = NULL;
    assert_int_equal (bus_client_call (c, "echo-svc", "slow", 0, NULL, 3000, &reply), BUS_OK);
    assert_string_equal (reply->message, "late answer");
    lab__command_reply__free_unpacked (reply, NULL);
    a.stop = true;
    pthread_join (t, NULL);
    bus_client_destroy (&c);
}

static void
test_call_times_out_when_service_hangs (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    /* A raw DEALER registers a name and never answers. */
    zsock_t *hung = zsock_new (ZMQ_DEALER);
    assert_int_equal (zsock_connect (hung, "%s", f->ep.req), 0);
    zstr_sendm (hung, "REG");
    zstr_sendm (hung, "hung-proc");
    zstr_send (hung, "hung-svc");
    zclock_sleep (100);
    bus_client_t *c = bus_client_new ("caller", &f->ep);
    Lab__CommandReply *reply = NULL;
    assert_int_equal (bus_client_call (c, "hung-svc", "x", 0, NULL, 300, &reply), BUS_ETIMEOUT);
    assert_non_null (strstr (bus_client_error (c), "did not answer"));
    /* Without refreshing, the registration expires (3 s) and calls fail fast. */
    zclock_sleep (3300);
    assert_int_equal (bus_client_call (c, "hung-svc", "x", 0, NULL, 2000, &reply), BUS_ENOTRUNNING);
    bus_client_destroy (&c);
    zsock_destroy (&hung);
}

static void
test_seq_gaps_counted_when_subscriber_flooded (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    bus_client_t *sub = bus_client_new ("slow-sub", &f->ep);
    bus_client_subscribe (sub, "tel.flood");
    zclock_sleep (100);
    bus_client_t *pub = bus_client_new ("flooder", &f->ep);
    /* Far more than the subscriber's and broker's queues hold, unread. */
    const int total = 400000;
    for (int i = 0; i < total; i++) {
        bus_client_publish_text (pub, "tel.flood", "0123456789012345678901234567890123456789");
        if (i % 20000 == 0)
            zclock_sleep (5);
    }
    zclock_sleep (500);
    int got = 0;
    uint64_t last_seq = 0;
    bus_msg_t *m;
    while ((m = bus_client_recv (sub, 500))) {
        got++;
        last_seq = m->env->seq;
        bus_msg_destroy (&m);
    }
    /* The overflow dropped the newest messages; the gap shows as soon as the
     * next one arrives. */
    bus_client_publish_text (pub, "tel.flood", "tail");
    while ((m = bus_client_recv (sub, 1000))) {
        got++;
        last_seq = m->env->seq;
        bus_msg_destroy (&m);
    }
    bus_counters_t c;
    bus_client_counters (sub, &c);
    assert_int_equal (last_seq, total + 1);
    assert_true (got < total);
    assert_true (c.gaps > 0);
    /* Everything is accounted for: received + missing = every seq sent. */
    assert_int_equal ((uint64_t) got + c.gaps, last_seq);
    assert_int_equal (bus_client_gaps_from (sub, "flooder"), c.gaps);
    bus_client_destroy (&pub);
    bus_client_destroy (&sub);
}

/* A subscriber that stops reading while the broker keeps sending (a slow
 * `labctl sub`, a busy service) for longer than a ZMTP heartbeat timeout,
 * then reads again. libzmq 4.3.4 (Debian 12) aborts the process there when
 * ZMTP heartbeats are on for the SUB socket (libzmq issues #3937, #4767: the
 * engine cannot see PINGs while backpressure stops its input, times out,
 * reconnects, and a stale activation trips "Assertion failed:
 * _input_stopped"). The client must keep working, gaps counted. */
static void
test_stalled_subscriber_survives_past_heartbeat_timeout (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    bus_client_t *sub = bus_client_new ("stalled-sub", &f->ep);
    bus_client_subscribe (sub, "tel.stall");
    zclock_sleep (100);
    bus_client_t *pub = bus_client_new ("stall-pub", &f->ep);
    /* Enough to fill the subscriber's queue and the socket buffers, so the
     * receiving engine stops reading; then keep the stall past the 3 s
     * heartbeat timeout while more messages arrive. */
    for (int round = 0; round < 9; round++) {
        for (int i = 0; i < 20000; i++)
            bus_client_publish_text (pub, "tel.stall", "0123456789012345678901234567890123456789");
        zclock_sleep (500);
    }
    int got = 0;
    bus_msg_t *m;
    while ((m = bus_client_recv (sub, 1000))) {
        got++;
        bus_msg_destroy (&m);
    }
    assert_true (got > 0);
    /* Still subscribed and receiving afterwards. */
    bool tail = false;
    for (int i = 0; i < 50 && !tail; i++) {
        bus_client_publish_text (pub, "tel.stall", "tail");
        while ((m = bus_client_recv (sub, 100))) {
            Lab__Blob *b = bus_msg_body (m, LAB__ENVELOPE__BODY_BLOB);
            if (b && b->data.len == 4 && memcmp (b->data.data, "tail", 4) == 0)
                tail = true;
            bus_msg_destroy (&m);
        }
    }
    assert_true (tail);
    bus_client_destroy (&pub);
    bus_client_destroy (&sub);
}

static void
test_clients_recover_after_broker_restart (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    service_arg_t a = { .ep = &f->ep };
    pthread_t t;
    pthread_create (&t, NULL, s_service_thread, &a);
    bus_client_t *sub = bus_client_new ("sub", &f->ep);
    bus_client_subscribe (sub, "tel.r");
    bus_client_t *pub = bus_client_new ("pub", &f->ep);
    assert_true (lab_test_wait (s_service_up, sub, 3000));
    for (int i = 0; i < 10; i++)
        bus_client_publish_text (pub, "tel.r", "before");
    int before = 0;
    bus_msg_t *m;
    while (before < 10 && (m = bus_client_recv (sub, 1000))) {
        before++;
        bus_msg_destroy (&m);
    }
    assert_int_equal (before, 10);
    /* Kill the broker hard, keep publishing, start it again. */
    lab_test_stop (f->broker, SIGKILL, 1000);
    for (int i = 0; i < 10; i++) {
        bus_client_publish_text (pub, "tel.r", "during");
        zclock_sleep (10);
    }
    s_start_broker (f);
    /* The publisher sees the new broker; messages flow again. */
    int after = 0;
    uint64_t deadline = bus_mono_ns () + 5000000000ull;
    while (after < 5 && bus_mono_ns () < deadline) {
        bus_client_publish_text (pub, "tel.r", "after");
        m = bus_client_recv (sub, 100);
        if (m && !strcmp (m->topic, "tel.r"))
            after++;
        bus_msg_destroy (&m);
    }
    assert_true (after >= 5);
    /* And the service is reachable again (it re-registers by itself). */
    assert_true (lab_test_wait (s_service_up, sub, 5000));
    a.stop = true;
    pthread_join (t, NULL);
    bus_client_destroy (&pub);
    bus_client_destroy (&sub);
}

static bool
s_got_good (void *arg)
{
    bus_client_t *c = (bus_client_t *) arg;
    bus_msg_t *m = bus_client_recv (c, 10);
    bool ok = m && !strcmp (m->topic, "tel.good");
    bus_msg_destroy (&m);
    return ok;
}

static void
test_malformed_envelope_dropped_by_broker (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    bus_client_t *sub = bus_client_new ("sub", &f->ep);
    bus_client_subscribe (sub, "tel.");
    zclock_sleep (100);
    zsock_t *raw = zsock_new (ZMQ_PUB);
    assert_int_equal (zsock_connect (raw, "%s", f->ep.pub), 0);
    zclock_sleep (300);   /* a raw PUB has no slow-joiner protection */
    zstr_sendm (raw, "tel.bad");
    zstr_send (raw, "\xff\xff\xff not protobuf");
    zstr_send (raw, "tel.onlyoneframe");
    zsock_destroy (&raw);
    bus_client_t *pub = bus_client_new ("pub", &f->ep);
    bus_client_publish_text (pub, "tel.good", "fine");
    assert_true (lab_test_wait (s_got_good, sub, 2000));
    Lab__CommandReply *reply = NULL;
    assert_int_equal (bus_client_call (sub, "labbus", "status", 0, NULL, 2000, &reply), BUS_OK);
    assert_non_null (strstr (reply->json, "\"malformed\":2"));
    lab__command_reply__free_unpacked (reply, NULL);
    bus_client_destroy (&pub);
    bus_client_destroy (&sub);
}

static void
test_malformed_envelope_counted_by_client (void **state)
{
    (void) state;
    /* Point a client's SUB at a raw PUB we control, bypassing the broker. */
    bus_fixture_t fx;
    bus_fixture_dir (&fx, "raw");
    bus_client_t *c;
    zsock_t *raw = bus_fixture_raw_pub (&fx, &c);
    zstr_sendm (raw, "tel.x");
    zstr_send (raw, "\x0a\x04evil\xff\xff");   /* source 'evil', then garbage */
    zstr_send (raw, "only-topic");
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.source = (char *) "ok";
    env.seq = 1;
    uint8_t buf[64];
    size_t n = lab__envelope__pack (&env, buf);
    zstr_sendm (raw, "tel.y");
    zframe_t *fr = zframe_new (buf, n);
    zframe_send (&fr, raw, 0);
    bus_msg_t *m = bus_client_recv (c, 1000);
    assert_non_null (m);
    assert_string_equal (m->topic, "tel.y");
    bus_msg_destroy (&m);
    bus_counters_t cnt;
    bus_client_counters (c, &cnt);
    assert_int_equal (cnt.malformed, 2);
    bus_client_destroy (&c);
    zsock_destroy (&raw);
    bus_fixture_stop (&fx);
}

static bool
s_has_records (void *arg)
{
    fixture_t *f = (fixture_t *) arg;
    char path[600];
    snprintf (path, sizeof path, "%s/rec/bus.rec", f->dir);
    struct stat st;
    return stat (path, &st) == 0 && st.st_size > 200;
}

static int
s_find_text (uint64_t ts, const char *topic, const uint8_t *body, size_t len, void *arg)
{
    (void) ts;
    int *found = (int *) arg;
    if (!strcmp (topic, "tel.rec")) {
        Lab__Envelope *env = lab__envelope__unpack (NULL, len, body);
        if (env && env->body_case == LAB__ENVELOPE__BODY_BLOB && env->blob->data.len == 8
            && !memcmp (env->blob->data.data, "recorded", 8))
            (*found)++;
        if (env)
            lab__envelope__free_unpacked (env, NULL);
    }
    return 0;
}

static void
test_flight_recorder_keeps_messages (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    bus_client_t *pub = bus_client_new ("pub", &f->ep);
    bus_client_publish_text (pub, "tel.rec", "recorded");
    assert_true (lab_test_wait (s_has_records, f, 3000));
    zclock_sleep (400);   /* the broker flushes every 200 ms */
    char path[600];
    snprintf (path, sizeof path, "%s/rec/bus.rec", f->dir);
    int found = 0;
    assert_true (bus_recorder_read (path, 4, s_find_text, &found, NULL) > 0);
    assert_int_equal (found, 1);
    bus_client_destroy (&pub);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logsystem (false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_message_round_trips_through_broker, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_first_messages_of_new_publisher_are_not_lost, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_late_joiner_gets_last_state_value, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_state_replay_is_not_duplicated_for_existing_subscriber, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_request_to_missing_service_fails_fast, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_request_to_registered_service_gets_reply, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_deferred_reply_arrives, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_call_times_out_when_service_hangs, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_seq_gaps_counted_when_subscriber_flooded, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_stalled_subscriber_survives_past_heartbeat_timeout, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_clients_recover_after_broker_restart, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_malformed_envelope_dropped_by_broker, s_setup, s_teardown),
        cmocka_unit_test (test_malformed_envelope_counted_by_client),
        cmocka_unit_test_setup_teardown (test_flight_recorder_keeps_messages, s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name ("bus", tests, NULL, NULL);
}
