/* test_labd_units - labd's small modules on their own: when a silence
 * counts (labd_liveness), alerts held for the bus (labd_alerts), and the
 * control socket's request line (labd_ctl_parse). Times are given, so the
 * expected values are computed by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "services/labd/labd_alerts.h"
#include "services/labd/labd_ctl.h"
#include "services/labd/labd_liveness.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void
test_liveness_probe_is_a_third_of_the_shortest_heartbeat (void **state)
{
    (void) state;
    labd_liveness_t lv;
    labd_liveness_init (&lv, 1000, 100, 0);
    assert_int_equal (lv.interval_ms, 333);
    assert_int_equal (lv.grace_ms, 1049);        /* 3 x 333 + 50 < 2 x 1000 */
    labd_liveness_init (&lv, 100, 100, 0);
    assert_int_equal (lv.interval_ms, 33);
    assert_int_equal (lv.grace_ms, 149);         /* < 2 x 100: down before anyone is hung */
    labd_liveness_init (&lv, 0, 100, 0);
    assert_int_equal (lv.interval_ms, 1000);     /* no child heartbeats: a slow probe */
}

static void
test_liveness_bus_silent_past_grace_is_down_and_its_outage_is_returned_once (void **state)
{
    (void) state;
    labd_liveness_t lv;
    labd_liveness_init (&lv, 1000, 100, 10000);
    assert_true (labd_liveness_bus_up (&lv, 11049));      /* exactly grace: still up */
    assert_false (labd_liveness_bus_up (&lv, 11050));
    assert_false (labd_liveness_bus_up (&lv, 20000));
    assert_int_equal (labd_liveness_bus_rx (&lv, 40000), 30000);
    assert_true (labd_liveness_bus_up (&lv, 40000));
    assert_int_equal (lv.bus_back_ms, 40000);      /* clients reconnect from here */
    assert_int_equal (labd_liveness_bus_rx (&lv, 40333), 0);  /* a normal interval */
    assert_int_equal (lv.bus_back_ms, 40000);
}

static void
test_liveness_lost_broker_is_down_at_once_until_a_message (void **state)
{
    (void) state;
    labd_liveness_t lv;
    labd_liveness_init (&lv, 1000, 100, 0);
    labd_liveness_bus_rx (&lv, 100);
    labd_liveness_bus_lost (&lv);
    assert_false (labd_liveness_bus_up (&lv, 101));
    assert_int_equal (labd_liveness_bus_rx (&lv, 400), 300);
    assert_true (labd_liveness_bus_up (&lv, 400));
}

static void
test_liveness_stall_is_reported_and_not_counted_again_as_bus_outage (void **state)
{
    (void) state;
    labd_liveness_t lv;
    labd_liveness_init (&lv, 1000, 100, 0);    /* turns every 100 ms: stall past 450 */
    assert_int_equal (labd_liveness_turn (&lv, 100), 0);
    assert_int_equal (labd_liveness_turn (&lv, 550), 0);
    assert_int_equal (labd_liveness_turn (&lv, 30550), 30000);
    /* The first message after the stall: the bus was fine, labd was not. */
    assert_int_equal (labd_liveness_bus_rx (&lv, 30551), 0);
}

static void
test_alerts_fold_repeats_and_keep_order (void **state)
{
    (void) state;
    labd_alerts_t *a = labd_alerts_new ("/nonexistent");
    labd_alert_t x = { "error", "service_failed", "labbus", "first", 1 };
    labd_alert_t y = { "warning", "service_hung", "svc", "hung", 1 };
    labd_alerts_hold (a, &x);
    labd_alerts_hold (a, &y);
    snprintf (x.text, sizeof x.text, "tenth");
    for (int i = 0; i < 9; i++)
        labd_alerts_hold (a, &x);
    assert_int_equal (labd_alerts_held (a), 2);
    labd_alert_t out;
    assert_true (labd_alerts_pop (a, &out));
    assert_string_equal (out.subject, "labbus");
    assert_string_equal (out.text, "tenth");
    assert_int_equal (out.count, 10);
    assert_true (labd_alerts_pop (a, &out));
    assert_string_equal (out.subject, "svc");
    assert_int_equal (out.count, 1);
    assert_false (labd_alerts_pop (a, &out));
    labd_alerts_destroy (&a);
    assert_null (a);
}

