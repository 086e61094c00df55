/* test_bench_glue - runs the ESP-IDF glue of the bench firmware on the host
 * against idf_fake: boot report, host frame -> ESP-NOW send, ESP-NOW receive
 * -> host frame with RSSI, send retries on NO_MEM, rollback confirmation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/lab_test.h"
#include <string.h>
#include "firmware/bench/main/bench.h"
#include "tests/firmware/idf_fake.h"
#include "lab_crc32.h"
#include "firmware/sim/app_image.h"
#include "services/ota-initiator/ota_sign.h"
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    int n;
    uint8_t type[32];
    uint8_t payload[32][LINK_MAX_PAYLOAD];
    size_t len[32];
} frames_t;

static void
s_on_frame (void *ctx, uint8_t type, uint16_t seq, const uint8_t *payload, size_t len)
{
    (void) seq;
    frames_t *f = (frames_t *) ctx;
    if (f->n < 32) {
        f->type[f->n] = type;
        memcpy (f->payload[f->n], payload, len);
        f->len[f->n++] = len;
    }
}

static void s_on_text (void *ctx, const uint8_t *t, size_t n) { (void) ctx; (void) t; (void) n; }
static void s_on_error (void *ctx, link_err_t e, const uint8_t *r, size_t n) { (void) ctx; (void) e; (void) r; (void) n; fail_msg ("damaged frame from the glue"); }

/* Every frame the board wrote to the UART so far. */
static void
s_frames (frames_t *f)
{
    static link_reader_t reader;
    memset (f, 0, sizeof *f);
    link_reader_cb_t cb = { s_on_frame, s_on_text, s_on_error, f };
    link_reader_init (&reader, &cb);
    link_reader_feed (&reader, idf_fake.uart_out, idf_fake.uart_out_len);
}

static int
s_find (frames_t *f, uint8_t type)
{
    for (int i = f->n - 1; i >= 0; i--)
        if (f->type[i] == type)
            return i;
    return -1;
}

static bench_t s_bench;

static void
s_assert_no_zero_tick_waits (void)
{
    if (idf_fake.zero_tick_waits)
        fail_msg ("%d wait(s) of 0 ticks at CONFIG_FREERTOS_HZ=%d; first: %s", idf_fake.zero_tick_waits,
                  configTICK_RATE_HZ, idf_fake.zero_tick_where);
}

/* Every test: no wait in the glue came out as 0 ticks. */
static int
s_teardown (void **state)
{
    (void) state;
    s_assert_no_zero_tick_waits ();
    return 0;
}

static int
s_setup (void **state)
{
    (void) state;
    idf_fake_reset ();
    assert_int_equal (bench_init (&s_bench), ESP_OK);
    board_core_set_beacon (&s_bench.core, 0);
    return 0;
}

static void
test_boot_report_carries_version_partition_and_reset_reason (void **state)
{
    (void) state;
    frames_t f;
    s_frames (&f);
    int i = s_find (&f, LINK_T_BOOT);
    assert_true (i >= 0);
    link_boot_t boot;
    assert_int_equal (link_boot_decode (f.payload[i], f.len[i], &boot), 0);
    assert_string_equal (boot.version, "1.4.2");
    assert_string_equal (boot.partition, "ota_0");
    assert_string_equal (boot.reset_reason, "sw");
    assert_int_equal (boot.channel, BENCH_WIFI_CHANNEL);
    assert_int_equal (boot.mac[0], 0x24);
}

