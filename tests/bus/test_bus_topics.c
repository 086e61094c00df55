/* test_bus_topics - typed topics: every family carries one body type; the
 * broker and the client library drop (and count) any other, and a consumer
 * reading through bus_msg_body never sees a body of the wrong type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <signal.h>
#include "tests/bus/bus_fixture.h"
#include "bus/bus_json.h"
#include "bus/bus_topic.h"

/* An envelope whose body is an empty message of case BODY (every case of the
 * oneof, found through the descriptor). Free with s_env_free. */
static Lab__Envelope *
s_env_new (Lab__Envelope__BodyCase body, const char *source, uint64_t seq)
{
    Lab__Envelope *env = (Lab__Envelope *) calloc (1, sizeof *env);
    lab__envelope__init (env);
    env->source = (char *) source;
    env->seq = seq;
    env->epoch = 77;
    const ProtobufCFieldDescriptor *f
        = protobuf_c_message_descriptor_get_field (&lab__envelope__descriptor, (unsigned) body);
    assert_non_null (f);
    const ProtobufCMessageDescriptor *d = (const ProtobufCMessageDescriptor *) f->descriptor;
    ProtobufCMessage *m = (ProtobufCMessage *) calloc (1, d->sizeof_message);
    protobuf_c_message_init (d, m);
    *(ProtobufCMessage **) ((uint8_t *) env + f->offset) = m;
    env->body_case = body;
    return env;
}

static void
s_env_free (Lab__Envelope *env)
{
    free (env->blob);   /* the one body, whatever its type */
    free (env);
}

/* All body cases of the envelope's oneof. */
static size_t
s_body_cases (Lab__Envelope__BodyCase *out, size_t max)
{
    size_t n = 0;
    for (unsigned i = 0; i < lab__envelope__descriptor.n_fields && n < max; i++) {
        const ProtobufCFieldDescriptor *f = &lab__envelope__descriptor.fields[i];
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            out[n++] = (Lab__Envelope__BodyCase) f->id;
    }
    return n;
}

static void
test_family_matches_whole_words (void **state)
{
    (void) state;
    assert_int_equal (bus_topic_body ("tel.serial.board-a"), LAB__ENVELOPE__BODY_SERIAL_LINE);
    assert_int_equal (bus_topic_body ("tel.serial"), LAB__ENVELOPE__BODY_SERIAL_LINE);
    assert_int_equal (bus_topic_body ("tel.serialx"), LAB__ENVELOPE__BODY__NOT_SET);
    assert_int_equal (bus_topic_body ("hb.labd"), LAB__ENVELOPE__BODY_HEARTBEAT);
    assert_int_equal (bus_topic_body ("hbx"), LAB__ENVELOPE__BODY__NOT_SET);
    assert_int_equal (bus_topic_body ("state.bus"), LAB__ENVELOPE__BODY_BUS_STATS);
    assert_int_equal (bus_topic_body ("state.busy.x"), LAB__ENVELOPE__BODY__NOT_SET);
    assert_int_equal (bus_topic_body ("evt.alert.board_panic.board-a"), LAB__ENVELOPE__BODY_ALERT);
    assert_int_equal (bus_topic_body ("tel.demo.echo"), LAB__ENVELOPE__BODY__NOT_SET);
    assert_int_equal (bus_topic_body (""), LAB__ENVELOPE__BODY__NOT_SET);
    assert_int_equal (bus_topic_body (NULL), LAB__ENVELOPE__BODY__NOT_SET);
    /* A length-bounded topic (the broker's frames are not terminated). */
    assert_int_equal (bus_topic_body_n ("state.ota.j1XXXX", 12), LAB__ENVELOPE__BODY_OTA);
    assert_int_equal (bus_topic_body_n ("state.otaXXX", 9), LAB__ENVELOPE__BODY_OTA);
}

