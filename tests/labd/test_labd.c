/* test_labd - the supervisor with the real labd, the real labbus and
 * lab-fake-service children: restarts, restart intensity, hung services,
 * stop order, grace, no orphans, backends, config errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "services/labd/labd_unit.h"
#include "tests/labd/labd_fixture.h"
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

typedef labd_fixture_t fx_t;

/* labd's view of NAME (a JSON object from `labd status`), or NULL. */
static json_t *
s_unit (fx_t *f, const char *name)
{
    Lab__CommandReply *reply = NULL;
    if (bus_client_call (f->bus, "labd", "status", 0, NULL, 1000, &reply) != BUS_OK)
        return NULL;
    json_t *all = json_loads (reply->json, 0, NULL), *found = NULL;
    lab__command_reply__free_unpacked (reply, NULL);
    size_t i;
    json_t *u;
    json_array_foreach (all, i, u)
        if (!strcmp (json_string_value (json_object_get (u, "name")), name))
            found = json_incref (u);
    json_decref (all);
    return found;
}

/* Waits up to TIMEOUT_MS for NAME to be in STATE (and, when MIN_RESTARTS >= 0,
 * restarted at least that often); returns its pid, or -1. */
static int
s_wait_state (fx_t *f, const char *name, const char *state, int min_restarts, int timeout_ms)
{
    uint64_t end = bus_mono_ns () + (uint64_t) timeout_ms * 1000000ull;
    while (bus_mono_ns () < end) {
        json_t *u = s_unit (f, name);
        if (u) {
            bool ok = !strcmp (json_string_value (json_object_get (u, "state")), state)
                      && (min_restarts < 0
                          || json_integer_value (json_object_get (u, "restarts")) >= min_restarts);
            int pid = (int) json_integer_value (json_object_get (u, "pid"));
            json_decref (u);
            if (ok)
                return pid;
        }
        usleep (50000);
    }
    return -1;
}

static bool
s_alive (pid_t pid)
{
    return pid > 0 && (kill (pid, 0) == 0 || errno != ESRCH);
}

static void
test_killed_service_is_restarted_and_counted (void **state)
{
    fx_t *f = (fx_t *) *state;
    labd_fixture_start (f, "", "    svc\n        command = \"lab-fake-service --hb 100 --say hello-from-svc\"\n"
                "        after = \"labbus\"\n        heartbeat = \"100ms\"\n        backoff_min = \"10ms\"\n");
    int pid = s_wait_state (f, "svc", "up", 0, 10000);
    assert_true (pid > 0);
    kill (pid, SIGKILL);
    int pid2 = s_wait_state (f, "svc", "up", 1, 10000);
    assert_true (pid2 > 0);
    assert_int_not_equal (pid, pid2);
    json_t *u = s_unit (f, "svc");
    assert_int_equal (json_integer_value (json_object_get (u, "last_exit_signal")), SIGKILL);
    json_decref (u);
    /* Its output went to its log file. */
    char path[700], line[256];
    snprintf (path, sizeof path, "%s/logs/svc.log", f->dir);
    FILE *log = fopen (path, "r");
    assert_non_null (log);
    bool seen = false;
    while (fgets (line, sizeof line, log))
        seen |= strstr (line, "hello-from-svc") != NULL;
    fclose (log);
    assert_true (seen);
}

static void
test_crash_looping_service_fails_after_intensity_with_alert (void **state)
{
    fx_t *f = (fx_t *) *state;
    labd_fixture_start (f, "", "    crasher\n        command = \"lab-fake-service --exit-after 0 --code 3\"\n"
                "        after = \"labbus\"\n        heartbeat = \"100ms\"\n        backoff_min = \"10ms\"\n"
                "        intensity = 3\n        period = \"60s\"\n"
                "    steady\n        command = \"lab-fake-service --hb 100\"\n        after = \"labbus\"\n"
                "        heartbeat = \"100ms\"\n");
    bus_client_subscribe (f->bus, "evt.alert.service_failed.crasher");
    assert_true (s_wait_state (f, "crasher", "failed", 3, 15000) >= 0);
    bus_msg_t *m = bus_client_recv (f->bus, 3000);
    assert_non_null (m);
    assert_int_equal (m->env->body_case, LAB__ENVELOPE__BODY_ALERT);
    assert_non_null (strstr (m->env->alert->text, "FAILED"));
    bus_msg_destroy (&m);
    /* labd itself is fine and the other service untouched. */
    assert_true (s_wait_state (f, "steady", "up", 0, 5000) > 0);
    json_t *u = s_unit (f, "steady");
    assert_int_equal (json_integer_value (json_object_get (u, "restarts")), 0);
    json_decref (u);
    /* Someone asks: it is tried again. */
    Lab__CommandReply *reply = NULL;
    const char *args[] = { "crasher" };
    assert_int_equal (bus_client_call (f->bus, "labd", "start", 1, args, 2000, &reply), BUS_OK);
    assert_int_equal (reply->status, BUS_OK);
    lab__command_reply__free_unpacked (reply, NULL);
}

