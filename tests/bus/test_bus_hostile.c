/* test_bus_hostile - strings with quotes, backslashes, control bytes and
 * invalid UTF-8 (in topics, sources, board names, a board's BOOT version, an
 * alert's text) never make anything we print invalid: `labbus status`,
 * `labctl --json status`, `labctl --json sub`, serial-bridge's board JSON,
 * the web page's event stream and /metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <pty.h>
#include <signal.h>
#include <unistd.h>
#include "tests/bus/bus_fixture.h"
#include "tests/web/prom_check.h"
#include "tests/web/web_test_util.h"
#include "bus/bus_json.h"
#include "services/serial-bridge/sb_board.h"
#include "link_frame.h"

/* Quotes, a backslash, control bytes, a lone continuation byte, an overlong
 * encoding and a truncated sequence. */
#define HOSTILE "1.0\",\"x\":\"\\\x01\x1b[31m\xff\xc0\xaf\xe2\x82"

static void
test_json_text_repairs_invalid_utf8 (void **state)
{
    (void) state;
    json_t *j = bus_json_text (HOSTILE);
    assert_non_null (j);
    char *s = json_dumps (j, JSON_ENCODE_ANY);
    json_decref (j);
    assert_non_null (s);
    json_t *back = json_loads (s, JSON_DECODE_ANY, NULL);
    assert_non_null (back);
    assert_non_null (strstr (json_string_value (back), "1.0\",\"x\":\"\\\x01"));
    json_decref (back);
    free (s);
    j = bus_json_textn ("a\0b", 3);   /* an embedded NUL is replaced too */
    assert_non_null (j);
    json_decref (j);
}

/* Runs ARGV (LAB_BUS_DIR=BUS_DIR when given) and reads one JSON document
 * per line of its output; with PREFIX, only from the lines that start with
 * it (the rest of the line). Returns the number of documents, -1 when one
 * does not parse (printed). */