static void
test_alerts_are_bounded_and_count_what_they_drop (void **state)
{
    (void) state;
    labd_alerts_t *a = labd_alerts_new ("/nonexistent");
    for (int i = 0; i < LABD_ALERTS_HELD_MAX + 5; i++) {
        labd_alert_t x = { "error", "k", "", "t", 1 };
        snprintf (x.subject, sizeof x.subject, "s%d", i);
        labd_alerts_hold (a, &x);
    }
    assert_int_equal (labd_alerts_held (a), LABD_ALERTS_HELD_MAX);
    assert_int_equal (labd_alerts_dropped (a), 5);
    labd_alert_t out;
    assert_true (labd_alerts_pop (a, &out));
    assert_string_equal (out.subject, "s5");      /* the oldest went first */
    labd_alerts_destroy (&a);
}

static void
test_alerts_are_written_to_the_log_as_json_lines (void **state)
{
    (void) state;
    char dir[] = "/tmp/labd-alerts-XXXXXX";
    assert_non_null (mkdtemp (dir));
    labd_alerts_t *a = labd_alerts_new (dir);
    labd_alert_t x = { "error", "service_failed", "lab\"bus", "a \"quoted\" text", 1 };
    labd_alerts_record (a, &x);
    labd_alerts_destroy (&a);
    char path[256], line[1024] = "";
    snprintf (path, sizeof path, "%s/alerts.log", dir);
    FILE *f = fopen (path, "r");
    assert_non_null (f);
    assert_non_null (fgets (line, sizeof line, f));
    fclose (f);
    assert_non_null (strstr (line, "\"subject\":\"lab\\\"bus\""));
    assert_non_null (strstr (line, "\"text\":\"a \\\"quoted\\\" text\""));
    unlink (path);
    rmdir (dir);
}

static void
test_ctl_parse_splits_words_and_refuses_garbage (void **state)
{
    (void) state;
    char cmd[LABD_CTL_WORD_MAX], args[LABD_CTL_ARGS_MAX][LABD_CTL_WORD_MAX];
    assert_int_equal (labd_ctl_parse ("status", 6, cmd, args), 0);
    assert_string_equal (cmd, "status");
    assert_int_equal (labd_ctl_parse ("  restart \t serial-bridge ", 25, cmd, args), 1);
    assert_string_equal (cmd, "restart");
    assert_string_equal (args[0], "serial-bridge");
    assert_int_equal (labd_ctl_parse ("", 0, cmd, args), -1);
    assert_int_equal (labd_ctl_parse ("   ", 3, cmd, args), -1);
    assert_int_equal (labd_ctl_parse ("st\0tus", 6, cmd, args), -1);
    assert_int_equal (labd_ctl_parse ("stop \xc3\xa9", 7, cmd, args), -1);
    assert_int_equal (labd_ctl_parse ("a b c d e", 9, cmd, args), 4);
    assert_int_equal (labd_ctl_parse ("a b c d e f", 11, cmd, args), -1);
    char word[LABD_CTL_WORD_MAX + 1];
    memset (word, 'w', sizeof word);
    assert_int_equal (labd_ctl_parse (word, sizeof word, cmd, args), -1);
    assert_int_equal (labd_ctl_parse (word, LABD_CTL_WORD_MAX - 1, cmd, args), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_liveness_probe_is_a_third_of_the_shortest_heartbeat),
        cmocka_unit_test (test_liveness_bus_silent_past_grace_is_down_and_its_outage_is_returned_once),
        cmocka_unit_test (test_liveness_lost_broker_is_down_at_once_until_a_message),
        cmocka_unit_test (test_liveness_stall_is_reported_and_not_counted_again_as_bus_outage),
        cmocka_unit_test (test_alerts_fold_repeats_and_keep_order),
        cmocka_unit_test (test_alerts_are_bounded_and_count_what_they_drop),
        cmocka_unit_test (test_alerts_are_written_to_the_log_as_json_lines),
        cmocka_unit_test (test_ctl_parse_splits_words_and_refuses_garbage),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