static void
test_hung_service_is_killed_and_restarted (void **state)
{
    fx_t *f = (fx_t *) *state;
    labd_fixture_start (f, "", "    sleeper\n        command = \"lab-fake-service --hb 100 --hang-after 600\"\n"
                "        after = \"labbus\"\n        heartbeat = \"100ms\"\n        misses = 3\n"
                "        backoff_min = \"10ms\"\n");
    bus_client_subscribe (f->bus, "evt.alert.service_hung.sleeper");
    int pid = s_wait_state (f, "sleeper", "up", 0, 10000);
    assert_true (pid > 0);
    bus_msg_t *m = bus_client_recv (f->bus, 5000);
    assert_non_null (m);
    bus_msg_destroy (&m);
    assert_true (s_wait_state (f, "sleeper", "up", 1, 10000) > 0);
    assert_false (s_alive (pid) && kill (pid, 0) == 0 && s_wait_state (f, "sleeper", "up", 1, 1) == pid);
}

static void
test_stop_order_is_reverse_of_start_order (void **state)
{
    fx_t *f = (fx_t *) *state;
    char body[2048], journal[700];
    snprintf (journal, sizeof journal, "%s/journal", f->dir);
    snprintf (body, sizeof body,
              "    c\n        command = \"lab-fake-service --hb 100 --journal %s\"\n        after = \"b\"\n"
              "        heartbeat = \"100ms\"\n"
              "    a\n        command = \"lab-fake-service --hb 100 --journal %s\"\n        after = \"labbus\"\n"
              "        heartbeat = \"100ms\"\n"
              "    b\n        command = \"lab-fake-service --hb 100 --journal %s\"\n        after = \"a\"\n"
              "        heartbeat = \"100ms\"\n",
              journal, journal, journal);
    labd_fixture_start (f, "", body);
    assert_true (s_wait_state (f, "c", "up", 0, 15000) > 0);
    int status = lab_test_stop (f->labd, SIGTERM, 15000);
    f->labd = 0;
    assert_true (WIFEXITED (status));
    FILE *j = fopen (journal, "r");
    assert_non_null (j);
    char got[256] = "", line[64];
    while (fgets (line, sizeof line, j))
        strncat (got, line, sizeof got - strlen (got) - 1);
    fclose (j);
    assert_string_equal (got, "start a\nstart b\nstart c\nstop c\nstop b\nstop a\n");
}

static void
test_child_ignoring_sigterm_is_killed_after_grace (void **state)
{
    fx_t *f = (fx_t *) *state;
    labd_fixture_start (f, "", "    stubborn\n        command = \"lab-fake-service --hb 100 --ignore-term\"\n"
                "        after = \"labbus\"\n        heartbeat = \"100ms\"\n        grace = \"300ms\"\n");
    int pid = s_wait_state (f, "stubborn", "up", 0, 10000);
    assert_true (pid > 0);
    int status = lab_test_stop (f->labd, SIGTERM, 10000);
    f->labd = 0;
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    assert_false (s_alive (pid));
}

static void
test_no_child_survives_labd_sigkill (void **state)
{
    fx_t *f = (fx_t *) *state;
    labd_fixture_start (f, "", "    one\n        command = \"lab-fake-service --hb 100\"\n        after = \"labbus\"\n"
                "        heartbeat = \"100ms\"\n");
    int pid = s_wait_state (f, "one", "up", 0, 10000);
    int bus_pid = s_wait_state (f, "labbus", "up", 0, 1000);
    assert_true (pid > 0 && bus_pid > 0);
    kill (f->labd, SIGKILL);
    waitpid (f->labd, NULL, 0);
    f->labd = 0;
    for (int i = 0; i < 100 && (s_alive (pid) || s_alive (bus_pid)); i++)
        usleep (20000);
    assert_false (s_alive (pid));
    assert_false (s_alive (bus_pid));
}

