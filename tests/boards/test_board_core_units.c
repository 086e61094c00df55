/* test_board_core - the portable board core against a fake port: ping-pong
 * between two cores, ESP-NOW rx reports with RSSI, send status, boot report,
 * the handler registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "board_core.h"

/* Two boards wired back to back; radio frames queue and are delivered by
 * s_pump so no call re-enters a core. */
typedef struct rig rig_t;
typedef struct {
    rig_t *rig;
    int idx;
    board_core_t core;
    link_reader_t host;          /* host side of this board's UART */
    int frames_by_type[256];
    uint8_t last_payload[256][LINK_MAX_PAYLOAD];
    size_t last_len[256];
    int reboots;
} fake_board_t;

typedef struct {
    int from;
    uint8_t dst[6];
    uint8_t data[ESPNOW_MAX_FRAME];
    size_t len;
} air_t;

struct rig {
    fake_board_t b[2];
    uint64_t now;
    air_t air[64];
    int nair;
};

static int
s_radio_send (void *ctx, const uint8_t mac[6], const uint8_t *data, size_t len)
{
    fake_board_t *fb = ctx;
    rig_t *rig = fb->rig;
    if (rig->nair >= 64)
        return -1;
    air_t *a = &rig->air[rig->nair++];
    a->from = fb->idx;
    memcpy (a->dst, mac, 6);
    memcpy (a->data, data, len);
    a->len = len;
    return 0;
}

static void
s_uart_write (void *ctx, const uint8_t *data, size_t len)
{
    fake_board_t *fb = ctx;
    link_reader_feed (&fb->host, data, len);
}

static uint64_t
s_now (void *ctx)
{
    fake_board_t *fb = ctx;
    return fb->rig->now;
}

static void
s_reboot (void *ctx)
{
    fake_board_t *fb = ctx;
    fb->reboots++;
}

static void
s_host_frame (void *ctx, uint8_t type, uint16_t seq, const uint8_t *payload, size_t len)
{
    (void) seq;
    fake_board_t *fb = ctx;
    fb->frames_by_type[type]++;
    memcpy (fb->last_payload[type], payload, len);
    fb->last_len[type] = len;
}

static void
s_pump (rig_t *rig)
{
    /* Deliver only what was on the air when called; answers wait for the next pump. */
    int n = rig->nair;
    static air_t q[64];
    memcpy (q, rig->air, sizeof (air_t) * (size_t) n);
    rig->nair = 0;
    for (int i = 0; i < n; i++) {
        air_t a = q[i];
        for (int j = 0; j < 2; j++) {
            if (j == a.from)
                continue;
            if (memcmp (a.dst, board_broadcast_mac, 6) && memcmp (a.dst, rig->b[j].core.mac, 6))
                continue;
            board_core_radio_in (&rig->b[j].core, rig->b[a.from].core.mac, -40 - j, a.data, a.len);
        }
    }
}

static rig_t *
s_rig (void)
{
    rig_t *rig = calloc (1, sizeof *rig);
    rig->now = 1000000;
    for (int i = 0; i < 2; i++) {
        fake_board_t *fb = &rig->b[i];
        fb->rig = rig;
        fb->idx = i;
        link_reader_cb_t cb = { .on_frame = s_host_frame, .ctx = fb };
        link_reader_init (&fb->host, &cb);
        board_port_t port = { .ctx = fb, .radio_send = s_radio_send, .uart_write = s_uart_write,
                              .now_us = s_now, .reboot = s_reboot };
        board_info_t info = { .mac = { 0x24, 0x6f, 0x28, 0, 0, (uint8_t) (0xa0 + i) }, .channel = 1,
                              .version = "1.0.0", .partition = "factory", .reset_reason = "poweron" };
        board_core_init (&fb->core, &port, &info);
        board_core_set_beacon (&fb->core, 0);
        board_core_boot (&fb->core);
    }
    return rig;
}

static void
s_host_send (fake_board_t *fb, uint8_t type, uint16_t seq, const void *p, size_t len)
{
    uint8_t wire[LINK_MAX_WIRE];
    size_t n = link_frame_encode (wire, sizeof wire, type, seq, p, len);
    board_core_uart_in (&fb->core, wire, n);
}

static void
test_boot_report_reaches_host (void **state)
{
    (void) state;
    rig_t *rig = s_rig ();
    assert_int_equal (rig->b[0].frames_by_type[LINK_T_BOOT], 1);
    link_boot_t boot;
    assert_int_equal (link_boot_decode (rig->b[0].last_payload[LINK_T_BOOT],
                                        rig->b[0].last_len[LINK_T_BOOT], &boot), 0);
    assert_string_equal (boot.version, "1.0.0");
    assert_string_equal (boot.partition, "factory");
    assert_int_equal (boot.mac[5], 0xa0);
    board_core_set_identity (&rig->b[0].core, "2.0.0", "ota_0", "sw");
    s_host_send (&rig->b[0], LINK_T_QUERY, 1, NULL, 0);
    assert_int_equal (link_boot_decode (rig->b[0].last_payload[LINK_T_BOOT],
                                        rig->b[0].last_len[LINK_T_BOOT], &boot), 0);
    assert_string_equal (boot.version, "2.0.0");
    free (rig);
}

