/* test_bus_senders - seq and liveness follow the real sender: the broker
 * stamps each message with its connection and (ipc://) the sender's pid, so a
 * forged message with someone else's name, epoch and a huge seq neither
 * silences the real stream nor makes labd kill the real service. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <signal.h>
#include <unistd.h>
#include "tests/bus/bus_fixture.h"
#include "bus/bus_conns.h"

static void
test_stamp_overrides_publisher_values (void **state)
{
    (void) state;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.source = (char *) "liar";
    env.seq = 3;
    env.conn = 12345;        /* the publisher pretends to be connection 12345, pid 1 */
    env.sender_pid = 1;
    uint8_t buf[128];
    size_t n = lab__envelope__pack (&env, buf);
    n += bus_conns_encode (777, 4242, buf + n);
    Lab__Envelope *back = lab__envelope__unpack (NULL, n, buf);
    assert_non_null (back);
    assert_int_equal (back->conn, 777);
    assert_int_equal (back->sender_pid, 4242);
    assert_string_equal (back->source, "liar");
    assert_int_equal (back->seq, 3);
    lab__envelope__free_unpacked (back, NULL);
}

/* A raw PUB sends ENV on TOPIC (no client library: the attacker's view). */
static void
s_forge (zsock_t *raw, const char *topic, Lab__Envelope *env)
{
    uint8_t buf[512];
    size_t n = lab__envelope__pack (env, buf);
    zstr_sendm (raw, topic);
    zframe_t *f = zframe_new (buf, n);
    zframe_send (&f, raw, 0);
}

static void
test_forged_huge_seq_does_not_poison_real_stream (void **state)
{
    (void) state;
    bus_fixture_t fx;
    bus_fixture_start (&fx, "senders");
    bus_client_t *sub = bus_client_new ("watcher", &fx.ep);
    bus_client_subscribe (sub, "tel.real");
    zclock_sleep (100);
    bus_client_t *pub = bus_client_new ("real", &fx.ep);
    bus_client_publish_text (pub, "tel.real", "first");
    bus_msg_t *m = bus_client_recv (sub, 2000);
    assert_non_null (m);
    uint64_t epoch = m->env->epoch;
    assert_int_not_equal (m->env->conn, 0);
    assert_int_equal (m->env->sender_pid, getpid ());   /* SO_PEERCRED on ipc:// */
    bus_msg_destroy (&m);
    /* The forgery: same source, topic and epoch, seq 2^62. */
    zsock_t *raw = zsock_new (ZMQ_PUB);
    assert_int_equal (zsock_connect (raw, "%s", fx.ep.pub), 0);
    zclock_sleep (300);
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.source = (char *) "real";
    env.seq = 1ull << 62;
    env.epoch = epoch;
    env.conn = 1;    /* trying to look like another connection does not help */
    Lab__Blob blob = LAB__BLOB__INIT;
    env.body_case = LAB__ENVELOPE__BODY_BLOB;
    env.blob = &blob;
    s_forge (raw, "tel.real", &env);
    m = bus_client_recv (sub, 2000);    /* the forgery itself arrives, as its own stream */
    assert_non_null (m);
    assert_int_equal (m->env->seq, 1ull << 62);
    bus_msg_destroy (&m);
    /* Every later real message still arrives. */
    int got = 0;
    for (int i = 0; i < 20; i++)
        bus_client_publish_text (pub, "tel.real", "more");
    while (got < 20 && (m = bus_client_recv (sub, 2000))) {
        got++;
        bus_msg_destroy (&m);
    }
    assert_int_equal (got, 20);
    bus_counters_t c;
    bus_client_counters (sub, &c);
    assert_int_equal (c.duplicates, 0);
    assert_int_equal (c.gaps, 0);
    zsock_destroy (&raw);
    bus_client_destroy (&pub);
    bus_client_destroy (&sub);
    bus_fixture_stop (&fx);
}