static int
s_json_lines (char *const argv[], const char *bus_dir, const char *prefix)
{
    size_t cap = 1u << 20;
    char *out = malloc (cap);
    assert_non_null (out);
    lab_test_capture (argv, bus_dir, 15000, out, cap);
    int n = 0;
    char *save = NULL;
    for (char *line = strtok_r (out, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        if (prefix && strncmp (line, prefix, strlen (prefix)))
            continue;
        if (prefix)
            line += strlen (prefix);
        if (!*line)
            continue;
        json_error_t err;
        json_t *j = json_loads (line, 0, &err);
        if (!j) {
            print_error ("invalid JSON from %s: %s\n%s\n", argv[0], err.text, line);
            n = -1;
            break;
        }
        json_decref (j);
        n++;
    }
    free (out);
    return n;
}

static void
s_publish_hostile (bus_client_t *pub)
{
    char topic[128];
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    Lab__BoardState bs = LAB__BOARD_STATE__INIT;
    bs.board = (char *) HOSTILE;
    bs.firmware_version = (char *) HOSTILE;
    bs.last_line = (char *) HOSTILE;
    bs.connected = true;
    env.body_case = LAB__ENVELOPE__BODY_BOARD;
    env.board = &bs;
    snprintf (topic, sizeof topic, "state.board.%s", HOSTILE);
    bus_client_publish (pub, topic, &env);
    Lab__ServiceState ss = LAB__SERVICE_STATE__INIT;
    ss.name = (char *) HOSTILE;
    ss.state = (char *) "up";
    ss.reason = (char *) HOSTILE;
    env = (Lab__Envelope) LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_SERVICE;
    env.service = &ss;
    snprintf (topic, sizeof topic, "state.service.%s", HOSTILE);
    bus_client_publish (pub, topic, &env);
    Lab__OtaJobState os = LAB__OTA_JOB_STATE__INIT;
    os.job = (char *) HOSTILE;
    os.version = (char *) HOSTILE;
    os.state = (char *) "sending";
    env = (Lab__Envelope) LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_OTA;
    env.ota = &os;
    snprintf (topic, sizeof topic, "state.ota.%s", HOSTILE);
    bus_client_publish (pub, topic, &env);
    Lab__Alert al = LAB__ALERT__INIT;
    al.kind = (char *) HOSTILE;
    al.severity = (char *) "error";
    al.subject = (char *) HOSTILE;
    al.text = (char *) HOSTILE;
    env = (Lab__Envelope) LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_ALERT;
    env.alert = &al;
    snprintf (topic, sizeof topic, "evt.alert.%s", HOSTILE);
    bus_client_publish (pub, topic, &env);
    web_pub_line (pub, HOSTILE, HOSTILE);
}

static void
test_hostile_strings_through_the_bus_stay_valid_json (void **state)
{
    (void) state;
    web_lab_t lab = { 0 };
    assert_int_equal (web_lab_start (&lab, NULL), 0);
    /* A registration whose source (free text) is hostile. */
    zsock_t *evil = zsock_new (ZMQ_DEALER);
    assert_int_equal (zsock_connect (evil, "%s", lab.ep.req), 0);
    zstr_sendx (evil, "REG", HOSTILE, "hostile-svc", NULL);
    zstr_sendx (evil, "REG", HOSTILE, HOSTILE, NULL);      /* a hostile name: refused */
    /* A hostile source on every message of this client too. */
    bus_client_t *pub = bus_client_new (HOSTILE, &lab.ep);
    s_publish_hostile (pub);
    zclock_sleep (500);
    char *const status[] = { "labctl", "--json", "status", NULL };
    assert_int_equal (s_json_lines (status, lab.dir, NULL), 1);
    char *const call[] = { "labctl", "--json", "call", "labbus", "status", NULL };
    assert_true (s_json_lines (call, lab.dir, NULL) >= 1);
    /* The snapshot of every hostile state topic, as JSON lines. */
    char *const sub[] = { "labctl", "--json", "sub", "--count", "3", "state.board.", "state.service.", "state.ota.", NULL };
    assert_int_equal (s_json_lines (sub, lab.dir, NULL), 3);
    /* The web page's event stream: every data line is JSON. */
    char events_url[300];
    snprintf (events_url, sizeof events_url, "%sevents", lab.url);
    char *const curl[] = { "curl", "-sN", "--max-time", "2", events_url, NULL };
    int events = s_json_lines (curl, NULL, "data: ");
    print_message ("%d events from the web page, all valid JSON\n", events);
    assert_true (events >= 3);
    /* /metrics keeps to the exposition format. */
    char url[300], *body = NULL, err[300];
    snprintf (url, sizeof url, "%smetrics", lab.url);
    assert_int_equal (web_http_get (url, NULL, &body), 200);
    int samples = prom_check (body, err, sizeof err);
    if (samples < 0)
        print_error ("%s\n", err);
    assert_true (samples > 0);
    free (body);
    bus_client_destroy (&pub);
    zsock_destroy (&evil);
    assert_int_equal (web_lab_stop (&lab), 0);
}

static void
test_board_boot_version_hostile_json (void **state)
{
    (void) state;
    int master, slave;
    char path[256];
    assert_int_equal (openpty (&master, &slave, path, NULL, NULL), 0);
    bus_fixture_t fx;
    bus_fixture_dir (&fx, "hostile");
    char url[300];
    snprintf (url, sizeof url, "pty:%s", path);
    sb_board_opts_t o = { 0 };
    o.name = "board-h";
    o.url = url;
    o.baud = 115200;
    o.reset = "none";
    o.runtime_dir = fx.dir;
    char err[256];
    bus_client_t *bus = bus_client_new ("serial-bridge", &fx.ep);   /* no broker: publishes queue */
    sb_board_t *b = sb_board_new (&o, bus, err, sizeof err);
    assert_non_null (b);
    link_boot_t boot = { .mac = { 0x24, 0x6f, 0x28, 0, 0, 0xa1 }, .channel = 1 };
    snprintf (boot.version, sizeof boot.version, "%s", HOSTILE);
    snprintf (boot.partition, sizeof boot.partition, "ota_0\"\\");
    snprintf (boot.reset_reason, sizeof boot.reset_reason, "\x7f\x01\"");
    uint8_t payload[128], frame[512];
    size_t plen = link_boot_encode (payload, sizeof payload, &boot);
    size_t flen = link_frame_encode (frame, sizeof frame, LINK_T_BOOT, 1, payload, plen);
    assert_true (flen > 0);
    for (int i = 0; i < 200 && strcmp (sb_board_version (b), boot.version); i++) {
        if (i % 20 == 0)
            assert_int_equal (write (master, frame, flen), (ssize_t) flen);
        sb_board_tick (b, bus_mono_ns () / 1000000ull);
        if (sb_board_fd (b) >= 0)
            sb_board_on_readable (b);
        zclock_sleep (10);
    }
    assert_string_equal (sb_board_version (b), boot.version);
    char *json = sb_board_json (b);
    assert_non_null (json);
    json_t *j = json_loads (json, 0, NULL);
    assert_non_null (j);
    assert_non_null (strstr (json_string_value (json_object_get (j, "firmware_version")), "1.0\",\"x\""));
    assert_string_equal (json_string_value (json_object_get (j, "partition")), "ota_0\"\\");
    json_decref (j);
    free (json);
    sb_board_destroy (&b);
    bus_client_destroy (&bus);
    close (master);
    close (slave);
    bus_fixture_stop (&fx);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_json_text_repairs_invalid_utf8),
        cmocka_unit_test (test_board_boot_version_hostile_json),
        cmocka_unit_test (test_hostile_strings_through_the_bus_stay_valid_json),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
