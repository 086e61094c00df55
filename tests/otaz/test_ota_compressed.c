/* test_ota_compressed - compressed OTA pushes in one process: the
 * initiator engine sending the blocked deflate stream (ota_deflate, cut so
 * every block starts a chunk) and the responder core inflating it into the
 * bench firmware's own flash glue (bench_ota.c) on the IDF fake, whose
 * esp_ota_* follow ESP-IDF v5.5 over the NOR flash model (a resumed write
 * that skips an erase corrupts the image as on the chip). The images are
 * labsim's app-like and incompressible test images, signed with the lab's
 * key: the CRC and the signature cover the plain image. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/lab_test.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ota_responder.h"
#include "firmware/bench/main/bench.h"
#include "firmware/sim/app_image.h"
#include "services/labsim/labsim_appfill.h"
#include "services/ota-initiator/ota_deflate.h"
#include "services/ota-initiator/ota_engine.h"
#include "services/ota-initiator/ota_sign.h"
#include "tests/firmware/idf_fake.h"

#define IMAGE (742u * 1024u)
#define QMAX 256

static char s_keys[64];
static ota_sign_t *s_signer;
static const uint8_t INITIATOR[6] = { 1, 1, 1, 1, 1, 1 };

typedef struct { uint8_t data[ESPNOW_MAX_FRAME]; size_t len; } frame_t;

typedef struct {
    uint64_t now_us;
    board_core_t core;
    ota_responder_t resp;
    bench_ota_t io;
    bool booted_new;
    frame_t acks[QMAX];
    int nacks;
    unsigned loss_pct, rng;
    int corrupt_seq;               /* flip a byte of this chunk once (before the radio's CRC), -1 none */
    ota_engine_t *eng;
    ota_deflate_t *dz;
    uint8_t *image;
    uint32_t size, chunks, stream_len;
    ota_progress_t rec_at_reboot;  /* the progress record the rebooted responder found */
} world_t;

static unsigned s_rand (world_t *w) { w->rng = w->rng * 1103515245u + 12345u; return (w->rng >> 16) % 100; }

static int
p_radio_send (void *ctx, const uint8_t mac[6], const uint8_t *data, size_t len)
{
    world_t *w = (world_t *) ctx;
    (void) mac;
    if (w->nacks < QMAX) {
        memcpy (w->acks[w->nacks].data, data, len);
        w->acks[w->nacks++].len = len;
    }
    return 0;
}
static void p_uart (void *ctx, const uint8_t *d, size_t n) { (void) ctx; (void) d; (void) n; }
static uint64_t p_now (void *ctx) { return ((world_t *) ctx)->now_us; }
static void p_reboot (void *ctx) { ((world_t *) ctx)->booted_new = true; }

static void
s_boot_responder (world_t *w)
{
    board_port_t port = { w, p_radio_send, p_uart, p_now, NULL, p_reboot };
    board_info_t info = { .mac = { 2, 2, 2, 2, 2, 2 }, .channel = 1, .version = "1.0.0",
                          .partition = "factory", .reset_reason = "poweron" };
    board_core_init (&w->core, &port, &info);
    board_core_set_beacon (&w->core, 0);
    board_core_set_heartbeat (&w->core, 0);
    memset (&w->io, 0, sizeof w->io);
    w->io.sig = bench_sig_init ();
    ota_flash_t fl;
    bench_ota_flash (&w->io, &fl);
    ota_responder_init (&w->resp, &w->core, &fl);
    ota_responder_pair (&w->resp, INITIATOR);
}

static uint32_t
s_seq (const uint8_t *msg)
{
    return (uint32_t) (msg[3] | msg[4] << 8 | msg[5] << 16 | (uint32_t) msg[6] << 24);
}

static int
s_send (void *ctx, const uint8_t *msg, size_t len)
{
    world_t *w = (world_t *) ctx;
    uint8_t copy[OTA_MSG_MAX], air[ESPNOW_MAX_FRAME];
    memcpy (copy, msg, len);
    /* Damage upstream of the radio's own CRC (RAM, a buggy relay): the
     * inflater's checks, the CRC and the signature are what is left. */
    if (w->corrupt_seq >= 0 && copy[0] == OTA_OP_CHUNK && len > 20 && s_seq (copy) == (uint32_t) w->corrupt_seq) {
        copy[7 + (len - 7) / 2] ^= 0x10;
        w->corrupt_seq = -1;
    }
    if (w->loss_pct && s_rand (w) < w->loss_pct)
        return 0;
    size_t n = espnow_frame_encode (air, sizeof air, ESPNOW_T_OTA, 0, copy, len);
    board_core_radio_in (&w->core, INITIATOR, -50, air, n);
    return 0;
}

