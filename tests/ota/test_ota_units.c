/* test_ota_units - the OTA protocol in one process: the initiator engine and
 * the responder core (on a real board_core) joined by a scripted radio with
 * loss, duplication, reordering and reboots. The responder writes through the
 * bench firmware's own flash glue (bench_ota.c) onto the IDF fake, whose
 * esp_ota_* follow ESP-IDF v5.5 over a NOR flash model: a write that skips
 * an erase corrupts the image as it would on the chip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/lab_test.h"
#include <stdlib.h>
#include <string.h>
#include "lab_crc32.h"
#include "ota_responder.h"
#include "services/ota-initiator/ota_engine.h"
#include "firmware/bench/main/bench.h"
#include "firmware/sim/app_image.h"
#include "tests/firmware/idf_fake.h"
#include "services/ota-initiator/ota_sign.h"
#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>

/* The lab's signing key (made once per run in a temporary directory) and
 * another key, as an attacker would have. */
static char s_keys[64], s_other_keys[80];
static ota_sign_t *s_signer, *s_other_signer;

#define SLOT IDF_FAKE_OTA_SIZE
#define QMAX 256

typedef struct { uint8_t data[ESPNOW_MAX_FRAME]; size_t len; uint8_t mac[6]; } frame_t;

static const uint8_t INITIATOR[6] = { 1, 1, 1, 1, 1, 1 };

typedef struct {
    /* clock */
    uint64_t now_us;
    /* responder board */
    board_core_t core;
    ota_responder_t resp;
    bench_ota_t io;                       /* the glue's flash session (RAM) */
    bool booted_new;
    /* radio: responder -> initiator (ACKs) */
    frame_t acks[QMAX];
    int nacks;
    /* link behaviour, initiator -> responder */
    unsigned loss_pct, dup_pct;
    bool reorder;
    frame_t held;
    bool holding;
    unsigned rng;
    int corrupt_seq;                      /* flip a byte of this chunk once, -1 none */
    int drop_seq;                         /* lose this chunk once on the air, -1 none */
    /* answers to another initiator (see test_begin_from_another_initiator_gets_busy) */
    int other_acks;
    uint8_t other_last_status;
    ota_engine_t *eng;
    uint8_t *image;
    uint32_t size;
} world_t;

static world_t *W;

static unsigned s_rand (world_t *w) { w->rng = w->rng * 1103515245u + 12345u; return (w->rng >> 16) % 100; }

