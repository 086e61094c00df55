/* test_sb_nowait - serial-bridge's one loop never waits for one board: a
 * board that stops reading what is written to it, and a backtrace whose
 * symboliser hangs, leave another board's lines flowing; the real
 * addr2line (binutils) still symbolises a backtrace, from a child the loop
 * watches. Real labbus, real serial-bridge, boards on ptys the test holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/lab_fixture.h"
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Far above a normal line's trip (milliseconds) and far below what the
 * old blocking code cost here (a second per write, two per backtrace). */
#define LATENCY_BOUND_MS 2500

typedef struct {
    char *dir;
    char cfg[600];
    int ma, mb;               /* pty masters: the boards' side */
    pid_t broker, bridge;
    bus_client_t *bus;
} fx_t;

static void
s_open_pty (int *master, char *name, size_t len)
{
    int slave;
    char n[128];
    assert_int_equal (openpty (master, &slave, n, NULL, NULL), 0);
    close (slave);
    fcntl (*master, F_SETFL, fcntl (*master, F_GETFL) | O_NONBLOCK);
    snprintf (name, len, "%s", n);
}

/* Starts broker and bridge; board-a's backtraces go to ADDR2LINE with ELF. */
static void
s_start (fx_t *f, const char *addr2line, const char *elf)
{
    char a[128], b[128];
    s_open_pty (&f->ma, a, sizeof a);
    s_open_pty (&f->mb, b, sizeof b);
    lab_fixture_config (f->dir, f->cfg, sizeof f->cfg,
                        "lab\n    logs = \"%s/logs\"\n    state = \"%s/state\"\nboards\n"
                        "    board-a\n        port = \"pty:%s\"\n        reset = \"none\"\n"
                        "        elf = \"%s\"\n        addr2line = \"%s\"\n"
                        "    board-b\n        port = \"pty:%s\"\n        reset = \"none\"\n",
                        f->dir, f->dir, a, elf, addr2line, b);
    f->broker = lab_test_start_broker (f->dir, NULL);
    assert_true (f->broker > 0);
    f->bridge = lab_fixture_spawn ("serial-bridge", f->cfg, f->dir, "bridge.log");
    f->bus = lab_fixture_client (f->dir);
    bus_client_subscribe (f->bus, "tel.serial.board-b");
    bus_client_subscribe (f->bus, "evt.alert.board_panic.board-a");
    /* Both boards connected: board-b's lines come through. */
    for (int i = 0; i < 100; i++) {
        Lab__CommandReply *r = NULL;
        const char *args[] = { "board-a" };
        if (bus_client_call (f->bus, "serial-bridge", "status", 1, args, 1000, &r) == BUS_OK) {
            bool up = r->status == BUS_OK && strstr (r->json, "\"connected\":true");
            lab__command_reply__free_unpacked (r, NULL);
            if (up)
                break;
        }
        usleep (50000);
    }
}

static int
s_setup (void **state)
{
    fx_t *f = (fx_t *) calloc (1, sizeof (fx_t));
    f->dir = lab_test_tmpdir ("sb-nowait");
    f->ma = f->mb = -1;
    setenv ("LAB_BUS_DIR", f->dir, 1);
    setenv ("LAB_RUNTIME_DIR", f->dir, 1);
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fx_t *f = (fx_t *) *state;
    bus_client_destroy (&f->bus);
    if (f->bridge > 0)
        lab_test_stop (f->bridge, SIGTERM, 5000);
    if (f->broker > 0)
        lab_test_stop (f->broker, SIGTERM, 5000);
    if (f->ma >= 0)
        close (f->ma);
    if (f->mb >= 0)
        close (f->mb);
    lab_fixture_remove (f->dir);
    free (f);
    return 0;
}

/* Takes M's alert when it carries one and *ALERT is still empty (the
 * caller frees it with lab__alert__free_unpacked). */