static void
test_host_frame_becomes_espnow_send (void **state)
{
    (void) state;
    uint8_t air[ESPNOW_MAX_FRAME];
    size_t air_len = espnow_frame_encode (air, sizeof air, ESPNOW_T_APP, 7, "hello", 5);
    assert_true (air_len > 0);
    uint8_t body[6 + ESPNOW_MAX_FRAME];
    const uint8_t peer[6] = { 0x24, 0x6f, 0x28, 0xaa, 0xbb, 0xcc };
    memcpy (body, peer, 6);
    memcpy (body + 6, air, air_len);
    uint8_t wire[LINK_MAX_WIRE];
    size_t n = link_frame_encode (wire, sizeof wire, LINK_T_ESPNOW_SEND, 42, body, 6 + air_len);
    idf_fake_uart_push (wire, n);
    idf_fake.no_mem_left = 2;   /* the radio's queue is busy at first */
    bench_step (&s_bench, 2);
    assert_int_equal (idf_fake.sends, 1);
    assert_memory_equal (idf_fake.last_mac, peer, 6);
    assert_int_equal (idf_fake.last_len, air_len);
    assert_memory_equal (idf_fake.last_data, air, air_len);
    assert_int_equal (idf_fake.peers_added, 1);
    frames_t f;
    s_frames (&f);
    int i = s_find (&f, LINK_T_SEND_STATUS);
    assert_true (i >= 0);
    assert_int_equal (link_get16 (f.payload[i]), 42);
    assert_int_equal (f.payload[i][2], LINK_SEND_OK);
}

static void
test_espnow_receive_reaches_host_with_rssi (void **state)
{
    (void) state;
    uint8_t air[ESPNOW_MAX_FRAME];
    size_t air_len = espnow_frame_encode (air, sizeof air, ESPNOW_T_APP, 9, "abc", 3);
    uint8_t src[6] = { 0x24, 0x6f, 0x28, 0x11, 0x22, 0x33 };
    uint8_t dst[6] = { 0x24, 0x6f, 0x28, 0x01, 0x02, 0x03 };
    wifi_pkt_rx_ctrl_t ctrl = { 0 };
    ctrl.rssi = -67;
    ctrl.channel = 1;
    esp_now_recv_info_t info = { .src_addr = src, .des_addr = dst, .rx_ctrl = &ctrl };
    assert_non_null (idf_fake.recv_cb);
    idf_fake.recv_cb (&info, air, (int) air_len);
    bench_step (&s_bench, 2);
    frames_t f;
    s_frames (&f);
    int i = s_find (&f, LINK_T_ESPNOW_RX);
    assert_true (i >= 0);
    assert_memory_equal (f.payload[i], src, 6);
    assert_int_equal ((int8_t) f.payload[i][6], -67);
    assert_memory_equal (f.payload[i] + 8, air, air_len);
}

static void
test_receive_queue_overflow_drops_and_counts (void **state)
{
    (void) state;
    uint8_t air[ESPNOW_MAX_FRAME];
    size_t air_len = espnow_frame_encode (air, sizeof air, ESPNOW_T_APP, 1, "x", 1);
    uint8_t src[6] = { 1, 2, 3, 4, 5, 6 };
    wifi_pkt_rx_ctrl_t ctrl = { 0 };
    esp_now_recv_info_t info = { .src_addr = src, .des_addr = src, .rx_ctrl = &ctrl };
    for (int i = 0; i < BENCH_RX_QUEUE_LEN + 5; i++)
        idf_fake.recv_cb (&info, air, (int) air_len);
    assert_int_equal (s_bench.rx_dropped, 5);
    /* Oversized frames never reach the queue. */
    idf_fake.recv_cb (&info, air, 251);
    assert_int_equal (s_bench.rx_dropped, 5);
}

static void
test_new_image_confirms_only_after_hearing_a_peer (void **state)
{
    (void) state;
    idf_fake.ota_state = ESP_OTA_IMG_PENDING_VERIFY;
    idf_fake.now_us += 10 * 1000000;
    bench_step (&s_bench, 2);
    assert_int_equal (idf_fake.marked_valid, 0);     /* heard nobody yet */
    uint8_t air[ESPNOW_MAX_FRAME];
    size_t air_len = espnow_frame_encode (air, sizeof air, ESPNOW_T_BEACON, 1, NULL, 0);
    uint8_t src[6] = { 0x24, 0x6f, 0x28, 0x11, 0x22, 0x33 };
    wifi_pkt_rx_ctrl_t ctrl = { 0 };
    esp_now_recv_info_t info = { .src_addr = src, .des_addr = src, .rx_ctrl = &ctrl };
    idf_fake.recv_cb (&info, air, (int) air_len);
    bench_step (&s_bench, 2);
    bench_step (&s_bench, 2);
    assert_int_equal (idf_fake.marked_valid, 1);
    assert_int_equal (idf_fake.ota_state, ESP_OTA_IMG_VALID);
}