/* labd's view of NAME: pid and restarts from `labd status`. */
static bool
s_unit (bus_client_t *c, const char *name, char *state, size_t statelen, int *pid, int *restarts)
{
    Lab__CommandReply *reply = NULL;
    if (bus_client_call (c, "labd", "status", 0, NULL, 1000, &reply) != BUS_OK)
        return false;
    json_t *all = json_loads (reply->json, 0, NULL);
    lab__command_reply__free_unpacked (reply, NULL);
    bool found = false;
    size_t i;
    json_t *u;
    json_array_foreach (all, i, u)
        if (!strcmp (json_string_value (json_object_get (u, "name")), name)) {
            snprintf (state, statelen, "%s", json_string_value (json_object_get (u, "state")));
            *pid = (int) json_integer_value (json_object_get (u, "pid"));
            *restarts = (int) json_integer_value (json_object_get (u, "restarts"));
            found = true;
        }
    json_decref (all);
    return found;
}

static void
test_forged_heartbeat_leaves_real_service_running (void **state)
{
    (void) state;
    bus_fixture_t fx;
    bus_fixture_dir (&fx, "senders");
    char cfg[600];
    snprintf (cfg, sizeof cfg, "%s/lab.cfg", fx.dir);
    FILE *f = fopen (cfg, "w");
    assert_non_null (f);
    fprintf (f, "lab\n    logs = \"%s/logs\"\n    state = \"%s/state\"\n"
                "services\n    labbus\n        command = \"labbus -c ${config}\"\n"
                "    victim\n        command = \"lab-fake-service --hb 100\"\n"
                "        after = \"labbus\"\n        heartbeat = \"100ms\"\n",
             fx.dir, fx.dir);
    fclose (f);
    setenv ("LAB_RUNTIME_DIR", fx.dir, 1);
    char log[700];
    snprintf (log, sizeof log, "%s/labd.out", fx.dir);
    const char *argv[] = { "labd", "-c", cfg, NULL };
    pid_t labd = lab_test_spawn ("labd", argv, log);
    assert_true (labd > 0);
    bus_client_t *c = bus_client_new ("test", &fx.ep);
    char st[32] = "";
    int pid = 0, restarts = -1;
    for (int i = 0; i < 200 && !(s_unit (c, "victim", st, sizeof st, &pid, &restarts) && !strcmp (st, "up")); i++)
        zclock_sleep (50);
    assert_string_equal (st, "up");
    int real_pid = pid;
    /* The real heartbeat's epoch, as an attacker would read it off the bus. */
    bus_client_subscribe (c, "hb.victim");
    bus_msg_t *m = NULL;
    for (int i = 0; i < 50 && !m; i++)
        m = bus_client_recv (c, 100);
    assert_non_null (m);
    assert_int_equal (m->env->sender_pid, real_pid);
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.source = m->env->source;
    env.epoch = m->env->epoch;
    env.seq = 1ull << 62;
    Lab__Heartbeat hb = LAB__HEARTBEAT__INIT;
    hb.service = (char *) "victim";
    hb.pid = real_pid;              /* even claiming the child's pid */
    hb.interval_ms = 100;
    env.body_case = LAB__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    zsock_t *raw = zsock_new (ZMQ_PUB);
    assert_int_equal (zsock_connect (raw, "%s", fx.ep.pub), 0);
    zclock_sleep (300);
    s_forge (raw, "hb.victim", &env);
    bus_msg_destroy (&m);
    /* labd kills a service 3 missed heartbeats (here 0.3 s) after its last
     * one counted; give it ten times that. */
    zclock_sleep (3000);
    assert_true (s_unit (c, "victim", st, sizeof st, &pid, &restarts));
    assert_string_equal (st, "up");
    assert_int_equal (pid, real_pid);
    assert_int_equal (restarts, 0);
    zsock_destroy (&raw);
    bus_client_destroy (&c);
    lab_test_stop (labd, SIGTERM, 8000);
    bus_fixture_stop (&fx);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_stamp_overrides_publisher_values),
        cmocka_unit_test (test_forged_huge_seq_does_not_poison_real_stream),
        cmocka_unit_test (test_forged_heartbeat_leaves_real_service_running),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