/* --- responder port ------------------------------------------------------ */
static int
p_radio_send (void *ctx, const uint8_t mac[6], const uint8_t *data, size_t len)
{
    world_t *w = (world_t *) ctx;
    if (w->nacks < QMAX) {
        memcpy (w->acks[w->nacks].mac, mac, 6);
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

/* --- the initiator's transport: straight onto the responder's radio ----- */
static void
s_deliver (world_t *w, const uint8_t *data, size_t len)
{
    board_core_radio_in (&w->core, INITIATOR, -50, data, len);
}

static int
s_send (void *ctx, const uint8_t *msg, size_t len)
{
    world_t *w = (world_t *) ctx;
    frame_t f;
    uint8_t copy[OTA_MSG_MAX];
    memcpy (copy, msg, len);
    /* Damage upstream of the radio's own CRC (RAM, a buggy relay): only the
     * end-to-end CRC of the image can catch it. */
    if (w->corrupt_seq >= 0 && copy[0] == OTA_OP_CHUNK && len > 8
        && (uint32_t) (copy[3] | copy[4] << 8 | copy[5] << 16 | (uint32_t) copy[6] << 24) == (uint32_t) w->corrupt_seq) {
        copy[8] ^= 0x40;
        w->corrupt_seq = -1;
    }
    msg = copy;
    if (w->drop_seq >= 0 && copy[0] == OTA_OP_CHUNK && len > 8
        && (uint32_t) (copy[3] | copy[4] << 8 | copy[5] << 16 | (uint32_t) copy[6] << 24) == (uint32_t) w->drop_seq) {
        w->drop_seq = -1;
        return 0;
    }
    f.len = espnow_frame_encode (f.data, sizeof f.data, ESPNOW_T_OTA, 0, msg, len);
    if (w->loss_pct && s_rand (w) < w->loss_pct)
        return 0;                                  /* lost on the air */
    if (w->reorder && !w->holding && s_rand (w) < 10) {
        w->held = f;                               /* overtaken by the next one */
        w->holding = true;
        return 0;
    }
    s_deliver (w, f.data, f.len);
    if (w->holding) {
        s_deliver (w, w->held.data, w->held.len);
        w->holding = false;
    }
    if (w->dup_pct && s_rand (w) < w->dup_pct)
        s_deliver (w, f.data, f.len);
    return 0;
}

static void
s_pump_acks (world_t *w)
{
    for (int i = 0; i < w->nacks; i++) {
        espnow_hdr_t h;
        const uint8_t *p;
        if (espnow_frame_decode (w->acks[i].data, w->acks[i].len, &h, &p) == 0 && h.type == ESPNOW_T_OTA) {
            if (memcmp (w->acks[i].mac, INITIATOR, 6)) {
                ota_msg_t m;
                if (ota_msg_decode (p, h.len, &m) == 0) {
                    w->other_acks++;
                    w->other_last_status = m.status;
                }
                continue;
            }
            if (w->loss_pct && s_rand (w) < w->loss_pct)
                continue;
            ota_engine_on_msg (w->eng, p, h.len, w->now_us / 1000);
        }
    }
    w->nacks = 0;
}

/* A fresh board whose image has the lab's public key built in. */
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
    char *dir = lab_test_tmpdir ("ota-keys");
    if (!dir)
        return -1;
    snprintf (s_keys, sizeof s_keys, "%s", dir);
    free (dir);
    snprintf (s_other_keys, sizeof s_other_keys, "%s/other", s_keys);
    if (ota_sign_keygen (s_keys, err, sizeof err) != 1 || ota_sign_keygen (s_other_keys, err, sizeof err) != 1)
        return -1;
    s_signer = ota_sign_load (s_keys, err, sizeof err);
    s_other_signer = ota_sign_load (s_other_keys, err, sizeof err);
    return s_signer && s_other_signer ? 0 : -1;
}

static int
s_group_teardown (void **state)
{
    (void) state;
    ota_sign_destroy (&s_signer);
    ota_sign_destroy (&s_other_signer);
    lab_test_rmdir (s_keys);
    return 0;
}

static int
s_setup (void **state)
{
    world_t *w = (world_t *) calloc (1, sizeof (world_t));
    s_fake_reset ();
    w->now_us = 1000000;
    w->rng = 42;
    w->corrupt_seq = -1;
    w->drop_seq = -1;
    s_boot_responder (w);
    W = w;
    *state = w;
    return 0;
}

static int
s_teardown (void **state)
{
    world_t *w = (world_t *) *state;
    ota_engine_destroy (&w->eng);
    free (w->image);
    free (w);
    return 0;
}

typedef enum { SIGN_LAB, SIGN_NONE, SIGN_OTHER, SIGN_LAB_THEN_TAMPER } sign_t;

/* An image of SIZE bytes in all: a well-formed application image when the
 * size allows one (esp_ota_end verifies it as esp_image_verify does), plus
 * the signature trailer; raw bytes otherwise. */
static void
s_image_signed (world_t *w, uint32_t size, sign_t how)
{
    w->size = size;
    w->image = (uint8_t *) malloc (size);
    uint32_t app = how == SIGN_NONE ? size : size - OTA_SIG_TRAILER_LEN;
    size_t data = size > OTA_SIG_TRAILER_LEN ? app_image_init (w->image, app) : 0;
    for (uint32_t i = data ? APP_IMAGE_DATA_OFF : 0; i < (data ? APP_IMAGE_DATA_OFF + data : size); i++)
        w->image[i] = (uint8_t) (i * 7 + (i >> 8));
    if (data) {
        app_image_seal (w->image, app);
        char err[128];
        if (how != SIGN_NONE)
            assert_int_equal (ota_sign_trailer (how == SIGN_OTHER ? s_other_signer : s_signer, w->image, app,
                                                w->image + app, err, sizeof err), 0);
        if (how == SIGN_LAB_THEN_TAMPER) {
            /* One byte of code changed after signing; the attacker fixes the
             * image's own checksum and SHA-256 (they are not a signature), so
             * only the signature can tell. */
            w->image[APP_IMAGE_DATA_OFF + 1000] ^= 0x01;
            app_image_seal (w->image, app);
        }
    }
    w->eng = ota_engine_new (w->image, size, 77, "2.0.0", NULL, s_send, w);
}

static void
s_image (world_t *w, uint32_t size)
{
    s_image_signed (w, size, SIGN_LAB);
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
            idf_fake_reboot ();       /* RAM state of the flash driver is gone too */
            s_boot_responder (w);
        }
    }
    return ota_engine_state (w->eng);
}

