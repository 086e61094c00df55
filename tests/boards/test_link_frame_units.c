/* test_link_frame - the serial link frame codec and its resynchronising
 * reader, and the ESP-NOW header's byte layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "espnow_hdr.h"
#include "lab_crc32.h"
#include "link_frame.h"

typedef struct {
    int frames;
    uint8_t type[16];
    uint16_t seq[16];
    size_t len[16];
    uint8_t payload[16][LINK_MAX_PAYLOAD];
    uint8_t text[16384];
    size_t text_len;
    int errors;
    link_err_t last_err;
} sink_t;

static void
s_frame (void *ctx, uint8_t type, uint16_t seq, const uint8_t *payload, size_t len)
{
    sink_t *s = ctx;
    if (s->frames < 16) {
        s->type[s->frames] = type;
        s->seq[s->frames] = seq;
        s->len[s->frames] = len;
        memcpy (s->payload[s->frames], payload, len);
    }
    s->frames++;
}

static void
s_text (void *ctx, const uint8_t *text, size_t len)
{
    sink_t *s = ctx;
    assert_true (s->text_len + len <= sizeof s->text);
    memcpy (s->text + s->text_len, text, len);
    s->text_len += len;
}

static void
s_error (void *ctx, link_err_t err, const uint8_t *raw, size_t len)
{
    (void) raw;
    (void) len;
    sink_t *s = ctx;
    s->errors++;
    s->last_err = err;
}

static link_reader_t *
s_reader (sink_t *sink)
{
    memset (sink, 0, sizeof *sink);
    link_reader_t *r = malloc (sizeof *r);
    link_reader_cb_t cb = { .on_frame = s_frame, .on_text = s_text, .on_error = s_error, .ctx = sink };
    link_reader_init (r, &cb);
    return r;
}

static void
test_frame_round_trips_every_length (void **state)
{
    (void) state;
    sink_t *sink = malloc (sizeof *sink);
    uint8_t payload[LINK_MAX_PAYLOAD], wire[LINK_MAX_WIRE];
    for (size_t len = 0; len <= LINK_MAX_PAYLOAD; len++) {
        link_reader_t *r = s_reader (sink);
        /* Zeros and 0xB5 in the payload are the interesting bytes. */
        for (size_t i = 0; i < len; i++)
            payload[i] = (uint8_t) (i % 3 == 0 ? 0 : (i % 3 == 1 ? LINK_MARK : i));
        size_t n = link_frame_encode (wire, sizeof wire, LINK_T_APP, (uint16_t) (len * 7), payload, len);
        assert_true (n > 0 && n <= LINK_MAX_WIRE);
        /* Only the delimiters are zero. */
        assert_int_equal (wire[0], 0);
        assert_int_equal (wire[n - 1], 0);
        for (size_t i = 1; i < n - 1; i++)
            assert_int_not_equal (wire[i], 0);
        if (len + LINK_HDR_SIZE + LINK_CRC_SIZE < 254)
            assert_int_equal (n, len + LINK_OVERHEAD);
        link_reader_feed (r, wire, n);
        assert_int_equal (sink->frames, 1);
        assert_int_equal (sink->type[0], LINK_T_APP);
        assert_int_equal (sink->seq[0], (uint16_t) (len * 7));
        assert_int_equal (sink->len[0], len);
        assert_memory_equal (sink->payload[0], payload, len);
        assert_int_equal (sink->text_len, 0);
        assert_int_equal (sink->errors, 0);
        free (r);
    }
    free (sink);
}

static void
test_frame_refuses_oversized_payload (void **state)
{
    (void) state;
    static uint8_t big[LINK_MAX_PAYLOAD + 1], wire[LINK_MAX_WIRE * 2];
    assert_int_equal (link_frame_encode (wire, sizeof wire, 1, 0, big, sizeof big), 0);
    assert_int_equal (link_frame_encode (wire, 10, 1, 0, big, 20), 0);
}

