/* test_labd_spine - supervision without cascades, with the real labd, the
 * real labbus and lab-fake-service children: a frozen broker or a frozen
 * labd restarts nobody else, the broker is never given up, and labd's
 * control socket answers when the bus does not. Heartbeats are scaled down
 * (100 ms x 3) so a 3 s freeze is ten windows long: the behaviour is the
 * one of a 30 s freeze with the default 1 s heartbeats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/labd/labd_fixture.h"
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define FREEZE_MS 3000

typedef labd_fixture_t fx_t;

static const char *s_three =
    "    svc1\n        command = \"lab-fake-service --hb 100\"\n        after = \"labbus\"\n"
    "        heartbeat = \"100ms\"\n"
    "    svc2\n        command = \"lab-fake-service --hb 100\"\n        after = \"labbus\"\n"
    "        heartbeat = \"100ms\"\n"
    "    svc3\n        command = \"lab-fake-service --hb 100\"\n        after = \"labbus\"\n"
    "        heartbeat = \"100ms\"\n";

/* One request on labd's control socket; the reply object, or NULL. */
static json_t *
s_ctl (fx_t *f, const char *line)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf (sa.sun_path, sizeof sa.sun_path, "%s/labd/ctl.sock", f->dir);
    int fd = socket (AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect (fd, (struct sockaddr *) &sa, sizeof sa)) {
        if (fd >= 0)
            close (fd);
        return NULL;
    }
    struct timeval tv = { 3, 0 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t w = write (fd, line, strlen (line));
    assert_int_equal (w, (ssize_t) strlen (line));
    char buf[65536];
    size_t len = 0;
    ssize_t r;
    while (len < sizeof buf - 1 && (r = read (fd, buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t) r;
    close (fd);
    buf[len] = 0;
    return json_loads (buf, 0, NULL);
}

/* labd's view of NAME through the control socket (works with the bus down). */
static json_t *
s_unit (fx_t *f, const char *name)
{
    json_t *reply = s_ctl (f, "status\n"), *found = NULL;
    size_t i;
    json_t *u;
    json_array_foreach (json_object_get (reply, "json"), i, u)
        if (!strcmp (json_string_value (json_object_get (u, "name")), name))
            found = json_incref (u);
    json_decref (reply);
    return found;
}

static int
s_int (fx_t *f, const char *name, const char *key)
{
    json_t *u = s_unit (f, name);
    int v = u ? (int) json_integer_value (json_object_get (u, key)) : -1;
    json_decref (u);
    return v;
}

/* Waits up to TIMEOUT_MS for NAME to be in STATE; returns its pid or -1. */
static int
s_wait_state (fx_t *f, const char *name, const char *state, int timeout_ms)
{
    uint64_t end = bus_mono_ns () + (uint64_t) timeout_ms * 1000000ull;
    while (bus_mono_ns () < end) {
        json_t *u = s_unit (f, name);
        bool ok = u && !strcmp (json_string_value (json_object_get (u, "state")), state);
        int pid = u ? (int) json_integer_value (json_object_get (u, "pid")) : -1;
        json_decref (u);
        if (ok)
            return pid;
        usleep (20000);
    }
    return -1;
}

/* Runs labctl ARGS... against the fixture's config; returns its exit status. */
static int
s_labctl (fx_t *f, const char *a1, const char *a2)
{
    char log[700];
    snprintf (log, sizeof log, "%s/labctl.out", f->dir);
    const char *argv[] = { "labctl", "-c", f->cfg, "--timeout", "3000", a1, a2, NULL };
    pid_t pid = lab_test_spawn ("labctl", argv, log);
    int status = 0;
    uint64_t end = bus_mono_ns () + 30000000000ull;
    while (waitpid (pid, &status, WNOHANG) == 0) {
        if (bus_mono_ns () > end) {
            lab_test_stop (pid, SIGKILL, 1000);
            return -1;
        }
        usleep (10000);
    }
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
s_sleep_ms (int ms)
{
    usleep ((useconds_t) ms * 1000);
}

/* Every svc is up with the pid in PIDS and no restart. */
static void
s_assert_untouched (fx_t *f, const int pids[3])
{
    const char *names[] = { "svc1", "svc2", "svc3" };
    for (int i = 0; i < 3; i++) {
        assert_int_equal (s_wait_state (f, names[i], "up", 10000), pids[i]);
        assert_int_equal (s_int (f, names[i], "restarts"), 0);
    }
}

static void
s_wait_all_up (fx_t *f, int pids[3])
{
    assert_true (s_wait_state (f, "labbus", "up", 15000) > 0);
    const char *names[] = { "svc1", "svc2", "svc3" };
    for (int i = 0; i < 3; i++) {
        pids[i] = s_wait_state (f, names[i], "up", 15000);
        assert_true (pids[i] > 0);
    }
}

static void
test_control_socket_serves_commands_and_refuses_garbage (void **state)
{
    fx_t *f = (fx_t *) *state;
    labd_fixture_start (f, "", "    svc\n        command = \"lab-fake-service --hb 100\"\n        after = \"labbus\"\n"
                    "        heartbeat = \"100ms\"\n        backoff_min = \"10ms\"\n");
    int pid = s_wait_state (f, "svc", "up", 15000);
    assert_true (pid > 0);
    /* Only the user may connect: the socket is 0600 in a 0700 directory. */
    struct stat st;
    char path[700];
    snprintf (path, sizeof path, "%s/labd/ctl.sock", f->dir);
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    snprintf (path, sizeof path, "%s/labd", f->dir);
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0700);

    json_t *r = s_ctl (f, "stop svc\n");
    assert_int_equal (json_integer_value (json_object_get (r, "status")), 0);
    json_decref (r);
    assert_true (s_wait_state (f, "svc", "stopped", 10000) == 0);
    r = s_ctl (f, "start svc\n");
    assert_int_equal (json_integer_value (json_object_get (r, "status")), 0);
    json_decref (r);
    int pid2 = s_wait_state (f, "svc", "up", 10000);
    assert_true (pid2 > 0 && pid2 != pid);
    r = s_ctl (f, "restart svc\n");
    assert_int_equal (json_integer_value (json_object_get (r, "status")), 0);
    json_decref (r);
    uint64_t end = bus_mono_ns () + 10000000000ull;
    int pid3 = -1;
    while (bus_mono_ns () < end && ((pid3 = s_wait_state (f, "svc", "up", 100)) <= 0 || pid3 == pid2))
        s_sleep_ms (20);
    assert_true (pid3 > 0 && pid3 != pid2);

    /* Not found, bad usage, garbage: refused with a status, labd unharmed. */
    r = s_ctl (f, "start nosuch\n");
    assert_int_equal (json_integer_value (json_object_get (r, "status")), BUS_ENOTFOUND);
    json_decref (r);
    r = s_ctl (f, "start\n");
    assert_int_equal (json_integer_value (json_object_get (r, "status")), BUS_EUSAGE);
    json_decref (r);
    r = s_ctl (f, "backend-start x\n");
    assert_int_equal (json_integer_value (json_object_get (r, "status")), BUS_EUSAGE);
    json_decref (r);
    r = s_ctl (f, "st\x01tus\n");
    assert_int_equal (json_integer_value (json_object_get (r, "status")), BUS_EUSAGE);
    json_decref (r);
    char big[2000];
    memset (big, 'a', sizeof big - 2);
    big[sizeof big - 2] = '\n';
    big[sizeof big - 1] = 0;
    r = s_ctl (f, big);
    assert_int_equal (json_integer_value (json_object_get (r, "status")), BUS_EUSAGE);
    json_decref (r);
    /* A client that connects and says nothing does not hold labd up. */
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf (sa.sun_path, sizeof sa.sun_path, "%s/labd/ctl.sock", f->dir);
    int mute = socket (AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal (connect (mute, (struct sockaddr *) &sa, sizeof sa), 0);
    r = s_ctl (f, "status\n");
    assert_int_equal (json_integer_value (json_object_get (r, "status")), 0);
    json_decref (r);
    close (mute);
    /* labctl uses it when there is no broker. */
    json_decref (s_ctl (f, "stop labbus\n"));
    assert_true (s_wait_state (f, "labbus", "stopped", 10000) == 0);
    assert_int_equal (s_labctl (f, "status", NULL), 0);
    assert_int_equal (s_labctl (f, "start", "labbus"), 0);
    assert_true (s_wait_state (f, "labbus", "up", 10000) > 0);
}

static void
test_frozen_broker_leaves_every_other_service_alone (void **state)
{
    fx_t *f = (fx_t *) *state;
    labd_fixture_start (f, "", s_three);
    int pids[3];
    s_wait_all_up (f, pids);
    int broker = s_wait_state (f, "labbus", "up", 1000);
    kill (broker, SIGSTOP);
    s_sleep_ms (FREEZE_MS);
    kill (broker, SIGCONT);
    /* The broker may have been killed as hung (its own heartbeat stopped);
     * everyone else keeps their pid and has not been restarted. */
    assert_true (s_wait_state (f, "labbus", "up", 15000) > 0);
    s_sleep_ms (1000);     /* heartbeats flow again for several windows */
    s_assert_untouched (f, pids);
}

static void
test_frozen_labd_restarts_nothing (void **state)
{
    fx_t *f = (fx_t *) *state;
    labd_fixture_start (f, "", s_three);
    int pids[3];
    s_wait_all_up (f, pids);
    int broker = s_wait_state (f, "labbus", "up", 1000);
    kill (f->labd, SIGSTOP);
    s_sleep_ms (FREEZE_MS);
    kill (f->labd, SIGCONT);
    s_sleep_ms (1000);
    s_assert_untouched (f, pids);
    assert_int_equal (s_wait_state (f, "labbus", "up", 10000), broker);
    assert_int_equal (s_int (f, "labbus", "restarts"), 0);
}

static void
test_broker_killed_ten_times_keeps_coming_back_with_an_alert (void **state)
{
    fx_t *f = (fx_t *) *state;
    /* An intensity the kills exceed three times over: still never FAILED. */
    labd_fixture_start (f, "        intensity = 3\n        period = \"60s\"\n", s_three);
    int pids[3];
    s_wait_all_up (f, pids);
    bus_client_subscribe (f->bus, "evt.alert.service_failed.labbus");
    for (int k = 0; k < 10; k++) {
        int broker = -1;
        uint64_t end = bus_mono_ns () + 15000000000ull;
        /* Kill it as soon as it has a process again, up or not. */
        while (bus_mono_ns () < end && (broker = s_int (f, "labbus", "pid")) <= 0)
            s_sleep_ms (10);
        assert_true (broker > 0);
        kill (broker, SIGKILL);
        /* labctl status answers whatever state the bus is in. */
        assert_int_equal (s_labctl (f, "status", NULL), 0);
        json_t *u = s_unit (f, "labbus");
        assert_non_null (u);
        assert_string_not_equal (json_string_value (json_object_get (u, "state")), "failed");
        json_decref (u);
    }
    assert_true (s_wait_state (f, "labbus", "up", 15000) > 0);
    assert_true (s_int (f, "labbus", "restarts") >= 10);
    /* Alerted at once in the log, without the bus... */
    char path[700], line[1024];
    snprintf (path, sizeof path, "%s/logs/alerts.log", f->dir);
    FILE *log = fopen (path, "r");
    assert_non_null (log);
    int alerts = 0;
    while (fgets (line, sizeof line, log))
        alerts += strstr (line, "\"subject\":\"labbus\"") != NULL;
    fclose (log);
    assert_true (alerts >= 10);
    /* ... and on the bus once it is back (held alerts folded into one). */
    bus_msg_t *m = bus_client_recv (f->bus, 10000);
    assert_non_null (m);
    assert_int_equal (m->env->body_case, LAB__ENVELOPE__BODY_ALERT);
    assert_non_null (strstr (m->env->alert->text, "labbus"));
    bus_msg_destroy (&m);
    s_sleep_ms (1000);
    s_assert_untouched (f, pids);
}

static void
test_health_endpoint_that_never_answers_holds_nothing_up (void **state)
{
    fx_t *f = (fx_t *) *state;
    /* A port that accepts connections (the kernel does) and never answers. */
    int ls = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    socklen_t sl = sizeof sa;
    assert_int_equal (bind (ls, (struct sockaddr *) &sa, sizeof sa), 0);
    assert_int_equal (listen (ls, 16), 0);
    getsockname (ls, (struct sockaddr *) &sa, &sl);
    char body[2048];
    snprintf (body, sizeof body,
              "%sbackends\n    mute\n        command = \"lab-fake-service\"\n"
              "        base_url = \"http://127.0.0.1:%d\"\n        start_timeout = \"4s\"\n",
              s_three, ntohs (sa.sin_port));
    labd_fixture_start (f, "", body);
    int pids[3];
    s_wait_all_up (f, pids);
    char log[700];
    snprintf (log, sizeof log, "%s/backend-start.out", f->dir);
    const char *argv[] = { "labctl", "-c", f->cfg, "--timeout", "20000", "call", "labd", "backend-start", "mute", NULL };
    pid_t starter = lab_test_spawn ("labctl", argv, log);
    assert_true (s_wait_state (f, "mute", "starting", 10000) > 0);
    /* While labd probes it: 20 status calls over the bus, each answered as
     * fast as ever (the old blocking probe held labd 300 ms of every 400). */
    uint64_t t0 = bus_mono_ns ();
    for (int i = 0; i < 20; i++) {
        Lab__CommandReply *reply = NULL;
        assert_int_equal (bus_client_call (f->bus, "labd", "status", 0, NULL, 5000, &reply), BUS_OK);
        lab__command_reply__free_unpacked (reply, NULL);
    }
    uint64_t ms = (bus_mono_ns () - t0) / 1000000ull;
    assert_true (ms < 2000);
    json_t *u = s_unit (f, "mute");
    assert_string_equal (json_string_value (json_object_get (u, "state")), "starting");
    json_decref (u);
    /* It times out as configured, with the URL in the answer. */
    int status = 0;
    uint64_t end = bus_mono_ns () + 20000000000ull;
    while (waitpid (starter, &status, WNOHANG) == 0 && bus_mono_ns () < end)
        s_sleep_ms (50);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), BUS_ETIMEOUT);
    close (ls);
    s_assert_untouched (f, pids);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        LABD_FIXTURE_TEST (test_control_socket_serves_commands_and_refuses_garbage),
        LABD_FIXTURE_TEST (test_frozen_broker_leaves_every_other_service_alone),
        LABD_FIXTURE_TEST (test_frozen_labd_restarts_nothing),
        LABD_FIXTURE_TEST (test_broker_killed_ten_times_keeps_coming_back_with_an_alert),
        LABD_FIXTURE_TEST (test_health_endpoint_that_never_answers_holds_nothing_up),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
