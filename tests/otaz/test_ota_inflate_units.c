/* test_ota_inflate_units - compressed OTA groundwork: the host's blocked
 * deflate (ota_deflate) and the board's streaming inflater (ota_inflate,
 * here over zlib) on the labsim test images: round trips in OTA-sized
 * chunks, resuming at a block boundary after a "reboot", corrupted,
 * truncated and oversized streams refused without writing past the image,
 * and the test images' compressibility. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "lab_crc32.h"
#include "ota_inflate.h"
#include "services/labsim/labsim_appfill.h"
#include "services/ota-initiator/ota_deflate.h"

#define IMAGE (742u * 1024u)

/* The board's flash as the sink sees it: plain bytes land at the
 * inflater's offset; anything past the image is a test failure. */
typedef struct {
    uint8_t *plain;
    size_t cap;
    size_t at;                 /* next offset the sink writes */
    size_t writes;
    size_t fail_after;         /* refuse writes once this many happened (0: never) */
} flash_t;

static int
s_sink (void *ctx, const uint8_t *data, size_t len)
{
    flash_t *f = (flash_t *) ctx;
    assert_true (f->at + len <= f->cap);
    if (f->fail_after && f->writes >= f->fail_after)
        return -1;
    memcpy (f->plain + f->at, data, len);
    f->at += len;
    f->writes++;
    return 0;
}

static uint8_t *
s_image (int random, size_t n)
{
    uint8_t *img = (uint8_t *) malloc (n);
    assert_non_null (img);
    if (random)
        labsim_appfill_random (img, n, 0x12345678u ^ (uint32_t) n);
    else
        labsim_appfill (img, n, 0x12345678u ^ (uint32_t) n);
    return img;
}

/* Feeds DATA[0..LEN) in chunks of CHUNK bytes (0: varying 1..1400);
 * returns the last result. */
static int
s_feed (ota_inflate_t *inf, const uint8_t *data, size_t len, size_t chunk)
{
    int rc = OTA_INF_OK;
    uint32_t x = 0x9E3779B9u;
    for (size_t off = 0; off < len && rc == OTA_INF_OK;) {
        size_t n = chunk;
        if (!n) {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            n = 1 + x % 1400;
        }
        if (n > len - off)
            n = len - off;
        rc = ota_inflate_feed (inf, data + off, n);
        off += n;
    }
    return rc;
}

static void
s_round_trip (int random)
{
    uint8_t *img = s_image (random, IMAGE);
    ota_deflate_t *dz = ota_deflate_new (img, IMAGE, 0, 9);
    assert_non_null (dz);
    assert_int_equal (ota_deflate_blocks (dz), (IMAGE + OTA_DEFLATE_BLOCK - 1) / OTA_DEFLATE_BLOCK);
    static ota_inflate_t inf;
    for (size_t chunk = 0; chunk <= 200; chunk += 200) {     /* varying, then OTA_CHUNK-sized */
        flash_t f = { .plain = calloc (1, IMAGE), .cap = IMAGE };
        ota_inflate_init (&inf, s_sink, &f);
        assert_int_equal (ota_inflate_start (&inf, IMAGE, ota_deflate_block_size (dz), 0), OTA_INF_OK);
        size_t arena = inf.arena_used;
        assert_int_equal (s_feed (&inf, ota_deflate_data (dz), ota_deflate_size (dz), chunk), OTA_INF_DONE);
        assert_int_equal (f.at, IMAGE);
        assert_int_equal (ota_inflate_offset (&inf), IMAGE);
        assert_memory_equal (f.plain, img, IMAGE);
        assert_int_equal (lab_crc32 (0, f.plain, IMAGE), lab_crc32 (0, img, IMAGE));
        assert_int_equal (inf.stats.blocks, ota_deflate_blocks (dz));
        assert_int_equal (inf.stats.in_bytes, ota_deflate_size (dz));
        /* zlib allocated its state at start and its 32 KB window once, for
         * the first block: no later block or chunk allocated anything */
        assert_int_equal (inf.arena_used, arena + 32768);
        assert_true (inf.arena_used <= OTA_INF_ARENA);
        free (f.plain);
    }
    ota_deflate_destroy (&dz);
    free (img);
}

