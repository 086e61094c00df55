/* test_bus_units - config loading, flight recorder and JSON, without a broker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "bus/bus_broker.h"
#include "bus/bus_json.h"
#include "bus/bus_recorder.h"
#include <sys/stat.h>
#include <unistd.h>

static void
test_config_syntax_error_names_file_and_line (void **state)
{
    (void) state;
    char err[512] = "";
    lab_config_t *cfg = lab_config_load_str ("lab\n    name = x\n  bad = 1\n", "t.cfg", err, sizeof err);
    assert_null (cfg);
    assert_non_null (strstr (err, "t.cfg:3:"));
}

static void
test_config_missing_file_is_an_error (void **state)
{
    (void) state;
    char err[512] = "";
    assert_null (lab_config_load ("/nonexistent/lab.cfg", err, sizeof err));
    assert_non_null (strstr (err, "/nonexistent/lab.cfg"));
    assert_non_null (strstr (err, "cannot open"));
}

/* A directory reads as an empty config on Linux: it must be refused. */
static void
test_config_directory_is_an_error (void **state)
{
    (void) state;
    char err[512] = "";
    assert_null (lab_config_load ("/tmp", err, sizeof err));
    assert_non_null (strstr (err, "not a regular file"));
}

static void
test_config_bad_value_names_line (void **state)
{
    (void) state;
    char err[512] = "";
    const char *text = "# comment\n\nbus\n    recorder\n        path = \"x\"\n        files = lots\n";
    lab_config_t *cfg = lab_config_load_str (text, "lab.cfg", err, sizeof err);
    assert_non_null (cfg);
    bus_broker_opts_t opts;
    setenv ("LAB_RUNTIME_DIR", "/tmp", 1);
    assert_int_equal (bus_broker_opts_from_config (&opts, cfg, err, sizeof err), -1);
    assert_non_null (strstr (err, "lab.cfg:6:"));
    assert_non_null (strstr (err, "files"));
    lab_config_destroy (&cfg);
}

static void
test_config_unknown_key_is_refused (void **state)
{
    (void) state;
    char err[512] = "";
    lab_config_t *cfg = lab_config_load_str ("bus\n    heartbeat = 1s\n    recoder = x\n", "lab.cfg", err, sizeof err);
    assert_non_null (cfg);
    bus_broker_opts_t opts;
    assert_int_equal (bus_broker_opts_from_config (&opts, cfg, err, sizeof err), -1);
    assert_non_null (strstr (err, "lab.cfg:3: unknown key 'recoder'"));
    lab_config_destroy (&cfg);
}

static void
test_config_units (void **state)
{
    (void) state;
    char err[512] = "";
    lab_config_t *cfg = lab_config_load_str ("a\n    d1 = 250ms\n    d2 = 2s\n    s1 = 16M\n    bad = 5 parsecs\n",
                                             "u.cfg", err, sizeof err);
    assert_non_null (cfg);
    zconfig_t *a = zconfig_locate (lab_config_root (cfg), "a");
    long v;
    assert_int_equal (lab_config_duration_ms (cfg, a, "d1", 0, &v, err, sizeof err), 0);
    assert_int_equal (v, 250);
    assert_int_equal (lab_config_duration_ms (cfg, a, "d2", 0, &v, err, sizeof err), 0);
    assert_int_equal (v, 2000);
    assert_int_equal (lab_config_duration_ms (cfg, a, "missing", 77, &v, err, sizeof err), 0);
    assert_int_equal (v, 77);
    assert_int_equal (lab_config_size (cfg, a, "s1", 0, &v, err, sizeof err), 0);
    assert_int_equal (v, 16 << 20);
    assert_int_equal (lab_config_duration_ms (cfg, a, "bad", 0, &v, err, sizeof err), -1);
    assert_non_null (strstr (err, "u.cfg:5:"));
    lab_config_destroy (&cfg);
}

static void
test_default_config_loads (void **state)
{
    (void) state;
    char err[512] = "";
    lab_config_t *cfg = lab_config_load ("compose/lab.cfg", err, sizeof err);
    assert_non_null (cfg);
    bus_broker_opts_t opts;
    assert_int_equal (bus_broker_opts_from_config (&opts, cfg, err, sizeof err), 0);
    assert_true (opts.recorder_path[0]);
    lab_config_destroy (&cfg);
}

