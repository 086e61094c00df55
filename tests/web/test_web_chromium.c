/* test_web_chromium - the page in Debian's headless Chromium, driven through
 * chromedriver's WebDriver HTTP API: the page goes live on /events, a serial
 * line published on a real broker is in the board tail within a second, and
 * a phone-sized screenshot is saved as $LAB_BUILD/web-dashboard.png. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "bus/lab_curl.h"
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
#include "tests/web/web_test_util.h"

extern char **environ;

typedef struct {
    web_lab_t lab;
    pid_t driver;
    char driver_url[64];
    char session[128];
    char *profile;
} fixture_t;

/* One WebDriver call; returns the reply's "value" (new reference) or NULL. */
static json_t *
s_wd (fixture_t *f, const char *method, const char *path, json_t *body, long timeout_ms)
{
    char url[512];
    snprintf (url, sizeof url, "%s%s", f->driver_url, path);
    CURL *curl = curl_easy_init ();
    lab_curl_buf_t b = { NULL, 0, 0 };
    char *text = body ? json_dumps (body, JSON_COMPACT) : NULL;
    struct curl_slist *hdr = curl_slist_append (NULL, "Content-Type: application/json");
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, hdr);
    if (text)
        curl_easy_setopt (curl, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, lab_curl_collect);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    CURLcode rc = curl_easy_perform (curl);
    curl_slist_free_all (hdr);
    curl_easy_cleanup (curl);
    free (text);
    json_t *value = NULL;
    if (rc == CURLE_OK && b.data) {
        json_t *reply = json_loads (b.data, 0, NULL);
        value = json_incref (json_object_get (reply, "value"));
        json_decref (reply);
    }
    else if (strcmp (path, "/status") != 0)     /* polled until the driver is up */
        fprintf (stderr, "webdriver %s %s: %s\n", method, path, curl_easy_strerror (rc));
    free (b.data);
    return value;
}

/* A free loopback port: chromedriver has no "choose one yourself" mode. */
static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    if (bind (fd, (struct sockaddr *) &a, sizeof a) || getsockname (fd, (struct sockaddr *) &a, &len)) {
        close (fd);
        return -1;
    }
    close (fd);
    return ntohs (a.sin_port);
}

/* chromedriver in a process group of its own, so that stopping the group
 * also stops the Chromium it started. */
