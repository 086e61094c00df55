/* test_web - the web service against a real broker: /metrics passes a strict
 * exposition-format check and carries what was published, /events streams
 * filtered JSON, bad filters and writes are refused, a non-loopback bind
 * needs a password; plus the filter and the slow-client bound as units. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include "services/web/web_filter.h"
#include "services/web/web_hub.h"
#include "tests/web/prom_check.h"
#include "tests/web/web_test_util.h"

static int
s_setup (void **state)
{
    web_lab_t *lab = calloc (1, sizeof *lab);
    assert_int_equal (web_lab_start (lab, NULL), 0);
    *state = lab;
    return 0;
}

static int
s_teardown (void **state)
{
    web_lab_t *lab = *state;
    web_lab_stop (lab);
    free (lab);
    return 0;
}

/* --- units ---------------------------------------------------------------- */

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

/* --- against the real service --------------------------------------------- */

static void
s_publish_state (bus_client_t *pub)
{
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    Lab__ServiceState svc = LAB__SERVICE_STATE__INIT;
    svc.name = "serial-bridge";
    svc.state = "up";
    svc.restarts = 3;
    svc.rss_kb = 2048;
    env.body_case = LAB__ENVELOPE__BODY_SERVICE;
    env.service = &svc;
    bus_client_publish (pub, "state.service.serial-bridge", &env);

    Lab__BoardState b = LAB__BOARD_STATE__INIT;
    b.board = "board \"q\"\\x";       /* a name that needs escaping */
    b.connected = true;
    b.bytes_in = 12345;
    b.frames_in = 77;
    b.crc_errors = 2;
    b.last_byte_ns = 1700000000123000000ull;
    env = (Lab__Envelope) LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_BOARD;
    env.board = &b;
    bus_client_publish (pub, "state.board.q", &env);

    Lab__OtaJobState ota = LAB__OTA_JOB_STATE__INIT;
    ota.job = "job-1";
    ota.state = "sending";
    ota.image_size = 742000;
    ota.bytes_acked = 371000;
    ota.percent = 50;
    ota.retransmissions = 4;
    env = (Lab__Envelope) LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_OTA;
    env.ota = &ota;
    bus_client_publish (pub, "state.ota.job-1", &env);

    Lab__EvalSweepState sw = LAB__EVAL_SWEEP_STATE__INIT;
    sw.sweep = "s1";
    sw.done = 5;
    sw.total = 12;
    sw.errors = 1;
    sw.summary_md = "| cohort | ok |\n|---|---|\n| a | 5 |\n";
    env = (Lab__Envelope) LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_EVAL_SWEEP;
    env.eval_sweep = &sw;
    bus_client_publish (pub, "state.eval.s1", &env);

    Lab__DistanceEstimate d = LAB__DISTANCE_ESTIMATE__INIT;
    d.a = "board-a";
    d.b = "board-b";
    d.distance_m = 2.5;
    d.rssi_filtered_dbm = -55.5;
    env = (Lab__Envelope) LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_DISTANCE;
    env.distance = &d;
    bus_client_publish (pub, "state.distance.board-a.board-b", &env);

    Lab__Alert al = LAB__ALERT__INIT;
    al.kind = "board_silent";
    al.severity = "warning";
    al.subject = "board-a";
    al.text = "no bytes\nfor 10 s";
    env = (Lab__Envelope) LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_ALERT;
    env.alert = &al;
    bus_client_publish (pub, "evt.alert.board_silent.board-a", &env);

    Lab__ChatMessage chat = LAB__CHAT_MESSAGE__INIT;
    chat.text = "/status";
    env = (Lab__Envelope) LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_CHAT;
    env.chat = &chat;
    bus_client_publish (pub, "evt.chat.accepted.status", &env);
    bus_client_publish (pub, "evt.chat.refused.reflash", &env);
    web_pub_line (pub, "board-a", "I (42) boot: hello");
}