static void
s_keep_alert (bus_msg_t *m, Lab__Alert **alert)
{
    if (m && m->env->body_case == LAB__ENVELOPE__BODY_ALERT && !*alert) {
        *alert = m->env->alert;
        m->env->alert = NULL;
        m->env->body_case = LAB__ENVELOPE__BODY__NOT_SET;
    }
}

/* The next alert within TRIES receives of WAIT_MS each, or NULL. */
static Lab__Alert *
s_next_alert (fx_t *f, int tries, int wait_ms)
{
    Lab__Alert *alert = NULL;
    for (int i = 0; !alert && i < tries; i++) {
        bus_msg_t *m = bus_client_recv (f->bus, wait_ms);
        s_keep_alert (m, &alert);
        bus_msg_destroy (&m);
    }
    return alert;
}

/* Board-b prints a line; ms until serial-bridge published it (-1: never,
 * within 10 s). Other messages that arrive meanwhile are kept in ALERT
 * when they are board-a panic alerts. */
static long
s_b_latency (fx_t *f, int k, Lab__Alert **alert)
{
    char line[64];
    int n = snprintf (line, sizeof line, "tick-%d\n", k);
    uint64_t t0 = bus_mono_ns ();
    assert_int_equal (write (f->mb, line, (size_t) n), n);
    line[n - 1] = 0;
    while (bus_mono_ns () - t0 < 10000000000ull) {
        bus_msg_t *m = bus_client_recv (f->bus, 200);
        if (!m)
            continue;
        if (m->env->body_case == LAB__ENVELOPE__BODY_SERIAL_LINE && !strcmp (m->env->serial_line->text, line)) {
            bus_msg_destroy (&m);
            return (long) ((bus_mono_ns () - t0) / 1000000ull);
        }
        if (alert)
            s_keep_alert (m, alert);
        bus_msg_destroy (&m);
    }
    return -1;
}

static void
test_a_board_that_stops_reading_holds_up_nobody (void **state)
{
    fx_t *f = (fx_t *) *state;
    s_start (f, "addr2line", "/nonexistent.elf");
    assert_true (s_b_latency (f, 0, NULL) >= 0);
    /* board-a never reads its side: its pty fills, then its queue. */
    char text[1001];
    memset (text, 'x', sizeof text - 1);
    text[sizeof text - 1] = 0;
    const char *args[] = { "board-a", text };
    int busy = 0;
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < 20; i++) {
            Lab__CommandReply *r = NULL;
            int rc = bus_client_call (f->bus, "serial-bridge", "write", 2, args, 10000, &r);
            assert_int_equal (rc, BUS_OK);
            assert_true (r->status == BUS_OK || r->status == BUS_EBUSY);
            busy += r->status == BUS_EBUSY;
            lab__command_reply__free_unpacked (r, NULL);
        }
        long ms = s_b_latency (f, round + 1, NULL);
        assert_true (ms >= 0 && ms < LATENCY_BOUND_MS);
    }
    /* 200 KB offered: the queue refused some, and board-a was not dropped. */
    assert_true (busy > 0);
    Lab__CommandReply *r = NULL;
    const char *a[] = { "board-a" };
    assert_int_equal (bus_client_call (f->bus, "serial-bridge", "status", 1, a, 5000, &r), BUS_OK);
    assert_non_null (strstr (r->json, "\"connected\":true"));
    lab__command_reply__free_unpacked (r, NULL);
    /* Once board-a reads again, what was queued arrives, in order. */
    char buf[4096];
    size_t got = 0;
    uint64_t end = bus_mono_ns () + 10000000000ull;
    while (got < 64 * 1024 && bus_mono_ns () < end) {
        ssize_t n = read (f->ma, buf, sizeof buf);
        if (n > 0)
            got += (size_t) n;
        else
            usleep (1000);
    }
    assert_true (got >= 64 * 1024);
}