static pid_t
s_spawn_driver (int port, const char *log)
{
    char arg[64];
    snprintf (arg, sizeof arg, "--port=%d", port);
    char *const argv[] = { "chromedriver", arg, NULL };
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init (&fa);
    posix_spawn_file_actions_addopen (&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2 (&fa, 1, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init (&attr);
    posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup (&attr, 0);
    pid_t pid = -1;
    if (posix_spawnp (&pid, "chromedriver", &fa, &attr, argv, environ) != 0)
        pid = -1;
    posix_spawnattr_destroy (&attr);
    posix_spawn_file_actions_destroy (&fa);
    return pid;
}

static const char *
s_chromium_binary (void)
{
    /* Debian's /usr/bin/chromium is a shell launcher; the driver wants the binary. */
    return access ("/usr/lib/chromium/chromium", X_OK) == 0 ? "/usr/lib/chromium/chromium" : "/usr/bin/chromium";
}

/* Stops whatever the fixture got as far as starting; safe on a half-built
 * fixture. Returns web_lab_stop's status (0 when web stopped cleanly). */
static int
s_fixture_stop (fixture_t *f)
{
    if (f->session[0])
        json_decref (s_wd (f, "DELETE", f->session, NULL, 20000));
    if (f->driver > 0) {
        kill (-f->driver, SIGTERM);
        for (int i = 0; i < 200 && waitpid (f->driver, NULL, WNOHANG) == 0; i++)
            zclock_sleep (10);
        kill (-f->driver, SIGKILL);        /* the group: a Chromium left behind too */
        waitpid (f->driver, NULL, 0);
    }
    int rc = web_lab_stop (&f->lab);     /* stops a half-started lab too */
    if (f->profile) {
        lab_test_rmdir (f->profile);
        free (f->profile);
    }
    free (f);
    return rc;
}

/* Starts the lab, chromedriver and a browser session; -1 (after saying why
 * on stderr) when a step fails. */
static int
s_fixture_start (fixture_t *f)
{
    if (web_lab_start (&f->lab, NULL) != 0) {
        fprintf (stderr, "setup: the web lab did not start\n");
        return -1;
    }
    int port = s_free_port ();
    if (port <= 0) {
        fprintf (stderr, "setup: no free port for chromedriver\n");
        return -1;
    }
    char log[600];
    snprintf (log, sizeof log, "%s/chromedriver.log", f->lab.dir);
    f->driver = s_spawn_driver (port, log);
    if (f->driver <= 0) {
        fprintf (stderr, "setup: chromedriver did not start\n");
        return -1;
    }
    snprintf (f->driver_url, sizeof f->driver_url, "http://127.0.0.1:%d", port);
    bool ready = false;
    for (int i = 0; i < 300 && !ready; i++) {
        json_t *v = s_wd (f, "GET", "/status", NULL, 1000);
        ready = v && json_is_true (json_object_get (v, "ready"));
        json_decref (v);
        if (!ready)
            zclock_sleep (50);
    }
    if (!ready) {
        fprintf (stderr, "setup: chromedriver never ready (see %s)\n", log);
        return -1;
    }
    f->profile = lab_test_tmpdir ("chromium");
    char profile_arg[600];
    snprintf (profile_arg, sizeof profile_arg, "--user-data-dir=%s", f->profile);
    /* A phone's width (412 CSS px, as a Pixel 7) and a tall viewport so the
     * screenshot holds every section. */
    json_t *caps = json_pack (
        "{s:{s:{s:s, s:{s:s, s:[s,s,s,s,s,s], s:{s:{s:i, s:i, s:f, s:b}}}}}}", "capabilities",
        "alwaysMatch", "browserName", "chrome", "goog:chromeOptions", "binary", s_chromium_binary (),
        "args", "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", profile_arg, "mobileEmulation", "deviceMetrics", "width", 412, "height", 1500,
        "pixelRatio", 1.0, "touch", 1);
    json_t *v = s_wd (f, "POST", "/session", caps, 60000);
    json_decref (caps);
    const char *id = json_string_value (json_object_get (v, "sessionId"));
    if (id)
        snprintf (f->session, sizeof f->session, "/session/%s", id);
    else {
        char *text = v ? json_dumps (v, 0) : NULL;
        fprintf (stderr, "setup: no browser session: %s\n", text ? text : "(no reply)");
        free (text);
    }
    json_decref (v);
    return id ? 0 : -1;
}

/* cmocka runs no teardown after a failed setup, so a failed setup stops
 * what it started itself: no chromedriver outlives the test. */
static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    if (!f)
        return -1;
    if (s_fixture_start (f) != 0) {
        s_fixture_stop (f);
        *state = NULL;
        return -1;
    }
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    assert_int_equal (s_fixture_stop (*state), 0);     /* web stopped cleanly */
    return 0;
}

/* Runs SCRIPT in the page with ARG as arguments[0]. */
static json_t *
s_exec (fixture_t *f, const char *script, const char *arg)
{
    char path[300];
    snprintf (path, sizeof path, "%s/execute/sync", f->session);
    json_t *body = json_pack ("{s:s, s:[s]}", "script", script, "args", arg ? arg : "");
    json_t *v = s_wd (f, "POST", path, body, 20000);
    json_decref (body);
    return v;
}

static void
s_publish_scene (bus_client_t *pub)
{
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    const char *names[] = { "labbus", "serial-bridge", "labsim-boards", "web" };
    for (int i = 0; i < 4; i++) {
        Lab__ServiceState s = LAB__SERVICE_STATE__INIT;
        s.name = (char *) names[i];
        s.state = "up";
        s.restarts = (uint32_t) i;
        s.rss_kb = 3000 + 700 * (uint64_t) i;
        s.uptime_s = 120 + i;
        env = (Lab__Envelope) LAB__ENVELOPE__INIT;
        env.body_case = LAB__ENVELOPE__BODY_SERVICE;
        env.service = &s;
        char topic[100];
        snprintf (topic, sizeof topic, "state.service.%s", names[i]);
        bus_client_publish (pub, topic, &env);
    }
    Lab__BoardState b = LAB__BOARD_STATE__INIT;
    b.board = "board-a";
    b.connected = true;
    b.bytes_in = 48213;
    b.frames_in = 311;
    b.frames_out = 305;
    b.crc_errors = 1;
    b.last_byte_ns = bus_now_ns ();
    b.last_line = "I (1234) app: ready";
    b.firmware_version = "1.4.2";
    b.partition = "ota_0";
    env = (Lab__Envelope) LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_BOARD;
    env.board = &b;
    bus_client_publish (pub, "state.board.board-a", &env);

    Lab__OtaJobState o = LAB__OTA_JOB_STATE__INIT;
    o.job = "ota-7";
    o.image = "app-1.4.3.bin";
    o.target = "board-b";
    o.via = "board-a";
    o.state = "sending";
    o.image_size = 742000;
    o.bytes_acked = 471000;
    o.percent = 63.5;
    o.rate_bps = 21000;
    o.eta_s = 13;
    o.retransmissions = 2;
    env = (Lab__Envelope) LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_OTA;
    env.ota = &o;
    bus_client_publish (pub, "state.ota.ota-7", &env);

    Lab__EvalSweepState s = LAB__EVAL_SWEEP_STATE__INIT;
    s.sweep = "sweep-1";
    s.plan = "small";
    s.cohort = "llama-q4";
    s.state = "running";
    s.done = 9;
    s.total = 16;
    s.errors = 1;
    s.cohorts_done = 1;
    s.cohorts_total = 2;
    s.summary_md = "| cohort | rows | ttft p50 ms | decode tok/s |\n|---|---|---|---|\n"
                   "| llama-q4 | 8 | 212 | 41.5 |\n| mlx-q4 | 1 | 190 | 44.0 |\n";
    env = (Lab__Envelope) LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_EVAL_SWEEP;
    env.eval_sweep = &s;
    bus_client_publish (pub, "state.eval.sweep-1", &env);
}

static void
s_publish_distances (bus_client_t *pub)
{
    for (int i = 0; i < 12; i++) {
        Lab__DistanceEstimate d = LAB__DISTANCE_ESTIMATE__INIT;
        d.a = "board-a";
        d.b = "board-b";
        d.distance_m = 2.0 + 0.3 * (i % 5) - 0.1 * (i % 3);
        d.low_m = d.distance_m * 0.8;
        d.high_m = d.distance_m * 1.25;
        d.rssi_filtered_dbm = -55 - (i % 4);
        d.calibrated = true;
        Lab__Envelope env = LAB__ENVELOPE__INIT;
        env.body_case = LAB__ENVELOPE__BODY_DISTANCE;
        env.distance = &d;
        bus_client_publish (pub, "state.distance.board-a.board-b", &env);
    }
}

static bool
s_save_png (const char *b64, const char *path)
{
    /* base64 (RFC 4648) to bytes; the WebDriver screenshot is a PNG in base64. */
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen (b64);
    unsigned char *out = malloc (n * 3 / 4 + 3);
    size_t len = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n && b64[i] != '='; i++) {
        const char *p = strchr (alphabet, b64[i]);
        if (!p || !b64[i])
            continue;
        acc = (acc << 6) | (unsigned) (p - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[len++] = (unsigned char) (acc >> bits);
        }
    }
    FILE *f = fopen (path, "wb");
    bool ok = f && fwrite (out, 1, len, f) == len && len > 8 && !memcmp (out, "\x89PNG", 4);
    if (f)
        fclose (f);
    free (out);
    return ok;
}