static void
test_round_trip_app_image (void **state)
{
    (void) state;
    s_round_trip (0);
}

static void
test_round_trip_incompressible (void **state)
{
    (void) state;
    s_round_trip (1);
}

/* The content must compress like an application: zlib level 9 over the
 * whole image (as esptool does) within the range real ESP-IDF apps show,
 * the blocked stream close to it; random content must not grow more than
 * 3 %. Fails if the test image regresses to noise or to zeros. */
static void
test_image_ratios (void **state)
{
    (void) state;
    for (int random = 0; random <= 1; random++) {
        uint8_t *img = s_image (random, IMAGE);
        uLongf n = compressBound (IMAGE);
        uint8_t *out = malloc (n);
        assert_int_equal (compress2 (out, &n, img, IMAGE, 9), Z_OK);
        double whole = (double) n / IMAGE;
        ota_deflate_t *dz = ota_deflate_new (img, IMAGE, 0, 9);
        double blocked = (double) ota_deflate_size (dz) / IMAGE;
        print_message ("%s: zlib-9 whole %.4f, %u KB blocks %.4f\n", random ? "incompressible" : "app",
                       whole, OTA_DEFLATE_BLOCK / 1024, blocked);
        if (random) {
            assert_true (blocked <= 1.03);
            assert_true (whole > 0.99);
        } else {
            assert_true (whole >= 0.55 && whole <= 0.65);
            assert_true (blocked >= whole && blocked <= whole + 0.03);
        }
        ota_deflate_destroy (&dz);
        free (out);
        free (img);
    }
}

/* A responder rebooted mid-push: it kept its progress record at a block
 * boundary (block 3) while the stream had gone on into block 5. It starts
 * a new inflater at that boundary and gets the rest from the block's
 * compressed offset; the image comes out whole. */
static void
test_restart_at_block_boundary (void **state)
{
    (void) state;
    uint8_t *img = s_image (0, IMAGE);
    ota_deflate_t *dz = ota_deflate_new (img, IMAGE, 0, 9);
    static ota_inflate_t inf;
    flash_t f = { .plain = calloc (1, IMAGE), .cap = IMAGE };
    ota_inflate_init (&inf, s_sink, &f);
    assert_int_equal (ota_inflate_start (&inf, IMAGE, OTA_DEFLATE_BLOCK, 0), OTA_INF_OK);
    ota_deflate_block_t b5 = ota_deflate_block (dz, 5), b6 = ota_deflate_block (dz, 6);
    size_t cut = (b5.comp_off + b6.comp_off) / 2;
    assert_int_equal (s_feed (&inf, ota_deflate_data (dz), cut, 200), OTA_INF_OK);
    assert_true (ota_inflate_offset (&inf) > b5.plain_off);
    /* reboot: RAM gone, flash holds what was written; progress says block 3 */
    ota_deflate_block_t r = ota_deflate_resume_point (dz, 3 * OTA_DEFLATE_BLOCK + 1000);
    assert_int_equal (r.plain_off, 3 * OTA_DEFLATE_BLOCK);
    assert_int_equal (r.comp_off, ota_deflate_block (dz, 3).comp_off);
    memset (&inf, 0xA5, sizeof inf);
    ota_inflate_init (&inf, s_sink, &f);
    f.at = r.plain_off;
    assert_int_equal (ota_inflate_start (&inf, IMAGE, OTA_DEFLATE_BLOCK, r.plain_off), OTA_INF_OK);
    assert_int_equal (ota_inflate_offset (&inf), r.plain_off);
    assert_int_equal (s_feed (&inf, ota_deflate_data (dz) + r.comp_off, ota_deflate_size (dz) - r.comp_off, 0),
                      OTA_INF_DONE);
    assert_int_equal (f.at, IMAGE);
    assert_memory_equal (f.plain, img, IMAGE);
    /* starting anywhere but a block boundary, or past the end, is refused */
    ota_inflate_init (&inf, s_sink, &f);
    assert_int_equal (ota_inflate_start (&inf, IMAGE, OTA_DEFLATE_BLOCK, 4096), OTA_INF_ESTATE);
    assert_int_equal (ota_inflate_start (&inf, IMAGE, 5000, 0), OTA_INF_ESTATE);
    assert_int_equal (ota_inflate_start (&inf, IMAGE, OTA_DEFLATE_BLOCK, 24 * OTA_DEFLATE_BLOCK), OTA_INF_ESTATE);
    assert_int_equal (ota_inflate_feed (&inf, img, 10), OTA_INF_ESTATE);
    free (f.plain);
    ota_deflate_destroy (&dz);
    free (img);
}