static int
s_count (uint64_t ts, const char *topic, const uint8_t *body, size_t len, void *arg)
{
    (void) ts;
    (void) body;
    long *n = (long *) arg;
    assert_string_equal (topic, "tel.x");
    assert_int_equal (len, 100);
    (*n)++;
    return 0;
}

static void
test_recorder_round_trip_and_rotation (void **state)
{
    (void) state;
    char dir[] = "/tmp/labtest-rec-XXXXXX";
    assert_non_null (mkdtemp (dir));
    char path[128];
    snprintf (path, sizeof path, "%s/sub/bus.rec", dir);
    char err[256];
    bus_recorder_t *r = bus_recorder_new (path, 8192, 3, err, sizeof err);
    assert_non_null (r);
    uint8_t body[100];
    memset (body, 0xAB, sizeof body);
    /* 1000 records of 119 bytes: far more than 3 files of 8 KB hold. */
    for (int i = 0; i < 1000; i++)
        assert_int_equal (bus_recorder_write (r, (uint64_t) i, "tel.x", 5, body, sizeof body), 0);
    bus_recorder_destroy (&r);
    char p1[160], p3[160];
    snprintf (p1, sizeof p1, "%s.1", path);
    snprintf (p3, sizeof p3, "%s.3", path);
    struct stat st;
    assert_int_equal (stat (p1, &st), 0);
    assert_true (st.st_size <= 8192);
    assert_int_not_equal (stat (p3, &st), 0);   /* only 3 files kept */
    long n = 0, corrupt = 0;
    long read = bus_recorder_read (path, 3, s_count, &n, &corrupt);
    assert_int_equal (read, n);
    assert_true (n > 100 && n < 1000);   /* the oldest were rotated away */
    assert_int_equal (corrupt, 0);
    /* A record cut short by a crash is skipped, not misread. */
    FILE *f = fopen (path, "ab");
    uint32_t len = 500;
    fwrite (&len, 4, 1, f);
    fwrite ("partial", 1, 7, f);
    fclose (f);
    long n2 = 0;
    bus_recorder_read (path, 3, s_count, &n2, &corrupt);
    assert_int_equal (n2, n);
    assert_int_equal (corrupt, 1);
    char cmd[160];
    snprintf (cmd, sizeof cmd, "%s/sub", dir);
    unlink (path);
    unlink (p1);
    snprintf (p1, sizeof p1, "%s.2", path);
    unlink (p1);
    rmdir (cmd);
    rmdir (dir);
}

static void
test_json_shows_oneof_body_and_skips_defaults (void **state)
{
    (void) state;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    Lab__Alert alert = LAB__ALERT__INIT;
    alert.severity = (char *) "error";
    alert.subject = (char *) "board-a";
    char *detail[] = { (char *) "line 1", (char *) "line 2" };
    alert.detail = detail;
    alert.n_detail = 2;
    env.source = (char *) "t";
    env.seq = 7;
    env.body_case = LAB__ENVELOPE__BODY_ALERT;
    env.alert = &alert;
    char *s = bus_json_envelope ("evt.alert", &env);
    assert_non_null (strstr (s, "\"source\":\"t\""));
    assert_non_null (strstr (s, "\"seq\":7"));
    assert_non_null (strstr (s, "\"alert\":{\"severity\":\"error\",\"subject\":\"board-a\",\"detail\":[\"line 1\",\"line 2\"]}"));
    assert_null (strstr (s, "corr_id"));
    assert_null (strstr (s, "serial_line"));
    assert_string_equal (bus_json_body_name (&env), "alert");
    free (s);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logsystem (false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_config_syntax_error_names_file_and_line),
        cmocka_unit_test (test_config_missing_file_is_an_error),
        cmocka_unit_test (test_config_directory_is_an_error),
        cmocka_unit_test (test_config_bad_value_names_line),
        cmocka_unit_test (test_config_unknown_key_is_refused),
        cmocka_unit_test (test_config_units),
        cmocka_unit_test (test_default_config_loads),
        cmocka_unit_test (test_recorder_round_trip_and_rotation),
        cmocka_unit_test (test_json_shows_oneof_body_and_skips_defaults),
    };
    return cmocka_run_group_tests_name ("bus_units", tests, NULL, NULL);
}
