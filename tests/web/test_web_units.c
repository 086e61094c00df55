/* test_web_units - the web service's parts without processes: the /events
 * topic filter, the event hub's per-client bound, and the strict exposition
 * checker the other web tests rely on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "services/web/web_filter.h"
#include "services/web/web_hub.h"
#include "services/web/web_metrics.h"
#include "tests/web/prom_check.h"

static void
test_filter_parses_prefixes_and_refuses_bad_ones (void **state)
{
    (void) state;
    web_filter_t f;
    char err[160];
    assert_int_equal (web_filter_parse (&f, "state., tel.serial.*,,", err, sizeof err), 0);
    assert_int_equal (f.count, 2);
    assert_string_equal (f.prefix[1], "tel.serial.");
    assert_true (web_filter_match (&f, "tel.serial.board-a"));
    assert_true (web_filter_match (&f, "state.board.x"));
    assert_false (web_filter_match (&f, "evt.alert.x"));
    assert_int_equal (web_filter_parse (&f, NULL, err, sizeof err), 0);
    assert_true (web_filter_match (&f, "anything"));
    assert_int_equal (web_filter_parse (&f, "state.,*", err, sizeof err), 0);
    assert_int_equal (f.count, 0);
    assert_int_equal (web_filter_parse (&f, "state.<script>", err, sizeof err), -1);
    assert_non_null (strstr (err, "bad character"));
    char many[400] = "";
    for (int i = 0; i < WEB_FILTER_MAX + 1; i++)
        strcat (many, "a,");
    assert_int_equal (web_filter_parse (&f, many, err, sizeof err), -1);
    char longp[300];
    memset (longp, 'x', sizeof longp - 1);
    longp[sizeof longp - 1] = 0;
    assert_int_equal (web_filter_parse (&f, longp, err, sizeof err), -1);
}

static void
test_slow_client_dropped_without_blocking_publisher (void **state)
{
    (void) state;
    web_hub_limits_t limits = { .max_clients = 2, .client_queue_msgs = 10,
                                .client_queue_bytes = 4096, .state_topics = 4, .serial_lines = 4 };
    web_hub_t *hub = web_hub_new (&limits);
    web_filter_t all;
    char err[100];
    web_filter_parse (&all, NULL, err, sizeof err);
    web_hub_client_t *slow = web_hub_attach (hub, &all);
    web_hub_client_t *fast = web_hub_attach (hub, &all);
    assert_non_null (slow);
    assert_non_null (fast);
    assert_null (web_hub_attach (hub, &all));       /* max_clients */
    char buf[256];
    /* The fast client reads each message; the slow one never does. */
    for (int i = 0; i < 100; i++) {
        web_hub_publish (hub, "tel.serial.a", "{\"n\":1}");
        while (web_hub_client_read (hub, fast, buf, sizeof buf, 0) > 0)
            ;
    }
    web_hub_stats_t st;
    web_hub_stats (hub, &st);
    assert_int_equal (st.clients_dropped, 1);
    assert_int_equal (web_hub_client_read (hub, slow, buf, sizeof buf, 0), -1);
    assert_true (web_hub_client_read (hub, fast, buf, sizeof buf, 0) >= 0);
    /* A late client gets the remembered state and lines, not more. */
    web_hub_publish (hub, "state.board.a", "{\"s\":1}");
    web_hub_publish (hub, "state.board.a", "{\"s\":2}");
    web_hub_detach (hub, &slow);
    web_filter_t st_only;
    web_filter_parse (&st_only, "state.", err, sizeof err);
    web_hub_client_t *late = web_hub_attach (hub, &st_only);
    ssize_t n = web_hub_client_read (hub, late, buf, sizeof buf - 1, 0);
    assert_true (n > 0);
    buf[n] = 0;
    assert_string_equal (buf, "data: {\"s\":2}\n\n");
    /* Several queued events come out in one read; a small buffer splits
     * them without losing a byte. */
    web_hub_publish (hub, "state.a", "{\"a\":1}");
    web_hub_publish (hub, "state.b", "{\"b\":2}");
    char small[5], joined[64] = "";
    ssize_t got;
    while ((got = web_hub_client_read (hub, late, small, sizeof small - 1, 0)) > 0) {
        small[got] = 0;
        strcat (joined, small);
    }
    assert_string_equal (joined, "data: {\"a\":1}\n\ndata: {\"b\":2}\n\n");
    assert_int_equal (web_hub_client_read (hub, late, buf, sizeof buf, 0), 0);
    web_hub_close (hub);
    assert_int_equal (web_hub_client_read (hub, fast, buf, sizeof buf, 1000), -1);
    web_hub_detach (hub, &late);
    web_hub_detach (hub, &fast);
    web_hub_destroy (&hub);
}