static void
test_every_family_accepts_only_its_body (void **state)
{
    (void) state;
    Lab__Envelope__BodyCase cases[64];
    size_t ncases = s_body_cases (cases, 64);
    assert_true (ncases >= 20);
    const char *family;
    Lab__Envelope__BodyCase body;
    size_t families = 0;
    for (size_t i = 0; bus_topic_family_at (i, &family, &body); i++, families++) {
        char topic[128];
        snprintf (topic, sizeof topic, "%s.some-name", family);
        size_t accepted = 0;
        for (size_t k = 0; k < ncases; k++) {
            Lab__Envelope *env = s_env_new (cases[k], "t", 1);
            bool ok = bus_topic_body_ok (topic, env);
            assert_int_equal (ok, cases[k] == body);
            accepted += ok;
            s_env_free (env);
        }
        assert_int_equal (accepted, 1);
        assert_string_not_equal (bus_topic_body_name (body), "unknown");
    }
    assert_true (families >= 15);
    Lab__Envelope none = LAB__ENVELOPE__INIT;
    none.source = (char *) "t";
    assert_false (bus_topic_body_ok ("state.board.x", &none));
    assert_true (bus_topic_body_ok ("tel.demo.x", &none));
    assert_false (bus_topic_body_ok ("tel.demo.x", NULL));
    assert_string_equal (bus_topic_body_name (LAB__ENVELOPE__BODY_BOARD), "BoardState");
    assert_string_equal (bus_topic_body_name (LAB__ENVELOPE__BODY__NOT_SET), "none");
}

static void
test_publish_refuses_wrong_body_and_text_becomes_typed (void **state)
{
    (void) state;
    bus_fixture_t fx;
    bus_fixture_dir (&fx, "topics");
    bus_client_t *c = bus_client_new ("pub", &fx.ep);   /* no broker: publishes queue */
    Lab__Envelope *env = s_env_new (LAB__ENVELOPE__BODY_BLOB, "x", 0);
    assert_int_equal (bus_client_publish (c, "state.board.b", env), -1);
    assert_non_null (strstr (bus_client_error (c), "BoardState"));
    s_env_free (env);
    /* Text on a text family is fine (tel.serial gets a SerialLine); text on
     * a structured family is refused. */
    assert_int_equal (bus_client_publish_text (c, "tel.serial.b", "hello"), 0);
    assert_int_equal (bus_client_publish_text (c, "log.svc", "hello"), 0);
    assert_int_equal (bus_client_publish_text (c, "state.ota.j", "hello"), -1);
    bus_counters_t cnt;
    bus_client_counters (c, &cnt);
    assert_int_equal (cnt.publish_dropped, 2);
    bus_client_destroy (&c);
    bus_fixture_stop (&fx);
}

/* Sends, through a raw PUB that bypasses every client-side check, one
 * envelope of every body case on a topic of every family; then one good
 * marker. Returns the number of wrong-typed messages sent. */
static size_t
s_blast_every_family (zsock_t *raw, uint64_t *seq)
{
    Lab__Envelope__BodyCase cases[64];
    size_t ncases = s_body_cases (cases, 64);
    const char *family;
    Lab__Envelope__BodyCase body;
    size_t wrong = 0;
    for (size_t i = 0; bus_topic_family_at (i, &family, &body); i++)
        for (size_t k = 0; k < ncases; k++) {
            if (cases[k] == body)
                continue;
            char topic[128];
            snprintf (topic, sizeof topic, "%s.victim", family);
            Lab__Envelope *env = s_env_new (cases[k], "evil", ++*seq);
            uint8_t buf[256];
            size_t n = lab__envelope__pack (env, buf);
            s_env_free (env);
            zstr_sendm (raw, topic);
            zframe_t *fr = zframe_new (buf, n);
            zframe_send (&fr, raw, 0);
            wrong++;
        }
    Lab__SerialLine line = LAB__SERIAL_LINE__INIT;
    line.board = (char *) "victim";
    line.text = (char *) "marker";
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.source = (char *) "evil";
    env.seq = ++*seq;
    env.epoch = 77;
    env.body_case = LAB__ENVELOPE__BODY_SERIAL_LINE;
    env.serial_line = &line;
    uint8_t buf[256];
    size_t n = lab__envelope__pack (&env, buf);
    zstr_sendm (raw, "tel.serial.victim");
    zframe_t *fr = zframe_new (buf, n);
    zframe_send (&fr, raw, 0);
    return wrong;
}