static int
s_free_port (void)
{
    int s = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    bind (s, (struct sockaddr *) &a, sizeof a);
    socklen_t len = sizeof a;
    getsockname (s, (struct sockaddr *) &a, &len);
    close (s);
    return ntohs (a.sin_port);
}

static bool
s_port_open (int port)
{
    int s = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port),
                             .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    bool open = connect (s, (struct sockaddr *) &a, sizeof a) == 0;
    close (s);
    return open;
}

static int
s_call (fx_t *f, const char *cmd, const char *arg, const char *arg2, int timeout_ms, char *msg,
        size_t msglen, json_t **json)
{
    const char *args[] = { arg, arg2 };
    Lab__CommandReply *reply = NULL;
    int rc = bus_client_call (f->bus, "labd", cmd, arg2 ? 2 : 1, args, timeout_ms, &reply);
    if (rc != BUS_OK)
        return rc;
    rc = reply->status;
    snprintf (msg, msglen, "%s", reply->message);
    if (json)
        *json = json_loads (reply->json, 0, NULL);
    lab__command_reply__free_unpacked (reply, NULL);
    return rc;
}

static void
test_backend_start_waits_for_health_and_stop_for_port (void **state)
{
    fx_t *f = (fx_t *) *state;
    int p1 = s_free_port (), p2 = s_free_port ();
    char body[2048];
    snprintf (body, sizeof body,
              "backends\n    llm-a\n        command = \"lab-fake-service --http %d --ready-after 700\"\n"
              "        base_url = \"http://127.0.0.1:%d\"\n        group = \"gpu\"\n"
              "    llm-b\n        command = \"lab-fake-service --http %d --ready-after 100\"\n"
              "        base_url = \"http://127.0.0.1:%d\"\n        group = \"gpu\"\n",
              p1, p1, p2, p2);
    labd_fixture_start (f, "", body);
    assert_true (s_wait_state (f, "labbus", "up", 0, 10000) > 0);
    char msg[512];
    json_t *j = NULL;
    assert_int_equal (s_call (f, "backend-start", "llm-a", NULL, 15000, msg, sizeof msg, &j), BUS_OK);
    assert_true (json_real_value (json_object_get (j, "health_wait_s")) >= 0.6);
    int pid_a = (int) json_integer_value (json_object_get (j, "pid"));
    json_decref (j);
    assert_true (s_port_open (p1));
    /* The other backend of the group: the first is stopped before it starts. */
    assert_int_equal (s_call (f, "backend-start", "llm-b", NULL, 15000, msg, sizeof msg, NULL), BUS_OK);
    assert_false (s_alive (pid_a));
    assert_false (s_port_open (p1));
    assert_int_equal (s_call (f, "backend-stop", "llm-b", NULL, 15000, msg, sizeof msg, &j), BUS_OK);
    assert_false (s_port_open (p2));
    assert_true (json_integer_value (json_object_get (j, "peak_rss_kb")) > 0);
    json_decref (j);
}

static void
test_backend_never_healthy_fails_within_timeout (void **state)
{
    fx_t *f = (fx_t *) *state;
    int p = s_free_port ();
    char body[1024];
    snprintf (body, sizeof body,
              "backends\n    stuck\n        command = \"lab-fake-service --http %d --ready-after -1\"\n"
              "        base_url = \"http://127.0.0.1:%d\"\n        stop_grace = \"1s\"\n",
              p, p);
    labd_fixture_start (f, "", body);
    assert_true (s_wait_state (f, "labbus", "up", 0, 10000) > 0);
    char msg[512] = "";
    uint64_t t0 = bus_mono_ns ();
    assert_int_equal (s_call (f, "backend-start", "stuck", "1000", 10000, msg, sizeof msg, NULL),
                      BUS_ETIMEOUT);
    assert_true ((bus_mono_ns () - t0) / 1000000ull < 5000);
    assert_non_null (strstr (msg, "did not answer 200"));
    for (int i = 0; i < 100 && s_port_open (p); i++)
        usleep (20000);
    assert_false (s_port_open (p));
}

