/* test_boards_sim - two simulated boards (labsim boards), serial-bridge and
 * the broker, end to end: ping-pong, corrupted bytes, TX silence, a port
 * that vanishes and returns, panics, flashing, and who hears a frame sent to
 * your own MAC versus broadcast. One lab for the whole group (starting it
 * costs seconds); each test leaves the boards healthy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/lab_test.h"
#include "link_frame.h"
#include "espnow_hdr.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char *dir;
    char cfg[512];
    pid_t broker, sim, bridge;
    bus_client_t *bus;
} lab_t;

static const char *s_config =
    "lab\n"
    "    logs = \"%s/log\"\n"
    "boards\n"
    "    board-a\n"
    "        port = \"sim:board-a\"\n"
    "        mac = \"24:6f:28:00:00:a1\"\n"
    "        silent_after = \"1500ms\"\n"
    "        reset = \"frame\"\n"
    "        hexdump = true\n"
    "        flash = \"labctl -c {config} --timeout 10000 call labsim flash {board} {image}\"\n"
    "    board-b\n"
    "        port = \"sim:board-b\"\n"
    "        mac = \"24:6f:28:00:00:b2\"\n"
    "        silent_after = \"1500ms\"\n"
    "labsim\n"
    "    radio\n"
    "        noise_db = 0\n"
    "        latency = \"1ms\"\n";

/* --- helpers --------------------------------------------------------- */

static int
s_call (lab_t *lab, const char *service, const char *cmd, int argc, const char *const *args,
        int timeout_ms, char *msg, size_t msglen)
{
    Lab__CommandReply *reply = NULL;
    int rc = bus_client_call (lab->bus, service, cmd, argc, args, timeout_ms, &reply);
    if (rc != BUS_OK) {
        if (msg)
            snprintf (msg, msglen, "%s", bus_client_error (lab->bus));
        return rc;
    }
    rc = reply->status;
    if (msg)
        snprintf (msg, msglen, "%s", reply->json && *reply->json ? reply->json : reply->message);
    lab__command_reply__free_unpacked (reply, NULL);
    return rc;
}

static bool
s_bridge_ready (void *arg)
{
    lab_t *lab = arg;
    char msg[2048] = "";
    if (s_call (lab, "serial-bridge", "boards", 0, NULL, 500, msg, sizeof msg) != BUS_OK)
        return false;
    /* Both connected and both have sent a boot report. */
    return strstr (msg, "\"board\":\"board-a\",\"connected\":true") && strstr (msg, "\"board\":\"board-b\",\"connected\":true")
           && !strstr (msg, "\"firmware_version\":\"\"");
}

/* Waits for a message on a topic starting with PREFIX whose envelope passes
 * PRED (NULL: any); returns it or NULL after TIMEOUT_MS. */
static bus_msg_t *
s_wait_msg (lab_t *lab, const char *prefix, bool (*pred) (const bus_msg_t *, void *), void *arg,
            int timeout_ms)
{
    uint64_t end = bus_mono_ns () + (uint64_t) timeout_ms * 1000000u;
    while (bus_mono_ns () < end) {
        bus_msg_t *msg = bus_client_recv (lab->bus, 100);
        if (!msg)
            continue;
        if (!strncmp (msg->topic, prefix, strlen (prefix)) && (!pred || pred (msg, arg)))
            return msg;
        bus_msg_destroy (&msg);
    }
    return NULL;
}

static int
s_pingpong (lab_t *lab, int count, char *json, size_t len)
{
    char n[16];
    snprintf (n, sizeof n, "%d", count);
    const char *args[] = { "board-a", "board-b", n, "50" };
    return s_call (lab, "serial-bridge", "pingpong", 4, args, 30000, json, len);
}