static void
test_pingpong_between_two_cores (void **state)
{
    (void) state;
    rig_t *rig = s_rig ();
    uint8_t p[20];
    memcpy (p, rig->b[1].core.mac, 6);
    link_put32 (p + 6, 77);
    link_put32 (p + 10, 10);
    link_put32 (p + 14, 1000);
    link_put16 (p + 18, 32);
    s_host_send (&rig->b[0], LINK_T_PP_START, 5, p, sizeof p);
    for (int step = 0; step < 100 && !rig->b[0].frames_by_type[LINK_T_PP_DONE]; step++) {
        board_core_poll (&rig->b[0].core);
        rig->now += 300;
        s_pump (rig);   /* ping to b1, which queues the pong */
        rig->now += 200;
        s_pump (rig);   /* pong back to b0 */
        board_core_poll (&rig->b[1].core);
    }
    assert_int_equal (rig->b[0].frames_by_type[LINK_T_PP_DONE], 1);
    assert_int_equal (rig->b[0].frames_by_type[LINK_T_PP_RESULT], 10);
    const uint8_t *d = rig->b[0].last_payload[LINK_T_PP_DONE];
    assert_int_equal (link_get32 (d), 77);
    assert_int_equal (link_get32 (d + 4), 10);
    assert_int_equal (link_get32 (d + 8), 10);
    const uint8_t *res = rig->b[0].last_payload[LINK_T_PP_RESULT];
    assert_int_equal (link_get32 (res + 8), 500);
    /* Both sides reported every frame they heard, with RSSI. */
    assert_int_equal (rig->b[1].frames_by_type[LINK_T_ESPNOW_RX], 10);
    assert_int_equal ((int8_t) rig->b[1].last_payload[LINK_T_ESPNOW_RX][6], -41);
    assert_memory_equal (rig->b[1].last_payload[LINK_T_ESPNOW_RX], rig->b[0].core.mac, 6);
    free (rig);
}

static void
test_espnow_send_reports_status (void **state)
{
    (void) state;
    rig_t *rig = s_rig ();
    uint8_t p[6 + 20];
    memcpy (p, rig->b[1].core.mac, 6);
    size_t n = espnow_frame_encode (p + 6, 20, ESPNOW_T_APP, 1, "hey", 3);
    s_host_send (&rig->b[0], LINK_T_ESPNOW_SEND, 33, p, 6 + n);
    assert_int_equal (rig->b[0].frames_by_type[LINK_T_SEND_STATUS], 1);
    assert_int_equal (link_get16 (rig->b[0].last_payload[LINK_T_SEND_STATUS]), 33);
    assert_int_equal (rig->b[0].last_payload[LINK_T_SEND_STATUS][2], LINK_SEND_OK);
    s_pump (rig);
    assert_int_equal (rig->b[1].frames_by_type[LINK_T_ESPNOW_RX], 1);
    assert_int_equal (rig->b[1].last_len[LINK_T_ESPNOW_RX], 8 + n);
    free (rig);
}

typedef struct {
    int calls;
    size_t len;
} probe_t;

static void
s_ota_radio (void *ctx, board_core_t *core, const uint8_t src[6], int8_t rssi,
             const espnow_hdr_t *hdr, const uint8_t *payload, size_t len)
{
    (void) core; (void) src; (void) rssi; (void) payload;
    probe_t *p = ctx;
    assert_int_equal (hdr->type, ESPNOW_T_OTA);
    p->calls++;
    p->len = len;
}

static void
s_ota_link (void *ctx, board_core_t *core, uint16_t seq, const uint8_t *payload, size_t len)
{
    (void) seq; (void) payload;
    probe_t *p = ctx;
    p->calls++;
    p->len = len;
    board_core_reboot (core);
}

static void
test_handlers_plug_in_by_type (void **state)
{
    (void) state;
    rig_t *rig = s_rig ();
    probe_t radio = { 0 }, link = { 0 };
    assert_int_equal (board_core_set_handler (&rig->b[1].core, ESPNOW_T_OTA, s_ota_radio, &radio), 0);
    assert_int_equal (board_core_set_link_handler (&rig->b[0].core, LINK_T_OTA, s_ota_link, &link), 0);
    board_core_send_espnow (&rig->b[0].core, rig->b[1].core.mac, ESPNOW_T_OTA, "chunk", 5);
    s_pump (rig);
    assert_int_equal (radio.calls, 1);
    assert_int_equal (radio.len, 5);
    s_host_send (&rig->b[0], LINK_T_OTA, 1, "abcd", 4);
    assert_int_equal (link.calls, 1);
    assert_int_equal (link.len, 4);
    assert_int_equal (rig->b[0].reboots, 1);
    /* Unregistering falls back to the core (unknown type counted). */
    board_core_set_link_handler (&rig->b[0].core, LINK_T_OTA, NULL, NULL);
    s_host_send (&rig->b[0], LINK_T_OTA, 2, "abcd", 4);
    assert_int_equal (link.calls, 1);
    assert_int_equal (board_core_stats (&rig->b[0].core)->link_unknown, 1);
    free (rig);
}

static void
test_heartbeat_and_damaged_host_frames_are_counted (void **state)
{
    (void) state;
    rig_t *rig = s_rig ();
    const uint8_t junk[] = { 0, LINK_MARK, 5, 1, 2, 3, 4, 0 };
    board_core_uart_in (&rig->b[0].core, junk, sizeof junk);
    rig->now += 1100000;
    board_core_poll (&rig->b[0].core);
    assert_int_equal (rig->b[0].frames_by_type[LINK_T_HEARTBEAT], 1);
    assert_int_equal (link_get32 (rig->b[0].last_payload[LINK_T_HEARTBEAT] + 12), 1);
    free (rig);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_boot_report_reaches_host),
        cmocka_unit_test (test_pingpong_between_two_cores),
        cmocka_unit_test (test_espnow_send_reports_status),
        cmocka_unit_test (test_handlers_plug_in_by_type),
        cmocka_unit_test (test_heartbeat_and_damaged_host_frames_are_counted),
    };
    return cmocka_run_group_tests_name ("board_core", tests, NULL, NULL);
}