static void
test_prom_checker_refuses_malformed_text (void **state)
{
    (void) state;
    char err[200];
    assert_int_equal (prom_check ("# HELP a_total x\n# TYPE a_total counter\na_total 1\n", err, sizeof err), 1);
    assert_int_equal (prom_check ("a 1\n", err, sizeof err), -1);                 /* no TYPE */
    assert_int_equal (prom_check ("# HELP a x\n# TYPE a counter\na 1\n", err, sizeof err), -1);
    assert_int_equal (prom_check ("# HELP a x\n# TYPE a gauge\na{l=\"\\x\"} 1\n", err, sizeof err), -1);
    assert_int_equal (prom_check ("# HELP a x\n# TYPE a gauge\na 1\na 2\n", err, sizeof err), -1);
    assert_int_equal (prom_check ("# HELP a x\n# TYPE a gauge\na one\n", err, sizeof err), -1);
    assert_int_equal (prom_check ("# HELP a x\n# TYPE a gauge\na 1", err, sizeof err), -1);
    assert_int_equal (prom_check ("# HELP a x\n# TYPE a gauge\na{l=\"1\",} 1\n", err, sizeof err), -1);
    assert_int_equal (prom_check ("# HELP a x\n# TYPE a gauge\n# HELP b x\n# TYPE b gauge\nb 1\na 1\nb 2\n",
                                  err, sizeof err), -1);
}

static void
test_metrics_render_escapes_and_passes_checker (void **state)
{
    (void) state;
    web_metrics_t *m = web_metrics_new ();
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    Lab__BoardState b = LAB__BOARD_STATE__INIT;
    b.board = "a\"b\\c\nd";
    b.crc_errors = 7;
    env.body_case = LAB__ENVELOPE__BODY_BOARD;
    env.board = &b;
    web_metrics_update (m, "state.board.x", &env);
    Lab__OtaJobState o = LAB__OTA_JOB_STATE__INIT;
    o.job = "j";
    o.percent = 12.5;
    env = (Lab__Envelope) LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_OTA;
    env.ota = &o;
    web_metrics_update (m, "state.ota.j", &env);
    web_metrics_set_bus (m, 10, 1, 0, 0);
    web_metrics_self_t w = { .sse_clients = 2 };
    char *text = web_metrics_render (m, &w);
    char err[200];
    int n = prom_check (text, err, sizeof err);
    if (n < 0)
        fprintf (stderr, "%s\n%s", err, text);
    assert_true (n > 0);
    assert_true (prom_value (text, "labbus_board_crc_errors_total{board=\"a\\\"b\\\\c\\nd\"}") == 7);
    assert_true (prom_value (text, "labbus_ota_progress_ratio{job=\"j\"}") == 0.125);
    assert_true (prom_value (text, "labbus_web_sse_clients") == 2);
    assert_true (prom_value (text, "labbus_web_bus_gaps_total") == 1);
    free (text);
    web_metrics_destroy (&m);
}

static void
test_metrics_tables_are_bounded (void **state)
{
    (void) state;
    web_metrics_t *m = web_metrics_new ();
    char name[32];
    for (int i = 0; i < WEB_METRICS_MAX_ITEMS + 10; i++) {
        snprintf (name, sizeof name, "svc-%d", i);
        Lab__ServiceState s = LAB__SERVICE_STATE__INIT;
        s.name = name;
        s.state = "up";
        Lab__Envelope env = LAB__ENVELOPE__INIT;
        env.body_case = LAB__ENVELOPE__BODY_SERVICE;
        env.service = &s;
        web_metrics_update (m, "state.service.x", &env);
    }
    char *text = web_metrics_render (m, NULL);
    char err[200];
    assert_true (prom_check (text, err, sizeof err) > WEB_METRICS_MAX_ITEMS);
    assert_true (prom_value (text, "labbus_web_untracked_total") == 10);
    assert_true (prom_value (text, "labbus_service_up{service=\"svc-0\"}") == 1);
    free (text);
    web_metrics_destroy (&m);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_filter_parses_prefixes_and_refuses_bad_ones),
        cmocka_unit_test (test_slow_client_dropped_without_blocking_publisher),
        cmocka_unit_test (test_prom_checker_refuses_malformed_text),
        cmocka_unit_test (test_metrics_render_escapes_and_passes_checker),
        cmocka_unit_test (test_metrics_tables_are_bounded),
    };
    return cmocka_run_group_tests_name ("web_units", tests, NULL, NULL);
}