static void
test_a_hanging_symboliser_holds_up_nobody (void **state)
{
    fx_t *f = (fx_t *) *state;
    /* A symboliser that never answers (addr2line on a huge ELF, a hung NFS). */
    char script[700];
    snprintf (script, sizeof script, "%s/slow-addr2line", f->dir);
    FILE *s = fopen (script, "w");
    fprintf (s, "#!/bin/sh\nexec sleep 30\n");
    fclose (s);
    chmod (script, 0755);
    s_start (f, script, "/nonexistent.elf");
    assert_true (s_b_latency (f, 0, NULL) >= 0);
    const char *panic = "Guru Meditation Error: Core  0 panic'ed (LoadProhibited).\r\n"
                        "Backtrace: 0x400d1f2a:0x3ffb5a90 0x400d2b3c:0x3ffb5ab0\r\nRebooting...\r\n";
    Lab__Alert *alert = NULL;
    /* Three panics in a row (a crash loop): three backtraces at once. */
    for (int k = 1; k <= 3; k++)
        assert_int_equal (write (f->ma, panic, strlen (panic)), (ssize_t) strlen (panic));
    for (int i = 1; i <= 5; i++) {
        long ms = s_b_latency (f, i, &alert);
        assert_true (ms >= 0 && ms < LATENCY_BOUND_MS);
    }
    /* The first panic's alert still goes out, saying the symboliser gave up. */
    if (!alert)
        alert = s_next_alert (f, 50, 200);
    assert_non_null (alert);
    assert_non_null (strstr (alert->text, "board-a panicked"));
    lab__alert__free_unpacked (alert, NULL);
}

/* The address nm gives NAME in ELF (hex, no 0x), asserted to be there. */
static void
s_symbol_address (const char *elf, const char *name, char *addr, size_t addrlen)
{
    size_t cap = 4u << 20;
    char *out = malloc (cap);
    assert_non_null (out);
    char *const nm[] = { "nm", (char *) elf, NULL };
    assert_int_equal (lab_test_capture (nm, NULL, 10000, out, cap), 0);
    char *save = NULL;
    for (char *line = strtok_r (out, "\n", &save); line && !*addr; line = strtok_r (NULL, "\n", &save)) {
        char value[64], type[8], sym[256];   /* "00000000000079a0 T main" */
        if (sscanf (line, "%63s %7s %255s", value, type, sym) == 3 && !strcmp (sym, name))
            snprintf (addr, addrlen, "%s", value);
    }
    free (out);
    assert_true (*addr);
}

static void
test_the_real_addr2line_symbolises_a_backtrace (void **state)
{
    fx_t *f = (fx_t *) *state;
    if (access ("/usr/bin/addr2line", X_OK) || access ("/usr/bin/nm", X_OK)) {
        skip ();
        return;
    }
    /* A backtrace into one of our own programs, whose symbols nm knows. */
    char elf[512], addr[64] = "";
    lab_test_bin ("lab-fake-service", elf, sizeof elf);
    s_symbol_address (elf, "main", addr, sizeof addr);
    s_start (f, "/usr/bin/addr2line", elf);
    char panic[256];
    snprintf (panic, sizeof panic, "Guru Meditation Error: Core  0 panic'ed\r\nBacktrace: 0x%s:0x3ffb5a90\r\nRebooting...\r\n", addr);
    assert_int_equal (write (f->ma, panic, strlen (panic)), (ssize_t) strlen (panic));
    Lab__Alert *alert = s_next_alert (f, 100, 100);
    assert_non_null (alert);
    bool symbolised = false;
    for (size_t i = 0; i < alert->n_detail; i++)
        symbolised |= strstr (alert->detail[i], "main at ") != NULL;
    lab__alert__free_unpacked (alert, NULL);
    assert_true (symbolised);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_a_board_that_stops_reading_holds_up_nobody, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_hanging_symboliser_holds_up_nobody, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_the_real_addr2line_symbolises_a_backtrace, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
