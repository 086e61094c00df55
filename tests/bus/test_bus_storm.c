/* test_bus_storm - one peer's storm costs that peer, not the others: 1000
 * subscriptions and 1000 snapshot requests from one peer leave another
 * subscriber's telemetry flowing without gaps; the state cache is bounded
 * and evicts; state is replayed only to the subscriber that asked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <signal.h>
#include "tests/bus/bus_fixture.h"
#include "bus/bus_cache.h"

static int
s_count (const char *topic, size_t tlen, const void *body, size_t blen, void *arg)
{
    (void) topic; (void) tlen; (void) body; (void) blen;
    (*(int *) arg)++;
    return 0;
}

static void
test_cache_bounded_evicts_oldest (void **state)
{
    (void) state;
    bus_cache_t *c = bus_cache_new (3, 1000);
    bus_cache_put (c, "state.a", 7, "1", 1);
    bus_cache_put (c, "state.b", 7, "1", 1);
    bus_cache_put (c, "state.c", 7, "1", 1);
    bus_cache_put (c, "state.a", 7, "2", 1);       /* a is now the newest */
    bus_cache_put (c, "state.d", 7, "1", 1);       /* evicts b, updated longest ago */
    bus_cache_stats_t st;
    bus_cache_stats (c, &st);
    assert_int_equal (st.entries, 3);
    assert_int_equal (st.evicted, 1);
    int n = 0;
    assert_int_equal (bus_cache_each (c, "state.b", 7, s_count, &n), 0);
    assert_int_equal (bus_cache_each (c, "state.", 6, s_count, &n), 3);
    /* Bytes bound: a big value pushes out as many as needed; too big is refused. */
    char big[600];
    memset (big, 'x', sizeof big);
    bus_cache_put (c, "state.big", 9, big, sizeof big);
    bus_cache_put (c, "state.big2", 10, big, sizeof big);
    bus_cache_stats (c, &st);
    assert_true (st.bytes <= 1000);
    assert_int_equal (st.entries, 1);
    bus_cache_put (c, "state.huge", 10, big, 995);
    bus_cache_stats (c, &st);
    assert_int_equal (st.too_big, 1);
    bus_cache_destroy (&c);
}

static void
test_subscription_storm_leaves_others_telemetry_flowing (void **state)
{
    (void) state;
    bus_fixture_t fx;
    bus_fixture_start (&fx, "storm");
    bus_client_t *pub = bus_client_new ("serial-bridge", &fx.ep);
    /* Some state to replay. */
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    Lab__BoardState bs = LAB__BOARD_STATE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_BOARD;
    env.board = &bs;
    char topic[64];
    for (int i = 0; i < 200; i++) {
        snprintf (topic, sizeof topic, "state.board.b%03d", i);
        bs.board = topic + 12;
        bus_client_publish (pub, topic, &env);
    }
    /* All 200 cached before the innocent subscriber asks for its snapshot:
     * the publishes and the snapshot request travel on different sockets,
     * and a slow broker (ASan) may take the request first. */
    bus_client_t *innocent = bus_client_new ("innocent", &fx.ep);
    for (int i = 0; i < 200; i++) {
        json_t *st = bus_fixture_status (innocent);
        json_int_t cached = json_integer_value (json_object_get (json_object_get (st, "cache"), "entries"));
        json_decref (st);
        if (cached >= 200)
            break;
        zclock_sleep (50);
    }
    bus_client_subscribe (innocent, "tel.serial.");
    bus_client_subscribe (innocent, "state.");
    /* The storm: 1000 empty-prefix subscriptions and 1000 snapshot requests
     * from one peer that never reads. */
    zsock_t *evil_sub = zsock_new (ZMQ_SUB);
    assert_int_equal (zsock_connect (evil_sub, "%s", fx.ep.sub), 0);
    zsock_t *evil_req = zsock_new (ZMQ_DEALER);
    zsock_set_sndtimeo (evil_req, 0);
    assert_int_equal (zsock_connect (evil_req, "%s", fx.ep.req), 0);
    zclock_sleep (200);
    for (int i = 0; i < 1000; i++) {
        zsock_set_subscribe (evil_sub, "");
        zstr_sendx (evil_req, "SNAP", "", NULL);
    }
    /* Telemetry meanwhile: 2000 lines over about 2 s. */
    const int lines = 2000;
    int got = 0, state_msgs = 0;
    for (int i = 0; i < lines; i++) {
        bus_client_publish_text (pub, "tel.serial.board-a", "I (42) telemetry");
        if (i % 20 == 0) {
            bus_msg_t *m;
            while ((m = bus_client_recv (innocent, 0))) {
                if (!strncmp (m->topic, "tel.serial.", 11))
                    got++;
                else
                    state_msgs++;
                bus_msg_destroy (&m);
            }
            zclock_sleep (20);
        }
    }
    bus_msg_t *m;
    while (got < lines && (m = bus_client_recv (innocent, 2000))) {
        if (!strncmp (m->topic, "tel.serial.", 11))
            got++;
        else
            state_msgs++;
        bus_msg_destroy (&m);
    }
    bus_counters_t c;
    bus_client_counters (innocent, &c);
    print_message ("innocent: %d telemetry, %d state messages, %" PRIu64 " gaps, %" PRIu64 " duplicates\n",
                   got, state_msgs, c.gaps, c.duplicates);
    assert_int_equal (got, lines);
    assert_int_equal (c.gaps, 0);
    /* Its own snapshot (200 boards), plus state.bus now and then: not a flood. */
    assert_true (state_msgs >= 200);
    assert_true (state_msgs < 400);
    assert_true (c.duplicates < 50);
    json_t *st = bus_fixture_status (innocent);
    json_t *snap = json_object_get (st, "snapshots");
    assert_true (json_integer_value (json_object_get (snap, "refused")) >= 900);
    json_decref (st);
    bus_client_destroy (&innocent);
    bus_client_destroy (&pub);
    /* The broker stops while the evil peer is still connected: libzmq 4.3.4
     * can abort a process whose peer drops while a multipart message is in
     * flight (session_base.cpp clean_pipes, zeromq/libzmq#3442, closed unfixed), and
     * under ASan this test once hit it when the evil sockets closed. That
     * is not what this test is about; docs/bus.md says what it means for
     * the lab (labd restarts the broker). */
    bus_fixture_stop (&fx);
    zsock_destroy (&evil_sub);
    zsock_destroy (&evil_req);
}