/* Where block I's stream ends in the compressed data. */
static size_t
s_block_end (const ota_deflate_t *dz, size_t i)
{
    return i + 1 < ota_deflate_blocks (dz) ? ota_deflate_block (dz, i + 1).comp_off : ota_deflate_size (dz);
}

/* One byte of the compressed stream changed in transit (header, data or
 * Adler-32 of some block): the inflater refuses the stream, or the plain
 * image's CRC-32 differs — never a silent success, never a write past the
 * image. */
static void
test_corrupted_chunk_caught (void **state)
{
    (void) state;
    const size_t n = 200u * 1024u;
    uint8_t *img = s_image (0, n);
    uint32_t crc = lab_crc32 (0, img, n);
    ota_deflate_t *dz = ota_deflate_new (img, n, 0, 9);
    size_t clen = ota_deflate_size (dz);
    uint8_t *bad = malloc (clen);
    static ota_inflate_t inf;
    flash_t f = { .plain = malloc (n), .cap = n };
    int refused = 0;
    uint32_t x = 0xC0FFEEu;
    for (int trial = 0; trial < 120; trial++) {
        size_t at;
        if (trial < 14)                 /* every block's first and last bytes */
            at = trial % 2 ? s_block_end (dz, (size_t) trial / 2) - 1
                           : ota_deflate_block (dz, (size_t) trial / 2).comp_off;
        else {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            at = x % clen;
        }
        memcpy (bad, ota_deflate_data (dz), clen);
        bad[at] ^= (uint8_t) (1u << (trial % 8));
        f.at = 0;
        ota_inflate_init (&inf, s_sink, &f);
        assert_int_equal (ota_inflate_start (&inf, (uint32_t) n, OTA_DEFLATE_BLOCK, 0), OTA_INF_OK);
        int rc = s_feed (&inf, bad, clen, 200);
        if (rc < 0) {
            refused++;
            assert_int_equal (inf.stats.errors, 1);
            assert_int_equal (ota_inflate_feed (&inf, bad, 1), rc);     /* sticky */
        } else
            assert_true (rc != OTA_INF_DONE || f.at != n || lab_crc32 (0, f.plain, n) != crc);
    }
    print_message ("corrupted streams: %d of 120 refused by the inflater, the rest by the CRC\n", refused);
    assert_true (refused >= 110);       /* Adler-32 and length checks catch nearly all */
    free (bad);
    free (f.plain);
    ota_deflate_destroy (&dz);
    free (img);
}

/* Truncation, trailing bytes, an oversized block (an "inflate bomb" that
 * would write past its block), and a failing flash write. */