static void
s_pump_acks (world_t *w)
{
    for (int i = 0; i < w->nacks; i++) {
        espnow_hdr_t h;
        const uint8_t *p;
        if (espnow_frame_decode (w->acks[i].data, w->acks[i].len, &h, &p) == 0 && h.type == ESPNOW_T_OTA
            && !(w->loss_pct && s_rand (w) < w->loss_pct))
            ota_engine_on_msg (w->eng, p, h.len, w->now_us / 1000);
    }
    w->nacks = 0;
}

static void
s_fake_reset (void)
{
    idf_fake_reset ();
    snprintf (idf_fake.sig_pub_path, sizeof idf_fake.sig_pub_path, "%s/%s", s_keys, OTA_SIGN_PUB_FILE);
}

static int
s_group_setup (void **state)
{
    (void) state;
    char err[256];
    char *dir = lab_test_tmpdir ("otaz-keys");
    if (!dir)
        return -1;
    snprintf (s_keys, sizeof s_keys, "%s", dir);
    free (dir);
    if (ota_sign_keygen (s_keys, err, sizeof err) != 1)
        return -1;
    s_signer = ota_sign_load (s_keys, err, sizeof err);
    return s_signer ? 0 : -1;
}

static int
s_group_teardown (void **state)
{
    (void) state;
    ota_sign_destroy (&s_signer);
    lab_test_rmdir (s_keys);
    return 0;
}

static int
s_setup (void **state)
{
    world_t *w = (world_t *) calloc (1, sizeof (world_t));
    s_fake_reset ();
    w->now_us = 1000000;
    w->rng = 7;
    w->corrupt_seq = -1;
    s_boot_responder (w);
    *state = w;
    return 0;
}

static int
s_teardown (void **state)
{
    world_t *w = (world_t *) *state;
    ota_engine_destroy (&w->eng);
    ota_deflate_destroy (&w->dz);
    free (w->image);
    free (w);
    return 0;
}

/* A well-formed application image of SIZE bytes in all, its segment filled
 * like labsim mkimage fills it (app-like or random), signed by the lab;
 * pushed compressed (or plain, COMPRESS false). */
static void
s_push_image (world_t *w, uint32_t size, bool random, bool compress)
{
    w->size = size;
    w->image = (uint8_t *) malloc (size);
    uint32_t app = size - OTA_SIG_TRAILER_LEN;
    size_t data = app_image_init (w->image, app);
    assert_true (data > 0);
    if (random)
        labsim_appfill_random (w->image + APP_IMAGE_DATA_OFF, data, 99);
    else
        labsim_appfill (w->image + APP_IMAGE_DATA_OFF, data, 99);
    app_image_seal (w->image, app);
    char err[128];
    assert_int_equal (ota_sign_trailer (s_signer, w->image, app, w->image + app, err, sizeof err), 0);
    w->eng = ota_engine_new (w->image, size, 88, "3.0.0", NULL, s_send, w);
    if (!compress)
        return;
    w->dz = ota_deflate_new (w->image, size, 0, 9);
    assert_non_null (w->dz);
    uint32_t *starts;
    w->chunks = ota_deflate_chunk_starts (w->dz, OTA_CHUNK_MAX, &starts);
    assert_true (w->chunks > 0);
    w->stream_len = (uint32_t) ota_deflate_size (w->dz);
    assert_int_equal (ota_engine_set_stream (w->eng, ota_deflate_data (w->dz), w->stream_len, starts, w->chunks, 15),
                      0);
    free (starts);
}

/* Runs until the engine finishes or LIMIT_MS of simulated time passes;
 * REBOOT_AT (chunks) reboots the responder once mid-push. */