/* The push finished; if not, says why (the engine's error and what
 * esp_ota_end's image verification found). */
static void
s_assert_done (world_t *w, ota_engine_state_t st)
{
    if (st != OTA_ENG_DONE)
        fail_msg ("push did not complete: %s; esp_ota_end: %s; NOR writes that lost bits: %u",
                  ota_engine_error (w->eng) ? ota_engine_error (w->eng) : "(no error)",
                  idf_fake.ota.why[0] ? idf_fake.ota.why : "-", nor_flash_lost_bits_writes (idf_fake.flash));
}

static void
s_check_written (world_t *w)
{
    (void) w;
    assert_int_equal (idf_fake.ota.wrote_size, w->size);
    assert_memory_equal (idf_fake_slot (), w->image, w->size);
    assert_int_equal (idf_fake.ota_end_rc, ESP_OK);
    assert_true (idf_fake.boot_set > 0);
}

static void
test_images_of_every_size_arrive_intact (void **state)
{
    world_t *w = (world_t *) *state;
    /* Smaller than one chunk, a little over half a chunk, not a multiple of
     * the chunk, the demo's size (esp_ota_end accepts only whole images,
     * the smallest being APP_IMAGE_MIN). */
    const uint32_t sizes[] = { APP_IMAGE_MIN + OTA_SIG_TRAILER_LEN, 192, 1024, 742 * 1024 };
    for (size_t i = 0; i < 4; i++) {
        if (i) {   /* a fresh responder and engine per size */
            ota_engine_destroy (&w->eng);
            free (w->image);
            s_fake_reset ();
            s_boot_responder (w);
        }
        s_image (w, sizes[i]);
        s_assert_done (w, s_run (w, 600000, 0));
        s_check_written (w);
        board_core_poll (&w->core);
    }
}

static void
test_five_percent_loss_duplicates_and_reordering (void **state)
{
    world_t *w = (world_t *) *state;
    w->loss_pct = 5;
    w->dup_pct = 5;
    w->reorder = true;
    s_image (w, 300 * 1024);
    s_assert_done (w, s_run (w, 600000, 0));
    s_check_written (w);
    ota_engine_stats_t st;
    ota_engine_stats (w->eng, w->now_us / 1000, &st);
    assert_true (st.retransmissions > 0);
    /* Selective repeat: far fewer resends than a go-back-N would need. */
    assert_true (st.retransmissions < st.chunks_total / 5);
    assert_true (w->resp.stats.duplicates > 0);
}

static void
test_responder_reboot_mid_push_resumes (void **state)
{
    world_t *w = (world_t *) *state;
    s_image (w, 200 * 1024);
    s_assert_done (w, s_run (w, 600000, 500));
    s_check_written (w);
    assert_int_equal (idf_fake.ota_begun, 1);     /* not started over */
    assert_int_equal (idf_fake.ota_resumed, 1);
}

/* Progress is saved every OTA_PERSIST_EVERY chunks of 200 bytes; the board
 * reboots right after the save at chunk 512, so the push resumes at byte
 * 102400 = sector 25 exactly: that sector must be erased before it is
 * written again (it holds an older image). */
static void
test_resume_over_nor_flash_at_a_sector_boundary (void **state)
{
    world_t *w = (world_t *) *state;
    s_image (w, 200 * 1024);
    s_assert_done (w, s_run (w, 600000, 512));
    s_check_written (w);
    assert_int_equal (idf_fake.ota_resumed, 1);
    assert_int_equal (w->resp.stats.resumes, 1);
    uint32_t sector = (IDF_FAKE_OTA1_ADDR + 512u * OTA_CHUNK_MAX) / NOR_FLASH_SECTOR;
    assert_true (nor_flash_erase_count (idf_fake.flash, sector) >= 1);
}