static void
test_bad_streams (void **state)
{
    (void) state;
    const size_t n = 3 * 4096;
    uint8_t *img = s_image (0, n);
    ota_deflate_t *dz = ota_deflate_new (img, n, 4096, 9);
    static ota_inflate_t inf;
    flash_t f = { .plain = malloc (n), .cap = n };
    /* truncated inside the last Adler-32: every plain byte may be out, but
     * the last block is not checked, so the image is not done */
    ota_inflate_init (&inf, s_sink, &f);
    assert_int_equal (ota_inflate_start (&inf, (uint32_t) n, 4096, 0), OTA_INF_OK);
    assert_int_equal (s_feed (&inf, ota_deflate_data (dz), ota_deflate_size (dz) - 1, 0), OTA_INF_OK);
    assert_int_equal (inf.stats.blocks, 2);
    /* trailing garbage after the last block */
    f.at = 0;
    ota_inflate_init (&inf, s_sink, &f);
    ota_inflate_start (&inf, (uint32_t) n, 4096, 0);
    uint8_t *more = malloc (ota_deflate_size (dz) + 3);
    memcpy (more, ota_deflate_data (dz), ota_deflate_size (dz));
    memcpy (more + ota_deflate_size (dz), "abc", 3);
    assert_int_equal (ota_inflate_feed (&inf, more, ota_deflate_size (dz) + 3), OTA_INF_EDATA);
    free (more);
    /* a 4 KB block whose stream holds 1 MB of zeros */
    uLongf bl = compressBound (1u << 20);
    uint8_t *zeros = calloc (1, 1u << 20), *bomb = malloc (bl);
    assert_int_equal (compress2 (bomb, &bl, zeros, 1u << 20, 9), Z_OK);
    f.at = 0;
    ota_inflate_init (&inf, s_sink, &f);
    ota_inflate_start (&inf, (uint32_t) n, 4096, 0);
    assert_int_equal (ota_inflate_feed (&inf, bomb, bl), OTA_INF_ESIZE);
    assert_true (f.at <= 4096);
    /* a 4 KB block that holds only 100 bytes */
    uLongf sl = compressBound (100);
    uint8_t small[256];
    sl = sizeof small;
    assert_int_equal (compress2 (small, &sl, img, 100, 9), Z_OK);
    f.at = 0;
    ota_inflate_init (&inf, s_sink, &f);
    ota_inflate_start (&inf, (uint32_t) n, 4096, 0);
    assert_int_equal (ota_inflate_feed (&inf, small, sl), OTA_INF_ESIZE);
    /* the flash write fails */
    f.at = 0;
    f.writes = 0;
    f.fail_after = 1;
    ota_inflate_init (&inf, s_sink, &f);
    ota_inflate_start (&inf, (uint32_t) n, 4096, 0);
    assert_int_equal (s_feed (&inf, ota_deflate_data (dz), ota_deflate_size (dz), 0), OTA_INF_ESINK);
    assert_string_equal (ota_inflate_strerror (OTA_INF_ESINK), "writing the plain image failed");
    free (zeros);
    free (bomb);
    free (f.plain);
    ota_deflate_destroy (&dz);
    free (img);
}

static void
test_deflate_arguments (void **state)
{
    (void) state;
    uint8_t b[16] = { 0 };
    assert_null (ota_deflate_new (NULL, 16, 0, 9));
    assert_null (ota_deflate_new (b, 0, 0, 9));
    assert_null (ota_deflate_new (b, 16, 5000, 9));
    assert_null (ota_deflate_new (b, 16, 0, 10));
    ota_deflate_t *dz = ota_deflate_new (b, 16, 4096, 9);
    assert_int_equal (ota_deflate_blocks (dz), 1);
    assert_int_equal (ota_deflate_resume_point (dz, 12).plain_off, 0);
    ota_deflate_destroy (&dz);
    assert_null (dz);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_round_trip_app_image),
        cmocka_unit_test (test_round_trip_incompressible),
        cmocka_unit_test (test_image_ratios),
        cmocka_unit_test (test_restart_at_block_boundary),
        cmocka_unit_test (test_corrupted_chunk_caught),
        cmocka_unit_test (test_bad_streams),
        cmocka_unit_test (test_deflate_arguments),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