/* A small OTA through the glue: BEGIN, CHUNKs and END arrive over ESP-NOW;
 * the image lands in the next OTA slot through esp_ota_*, progress in NVS,
 * and the boot partition is switched. */
static void
test_ota_push_lands_in_the_next_slot_through_esp_ota (void **state)
{
    (void) state;
    /* The lab's key, made for this test; the board's image "has it built in". */
    char *keys = lab_test_tmpdir ("glue-keys"), err[200];
    assert_non_null (keys);
    assert_int_equal (ota_sign_keygen (keys, err, sizeof err), 1);
    snprintf (idf_fake.sig_pub_path, sizeof idf_fake.sig_pub_path, "%s/%s", keys, OTA_SIGN_PUB_FILE);
    /* Paired with the initiator board over USB, then booted. */
    static const uint8_t pmk[16] = { 1, 2, 3 }, lmk[1][16] = { { 9, 8, 7 } };
    static const uint8_t initiator[1][6] = { { 0x24, 0x6f, 0x28, 0x11, 0x22, 0x33 } };
    idf_fake_provision_pairing (pmk, initiator, lmk, 1);
    assert_int_equal (bench_init (&s_bench), ESP_OK);
    assert_int_equal (s_bench.paired, 1);
    assert_true (idf_fake.pmk_set);
    assert_true (idf_fake.peer_encrypt[0]);
    assert_memory_equal (idf_fake.peer_lmk[0], lmk[0], 16);
    ota_sign_t *signer = ota_sign_load (keys, err, sizeof err);
    assert_non_null (signer);
    static uint8_t image[1024 + OTA_SIG_TRAILER_LEN];
    size_t data = app_image_init (image, 1024);
    for (size_t i = 0; i < data; i++)
        image[APP_IMAGE_DATA_OFF + i] = (uint8_t) (i * 13);
    app_image_seal (image, 1024);
    assert_int_equal (ota_sign_trailer (signer, image, 1024, image + 1024, err, sizeof err), 0);
    ota_sign_destroy (&signer);
    uint8_t src[6] = { 0x24, 0x6f, 0x28, 0x11, 0x22, 0x33 };
    wifi_pkt_rx_ctrl_t ctrl = { 0 };
    esp_now_recv_info_t info = { .src_addr = src, .des_addr = src, .rx_ctrl = &ctrl };
    /* Chunks of a push to several boards come to the broadcast address
     * (des_addr ff:ff:..., never encrypted); BEGIN, END and ABORT only by
     * unicast: a BEGIN to the broadcast address, even from the paired
     * initiator's MAC, is dropped and counted. */
    uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    esp_now_recv_info_t info_bc = { .src_addr = src, .des_addr = bcast, .rx_ctrl = &ctrl };
    uint8_t msg[OTA_MSG_MAX], air[ESPNOW_MAX_FRAME];
    ota_msg_t m = { .op = OTA_OP_BEGIN, .session = 5, .size = sizeof image,
                    .crc32 = lab_crc32 (0, image, sizeof image), .chunk = OTA_CHUNK_MAX };
    snprintf (m.version, sizeof m.version, "9.9.9");
    uint32_t seq = 0;
    size_t n = ota_msg_encode (msg, sizeof msg, &m);
    size_t a = espnow_frame_encode (air, sizeof air, ESPNOW_T_OTA, ++seq, msg, n);
    idf_fake.recv_cb (&info_bc, air, (int) a);
    bench_step (&s_bench, 1);
    assert_int_equal (s_bench.ota.stats.broadcast_refused, 1);
    assert_int_equal (idf_fake.ota_begun, 0);
    idf_fake.recv_cb (&info, air, (int) a);
    bench_step (&s_bench, 1);
    for (uint32_t c = 0; c < ota_chunks (sizeof image, OTA_CHUNK_MAX); c++) {
        ota_msg_t k = { .op = OTA_OP_CHUNK, .session = 5, .seq = c, .data = image + c * OTA_CHUNK_MAX };
        k.data_len = (uint16_t) (sizeof image - c * OTA_CHUNK_MAX < OTA_CHUNK_MAX ? sizeof image - c * OTA_CHUNK_MAX
                                                                                   : OTA_CHUNK_MAX);
        n = ota_msg_encode (msg, sizeof msg, &k);
        a = espnow_frame_encode (air, sizeof air, ESPNOW_T_OTA, ++seq, msg, n);
        idf_fake.recv_cb (&info_bc, air, (int) a);
        bench_step (&s_bench, 1);
    }
    ota_msg_t e = { .op = OTA_OP_END, .session = 5, .crc32 = m.crc32, .chunks = 5 };
    n = ota_msg_encode (msg, sizeof msg, &e);
    a = espnow_frame_encode (air, sizeof air, ESPNOW_T_OTA, ++seq, msg, n);
    idf_fake.recv_cb (&info, air, (int) a);
    bench_step (&s_bench, 1);
    assert_int_equal (idf_fake.ota_begun, 1);
    assert_int_equal (idf_fake.ota.wrote_size, sizeof image);
    assert_memory_equal (idf_fake_slot (), image, sizeof image);
    assert_int_equal (idf_fake.ota_ended, 1);
    assert_int_equal (idf_fake.ota_end_rc, ESP_OK);
    assert_int_equal (idf_fake.boot_set, 1);
    size_t progress_len = 0;
    assert_non_null (idf_fake_nvs ("labota", "progress", &progress_len));
    assert_int_equal (progress_len, sizeof (ota_progress_t));
    lab_test_rmdir (keys);
    free (keys);
}