/* Reboot after the save at chunk 992: the push resumes at byte 198400, 1792
 * bytes into sector 48. The rest of that sector was erased before the
 * reboot and must not be erased again (it holds written data); the sectors
 * after it must be. */
static void
test_resume_over_nor_flash_mid_sector (void **state)
{
    world_t *w = (world_t *) *state;
    s_image (w, 300 * 1024);
    s_assert_done (w, s_run (w, 600000, 1000));
    s_check_written (w);
    assert_int_equal (idf_fake.ota_resumed, 1);
    uint32_t resume_at = 992u * OTA_CHUNK_MAX;
    assert_true (resume_at % NOR_FLASH_SECTOR != 0);
    uint32_t sector = (IDF_FAKE_OTA1_ADDR + resume_at) / NOR_FLASH_SECTOR;
    assert_int_equal (nor_flash_erase_count (idf_fake.flash, sector), 1);
    assert_true (nor_flash_erase_count (idf_fake.flash, sector + 1) >= 1);
}

/* Chunk 32 is lost; 33.. arrive and wait in the responder's window (RAM),
 * and its ACK reports them in the bitmap just after the progress record at
 * chunk 32 was saved. Then the responder reboots: the window is gone, the
 * record says 32. The initiator must send 33.. again rather than take the
 * bitmap as final, or the push stalls until it gives up. */
static void
test_reboot_after_progress_save_loses_held_chunks_and_completes (void **state)
{
    world_t *w = (world_t *) *state;
    w->drop_seq = 32;
    s_image (w, 40 * 1024);
    bool rebooted = false;
    ota_engine_state_t st = OTA_ENG_BEGIN;
    for (int t = 0; t < 120000 && st != OTA_ENG_DONE && st != OTA_ENG_FAILED; t++) {
        w->now_us += 1000;
        st = ota_engine_tick (w->eng, w->now_us / 1000);
        board_core_poll (&w->core);
        s_pump_acks (w);
        ota_engine_stats_t es;
        ota_engine_stats (w->eng, w->now_us / 1000, &es);
        if (!rebooted && w->resp.p.base == 32 && es.chunks_acked > 32) {
            rebooted = true;
            idf_fake_reboot ();
            s_boot_responder (w);
        }
    }
    assert_true (rebooted);
    s_assert_done (w, st);
    s_check_written (w);
    assert_int_equal (w->resp.stats.resumes, 1);
}

/* Another board sends BEGIN (another session) while a push runs: it gets
 * BUSY, the running push is not cancelled, and its CHUNK/ABORT are dropped
 * and counted. */
static void
test_begin_from_another_initiator_gets_busy (void **state)
{
    world_t *w = (world_t *) *state;
    s_image (w, 100 * 1024);
    static const uint8_t other[6] = { 9, 9, 9, 9, 9, 9 };
    ota_responder_pair (&w->resp, other);      /* another paired initiator (a second host) */
    bool meddled = false;
    ota_engine_state_t st = OTA_ENG_BEGIN;
    for (int t = 0; t < 600000 && st != OTA_ENG_DONE && st != OTA_ENG_FAILED; t++) {
        w->now_us += 1000;
        st = ota_engine_tick (w->eng, w->now_us / 1000);
        board_core_poll (&w->core);
        s_pump_acks (w);
        if (!meddled && w->resp.p.base >= 100) {
            meddled = true;
            uint8_t msg[OTA_MSG_MAX], air[ESPNOW_MAX_FRAME];
            ota_msg_t b = { .op = OTA_OP_BEGIN, .session = 4242, .size = 4096, .crc32 = 1, .chunk = OTA_CHUNK_MAX };
            strcpy (b.version, "6.6.6");
            size_t n = ota_msg_encode (msg, sizeof msg, &b);
            size_t a = espnow_frame_encode (air, sizeof air, ESPNOW_T_OTA, 1, msg, n);
            board_core_radio_in (&w->core, other, -40, air, a);
            /* The same session number as the running push, from the wrong MAC. */
            ota_msg_t x = { .op = OTA_OP_ABORT, .session = 77 };
            n = ota_msg_encode (msg, sizeof msg, &x);
            a = espnow_frame_encode (air, sizeof air, ESPNOW_T_OTA, 2, msg, n);
            board_core_radio_in (&w->core, other, -40, air, a);
            s_pump_acks (w);
        }
    }
    assert_true (meddled);
    assert_int_equal (w->other_acks, 1);
    assert_int_equal (w->other_last_status, OTA_ST_BUSY);
    assert_int_equal (w->resp.stats.busy, 1);
    assert_int_equal (w->resp.stats.foreign, 1);
    s_assert_done (w, st);
    s_check_written (w);
    assert_int_equal (idf_fake.ota_begun, 1);
}