static void
test_board_line_reaches_page_within_a_second (void **state)
{
    fixture_t *f = *state;
    s_publish_scene (f->lab.pub);
    char path[300];
    snprintf (path, sizeof path, "%s/url", f->session);
    json_t *body = json_pack ("{s:s}", "url", f->lab.url);
    json_decref (s_wd (f, "POST", path, body, 60000));
    json_decref (body);

    /* Live: the event stream is open and the snapshot is on the page. */
    bool live = false;
    for (int i = 0; i < 600 && !live; i++) {
        json_t *v = s_exec (f, "return document.body.dataset.live === '1' && "
                               "document.querySelector('[data-board=\"board-a\"]') !== null;", NULL);
        live = json_is_true (v);
        json_decref (v);
        if (!live)
            zclock_sleep (50);
    }
    assert_true (live);
    s_publish_distances (f->lab.pub);
    for (int i = 0; i < 5; i++) {
        char text[80];
        snprintf (text, sizeof text, "I (%d) app: tick %d", 2000 + i * 100, i);
        web_pub_line (f->lab.pub, "board-a", text);
    }

    char marker[80];
    snprintf (marker, sizeof marker, "I (9999) app: marker %d", (int) getpid ());
    uint64_t sent_ms = bus_now_ns () / 1000000;
    assert_int_equal (web_pub_line (f->lab.pub, "board-a", marker), 0);
    double shown_ms = 0;
    for (int i = 0; i < 200 && shown_ms == 0; i++) {
        json_t *v = s_exec (f, "const t = window.labSeen.get(arguments[0]);"
                               "return t && document.getElementById('tail').textContent.includes(arguments[0]) ? t : 0;",
                            marker);
        shown_ms = json_number_value (v);
        json_decref (v);
        if (shown_ms == 0)
            zclock_sleep (20);
    }
    assert_true (shown_ms > 0);
    double latency = shown_ms - (double) sent_ms;
    printf ("board line on the page %.0f ms after publishing\n", latency);
    assert_true (latency <= 1000);

    /* Let the 250 ms render tick draw the rest, then keep a picture. */
    zclock_sleep (600);
    snprintf (path, sizeof path, "%s/screenshot", f->session);
    json_t *shot = s_wd (f, "GET", path, NULL, 30000);
    const char *build = getenv ("LAB_BUILD");
    char png[600];
    snprintf (png, sizeof png, "%s/web-dashboard.png", build && *build ? build : "build");
    assert_true (json_is_string (shot) && s_save_png (json_string_value (shot), png));
    json_decref (shot);
    printf ("screenshot: %s\n", png);

    /* The other sections rendered from the same stream, and nothing is wider
     * than the phone's screen. */
    json_t *v = s_exec (f, "return [document.getElementById('services').rows.length,"
                           " document.querySelectorAll('#ota .bar').length,"
                           " document.querySelectorAll('#links svg polyline').length,"
                           " document.querySelectorAll('#eval .summary td').length,"
                           " window.innerWidth, document.documentElement.scrollWidth];", NULL);
    assert_true (json_is_array (v));
    assert_int_equal (json_integer_value (json_array_get (v, 0)), 4);
    assert_int_equal (json_integer_value (json_array_get (v, 1)), 1);
    assert_int_equal (json_integer_value (json_array_get (v, 2)), 1);
    assert_int_equal (json_integer_value (json_array_get (v, 3)), 8);
    assert_int_equal (json_integer_value (json_array_get (v, 4)), 412);
    assert_true (json_integer_value (json_array_get (v, 5)) <= 412);
    json_decref (v);
}

int
main (void)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_board_line_reaches_page_within_a_second, s_setup, s_teardown),
    };
    int rc = cmocka_run_group_tests_name ("web_chromium", tests, NULL, NULL);
    curl_global_cleanup ();
    return rc;
}