static void
test_distinct_state_topics_bounded_by_cache (void **state)
{
    (void) state;
    bus_fixture_t fx;
    bus_fixture_dir (&fx, "storm");
    char cfg[600];
    snprintf (cfg, sizeof cfg, "%s/lab.cfg", fx.dir);
    FILE *f = fopen (cfg, "w");
    fprintf (f, "bus\n    cache_entries = 1000\n    cache_bytes = 1M\n");
    fclose (f);
    const char *extra[] = { "-c", cfg, NULL };
    bus_fixture_broker (&fx, extra);
    bus_client_t *pub = bus_client_new ("flooder", &fx.ep);
    char topic[64];
    for (int i = 0; i < 20000; i++) {
        snprintf (topic, sizeof topic, "state.junk.%05d", i);
        bus_client_publish_text (pub, topic, "x");
        if (i % 2000 == 0)
            zclock_sleep (10);
    }
    json_t *st = NULL;
    for (int i = 0; i < 100; i++) {
        json_decref (st);
        st = bus_fixture_status (pub);
        if (json_integer_value (json_object_get (json_object_get (st, "cache"), "evicted")) >= 19000)
            break;
        zclock_sleep (50);
    }
    json_t *cache = json_object_get (st, "cache");
    assert_int_equal (json_integer_value (json_object_get (cache, "entries")), 1000);
    /* 20,000 junk topics and state.bus through a 1000-entry cache. */
    assert_true (json_integer_value (json_object_get (cache, "evicted")) >= 19000);
    json_decref (st);
    bus_client_destroy (&pub);
    bus_fixture_stop (&fx);
}

static void
test_oversize_message_never_forwarded (void **state)
{
    (void) state;
    bus_fixture_t fx;
    bus_fixture_start (&fx, "storm");
    bus_client_t *sub = bus_client_new ("sub", &fx.ep);
    bus_client_subscribe (sub, "tel.serial.");
    zclock_sleep (100);
    bus_client_t *big = bus_client_new ("big", &fx.ep);
    size_t n = 8u << 20;     /* 8 MB, past the default 1 MB bus/max_message */
    char *text = malloc (n + 1);
    memset (text, 'A', n);
    text[n] = '\0';
    bus_client_publish_text (big, "tel.serial.board-a", text);
    free (text);
    bus_client_t *small = bus_client_new ("small", &fx.ep);
    bus_client_publish_text (small, "tel.serial.board-a", "fine");
    bool fine = false, huge = false;
    bus_msg_t *m;
    while ((m = bus_client_recv (sub, 1500))) {
        const Lab__SerialLine *l = bus_msg_body (m, LAB__ENVELOPE__BODY_SERIAL_LINE);
        if (l && !strcmp (l->text, "fine"))
            fine = true;
        if (l && strlen (l->text) > 1000)
            huge = true;
        bus_msg_destroy (&m);
    }
    assert_true (fine);
    assert_false (huge);
    bus_client_destroy (&small);
    bus_client_destroy (&big);
    bus_client_destroy (&sub);
    bus_fixture_stop (&fx);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_cache_bounded_evicts_oldest),
        cmocka_unit_test (test_subscription_storm_leaves_others_telemetry_flowing),
        cmocka_unit_test (test_distinct_state_topics_bounded_by_cache),
        cmocka_unit_test (test_oversize_message_never_forwarded),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