static void
test_frame_fed_byte_by_byte_between_text (void **state)
{
    (void) state;
    sink_t *sink = malloc (sizeof *sink);
    link_reader_t *r = s_reader (sink);
    uint8_t wire[LINK_MAX_WIRE];
    const char *before = "I (123) app: hello\r\n";
    const char *after = "W (124) app: after\r\n";
    link_reader_feed (r, (const uint8_t *) before, strlen (before));
    size_t n = link_frame_encode (wire, sizeof wire, LINK_T_HEARTBEAT, 42, "abc", 3);
    for (size_t i = 0; i < n; i++)
        link_reader_feed (r, wire + i, 1);
    link_reader_feed (r, (const uint8_t *) after, strlen (after));
    assert_int_equal (sink->frames, 1);
    assert_int_equal (sink->seq[0], 42);
    assert_int_equal (sink->text_len, strlen (before) + strlen (after));
    assert_memory_equal (sink->text, before, strlen (before));
    assert_memory_equal (sink->text + strlen (before), after, strlen (after));
    free (r);
    free (sink);
}

static void
test_frame_resyncs_after_garbage (void **state)
{
    (void) state;
    sink_t *sink = malloc (sizeof *sink);
    link_reader_t *r = s_reader (sink);
    uint8_t wire[LINK_MAX_WIRE];
    /* A marker followed by garbage, then a good frame right after. */
    const uint8_t garbage[] = { 0x00, LINK_MARK, 0x13, 0x37, 0xFF, 0x02, 0x99 };
    link_reader_feed (r, garbage, sizeof garbage);
    size_t n = link_frame_encode (wire, sizeof wire, LINK_T_APP, 1, "ok", 2);
    link_reader_feed (r, wire, n);
    assert_int_equal (sink->frames, 1);
    assert_int_equal (sink->errors, 1);
    assert_memory_equal (sink->payload[0], "ok", 2);
    free (r);
    free (sink);
}

static void
test_frame_resyncs_after_truncation (void **state)
{
    (void) state;
    sink_t *sink = malloc (sizeof *sink);
    link_reader_t *r = s_reader (sink);
    uint8_t wire[LINK_MAX_WIRE], wire2[LINK_MAX_WIRE];
    uint8_t payload[100];
    memset (payload, 0x41, sizeof payload);
    size_t n = link_frame_encode (wire, sizeof wire, LINK_T_APP, 1, payload, sizeof payload);
    /* The first frame is cut mid-way (board reset), text follows, then a good frame. */
    link_reader_feed (r, wire, n / 2);
    link_reader_feed (r, (const uint8_t *) "ets Jun  8 2016\r\n", 17);
    size_t n2 = link_frame_encode (wire2, sizeof wire2, LINK_T_BOOT, 2, "x", 1);
    link_reader_feed (r, wire2, n2);
    assert_int_equal (sink->frames, 1);
    assert_int_equal (sink->type[0], LINK_T_BOOT);
    assert_int_equal (sink->errors, 1);
    /* And a bit flip in a whole frame is a CRC error, the next frame fine. */
    n = link_frame_encode (wire, sizeof wire, LINK_T_APP, 3, payload, sizeof payload);
    wire[20] ^= 0x04;
    link_reader_feed (r, wire, n);
    link_reader_feed (r, wire2, n2);
    assert_int_equal (sink->frames, 2);
    assert_int_equal (sink->errors, 2);
    assert_int_equal (sink->last_err, LINK_ERR_CRC);
    free (r);
    free (sink);
}

static void
test_frame_overflow_without_delimiter_recovers (void **state)
{
    (void) state;
    sink_t *sink = malloc (sizeof *sink);
    link_reader_t *r = s_reader (sink);
    uint8_t junk[LINK_MAX_COBS + 100];
    memset (junk, 0x11, sizeof junk);
    junk[0] = 0;
    junk[1] = LINK_MARK;
    link_reader_feed (r, junk, sizeof junk);
    assert_int_equal (sink->errors, 1);
    assert_int_equal (sink->last_err, LINK_ERR_OVERFLOW);
    uint8_t wire[LINK_MAX_WIRE];
    size_t n = link_frame_encode (wire, sizeof wire, LINK_T_APP, 9, "z", 1);
    link_reader_feed (r, wire, n);
    assert_int_equal (sink->frames, 1);
    free (r);
    free (sink);
}