static void
test_metrics_pass_strict_exposition_check (void **state)
{
    web_lab_t *lab = *state;
    s_publish_state (lab->pub);
    char url[300], *body = NULL, err[300];
    snprintf (url, sizeof url, "%smetrics", lab->url);
    /* The service takes the messages in asynchronously; wait for the last. */
    for (int i = 0; i < 250; i++) {
        free (body);
        body = NULL;
        assert_int_equal (web_http_get (url, NULL, &body), 200);
        if (prom_value (body, "labbus_chat_commands_total{outcome=\"refused\"}") >= 1
            && prom_value (body, "labbus_board_lines_total{board=\"board-a\"}") >= 1)
            break;
        zclock_sleep (20);
    }
    int samples = prom_check (body, err, sizeof err);
    if (samples < 0)
        fprintf (stderr, "%s\n---\n%s", err, body);
    assert_true (samples > 20);
    assert_true (prom_value (body, "labbus_service_up{service=\"serial-bridge\"}") == 1);
    assert_true (prom_value (body, "labbus_service_restarts_total{service=\"serial-bridge\"}") == 3);
    assert_true (prom_value (body, "labbus_service_resident_memory_bytes{service=\"serial-bridge\"}") == 2048 * 1024);
    assert_true (prom_value (body, "labbus_board_crc_errors_total{board=\"board \\\"q\\\"\\\\x\"}") == 2);
    assert_true (prom_value (body, "labbus_board_received_frames_total{board=\"board \\\"q\\\"\\\\x\"}") == 77);
    assert_true (prom_value (body, "labbus_board_last_seen_timestamp_seconds{board=\"board \\\"q\\\"\\\\x\"}") > 1.7e9);
    assert_true (prom_value (body, "labbus_ota_acked_bytes_total{job=\"job-1\"}") == 371000);
    assert_true (prom_value (body, "labbus_ota_retransmissions_total{job=\"job-1\"}") == 4);
    assert_true (prom_value (body, "labbus_ota_progress_ratio{job=\"job-1\"}") == 0.5);
    assert_true (prom_value (body, "labbus_eval_rows_total{sweep=\"s1\"}") == 5);
    assert_true (prom_value (body, "labbus_eval_errors_total{sweep=\"s1\"}") == 1);
    assert_true (prom_value (body, "labbus_link_distance_meters{a=\"board-a\",b=\"board-b\"}") == 2.5);
    assert_true (prom_value (body, "labbus_alerts_total{kind=\"board_silent\",severity=\"warning\"}") == 1);
    assert_true (prom_value (body, "labbus_chat_commands_total{outcome=\"accepted\"}") == 1);
    assert_true (prom_value (body, "labbus_web_bus_messages_total") >= 9);
    free (body);
}

typedef struct {
    char url[400];
    const char *until;          /* stop once the stream holds this */
    char *data;
    size_t len;
    volatile bool connected;
    long status;
} stream_t;

static size_t
s_stream_write (char *ptr, size_t size, size_t nmemb, void *arg)
{
    stream_t *s = arg;
    size_t n = size * nmemb;
    char *grown = realloc (s->data, s->len + n + 1);
    if (!grown)
        return 0;
    s->data = grown;
    memcpy (s->data + s->len, ptr, n);
    s->len += n;
    s->data[s->len] = 0;
    s->connected = true;
    return strstr (s->data, s->until) ? 0 : n;      /* 0 ends the transfer */
}

static void *
s_stream_thread (void *arg)
{
    stream_t *s = arg;
    CURL *curl = curl_easy_init ();
    curl_easy_setopt (curl, CURLOPT_URL, s->url);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_stream_write);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, s);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, 15000L);
    curl_easy_perform (curl);
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &s->status);
    curl_easy_cleanup (curl);
    return NULL;
}

static void
test_events_stream_filtered_json (void **state)
{
    web_lab_t *lab = *state;
    stream_t s = { .until = "events-marker-2" };
    snprintf (s.url, sizeof s.url, "%sevents?topics=tel.serial.board-e,state.ota.", lab->url);
    pthread_t th;
    pthread_create (&th, NULL, s_stream_thread, &s);
    for (int i = 0; i < 500 && !s.connected; i++)
        zclock_sleep (10);
    assert_true (s.connected);
    web_pub_line (lab->pub, "board-e", "events-marker-1 \"quoted\"");
    bus_client_publish_text (lab->pub, "tel.serial.board-other", "not for this filter");
    bus_client_publish_text (lab->pub, "state.board.x", "not for this filter either");
    web_pub_line (lab->pub, "board-e", "events-marker-2");
    pthread_join (th, NULL);
    assert_int_equal (s.status, 200);
    assert_non_null (s.data);
    assert_non_null (strstr (s.data, "retry: "));
    const char *ev = strstr (s.data, "data: {");
    assert_non_null (ev);
    assert_non_null (strstr (s.data, "\"topic\":\"tel.serial.board-e\""));
    assert_non_null (strstr (s.data, "\"serial_line\":{\"board\":\"board-e\",\"text\":\"events-marker-1 \\\"quoted\\\"\""));
    assert_null (strstr (s.data, "not for this filter"));
    /* Each event is one data line closed by a blank line. */
    for (const char *p = ev; (p = strstr (p, "data: ")); p += 6) {
        const char *nl = strchr (p, '\n');
        assert_non_null (nl);
        assert_true (nl[1] == '\n' || nl[1] == 0);
    }
    free (s.data);
}

