/* test_bus_curve - a bus reachable from other hosts demands CURVE; only
 * clients whose public key is in the broker's allow-list get through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "bus/bus_broker.h"
#include "bus/bus_curve.h"
#include <jansson.h>
#include "tests/lab_test.h"
#include <pthread.h>
#include <sys/stat.h>

typedef struct {
    bus_broker_t *broker;
    volatile bool stop;
} broker_thread_t;

static void *
s_broker_loop (void *arg)
{
    broker_thread_t *b = (broker_thread_t *) arg;
    while (!b->stop)
        bus_broker_run_once (b->broker, 50);
    return NULL;
}

typedef struct {
    char *dir;
    bus_broker_opts_t opts;
    broker_thread_t bt;
    pthread_t thread;
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *f = (fixture_t *) calloc (1, sizeof (fixture_t));
    f->dir = lab_test_tmpdir ("curve");
    char err[256], path[600];
    snprintf (path, sizeof path, "%s/allowed", f->dir);
    mkdir (path, 0700);
    assert_int_equal (bus_curve_keygen (f->dir, "broker", err, sizeof err), 0);
    assert_int_equal (bus_curve_keygen (path, "good", err, sizeof err), 0);
    assert_int_equal (bus_curve_keygen (path, "other", err, sizeof err), 0);
    assert_int_equal (bus_curve_keygen (f->dir, "stranger", err, sizeof err), 0);
    bus_broker_opts_defaults (&f->opts);
    bus_endpoints_in_dir (&f->opts.ep, f->dir);
    snprintf (f->opts.curve_cert, sizeof f->opts.curve_cert, "%s/broker_secret", f->dir);
    snprintf (f->opts.curve_clients, sizeof f->opts.curve_clients, "%s", path);
    /* bus/curve/names: "bound-svc" belongs to the key "good". */
    char pubfile[700];
    snprintf (pubfile, sizeof pubfile, "%s/good", path);
    snprintf (f->opts.curve_names[0].name, sizeof f->opts.curve_names[0].name, "bound-svc");
    assert_int_equal (bus_curve_load_public (pubfile, f->opts.curve_names[0].key, err, sizeof err), 0);
    f->opts.n_curve_names = 1;
    f->bt.broker = bus_broker_new (&f->opts, err, sizeof err);
    assert_non_null (f->bt.broker);
    pthread_create (&f->thread, NULL, s_broker_loop, &f->bt);
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    f->bt.stop = true;
    pthread_join (f->thread, NULL);
    bus_broker_destroy (&f->bt.broker);
    lab_test_rmdir (f->dir);
    free (f->dir);
    free (f);
    return 0;
}

/* A client with CERT_NAME (a file under the fixture, or NULL for plain). */
static bus_client_t *
s_client (fixture_t *f, const char *cert_rel)
{
    bus_endpoints_t ep = f->opts.ep;
    if (cert_rel) {
        char err[256], pub[600];
        snprintf (ep.curve_cert, sizeof ep.curve_cert, "%s/%s", f->dir, cert_rel);
        snprintf (pub, sizeof pub, "%s/broker", f->dir);
        assert_int_equal (bus_curve_load_public (pub, ep.curve_server, err, sizeof err), 0);
    }
    return bus_client_new ("curve-test", &ep);
}

static int
s_call_status (bus_client_t *c)
{
    Lab__CommandReply *reply = NULL;
    int rc = bus_client_call (c, "labbus", "status", 0, NULL, 1500, &reply);
    if (reply)
        lab__command_reply__free_unpacked (reply, NULL);
    return rc;
}

static void
test_allowed_key_gets_through (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    bus_client_t *c = s_client (f, "allowed/good_secret");
    assert_non_null (c);
    assert_int_equal (s_call_status (c), BUS_OK);
    /* Pub/sub also flows: the broker's own state.bus arrives. */
    bus_client_subscribe (c, "state.bus");
    bus_msg_t *m = bus_client_recv (c, 3000);
    assert_non_null (m);
    bus_msg_destroy (&m);
    bus_client_destroy (&c);
}

static void
s_answer (bus_request_t *rq, void *arg)
{
    bus_request_reply (rq, BUS_OK, NULL, "%s", (const char *) arg);
}

typedef struct {
    bus_client_t *server;
    volatile bool stop;
} pump_t;

static void *
s_pump (void *arg)
{
    pump_t *p = (pump_t *) arg;
    while (!p->stop) {
        bus_msg_t *m = bus_client_recv (p->server, 10);
        bus_msg_destroy (&m);
    }
    return NULL;
}

/* Calls bound-svc (up to 20 tries) while SERVER, serving it, runs its loop.
 * UNTIL_OK: retry every failure (a registration still on its way); else
 * retry only timeouts (a CURVE handshake slow under ASan) and return the
 * first real answer. */