static long
s_json_num (const char *json, const char *key)
{
    char pat[64];
    snprintf (pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr (json, pat);
    return p ? atol (p + strlen (pat)) : -1;
}

static void
s_fault (lab_t *lab, const char *board, const char *what)
{
    const char *args[] = { board, what };
    char msg[512];
    assert_int_equal (s_call (lab, "labsim", "fault", 2, args, 5000, msg, sizeof msg), BUS_OK);
}

static int
s_setup (void **state)
{
    lab_t *lab = calloc (1, sizeof *lab);
    lab->dir = lab_test_tmpdir ("boards");
    setenv ("LAB_BUS_DIR", lab->dir, 1);
    setenv ("LAB_RUNTIME_DIR", lab->dir, 1);
    char bin[512];
    lab_test_bin ("labctl", bin, sizeof bin);
    /* The flash command runs labctl by bare name: serial-bridge finds it next to itself. */
    snprintf (lab->cfg, sizeof lab->cfg, "%s/lab.cfg", lab->dir);
    FILE *f = fopen (lab->cfg, "w");
    fprintf (f, s_config, lab->dir);
    fclose (f);
    lab->broker = lab_test_start_broker (lab->dir, NULL);
    char log[600];
    snprintf (log, sizeof log, "%s/labsim.log", lab->dir);
    const char *sim_argv[] = { "labsim", "boards", "-c", lab->cfg, NULL };
    lab->sim = lab_test_spawn ("labsim", sim_argv, log);
    snprintf (log, sizeof log, "%s/bridge.log", lab->dir);
    const char *br_argv[] = { "serial-bridge", "-c", lab->cfg, NULL };
    lab->bridge = lab_test_spawn ("serial-bridge", br_argv, log);
    bus_endpoints_t ep;
    bus_endpoints_in_dir (&ep, lab->dir);
    lab->bus = bus_client_new ("test-boards", &ep);
    bus_client_subscribe (lab->bus, "tel.");
    bus_client_subscribe (lab->bus, "evt.");
    bus_client_subscribe (lab->bus, "state.board.");
    *state = lab;
    if (lab->broker < 0 || lab->sim < 0 || lab->bridge < 0 || !lab_test_wait (s_bridge_ready, lab, 15000))
        return -1;
    return 0;
}

static int
s_teardown (void **state)
{
    lab_t *lab = *state;
    bus_client_destroy (&lab->bus);
    if (lab->bridge > 0)
        lab_test_stop (lab->bridge, SIGTERM, 3000);
    if (lab->sim > 0)
        lab_test_stop (lab->sim, SIGTERM, 3000);
    if (lab->broker > 0)
        lab_test_stop (lab->broker, SIGTERM, 3000);
    lab_test_rmdir (lab->dir);
    free (lab->dir);
    free (lab);
    return 0;
}

/* --- tests ----------------------------------------------------------- */

static bool
s_is_done_stats (const bus_msg_t *msg, void *arg)
{
    (void) arg;
    return msg->env->body_case == LAB__ENVELOPE__BODY_PINGPONG && msg->env->pingpong->done;
}

static void
test_pingpong_through_sim_boards_bridge_and_bus (void **state)
{
    lab_t *lab = *state;
    char json[1024];
    assert_int_equal (s_pingpong (lab, 20, json, sizeof json), BUS_OK);
    assert_int_equal (s_json_num (json, "sent"), 20);
    assert_int_equal (s_json_num (json, "received"), 20);
    assert_int_equal (s_json_num (json, "lost"), 0);
    /* The result is also on the bus. */
    bus_msg_t *msg = s_wait_msg (lab, "tel.pingpong.", s_is_done_stats, NULL, 5000);
    assert_non_null (msg);
    assert_int_equal (msg->env->pingpong->received, 20);
    assert_true (msg->env->pingpong->rtt_median_ms > 0);
    bus_msg_destroy (&msg);
}

static bool
s_rssi_from_b (const bus_msg_t *msg, void *arg)
{
    (void) arg;
    return msg->env->body_case == LAB__ENVELOPE__BODY_RSSI && !strcmp (msg->env->rssi->sender, "board-b");
}

static void
test_rssi_follows_the_distance_model (void **state)
{
    lab_t *lab = *state;
    const char *args[] = { "board-a", "board-b", "10" };
    assert_int_equal (s_call (lab, "labsim", "move", 3, args, 5000, NULL, 0), BUS_OK);
    /* Beacons are broadcast every second; noise is 0 in this config:
     * -45 - 10 * 2.5 * log10 (10) = -70. */
    bus_msg_t *msg = NULL;
    for (int i = 0; i < 5; i++) {
        msg = s_wait_msg (lab, "tel.rssi.board-a", s_rssi_from_b, NULL, 3000);
        assert_non_null (msg);
        if (msg->env->rssi->rssi_dbm == -70)
            break;
        bus_msg_destroy (&msg);
    }
    assert_non_null (msg);
    assert_int_equal (msg->env->rssi->rssi_dbm, -70);
    assert_string_equal (msg->env->rssi->sender_mac, "24:6f:28:00:00:b2");
    bus_msg_destroy (&msg);
    const char *back[] = { "board-a", "board-b", "2" };
    s_call (lab, "labsim", "move", 3, back, 5000, NULL, 0);
}

typedef struct {
    const char *board;
    uint8_t marker[4];
} rx_probe_t;

static bool
s_rx_with_marker (const bus_msg_t *msg, void *arg)
{
    rx_probe_t *p = arg;
    if (msg->env->body_case != LAB__ENVELOPE__BODY_BOARD_FRAME)
        return false;
    const Lab__BoardFrame *f = msg->env->board_frame;
    if (f->type != LINK_T_ESPNOW_RX || f->direction != 0 || (p->board && strcmp (f->board, p->board)))
        return false;
    for (size_t i = 0; i + 4 <= f->payload.len; i++)
        if (!memcmp (f->payload.data + i, p->marker, 4))
            return true;
    return false;
}

static void
test_sending_to_your_own_mac_delivers_nothing_broadcast_reaches_the_others (void **state)
{
    lab_t *lab = *state;
    char msg[512];
    /* Unicast to board-a's own MAC: a radio never hears its own transmission,
     * and no other board has that MAC, so nobody receives it. */
    const char *self_args[] = { "board-a", "24:6f:28:00:00:a1", "c0ffee01" };
    assert_int_equal (s_call (lab, "serial-bridge", "espnow", 3, self_args, 5000, msg, sizeof msg), BUS_OK);
    rx_probe_t p1 = { NULL, { 0xc0, 0xff, 0xee, 0x01 } };
    bus_msg_t *m = s_wait_msg (lab, "tel.frame.", s_rx_with_marker, &p1, 1500);
    assert_null (m);
    char radio[512];
    assert_int_equal (s_call (lab, "labsim", "radio", 0, NULL, 5000, radio, sizeof radio), BUS_OK);
    assert_true (s_json_num (radio, "to_self") >= 1);
    /* Broadcast goes to every other board: the sender is not among the
     * receivers for the same reason, but board-b hears it. */
    const char *bc_args[] = { "board-a", "broadcast", "c0ffee02" };
    assert_int_equal (s_call (lab, "serial-bridge", "espnow", 3, bc_args, 5000, msg, sizeof msg), BUS_OK);
    rx_probe_t p2 = { NULL, { 0xc0, 0xff, 0xee, 0x02 } };
    m = s_wait_msg (lab, "tel.frame.", s_rx_with_marker, &p2, 5000);
    assert_non_null (m);
    assert_string_equal (m->env->board_frame->board, "board-b");
    bus_msg_destroy (&m);
    rx_probe_t p3 = { "board-a", { 0xc0, 0xff, 0xee, 0x02 } };
    assert_null (s_wait_msg (lab, "tel.frame.", s_rx_with_marker, &p3, 1000));
    /* And unicast to board-b's MAC reaches board-b. */
    const char *uni[] = { "board-a", "board-b", "c0ffee03" };
    assert_int_equal (s_call (lab, "serial-bridge", "espnow", 3, uni, 5000, msg, sizeof msg), BUS_OK);
    rx_probe_t p4 = { "board-b", { 0xc0, 0xff, 0xee, 0x03 } };
    m = s_wait_msg (lab, "tel.frame.", s_rx_with_marker, &p4, 5000);
    assert_non_null (m);
    bus_msg_destroy (&m);
}

static long
s_board_num (lab_t *lab, const char *board, const char *key)
{
    const char *args[] = { board };
    char json[2048];
    if (s_call (lab, "serial-bridge", "status", 1, args, 5000, json, sizeof json) != BUS_OK)
        return -1;
    return s_json_num (json, key);
}

static void
test_corrupted_bytes_count_crc_errors_and_the_link_recovers (void **state)
{
    lab_t *lab = *state;
    long before = s_board_num (lab, "board-a", "crc_errors");
    s_fault (lab, "board-a", "corrupt");
    /* Ping-pong results and beacons keep frames flowing while bytes flip. */
    char json[1024];
    s_pingpong (lab, 30, json, sizeof json);
    for (int i = 0; i < 50 && s_board_num (lab, "board-a", "crc_errors") <= before; i++)
        zclock_sleep (100);
    assert_true (s_board_num (lab, "board-a", "crc_errors") > before);
    s_fault (lab, "board-a", "restore");
    assert_int_equal (s_pingpong (lab, 10, json, sizeof json), BUS_OK);
    assert_int_equal (s_json_num (json, "received"), 10);
    /* The bridge is still serving. */
    assert_true (s_bridge_ready (lab));
}

static bool
s_is_alert (const bus_msg_t *msg, void *arg)
{
    (void) arg;
    return msg->env->body_case == LAB__ENVELOPE__BODY_ALERT;
}

static void
test_tx_silent_board_raises_an_alert (void **state)
{
    lab_t *lab = *state;
    s_fault (lab, "board-b", "tx-silent");
    bus_msg_t *m = s_wait_msg (lab, "evt.alert.board_silent.board-b", s_is_alert, NULL, 8000);
    s_fault (lab, "board-b", "restore");
    assert_non_null (m);
    assert_string_equal (m->env->alert->kind, "board_silent");
    assert_string_equal (m->env->alert->subject, "board-b");
    bus_msg_destroy (&m);
    assert_true (lab_test_wait (s_bridge_ready, lab, 5000));
}

static bool
s_is_boot_frame (const bus_msg_t *m, void *arg)
{
    (void) arg;
    return m->env->body_case == LAB__ENVELOPE__BODY_BOARD_FRAME && m->env->board_frame->type == LINK_T_BOOT;
}

static void
test_port_vanishes_and_returns_bridge_reconnects (void **state)
{
    lab_t *lab = *state;
    long reconnects = s_board_num (lab, "board-b", "reconnects");
    s_fault (lab, "board-b", "vanish");
    zclock_sleep (700);
    const char *args[] = { "board-b" };
    char json[2048];
    assert_int_equal (s_call (lab, "serial-bridge", "status", 1, args, 5000, json, sizeof json), BUS_OK);
    assert_non_null (strstr (json, "\"connected\":false"));
    s_fault (lab, "board-b", "restore");
    /* The port comes back before the board has booted (restore is a power
     * cycle): wait for its boot report, or the first ping finds its radio
     * still off. */
    bus_msg_t *boot = s_wait_msg (lab, "tel.frame.board-b", s_is_boot_frame, NULL, 10000);
    assert_non_null (boot);
    bus_msg_destroy (&boot);
    assert_true (lab_test_wait (s_bridge_ready, lab, 10000));
    assert_true (s_board_num (lab, "board-b", "reconnects") > reconnects);
    char pp[1024];
    assert_int_equal (s_pingpong (lab, 10, pp, sizeof pp), BUS_OK);
    assert_int_equal (s_json_num (pp, "received"), 10);
}

static void
test_panic_becomes_an_alert_with_the_backtrace (void **state)
{
    lab_t *lab = *state;
    s_fault (lab, "board-a", "panic");
    bus_msg_t *m = s_wait_msg (lab, "evt.alert.board_panic.board-a", s_is_alert, NULL, 8000);
    assert_non_null (m);
    bool backtrace = false;
    for (size_t i = 0; i < m->env->alert->n_detail; i++)
        backtrace |= !strncmp (m->env->alert->detail[i], "Backtrace: 0x400d1234", 21);
    assert_true (backtrace);
    bus_msg_destroy (&m);
    /* The reboot that follows is part of the panic, not a second alert. */
    assert_null (s_wait_msg (lab, "evt.alert.board_reset.board-a", s_is_alert, NULL, 1500));
    assert_true (lab_test_wait (s_bridge_ready, lab, 5000));
}

static void
test_flash_runs_the_configured_command_and_reports_the_new_version (void **state)
{
    lab_t *lab = *state;
    /* A minimal ESP32 app image: header magic 0xE9, app descriptor at 32. */
    uint8_t img[256] = { 0xE9 };
    link_put32 (img + 32, 0xABCD5432u);
    memcpy (img + 48, "2.7.1-test", 10);
    char path[600];
    snprintf (path, sizeof path, "%s/app.bin", lab->dir);
    FILE *f = fopen (path, "wb");
    fwrite (img, 1, sizeof img, f);
    fclose (f);
    const char *args[] = { "board-a", path };
    char msg[1024];
    int rc = s_call (lab, "serial-bridge", "flash", 2, args, 30000, msg, sizeof msg);
    assert_int_equal (rc, BUS_OK);
    assert_non_null (strstr (msg, "2.7.1-test"));
    const char *bad[] = { "board-a", "/nonexistent/app.bin" };
    assert_int_equal (s_call (lab, "serial-bridge", "flash", 2, bad, 30000, msg, sizeof msg), BUS_ERROR);
    assert_true (lab_test_wait (s_bridge_ready, lab, 10000));
}

static void
test_tail_and_log_file_have_the_boot_lines (void **state)
{
    lab_t *lab = *state;
    const char *args[] = { "board-a", "50" };
    char msg[8192];
    assert_int_equal (s_call (lab, "serial-bridge", "tail", 2, args, 5000, msg, sizeof msg), BUS_OK);
    assert_non_null (strstr (msg, "labcore: boot: version"));
    char path[700];
    snprintf (path, sizeof path, "%s/log/boards/board-a.log", lab->dir);
    FILE *f = fopen (path, "r");
    assert_non_null (f);
    char line[2048];
    bool boot = false, frame = false;
    while (fgets (line, sizeof line, f)) {
        boot |= strstr (line, "< ets Jun  8 2016") != NULL;
        frame |= strstr (line, " F< type 0x30") != NULL;
    }
    fclose (f);
    assert_true (boot);
    assert_true (frame);
}

static void
test_bad_commands_are_refused_clearly (void **state)
{
    lab_t *lab = *state;
    char msg[512];
    const char *a[] = { "board-z", "text" };
    assert_int_equal (s_call (lab, "serial-bridge", "write", 2, a, 5000, msg, sizeof msg), BUS_ENOTFOUND);
    const char *b[] = { "board-a", "board-b", "many", "1" };
    assert_int_equal (s_call (lab, "serial-bridge", "pingpong", 4, b, 5000, msg, sizeof msg), BUS_EUSAGE);
    const char *c[] = { "board-a", "1", "zz" };
    assert_int_equal (s_call (lab, "serial-bridge", "frame", 3, c, 5000, msg, sizeof msg), BUS_EUSAGE);
    const char *d[] = { "board-a", "board-b", "-3" };
    assert_int_equal (s_call (lab, "labsim", "move", 3, d, 5000, msg, sizeof msg), BUS_EUSAGE);
}

/* The OTA data path: ESP-NOW frames streamed to serial-bridge as binary
 * BoardFrames on cmd.espnow.<board>, no reply per frame. A good frame is
 * written to the board; a malformed one, or one for a board that does not
 * exist, is refused and counted (the `stream` command shows the counters). */
static void
s_stream (lab_t *lab, const char *board, const uint8_t *payload, size_t len)
{
    Lab__BoardFrame f = LAB__BOARD_FRAME__INIT;
    f.board = (char *) board;
    f.type = LINK_T_ESPNOW_SEND;
    f.payload.data = (uint8_t *) payload;
    f.payload.len = len;
    f.direction = 1;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_BOARD_FRAME;
    env.board_frame = &f;
    char topic[128];
    snprintf (topic, sizeof topic, "cmd.espnow.%s", board);
    assert_int_equal (bus_client_publish (lab->bus, topic, &env), 0);
}

static void
test_espnow_stream_writes_frames_and_counts_bad_ones (void **state)
{
    lab_t *lab = *state;
    uint8_t good[6 + ESPNOW_MAX_FRAME];
    static const uint8_t mac_b[6] = { 0x24, 0x6f, 0x28, 0x00, 0x00, 0xb2 };
    memcpy (good, mac_b, 6);
    size_t n = espnow_frame_encode (good + 6, ESPNOW_MAX_FRAME, ESPNOW_T_APP, 1, "streamed", 8);
    static const uint8_t bad[3] = { 1, 2, 3 };
    char msg[512] = "";
    long written = 0, refused = 0;
    /* The stream has no reply: keep sending until the counters show it
     * arrived (a publisher's first messages may be lost while it joins). */
    for (int i = 0; i < 50 && (written < 1 || refused < 2); i++) {
        if (written < 1)
            s_stream (lab, "board-a", good, 6 + n);
        if (refused < 2) {
            s_stream (lab, "board-a", bad, sizeof bad);
            s_stream (lab, "no-such-board", good, 6 + n);
        }
        zclock_sleep (100);
        assert_int_equal (s_call (lab, "serial-bridge", "stream", 0, NULL, 5000, msg, sizeof msg), BUS_OK);
        sscanf (msg, "cmd.espnow stream: %ld frames written, %ld refused", &written, &refused);
    }
    assert_true (written >= 1);
    assert_true (refused >= 2);
    assert_non_null (strstr (msg, "dropped"));
}

int
main (void)
{
    zsys_init ();
    zsys_set_logsystem (false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_pingpong_through_sim_boards_bridge_and_bus),
        cmocka_unit_test (test_rssi_follows_the_distance_model),
        cmocka_unit_test (test_sending_to_your_own_mac_delivers_nothing_broadcast_reaches_the_others),
        cmocka_unit_test (test_corrupted_bytes_count_crc_errors_and_the_link_recovers),
        cmocka_unit_test (test_tx_silent_board_raises_an_alert),
        cmocka_unit_test (test_port_vanishes_and_returns_bridge_reconnects),
        cmocka_unit_test (test_panic_becomes_an_alert_with_the_backtrace),
        cmocka_unit_test (test_flash_runs_the_configured_command_and_reports_the_new_version),
        cmocka_unit_test (test_tail_and_log_file_have_the_boot_lines),
        cmocka_unit_test (test_bad_commands_are_refused_clearly),
        cmocka_unit_test (test_espnow_stream_writes_frames_and_counts_bad_ones),
    };
    return cmocka_run_group_tests_name ("boards_sim", tests, s_setup, s_teardown);
}