/* At the default CONFIG_FREERTOS_HZ=100 a tick is 10 ms: a wait of 2 ms
 * converted with pdMS_TO_TICKS is 0 ticks, so the task never blocks, spins at
 * 100 % and starves the idle task (task watchdog). The loop, the radio's
 * NO_MEM back-off and the wait for the send callback must all block for at
 * least one tick. */
/* An unprovisioned board takes no OTA: a BEGIN from anyone is dropped
 * unanswered and counted. Encrypted peers are limited as ESP-IDF limits
 * them (CONFIG_ESP_WIFI_ESPNOW_MAX_ENCRYPT_NUM, 7 by default). */
static void
test_unpaired_board_takes_no_ota_and_encrypted_peers_are_limited (void **state)
{
    (void) state;
    assert_int_equal (s_bench.paired, 0);
    uint8_t src[6] = { 0x24, 0x6f, 0x28, 0x11, 0x22, 0x33 };
    wifi_pkt_rx_ctrl_t ctrl = { 0 };
    esp_now_recv_info_t info = { .src_addr = src, .des_addr = src, .rx_ctrl = &ctrl };
    uint8_t msg[OTA_MSG_MAX], air[ESPNOW_MAX_FRAME];
    ota_msg_t m = { .op = OTA_OP_BEGIN, .session = 5, .size = 4096, .crc32 = 1, .chunk = OTA_CHUNK_MAX };
    snprintf (m.version, sizeof m.version, "6.6.6");
    size_t n = ota_msg_encode (msg, sizeof msg, &m);
    size_t a = espnow_frame_encode (air, sizeof air, ESPNOW_T_OTA, 1, msg, n);
    int sends = idf_fake.sends;
    idf_fake.recv_cb (&info, air, (int) a);
    bench_step (&s_bench, 1);
    assert_int_equal (s_bench.ota.stats.unpaired, 1);
    assert_int_equal (idf_fake.sends, sends);            /* no answer */
    assert_int_equal (idf_fake.ota_begun, 0);
    esp_now_peer_info_t p = { .encrypt = true };
    int ok = 0;
    for (int i = 0; i < 10; i++) {
        p.peer_addr[5] = (uint8_t) (0x40 + i);
        ok += esp_now_add_peer (&p) == ESP_OK;
    }
    assert_int_equal (ok, CONFIG_ESP_WIFI_ESPNOW_MAX_ENCRYPT_NUM);
    memset (p.peer_addr, 0xff, 6);
    p.encrypt = true;
    assert_int_equal (esp_now_add_peer (&p), ESP_ERR_ESPNOW_ARG);    /* broadcast cannot be encrypted */
}