static int
s_call_bound (bus_client_t *caller, bus_client_t *server, bool until_ok, char *who, size_t wholen)
{
    pump_t p = { server, false };
    pthread_t t;
    pthread_create (&t, NULL, s_pump, &p);
    int rc = BUS_ETIMEOUT;
    for (int i = 0; i < 20 && (until_ok ? rc != BUS_OK : rc == BUS_ETIMEOUT); i++) {
        Lab__CommandReply *reply = NULL;
        /* Generous: on a loaded machine (CURVE handshakes, the broker's thread
         * starved) 20 calls of 500 ms all timed out. */
        rc = bus_client_call (caller, "bound-svc", "x", 0, NULL, 2000, &reply);
        if (reply) {
            snprintf (who, wholen, "%s", reply->message);
            lab__command_reply__free_unpacked (reply, NULL);
        }
        if (rc != BUS_OK)
            zclock_sleep (100);
    }
    p.stop = true;
    pthread_join (t, NULL);
    return rc;
}

static void
test_bound_name_only_for_its_key (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    bus_client_t *caller = s_client (f, "allowed/good_secret");
    bus_client_t *impostor = s_client (f, "allowed/other_secret");
    bus_client_serve (impostor, "bound-svc", s_answer, (void *) "impostor");
    char who[64] = "";
    assert_int_equal (s_call_bound (caller, impostor, false, who, sizeof who), BUS_ENOTRUNNING);
    bus_client_t *owner = s_client (f, "allowed/good_secret");
    bus_client_serve (owner, "bound-svc", s_answer, (void *) "owner");
    assert_int_equal (s_call_bound (caller, owner, true, who, sizeof who), BUS_OK);
    assert_string_equal (who, "owner");
    Lab__CommandReply *reply = NULL;
    assert_int_equal (bus_client_call (caller, "labbus", "status", 0, NULL, 1500, &reply), BUS_OK);
    json_t *j = json_loads (reply->json, 0, NULL);
    assert_true (json_integer_value (json_object_get (json_object_get (j, "names_refused"), "key")) >= 1);
    json_decref (j);
    lab__command_reply__free_unpacked (reply, NULL);
    bus_client_destroy (&owner);
    bus_client_destroy (&impostor);
    bus_client_destroy (&caller);
}

static void
test_unknown_key_is_refused (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    bus_client_t *c = s_client (f, "stranger_secret");
    assert_non_null (c);
    assert_int_equal (s_call_status (c), BUS_ETIMEOUT);
    bus_client_subscribe (c, "state.bus");
    bus_msg_t *m = bus_client_recv (c, 1500);
    assert_null (m);
    bus_client_destroy (&c);
}

static void
test_plain_client_is_refused (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    bus_client_t *c = s_client (f, NULL);
    assert_non_null (c);
    assert_int_equal (s_call_status (c), BUS_ETIMEOUT);
    bus_client_destroy (&c);
}

static void
test_public_bind_without_curve_is_refused (void **state)
{
    (void) state;
    bus_broker_opts_t opts;
    bus_broker_opts_defaults (&opts);
    snprintf (opts.ep.pub, sizeof opts.ep.pub, "tcp://0.0.0.0:0");
    snprintf (opts.ep.sub, sizeof opts.ep.sub, "tcp://127.0.0.1:0");
    snprintf (opts.ep.req, sizeof opts.ep.req, "tcp://127.0.0.1:0");
    char err[256] = "";
    bus_broker_t *b = bus_broker_new (&opts, err, sizeof err);
    assert_null (b);
    assert_non_null (strstr (err, "0.0.0.0"));
    assert_non_null (strstr (err, "curve"));
}

static void
test_loopback_and_ipc_count_as_local (void **state)
{
    (void) state;
    assert_true (bus_curve_endpoint_is_local ("ipc:///run/x/pub.sock"));
    assert_true (bus_curve_endpoint_is_local ("tcp://127.0.0.1:5550"));
    assert_true (bus_curve_endpoint_is_local ("tcp://localhost:5550"));
    assert_true (bus_curve_endpoint_is_local ("tcp://[::1]:5550"));
    assert_false (bus_curve_endpoint_is_local ("tcp://0.0.0.0:5550"));
    assert_false (bus_curve_endpoint_is_local ("tcp://192.168.1.5:5550"));
    assert_false (bus_curve_endpoint_is_local ("tcp://127example.com:5550"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_allowed_key_gets_through, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_unknown_key_is_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bound_name_only_for_its_key, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_plain_client_is_refused, s_setup, s_teardown),
        cmocka_unit_test (test_public_bind_without_curve_is_refused),
        cmocka_unit_test (test_loopback_and_ipc_count_as_local),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