/* A board paired only with another initiator: every OTA frame from this one
 * is dropped unanswered and counted; nothing is erased or written. */
static void
test_push_from_an_unpaired_mac_is_refused_and_counted (void **state)
{
    world_t *w = (world_t *) *state;
    static const uint8_t paired[6] = { 7, 7, 7, 7, 7, 7 };
    w->resp.npaired = 0;
    ota_responder_pair (&w->resp, paired);
    s_image (w, 10 * 1024);
    assert_int_equal (s_run (w, 60000, 0), OTA_ENG_FAILED);
    assert_non_null (strstr (ota_engine_error (w->eng), "does not answer BEGIN"));
    assert_true (w->resp.stats.unpaired > 0);
    assert_int_equal (w->resp.stats.acks, 0);
    assert_int_equal (idf_fake.ota_begun, 0);
    assert_int_equal (idf_fake.ota.wrote_size, 0);
}

static void
test_corrupted_image_is_refused_and_old_firmware_kept (void **state)
{
    world_t *w = (world_t *) *state;
    w->corrupt_seq = 25;
    s_image (w, 10 * 1024);
    ota_engine_state_t st = s_run (w, 120000, 0);
    assert_int_equal (st, OTA_ENG_FAILED);
    assert_non_null (strstr (ota_engine_error (w->eng), "CRC"));
    assert_false (w->booted_new);
    assert_int_equal (idf_fake.ota_ended, 0);     /* the slot was never finalised */
    assert_int_equal (idf_fake.boot_set, 0);
}

/* A byte flipped after signing: the push reaches END, esp_ota_end accepts
 * the image (its checksum and hash were fixed up), the signature does not
 * verify; the boot partition stays, the old firmware keeps running, and the
 * initiator is told why. */
static void
s_refused_at_end (world_t *w, sign_t how, const char *why, uint8_t status)
{
    s_image_signed (w, 20 * 1024, how);
    ota_engine_state_t st = s_run (w, 120000, 0);
    assert_int_equal (st, OTA_ENG_FAILED);
    if (!strstr (ota_engine_error (w->eng), why))
        fail_msg ("push failed with '%s', expected '%s'", ota_engine_error (w->eng), why);
    assert_int_equal (idf_fake.ota_ended, 1);
    assert_int_equal (idf_fake.ota_end_rc, ESP_OK);     /* the image itself was well-formed */
    assert_int_equal (idf_fake.boot_set, 0);            /* the boot partition did not change */
    for (int i = 0; i < 400; i++) {
        w->now_us += 1000;
        board_core_poll (&w->core);
    }
    assert_false (w->booted_new);
    assert_int_equal (w->resp.stats.bad_signatures, 1);
    assert_string_equal (ota_status_name (status), ota_status_name (status));
}

static void
test_tampered_image_is_refused_after_end_and_old_firmware_kept (void **state)
{
    s_refused_at_end ((world_t *) *state, SIGN_LAB_THEN_TAMPER, "signature check failed", OTA_ST_BAD_SIGNATURE);
}

static void
test_image_signed_with_another_key_is_refused (void **state)
{
    s_refused_at_end ((world_t *) *state, SIGN_OTHER, "signature check failed", OTA_ST_BAD_SIGNATURE);
}

static void
test_unsigned_image_is_refused (void **state)
{
    s_refused_at_end ((world_t *) *state, SIGN_NONE, "not signed", OTA_ST_UNSIGNED);
}

/* A signing key others can read is refused; so is a missing one, with the
 * command that makes it. */