/* Receives until the marker; every message seen must carry its family's body. */
static size_t
s_recv_until_marker (bus_client_t *c, bool *marker)
{
    size_t seen = 0;
    *marker = false;
    uint64_t deadline = bus_mono_ns () + 5000000000ull;
    while (!*marker && bus_mono_ns () < deadline) {
        bus_msg_t *m = bus_client_recv (c, 100);
        if (!m)
            continue;
        if (strcmp (m->topic, "state.bus") && strncmp (m->topic, "hb.labbus", 9)) {
            assert_true (bus_topic_body_ok (m->topic, m->env));
            const Lab__SerialLine *l = bus_msg_body (m, LAB__ENVELOPE__BODY_SERIAL_LINE);
            if (l && !strcmp (l->text, "marker"))
                *marker = true;
            else
                seen++;
        }
        bus_msg_destroy (&m);
    }
    return seen;
}

static void
test_client_drops_wrong_body_on_every_family (void **state)
{
    (void) state;
    bus_fixture_t fx;
    bus_fixture_dir (&fx, "topics");
    bus_client_t *c;
    zsock_t *raw = bus_fixture_raw_pub (&fx, &c);
    uint64_t seq = 0;
    size_t wrong = s_blast_every_family (raw, &seq);
    bool marker;
    size_t seen = s_recv_until_marker (c, &marker);
    assert_true (marker);
    assert_int_equal (seen, 0);
    bus_counters_t cnt;
    bus_client_counters (c, &cnt);
    assert_int_equal (cnt.wrong_body, wrong);
    assert_int_equal (cnt.gaps, 0);   /* dropped before seq tracking */
    bus_client_destroy (&c);
    zsock_destroy (&raw);
    bus_fixture_stop (&fx);
}

static bool
s_reply_has (bus_client_t *c, const char *needle)
{
    Lab__CommandReply *reply = NULL;
    bool ok = bus_client_call (c, "labbus", "status", 0, NULL, 2000, &reply) == BUS_OK
              && strstr (reply->json, needle);
    if (reply)
        lab__command_reply__free_unpacked (reply, NULL);
    return ok;
}

static void
test_broker_drops_wrong_body_on_every_family (void **state)
{
    (void) state;
    bus_fixture_t fx;
    bus_fixture_start (&fx, "topics");
    bus_client_t *c = bus_client_new ("victim", &fx.ep);
    bus_client_subscribe (c, "");
    zclock_sleep (200);
    zsock_t *raw = zsock_new (ZMQ_PUB);
    assert_int_equal (zsock_connect (raw, "%s", fx.ep.pub), 0);
    zclock_sleep (300);   /* a raw PUB has no slow-joiner protection */
    uint64_t seq = 0;
    size_t wrong = s_blast_every_family (raw, &seq);
    bool marker;
    size_t seen = s_recv_until_marker (c, &marker);
    assert_true (marker);
    assert_int_equal (seen, 0);
    bus_counters_t cnt;
    bus_client_counters (c, &cnt);
    assert_int_equal (cnt.wrong_body, 0);   /* never reached the client */
    char needle[64];
    snprintf (needle, sizeof needle, "\"wrong_body\":%zu,", wrong);
    assert_true (s_reply_has (c, needle));
    bus_client_destroy (&c);
    zsock_destroy (&raw);
    bus_fixture_stop (&fx);
}

static void
test_msg_body_returns_null_and_counts_on_mismatch (void **state)
{
    (void) state;
    bus_msg_t m = { (char *) "tel.demo.x", s_env_new (LAB__ENVELOPE__BODY_BLOB, "s", 1), NULL };
    assert_non_null (bus_msg_body (&m, LAB__ENVELOPE__BODY_BLOB));
    assert_null (bus_msg_body (&m, LAB__ENVELOPE__BODY_OTA));
    assert_null (bus_msg_body (&m, LAB__ENVELOPE__BODY__NOT_SET));
    assert_null (bus_msg_body (NULL, LAB__ENVELOPE__BODY_OTA));
    s_env_free (m.env);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_family_matches_whole_words),
        cmocka_unit_test (test_every_family_accepts_only_its_body),
        cmocka_unit_test (test_publish_refuses_wrong_body_and_text_becomes_typed),
        cmocka_unit_test (test_client_drops_wrong_body_on_every_family),
        cmocka_unit_test (test_broker_drops_wrong_body_on_every_family),
        cmocka_unit_test (test_msg_body_returns_null_and_counts_on_mismatch),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