static ota_engine_state_t
s_run (world_t *w, int limit_ms, uint32_t reboot_at)
{
    bool rebooted = false;
    for (int t = 0; t < limit_ms; t++) {
        w->now_us += 1000;
        ota_engine_state_t st = ota_engine_tick (w->eng, w->now_us / 1000);
        board_core_poll (&w->core);
        s_pump_acks (w);
        if (st == OTA_ENG_DONE || st == OTA_ENG_FAILED)
            return st;
        if (reboot_at && !rebooted && w->resp.p.base >= reboot_at) {
            rebooted = true;
            assert_int_equal (w->resp.flash.kv_get (w->resp.flash.ctx, &w->rec_at_reboot, sizeof w->rec_at_reboot), 0);
            idf_fake_reboot ();
            s_boot_responder (w);
        }
    }
    return ota_engine_state (w->eng);
}

static void
s_assert_done (world_t *w, ota_engine_state_t st)
{
    if (st != OTA_ENG_DONE)
        fail_msg ("push did not complete: %s; esp_ota_end: %s; NOR writes that lost bits: %u",
                  ota_engine_error (w->eng)[0] ? ota_engine_error (w->eng) : "(no error)",
                  idf_fake.ota.why[0] ? idf_fake.ota.why : "-", nor_flash_lost_bits_writes (idf_fake.flash));
}

static void
s_check_written (world_t *w)
{
    assert_int_equal (idf_fake.ota.wrote_size, w->size);
    assert_memory_equal (idf_fake_slot (), w->image, w->size);
    assert_int_equal (idf_fake.ota_end_rc, ESP_OK);
    assert_true (idf_fake.boot_set > 0);
    assert_int_equal (w->resp.stats.bad_signatures, 0);
}

/* The app-like test image travels in about 0.62 of the plain chunks, and
 * arrives byte for byte, CRC and signature checked on the plain image. */
static void
test_compressed_push_of_the_app_image (void **state)
{
    world_t *w = (world_t *) *state;
    s_push_image (w, IMAGE, false, true);
    s_assert_done (w, s_run (w, 600000, 0));
    s_check_written (w);
    double ratio = (double) w->stream_len / w->size;
    assert_true (ratio > 0.55 && ratio < 0.66);
    assert_true (w->chunks < ota_chunks (w->size, OTA_CHUNK_MAX) * 2 / 3);
    ota_engine_stats_t st;
    ota_engine_stats (w->eng, w->now_us / 1000, &st);
    assert_int_equal (st.chunks_total, w->chunks);
    assert_int_equal (w->resp.inf.stats.blocks, ota_deflate_blocks (w->dz));
    assert_int_equal (w->resp.stats.bad_streams, 0);
    for (int i = 0; i < 400 && !w->booted_new; i++) {
        w->now_us += 1000;
        board_core_poll (&w->core);
    }
    assert_true (w->booted_new);
}

/* Random content: the stream is a hair longer than the image (stored
 * blocks, one short chunk per block), still well within 3 %. */
static void
test_compressed_push_of_an_incompressible_image (void **state)
{
    world_t *w = (world_t *) *state;
    s_push_image (w, IMAGE, true, true);
    s_assert_done (w, s_run (w, 600000, 0));
    s_check_written (w);
    uint32_t plain_chunks = ota_chunks (w->size, OTA_CHUNK_MAX);
    assert_true (w->stream_len < w->size * 1.01);
    assert_true (w->chunks < plain_chunks * 1.03);
}

/* With loss both ways the selective repeat works on compressed chunks as
 * on plain ones (chunks of different lengths, held out of order). */
static void
test_compressed_push_with_loss (void **state)
{
    world_t *w = (world_t *) *state;
    w->loss_pct = 5;
    s_push_image (w, 300 * 1024, false, true);
    s_assert_done (w, s_run (w, 600000, 0));
    s_check_written (w);
}

/* A plain push (no optional BEGIN fields) still works on the same core. */
static void
test_plain_push_still_works (void **state)
{
    world_t *w = (world_t *) *state;
    s_push_image (w, 200 * 1024, false, false);
    s_assert_done (w, s_run (w, 600000, 0));
    s_check_written (w);
    assert_int_equal (w->resp.p.flags, 0);
    assert_int_equal (w->resp.inf.stats.blocks, 0);
}

/* A byte flipped in a compressed chunk before the radio's CRC: the
 * inflater refuses the block (data or Adler-32), the push is abandoned
 * with its own status, nothing is finalised, the boot partition stays. */