static void
test_signing_key_must_be_private (void **state)
{
    (void) state;
    char path[200], err[300];
    snprintf (path, sizeof path, "%s/%s", s_keys, OTA_SIGN_KEY_FILE);
    assert_int_equal (ota_sign_keygen (s_keys, err, sizeof err), 0);    /* exists: kept */
    assert_int_equal (chmod (path, 0644), 0);
    ota_sign_t *k = ota_sign_load (s_keys, err, sizeof err);
    assert_null (k);
    assert_non_null (strstr (err, "readable by others"));
    assert_int_equal (chmod (path, 0600), 0);
    k = ota_sign_load (s_keys, err, sizeof err);
    assert_non_null (k);
    ota_sign_destroy (&k);
    assert_null (ota_sign_load ("/nonexistent", err, sizeof err));
    assert_non_null (strstr (err, "labctl keys"));
}

static void
test_image_larger_than_slot_refused_before_erase (void **state)
{
    world_t *w = (world_t *) *state;
    s_image (w, SLOT + 1);
    assert_int_equal (s_run (w, 10000, 0), OTA_ENG_FAILED);
    assert_non_null (strstr (ota_engine_error (w->eng), "larger than the OTA slot"));
    assert_int_equal (idf_fake.ota_begun, 0);
}

static void
test_done_reboots_into_new_image (void **state)
{
    world_t *w = (world_t *) *state;
    s_image (w, 4096);
    assert_int_equal (s_run (w, 60000, 0), OTA_ENG_DONE);
    for (int i = 0; i < 400 && !w->booted_new; i++) {
        w->now_us += 1000;
        board_core_poll (&w->core);
    }
    assert_true (w->booted_new);
}

static void
test_codec_round_trip_and_malformed (void **state)
{
    (void) state;
    ota_msg_t m = { .op = OTA_OP_BEGIN, .session = 9, .size = 123456, .crc32 = 0xdeadbeef, .chunk = 200 };
    snprintf (m.version, sizeof m.version, "1.2.3-rc1");
    uint8_t buf[OTA_MSG_MAX];
    size_t n = ota_msg_encode (buf, sizeof buf, &m);
    ota_msg_t d;
    assert_int_equal (ota_msg_decode (buf, n, &d), 0);
    assert_int_equal (d.size, 123456);
    assert_int_equal (d.crc32, 0xdeadbeef);
    assert_string_equal (d.version, "1.2.3-rc1");
    /* Every truncation of a valid message is refused. */
    for (size_t k = 0; k < n; k++)
        assert_int_equal (ota_msg_decode (buf, k, &d), -1);
    uint8_t big[OTA_CHUNK_MAX + 1] = { 0 };
    ota_msg_t c = { .op = OTA_OP_CHUNK, .session = 1, .seq = 3, .data = big, .data_len = OTA_CHUNK_MAX + 1 };
    assert_int_equal (ota_msg_encode (buf, sizeof buf, &c), 0);
    /* The chunk, its header and the ESP-NOW header fit one ESP-NOW frame. */
    assert_true (7 + OTA_CHUNK_MAX + ESPNOW_HDR_SIZE <= ESPNOW_MAX_FRAME);
    uint8_t bad[] = { 9, 0, 0 };
    assert_int_equal (ota_msg_decode (bad, sizeof bad, &d), -1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_images_of_every_size_arrive_intact, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_five_percent_loss_duplicates_and_reordering, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_responder_reboot_mid_push_resumes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_resume_over_nor_flash_at_a_sector_boundary, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_resume_over_nor_flash_mid_sector, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reboot_after_progress_save_loses_held_chunks_and_completes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_begin_from_another_initiator_gets_busy, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_push_from_an_unpaired_mac_is_refused_and_counted, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_corrupted_image_is_refused_and_old_firmware_kept, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_tampered_image_is_refused_after_end_and_old_firmware_kept, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_image_signed_with_another_key_is_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_unsigned_image_is_refused, s_setup, s_teardown),
        cmocka_unit_test (test_signing_key_must_be_private),
        cmocka_unit_test_setup_teardown (test_image_larger_than_slot_refused_before_erase, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_done_reboots_into_new_image, s_setup, s_teardown),
        cmocka_unit_test (test_codec_round_trip_and_malformed),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
