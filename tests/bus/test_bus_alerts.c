/* test_bus_alerts - alerts are de-duplicated at the source: a crash loop is
 * one alert with a count, re-raised at a bounded rate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <unistd.h>
#include "tests/bus/bus_fixture.h"
#include "bus/bus_alerts.h"
#include "services/serial-bridge/sb_board.h"

typedef struct {
    int sent;
    uint32_t last_count;
    char last_text[256];
} got_t;

static void
s_got (void *arg, const Lab__Alert *a)
{
    got_t *g = (got_t *) arg;
    g->sent++;
    g->last_count = a->count;
    snprintf (g->last_text, sizeof g->last_text, "%s", a->text);
}

static void
test_crash_loop_is_one_alert_with_a_count (void **state)
{
    (void) state;
    got_t g = { 0 };
    bus_alerts_t *al = bus_alerts_new (10000, s_got, &g);
    /* 200 panics in 0.1 s. */
    for (int i = 0; i < 200; i++)
        bus_alerts_raise (al, "error", "board_panic", "board-a", "Guru Meditation", NULL, 0, 1000 + (uint64_t) i / 2);
    bus_alerts_tick (al, 1100);
    assert_int_equal (g.sent, 1);            /* the first, at once */
    assert_int_equal (g.last_count, 1);
    bus_alerts_tick (al, 10999);
    assert_int_equal (g.sent, 1);            /* nothing more within the interval */
    bus_alerts_tick (al, 11000);
    assert_int_equal (g.sent, 2);            /* then one standing for the other 199 */
    assert_int_equal (g.last_count, 199);
    assert_non_null (strstr (g.last_text, "199 times"));
    /* Another subject or kind is not held back by this one. */
    bus_alerts_raise (al, "error", "board_panic", "board-b", "x", NULL, 0, 11001);
    bus_alerts_raise (al, "warning", "board_reset", "board-a", "x", NULL, 0, 11001);
    assert_int_equal (g.sent, 4);
    /* A loop that goes on for a minute: one alert per interval. */
    for (uint64_t t = 12000; t < 72000; t += 50) {
        bus_alerts_raise (al, "error", "board_panic", "board-a", "again", NULL, 0, t);
        bus_alerts_tick (al, t);
    }
    assert_true (g.sent <= 4 + 7);
    uint64_t raised, sent;
    bus_alerts_counts (al, &raised, &sent);
    assert_int_equal (sent, (uint64_t) g.sent);
    assert_true (raised > 1300);
    bus_alerts_destroy (&al);
}

static void
test_alert_table_bounded (void **state)
{
    (void) state;
    got_t g = { 0 };
    bus_alerts_t *al = bus_alerts_new (10000, s_got, &g);
    char subject[32];
    for (int i = 0; i < 5000; i++) {
        snprintf (subject, sizeof subject, "s%d", i);
        bus_alerts_raise (al, "error", "k", subject, "t", NULL, 0, 1000);
        bus_alerts_raise (al, "error", "k", subject, "t", NULL, 0, 1001);   /* held */
    }
    assert_int_equal (g.sent, 5000);
    bus_alerts_destroy (&al);               /* ASan/valgrind: nothing leaks */
}

static int
s_count_alerts (bus_client_t *sub, int ms, const char *kind, uint32_t *max_count)
{
    int n = 0;
    uint64_t end = bus_mono_ns () + (uint64_t) ms * 1000000ull;
    while (bus_mono_ns () < end) {
        bus_msg_t *m = bus_client_recv (sub, 50);
        const Lab__Alert *a = bus_msg_body (m, LAB__ENVELOPE__BODY_ALERT);
        if (a && (!kind || !strcmp (a->kind, kind))) {
            n++;
            if (a->count > *max_count)
                *max_count = a->count;
        }
        bus_msg_destroy (&m);
    }
    return n;
}

typedef struct {
    sb_board_t *b;
    volatile bool stop;
} pump_t;

static void *
s_pump (void *arg)
{
    pump_t *p = (pump_t *) arg;
    while (!p->stop) {
        sb_board_tick (p->b, bus_mono_ns () / 1000000ull);
        if (sb_board_fd (p->b) >= 0)
            sb_board_on_readable (p->b);
        zclock_sleep (5);
    }
    return NULL;
}

static void
test_serial_crash_storm_gives_one_alert_per_kind (void **state)
{
    (void) state;
    bus_fixture_t fx;
    bus_fixture_start (&fx, "alerts");
    bus_client_t *sub = bus_client_new ("watcher", &fx.ep);
    bus_client_subscribe (sub, "evt.alert.");
    bus_client_t *bus = bus_client_new ("serial-bridge", &fx.ep);
    int master, slave;
    char path[256], url[300];
    assert_int_equal (openpty (&master, &slave, path, NULL, NULL), 0);
    snprintf (url, sizeof url, "pty:%s", path);
    sb_board_opts_t o = { 0 };
    o.name = "board-c";
    o.url = url;
    o.baud = 115200;
    o.reset = "none";
    o.runtime_dir = fx.dir;
    char err[256];
    sb_board_t *b = sb_board_new (&o, bus, err, sizeof err);
    assert_non_null (b);
    pump_t p = { b, false };
    pthread_t t;
    pthread_create (&t, NULL, s_pump, &p);
    zclock_sleep (200);
    /* The storm from the report: 200 panics and 200 resets in 0.1 s. */
    const char *panic = "Guru Meditation Error: Core  0 panic'ed (LoadProhibited). Exception was unhandled.\r\n";
    const char *reset = "rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n";
    for (int i = 0; i < 200; i++) {
        assert_true (write (master, panic, strlen (panic)) > 0);
        assert_true (write (master, reset, strlen (reset)) > 0);
        if (i % 20 == 0)
            zclock_sleep (10);
    }
    uint32_t maxc = 0;
    int alerts = s_count_alerts (sub, 3000, NULL, &maxc);
    print_message ("%d alerts in 3 s (board_panic, board_reset)\n", alerts);
    /* The first of each kind at once, then nothing until the interval ends. */
    assert_true (alerts >= 1 && alerts <= 2);
    p.stop = true;
    pthread_join (t, NULL);
    sb_board_destroy (&b);
    close (master);
    close (slave);
    bus_client_destroy (&bus);
    bus_client_destroy (&sub);
    bus_fixture_stop (&fx);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_crash_loop_is_one_alert_with_a_count),
        cmocka_unit_test (test_alert_table_bounded),
        cmocka_unit_test (test_serial_crash_storm_gives_one_alert_per_kind),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