static void
test_log_text_with_every_byte_value_is_never_a_frame (void **state)
{
    (void) state;
    sink_t *sink = malloc (sizeof *sink);
    link_reader_t *r = s_reader (sink);
    /* Every byte value, every pair around the marker, and a pseudo-random
     * stretch: all of it must come out as text, none of it as a frame. */
    uint8_t text[256 * 3 + 1024];
    size_t n = 0;
    for (int i = 0; i < 256; i++)
        text[n++] = (uint8_t) i;
    for (int i = 0; i < 256; i++) {
        text[n++] = 0;
        text[n++] = (uint8_t) i;
    }
    uint32_t x = 12345;
    while (n < sizeof text) {
        x = x * 1103515245u + 12345u;
        text[n++] = (uint8_t) (x >> 16);
    }
    /* Fed whole and then in odd pieces. */
    for (size_t i = 0; i + 768 <= n; i += 256)
        link_reader_feed (r, text + i, 768);
    for (size_t i = 0; i < n; i += 7)
        link_reader_feed (r, text + i, n - i < 7 ? n - i : 7);
    assert_int_equal (sink->frames, 0);
    free (r);
    free (sink);
}

static void
test_boot_report_round_trips (void **state)
{
    (void) state;
    link_boot_t in = { .mac = { 1, 2, 3, 4, 5, 6 }, .channel = 6 }, out;
    strcpy (in.version, "1.4.2");
    strcpy (in.partition, "ota_1");
    strcpy (in.reset_reason, "sw");
    uint8_t buf[200];
    size_t n = link_boot_encode (buf, sizeof buf, &in);
    assert_int_equal (link_boot_decode (buf, n, &out), 0);
    assert_memory_equal (out.mac, in.mac, 6);
    assert_string_equal (out.version, "1.4.2");
    assert_string_equal (out.partition, "ota_1");
    assert_string_equal (out.reset_reason, "sw");
    assert_int_equal (link_boot_decode (buf, n - 1, &out), -1);
}

static void
test_espnow_header_byte_layout_is_pinned (void **state)
{
    (void) state;
    assert_int_equal (sizeof (espnow_hdr_t), 16);
    assert_int_equal (offsetof (espnow_hdr_t, magic), 0);
    assert_int_equal (offsetof (espnow_hdr_t, version), 2);
    assert_int_equal (offsetof (espnow_hdr_t, type), 3);
    assert_int_equal (offsetof (espnow_hdr_t, seq), 4);
    assert_int_equal (offsetof (espnow_hdr_t, len), 8);
    assert_int_equal (offsetof (espnow_hdr_t, flags), 10);
    assert_int_equal (offsetof (espnow_hdr_t, crc32), 12);
    uint8_t buf[64];
    size_t n = espnow_frame_encode (buf, sizeof buf, ESPNOW_T_PING, 0x01020304, "hi", 2);
    assert_int_equal (n, 18);
    const uint8_t want[12] = { 0x42, 0x4C, 1, ESPNOW_T_PING, 4, 3, 2, 1, 2, 0, 0, 0 };
    assert_memory_equal (buf, want, sizeof want);
    espnow_hdr_t h;
    const uint8_t *p;
    assert_int_equal (espnow_frame_decode (buf, n, &h, &p), 0);
    buf[17] ^= 1;
    assert_int_equal (espnow_frame_decode (buf, n, &h, &p), ESPNOW_E_CRC);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_frame_round_trips_every_length),
        cmocka_unit_test (test_frame_refuses_oversized_payload),
        cmocka_unit_test (test_frame_fed_byte_by_byte_between_text),
        cmocka_unit_test (test_frame_resyncs_after_garbage),
        cmocka_unit_test (test_frame_resyncs_after_truncation),
        cmocka_unit_test (test_frame_overflow_without_delimiter_recovers),
        cmocka_unit_test (test_log_text_with_every_byte_value_is_never_a_frame),
        cmocka_unit_test (test_boot_report_round_trips),
        cmocka_unit_test (test_espnow_header_byte_layout_is_pinned),
    };
    return cmocka_run_group_tests_name ("link_frame", tests, NULL, NULL);
}