static void
test_bad_filter_and_writes_refused (void **state)
{
    web_lab_t *lab = *state;
    char url[400], *body = NULL;
    snprintf (url, sizeof url, "%sevents?topics=state.%%3Cscript%%3E", lab->url);
    assert_int_equal (web_http_get (url, NULL, &body), 400);
    assert_non_null (strstr (body, "bad character"));
    free (body);
    snprintf (url, sizeof url, "%smetrics", lab->url);
    assert_int_equal (web_http_method (url, "POST", &body), 405);
    free (body);
    snprintf (url, sizeof url, "%s..%%2Flab.cfg", lab->url);
    assert_int_equal (web_http_get (url, NULL, &body), 404);
    free (body);
    assert_int_equal (web_http_get (lab->url, NULL, &body), 200);
    assert_non_null (strstr (body, "<title>labbus</title>"));
    free (body);
    snprintf (url, sizeof url, "%sapp.js", lab->url);
    assert_int_equal (web_http_get (url, NULL, &body), 200);
    assert_non_null (strstr (body, "EventSource"));
    free (body);
}

static void
test_non_loopback_bind_needs_password (void **state)
{
    (void) state;
    char *dir = lab_test_tmpdir ("webpw");
    setenv ("LAB_BUS_DIR", dir, 1);
    setenv ("LAB_RUNTIME_DIR", dir, 1);
    pid_t broker = lab_test_start_broker (dir, NULL);
    assert_true (broker > 0);
    char cfg[600], log[600], urlfile[600];
    snprintf (cfg, sizeof cfg, "%s/open.cfg", dir);
    snprintf (log, sizeof log, "%s/web-open.log", dir);
    FILE *f = fopen (cfg, "w");
    fprintf (f, "web\n    bind = \"0.0.0.0\"\n    port = 0\n");
    fclose (f);
    const char *argv[] = { "web", "-c", cfg, NULL };
    pid_t web = lab_test_spawn ("web", argv, log);
    int status = lab_test_stop (web, 0, 10000);     /* exits by itself */
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 1);
    f = fopen (log, "r");
    char line[600] = "";
    assert_non_null (fgets (line, sizeof line, f));
    fclose (f);
    assert_non_null (strstr (line, "open.cfg:2:"));
    assert_non_null (strstr (line, "without web/password"));

    /* With a password it serves, and only with the password. */
    snprintf (cfg, sizeof cfg, "%s/pw.cfg", dir);
    snprintf (urlfile, sizeof urlfile, "%s/pw.url", dir);
    f = fopen (cfg, "w");
    fprintf (f, "web\n    bind = \"0.0.0.0\"\n    port = 0\n    password = \"s3cret\"\n");
    fclose (f);
    const char *argv2[] = { "web", "-c", cfg, "--url-file", urlfile, NULL };
    web = lab_test_spawn ("web", argv2, log);
    char url[300] = "";
    for (int i = 0; i < 500 && !url[0]; i++) {
        f = fopen (urlfile, "r");
        if (f) {
            if (fgets (url, sizeof url, f))
                url[strcspn (url, "\n")] = 0;
            fclose (f);
        }
        if (!url[0])
            zclock_sleep (20);
    }
    assert_true (url[0]);
    const char *port = strrchr (url, ':');
    char local[300];
    snprintf (local, sizeof local, "http://127.0.0.1%smetrics", port);
    char *body = NULL;
    assert_int_equal (web_http_get (local, NULL, &body), 401);
    free (body);
    assert_int_equal (web_http_get (local, "lab:wrong", &body), 401);
    free (body);
    assert_int_equal (web_http_get (local, "lab:s3cret", &body), 200);
    free (body);
    lab_test_stop (web, SIGTERM, 5000);
    lab_test_stop (broker, SIGTERM, 2000);
    lab_test_rmdir (dir);
    free (dir);
}

int
main (void)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_filter_parses_prefixes_and_refuses_bad_ones),
        cmocka_unit_test (test_slow_client_dropped_without_blocking_publisher),
        cmocka_unit_test (test_prom_checker_refuses_malformed_text),
        cmocka_unit_test_setup_teardown (test_metrics_pass_strict_exposition_check, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_events_stream_filtered_json, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_filter_and_writes_refused, s_setup, s_teardown),
        cmocka_unit_test (test_non_loopback_bind_needs_password),
    };
    int rc = cmocka_run_group_tests_name ("web", tests, NULL, NULL);
    curl_global_cleanup ();
    return rc;
}