static void
test_config_errors_name_file_and_line (void **state)
{
    (void) state;
    const char *cases[][2] = {
        { "services\n    x\n        command = \"a\"\n        restart = \"sometimes\"\n", "t.cfg:4:" },
        { "services\n    x\n        command = \"a\"\n        after = \"nope\"\n", "t.cfg:2:" },
        { "services\n    x\n        comand = \"a\"\n", "t.cfg:3:" },
        { "services\n    x\n        command = \"a ${nope}\"\n", "t.cfg:3:" },
        { "services\n    x\n        command = \"a\"\n        after = \"y\"\n    y\n        command = \"b\"\n"
          "        after = \"x\"\n", "cycle" },
        { "backends\n    b\n        command = \"a\"\n        base_url = \"ftp://x\"\n", "t.cfg:2:" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char err[512] = "";
        lab_config_t *cfg = lab_config_load_str (cases[i][0], "t.cfg", err, sizeof err);
        assert_non_null (cfg);
        labd_unit_t *units = NULL;
        assert_int_equal (labd_units_load (cfg, "/t.cfg", "/tmp", &units, err, sizeof err), -1);
        if (!strstr (err, cases[i][1]))
            fail_msg ("case %zu: '%s' does not contain '%s'", i, err, cases[i][1]);
        lab_config_destroy (&cfg);
    }
}

/* A backend that already runs (here: on another host) has a base_url and
 * no command: the config loads, and labd answers backend-start/-stop with
 * a clear refusal instead of starting a placeholder. A service without a
 * command is still an error. */
static void
test_external_backend_needs_no_command (void **state)
{
    fx_t *f = (fx_t *) *state;
    char err[512] = "";
    const char *text = "backends\n    remote-mlx\n        base_url = \"http://192.0.2.7:8080\"\n"
                       "        api_key_env = \"LITELLM_KEY\"\n        memory_probe = \"ssh mac footprint\"\n";
    lab_config_t *cfg = lab_config_load_str (text, "t.cfg", err, sizeof err);
    assert_non_null (cfg);
    labd_unit_t *units = NULL;
    int n = labd_units_load (cfg, "/t.cfg", "/tmp", &units, err, sizeof err);
    assert_int_equal (n, 1);
    assert_true (units[0].external);
    labd_units_free (units, n);
    lab_config_destroy (&cfg);
    cfg = lab_config_load_str ("services\n    x\n        after = \"\"\n", "t.cfg", err, sizeof err);
    assert_int_equal (labd_units_load (cfg, "/t.cfg", "/tmp", &units, err, sizeof err), -1);
    assert_non_null (strstr (err, "command is missing"));
    lab_config_destroy (&cfg);

    labd_fixture_start (f, "", text);
    assert_true (s_wait_state (f, "labbus", "up", 0, 10000) > 0);
    char msg[512];
    assert_int_equal (s_call (f, "backend-start", "remote-mlx", NULL, 5000, msg, sizeof msg, NULL), BUS_EUSAGE);
    assert_non_null (strstr (msg, "external"));
    assert_int_equal (s_call (f, "backend-stop", "remote-mlx", NULL, 5000, msg, sizeof msg, NULL), BUS_EUSAGE);
}

static void
test_command_is_split_without_a_shell (void **state)
{
    (void) state;
    char **argv = labd_argv_split ("prog -x \"two words\" ';rm' $HOME");
    assert_non_null (argv);
    assert_string_equal (argv[0], "prog");
    assert_string_equal (argv[2], "two words");
    assert_string_equal (argv[3], "';rm'");
    assert_string_equal (argv[4], "$HOME");
    assert_null (argv[5]);
    labd_argv_free (argv);
    assert_null (labd_argv_split ("prog \"unterminated"));
}

int
main (void)
{
    if (getenv ("LAB_TEST_ONLY"))
        cmocka_set_test_filter (getenv ("LAB_TEST_ONLY"));
    const struct CMUnitTest tests[] = {
        LABD_FIXTURE_TEST (test_killed_service_is_restarted_and_counted),
        LABD_FIXTURE_TEST (test_crash_looping_service_fails_after_intensity_with_alert),
        LABD_FIXTURE_TEST (test_hung_service_is_killed_and_restarted),
        LABD_FIXTURE_TEST (test_stop_order_is_reverse_of_start_order),
        LABD_FIXTURE_TEST (test_child_ignoring_sigterm_is_killed_after_grace),
        LABD_FIXTURE_TEST (test_no_child_survives_labd_sigkill),
        LABD_FIXTURE_TEST (test_backend_start_waits_for_health_and_stop_for_port),
        LABD_FIXTURE_TEST (test_backend_never_healthy_fails_within_timeout),
        LABD_FIXTURE_TEST (test_external_backend_needs_no_command),
        cmocka_unit_test (test_config_errors_name_file_and_line),
        cmocka_unit_test (test_command_is_split_without_a_shell),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