static void
test_corrupted_compressed_chunk_is_caught_old_firmware_kept (void **state)
{
    world_t *w = (world_t *) *state;
    s_push_image (w, 200 * 1024, false, true);
    w->corrupt_seq = 150;
    ota_engine_state_t st = s_run (w, 120000, 0);
    assert_int_equal (st, OTA_ENG_FAILED);
    if (!strstr (ota_engine_error (w->eng), "compressed stream corrupt")
        && !strstr (ota_engine_error (w->eng), "CRC"))
        fail_msg ("failed with '%s'", ota_engine_error (w->eng));
    assert_int_equal (w->corrupt_seq, -1);
    assert_int_equal (idf_fake.ota_ended, 0);
    assert_int_equal (idf_fake.boot_set, 0);
    for (int i = 0; i < 400; i++) {
        w->now_us += 1000;
        board_core_poll (&w->core);
    }
    assert_false (w->booted_new);
    /* The record is gone: a BEGIN of the same push starts over, it does not
     * resume the broken stream. */
    assert_int_not_equal (w->resp.p.magic, OTA_PROGRESS_MAGIC);
}

/* Resume over NOR flash: the responder reboots mid-block; its record is at
 * the last block it inflated completely (a chunk boundary, a 32 KB plain
 * offset, so a sector boundary). It resumes with esp_ota_resume at that
 * plain offset and a fresh inflater; the initiator sends again from that
 * block's first chunk. The sectors of the block were written before the
 * reboot, so they must be erased again as the resumed writes enter them
 * (OTA_WITH_SEQUENTIAL_WRITES), or the NOR model ANDs the old bytes in and
 * esp_ota_end refuses the image. */
static void
test_compressed_resume_after_reboot_mid_stream (void **state)
{
    world_t *w = (world_t *) *state;
    s_push_image (w, IMAGE, false, true);
    /* Mid-stream, not on a block boundary. */
    uint32_t reboot_at = w->chunks / 2 + 7;
    s_assert_done (w, s_run (w, 600000, reboot_at));
    ota_deflate_block_t b = ota_deflate_resume_point (w->dz, w->rec_at_reboot.plain);
    assert_int_equal (b.plain_off, w->rec_at_reboot.plain);
    assert_true (w->rec_at_reboot.base < reboot_at);
    assert_true (reboot_at - w->rec_at_reboot.base < 2 * OTA_DEFLATE_BLOCK / OTA_CHUNK_MAX);
    s_check_written (w);
    assert_int_equal (idf_fake.ota_begun, 1);      /* not started over */
    assert_int_equal (idf_fake.ota_resumed, 1);
    assert_int_equal (w->resp.stats.resumes, 1);
    assert_int_equal (nor_flash_lost_bits_writes (idf_fake.flash), 0);
    /* The block it resumed in: its first sector was erased twice (before
     * and after the reboot). */
    assert_true (b.plain_off > 0 && b.plain_off % OTA_DEFLATE_BLOCK == 0);
    uint32_t sector = (IDF_FAKE_OTA1_ADDR + b.plain_off) / NOR_FLASH_SECTOR;
    assert_int_equal (nor_flash_erase_count (idf_fake.flash, sector), 2);
    ota_engine_stats_t st;
    ota_engine_stats (w->eng, w->now_us / 1000, &st);
    /* At most about one block (~100 chunks) sent again. */
    assert_true (st.sent < w->chunks + 2 * OTA_DEFLATE_BLOCK / OTA_CHUNK_MAX);
}

static int (*s_real_kv_set) (void *ctx, const void *buf, size_t len);
static uint32_t s_records, s_misplaced;

static int
s_kv_set_spy (void *ctx, const void *buf, size_t len)
{
    const ota_progress_t *rec = (const ota_progress_t *) buf;
    s_records++;
    if (rec->plain % OTA_DEFLATE_BLOCK)
        s_misplaced++;
    return s_real_kv_set (ctx, buf, len);
}

/* Resume points are block ends: the record never points into a block, and
 * the initiator's chunking makes every block end a chunk end. */