/* Host frame -> ESP-NOW send of PAYLOAD to PEER with link seq SEQ; returns
 * the LINK_SEND_* status the board reported for it. */
static int
s_send_via_host (uint16_t seq, const char *payload)
{
    uint8_t air[ESPNOW_MAX_FRAME];
    size_t air_len = espnow_frame_encode (air, sizeof air, ESPNOW_T_APP, seq, payload, strlen (payload));
    uint8_t body[6 + ESPNOW_MAX_FRAME];
    const uint8_t peer[6] = { 0x24, 0x6f, 0x28, 0xaa, 0xbb, 0xcc };
    memcpy (body, peer, 6);
    memcpy (body + 6, air, air_len);
    uint8_t wire[LINK_MAX_WIRE];
    size_t n = link_frame_encode (wire, sizeof wire, LINK_T_ESPNOW_SEND, seq, body, 6 + air_len);
    idf_fake_uart_push (wire, n);
    bench_step (&s_bench, 1);
    frames_t f;
    s_frames (&f);
    for (int i = f.n - 1; i >= 0; i--)
        if (f.type[i] == LINK_T_SEND_STATUS && link_get16 (f.payload[i]) == seq)
            return f.payload[i][2];
    return -1;
}

/* The send callback of a frame comes after the glue stopped waiting for it
 * (50 ms): that late SUCCESS must not be taken as the outcome of the next
 * frame, which here gets no MAC-layer ACK. ESP-NOW reports callbacks in
 * order, one per accepted frame. */
static void
test_a_late_send_callback_is_not_taken_for_the_next_frame (void **state)
{
    (void) state;
    idf_fake.hold_send_cb = true;
    assert_int_equal (s_send_via_host (101, "one"), LINK_SEND_FAIL);      /* timed out */
    assert_int_equal (s_bench.send_timeouts, 1);
    idf_fake.hold_send_cb = false;                                        /* its callback: SUCCESS, late */
    idf_fake.next_send_fails = 1;                                         /* the next frame is not acked */
    assert_int_equal (s_send_via_host (102, "two"), LINK_SEND_FAIL);
    assert_int_equal (idf_fake.sends, 2);
}

static void
test_no_wait_rounds_to_zero_ticks (void **state)
{
    (void) state;
    int64_t t0 = idf_fake.now_us;
    bench_loop_once (&s_bench);                 /* nothing to do: it must block */
    s_assert_no_zero_tick_waits ();
    int64_t tick_us = 1000000 / configTICK_RATE_HZ;
    assert_true (idf_fake.now_us - t0 >= tick_us);
    uint8_t air[ESPNOW_MAX_FRAME];
    size_t air_len = espnow_frame_encode (air, sizeof air, ESPNOW_T_APP, 7, "hello", 5);
    uint8_t body[6 + ESPNOW_MAX_FRAME];
    const uint8_t peer[6] = { 0x24, 0x6f, 0x28, 0xaa, 0xbb, 0xcc };
    memcpy (body, peer, 6);
    memcpy (body + 6, air, air_len);
    uint8_t wire[LINK_MAX_WIRE];
    size_t n = link_frame_encode (wire, sizeof wire, LINK_T_ESPNOW_SEND, 1, body, 6 + air_len);
    idf_fake_uart_push (wire, n);
    idf_fake.no_mem_left = 2;                   /* the back-off path */
    for (int i = 0; i < 3; i++)
        bench_loop_once (&s_bench);
    assert_int_equal (idf_fake.sends, 1);
    s_assert_no_zero_tick_waits ();
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_boot_report_carries_version_partition_and_reset_reason, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_host_frame_becomes_espnow_send, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_espnow_receive_reaches_host_with_rssi, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_receive_queue_overflow_drops_and_counts, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_new_image_confirms_only_after_hearing_a_peer, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_ota_push_lands_in_the_next_slot_through_esp_ota, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_unpaired_board_takes_no_ota_and_encrypted_peers_are_limited, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_no_wait_rounds_to_zero_ticks, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_late_send_callback_is_not_taken_for_the_next_frame, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