static void
test_blocks_start_chunks_and_records_sit_at_block_ends (void **state)
{
    world_t *w = (world_t *) *state;
    s_push_image (w, IMAGE, false, true);
    uint32_t *starts;
    uint32_t n = ota_deflate_chunk_starts (w->dz, OTA_CHUNK_MAX, &starts);
    assert_int_equal (n, w->chunks);
    size_t blocks = ota_deflate_blocks (w->dz), found = 0;
    for (size_t i = 0; i < blocks; i++)
        for (uint32_t k = 0; k <= n; k++)
            if (starts[k] == ota_deflate_block (w->dz, i).comp_off) {
                found++;
                break;
            }
    assert_int_equal (found, blocks);
    for (uint32_t k = 0; k < n; k++)
        assert_true (starts[k + 1] - starts[k] >= 1 && starts[k + 1] - starts[k] <= OTA_CHUNK_MAX);
    free (starts);
    /* Every progress record the responder writes, as it writes it. */
    s_real_kv_set = w->resp.flash.kv_set;
    w->resp.flash.kv_set = s_kv_set_spy;
    s_records = s_misplaced = 0;
    s_assert_done (w, s_run (w, 600000, 0));
    assert_int_equal (s_misplaced, 0);
    /* One at BEGIN, one per block end but the last, one at END. */
    uint32_t records = s_records - 2;
    assert_int_equal (records, blocks - 1);        /* one record per block end but the last */
}

/* Optional BEGIN fields: round trip, old-format BEGINs still decode as
 * plain, unknown flags and bad block sizes are refused. */
static void
test_begin_codec_and_bad_stream_parameters (void **state)
{
    world_t *w = (world_t *) *state;
    ota_msg_t m = { .op = OTA_OP_BEGIN, .session = 5, .size = 759808, .crc32 = 0x1234, .chunk = 200,
                    .flags = OTA_BEGIN_DEFLATE, .zchunks = 2400, .zsize = 471000, .block_shift = 15 };
    snprintf (m.version, sizeof m.version, "3.0.0");
    uint8_t buf[OTA_MSG_MAX];
    size_t n = ota_msg_encode (buf, sizeof buf, &m);
    assert_int_equal (n, 14 + 5 + OTA_BEGIN_EXT_LEN);
    ota_msg_t d;
    assert_int_equal (ota_msg_decode (buf, n, &d), 0);
    assert_int_equal (d.flags, OTA_BEGIN_DEFLATE);
    assert_int_equal (d.zchunks, 2400);
    assert_int_equal (d.zsize, 471000);
    assert_int_equal (d.block_shift, 15);
    for (size_t k = 0; k < n; k++)
        if (k != 14 + 5)       /* that length is a valid plain BEGIN */
            assert_int_equal (ota_msg_decode (buf, k, &d), -1);
    assert_int_equal (ota_msg_decode (buf, 14 + 5, &d), 0);
    assert_int_equal (d.flags, 0);
    buf[14 + 5] = 0x03;            /* an unknown flag */
    assert_int_equal (ota_msg_decode (buf, n, &d), -1);
    m.flags = 0x02;
    assert_int_equal (ota_msg_encode (buf, sizeof buf, &m), 0);
    /* The responder refuses impossible stream parameters before erasing. */
    const struct { uint8_t shift; uint32_t zchunks, zsize; } bad[] = {
        { 11, 10, 1000 }, { 21, 10, 1000 }, { 15, 0, 0 }, { 15, 10, 5 }, { 15, 10, 2001 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m.flags = OTA_BEGIN_DEFLATE;
        m.block_shift = bad[i].shift;
        m.zchunks = bad[i].zchunks;
        m.zsize = bad[i].zsize;
        m.size = 4096;
        n = ota_msg_encode (buf, sizeof buf, &m);
        assert_true (n > 0);
        w->nacks = 0;
        ota_responder_on_msg (&w->resp, INITIATOR, buf, n);
        assert_int_equal (w->nacks, 1);
        espnow_hdr_t h;
        const uint8_t *p;
        assert_int_equal (espnow_frame_decode (w->acks[0].data, w->acks[0].len, &h, &p), 0);
        assert_int_equal (ota_msg_decode (p, h.len, &d), 0);
        assert_int_equal (d.status, OTA_ST_BAD_REQUEST);
    }
    assert_int_equal (idf_fake.ota_begun, 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_compressed_push_of_the_app_image, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_compressed_push_of_an_incompressible_image, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_compressed_push_with_loss, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_plain_push_still_works, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_corrupted_compressed_chunk_is_caught_old_firmware_kept, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_compressed_resume_after_reboot_mid_stream, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_blocks_start_chunks_and_records_sit_at_block_ends, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_begin_codec_and_bad_stream_parameters, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
