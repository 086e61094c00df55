/* test_ota_multi_units - one push to four responders in one process: the
 * coordinator (ota_multi) against four real responder cores (ota_responder
 * on board_core), each writing through ESP-IDF's OTA write path as labsim
 * models it (firmware/sim/sim_ota.c over a NOR flash, esp_ota_ops.c of
 * v5.5) and checking the lab's signature with libcrypto (sim_sig.c). The
 * radio between them is in memory and behaves as ESP-NOW does for the two
 * kinds of frame (ESP-IDF v5.5 esp_now.rst): a broadcast reaches every
 * board, each on its own luck, with no acknowledgement or retry; a unicast
 * reaches one board. Each board has its own receive loss; drops can be
 * scripted per board and chunk; a board can reboot mid-push. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/lab_test.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "firmware/sim/app_image.h"
#include "firmware/sim/nor_flash.h"
#include "firmware/sim/sim_ota.h"
#include "firmware/sim/sim_sig.h"
#include "ota_responder.h"
#include "services/ota-initiator/ota_deflate.h"
#include "services/ota-initiator/ota_multi.h"
#include "services/ota-initiator/ota_sign.h"

#define NB 4
#define SLOT 0x180000u
#define QMAX 512
#define SENDLOG 20000

static const uint8_t INITIATOR[6] = { 1, 1, 1, 1, 1, 1 }, OTHER_INIT[6] = { 3, 3, 3, 3, 3, 3 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static char s_keys[64], s_other_keys[80];
static ota_sign_t *s_signer;

typedef struct world world_t;

typedef struct {
    world_t *w;
    uint8_t mac[6];
    board_core_t core;
    ota_responder_t resp;
    nor_flash_t *flash;
    sim_ota_t ota;
    uint32_t handle;
    sim_sig_t *sig;
    uint8_t kv[sizeof (ota_progress_t)];   /* NVS: survives a reboot */
    bool kv_set, rebooted_new;
    unsigned loss_pct;
    int drop_seq[4];                       /* chunks this board loses once each (-1: none) */
} board_t;

typedef struct { uint8_t data[ESPNOW_MAX_FRAME]; size_t len; uint8_t src[6]; } ack_t;

typedef struct { uint32_t seq; bool broadcast; int to; } sendlog_t;

struct world {
    uint64_t now_us;
    board_t b[NB];
    ack_t acks[QMAX];
    int nacks;
    unsigned rng;
    ota_multi_t *multi;
    uint8_t *image;
    uint32_t size;
    sendlog_t log[SENDLOG];
    int nlog;
};

static unsigned s_rand (world_t *w) { w->rng = w->rng * 1103515245u + 12345u; return (w->rng >> 16) % 100; }

/* --- a responder's flash: sim_ota over NOR, progress in "NVS" ------------- */
static uint32_t f_slot (void *ctx) { (void) ctx; return SLOT; }
static int
f_begin (void *ctx, uint32_t size)
{
    board_t *b = (board_t *) ctx;
    (void) size;
    return sim_ota_begin (&b->ota, 0, SLOT, SIM_OTA_SEQUENTIAL, &b->handle) ? -1 : 0;
}
static int
f_resume (void *ctx, uint32_t size, uint32_t off)
{
    board_t *b = (board_t *) ctx;
    (void) size;
    return sim_ota_resume (&b->ota, 0, SLOT, SIM_OTA_SEQUENTIAL, off, &b->handle) ? -1 : 0;
}
static int f_write (void *ctx, const uint8_t *d, size_t n) { board_t *b = ctx; return sim_ota_write (&b->ota, b->handle, d, n) ? -1 : 0; }
static int f_end (void *ctx) { board_t *b = ctx; return sim_ota_end (&b->ota, b->handle) ? -1 : 0; }
static int f_set_boot (void *ctx) { (void) ctx; return 0; }
static void f_abort (void *ctx) { board_t *b = ctx; sim_ota_abort (&b->ota, b->handle); }
static int f_read (void *ctx, uint32_t off, void *buf, size_t len) { return nor_flash_read (((board_t *) ctx)->flash, off, buf, len); }
static int
f_kv_get (void *ctx, void *buf, size_t len)
{
    board_t *b = (board_t *) ctx;
    if (!b->kv_set || len != sizeof b->kv)
        return -1;
    memcpy (buf, b->kv, len);
    return 0;
}
static int
f_kv_set (void *ctx, const void *buf, size_t len)
{
    board_t *b = (board_t *) ctx;
    if (len != sizeof b->kv)
        return -1;
    memcpy (b->kv, buf, len);
    b->kv_set = true;
    return 0;
}

/* --- a responder's port: its ACKs go to the initiator ------------------- */
static int
p_radio_send (void *ctx, const uint8_t mac[6], const uint8_t *data, size_t len)
{
    board_t *b = (board_t *) ctx;
    world_t *w = b->w;
    if (memcmp (mac, INITIATOR, 6) || w->nacks == QMAX)
        return 0;                            /* answers to the other initiator: not ours */
    memcpy (w->acks[w->nacks].src, b->mac, 6);
    memcpy (w->acks[w->nacks].data, data, len);
    w->acks[w->nacks++].len = len;
    return 0;
}
static void p_uart (void *ctx, const uint8_t *d, size_t n) { (void) ctx; (void) d; (void) n; }
static uint64_t p_now (void *ctx) { return ((board_t *) ctx)->w->now_us; }
static void p_reboot (void *ctx) { ((board_t *) ctx)->rebooted_new = true; }

/* Power-on or reboot: a fresh core and responder; flash and NVS stay. */
static void
s_boot (board_t *b)
{
    board_port_t port = { b, p_radio_send, p_uart, p_now, NULL, p_reboot };
    board_info_t info = { .channel = 1, .version = "1.0.0", .partition = "factory", .reset_reason = "poweron" };
    memcpy (info.mac, b->mac, 6);
    board_core_init (&b->core, &port, &info);
    board_core_set_beacon (&b->core, 0);
    board_core_set_heartbeat (&b->core, 0);
    sim_ota_reboot (&b->ota);
    ota_flash_t fl = { .ctx = b, .slot_size = f_slot, .begin = f_begin, .resume = f_resume, .write = f_write,
                       .end = f_end, .set_boot = f_set_boot, .abort = f_abort, .kv_get = f_kv_get,
                       .kv_set = f_kv_set, .read = f_read, .sig = sim_sig_ops (b->sig) };
    ota_responder_init (&b->resp, &b->core, &fl);
    ota_responder_pair (&b->resp, INITIATOR);
    ota_responder_pair (&b->resp, OTHER_INIT);
}

/* --- the initiator's transport: the in-memory radio ---------------------- */
static uint32_t
s_chunk_seq (const uint8_t *msg, size_t len)
{
    if (len < 8 || msg[0] != OTA_OP_CHUNK)
        return UINT32_MAX;
    return (uint32_t) (msg[3] | msg[4] << 8 | msg[5] << 16 | (uint32_t) msg[6] << 24);
}

static int
s_send (void *ctx, const uint8_t dst[6], const uint8_t *msg, size_t len)
{
    world_t *w = (world_t *) ctx;
    uint8_t air[ESPNOW_MAX_FRAME];
    size_t n = espnow_frame_encode (air, sizeof air, ESPNOW_T_OTA, 0, msg, len);
    bool bc = !memcmp (dst, BCAST, 6);
    uint32_t seq = s_chunk_seq (msg, len);
    if (seq != UINT32_MAX && w->nlog < SENDLOG) {
        int to = -1;
        for (int i = 0; i < NB && !bc; i++)
            if (!memcmp (dst, w->b[i].mac, 6))
                to = i;
        w->log[w->nlog++] = (sendlog_t) { seq, bc, to };
    }
    for (int i = 0; i < NB; i++) {
        board_t *b = &w->b[i];
        if (!bc && memcmp (dst, b->mac, 6))
            continue;
        bool drop = false;
        for (int k = 0; k < 4; k++)
            if (seq != UINT32_MAX && b->drop_seq[k] == (int) seq) {
                b->drop_seq[k] = -1;
                drop = true;
            }
        if (drop || (b->loss_pct && s_rand (w) < b->loss_pct))
            continue;                        /* this board lost it; no retry for a broadcast */
        board_core_radio_in_to (&b->core, INITIATOR, bc, -50, air, n);
    }
    return 0;
}

static void
s_pump (world_t *w)
{
    for (int i = 0; i < w->nacks; i++) {
        espnow_hdr_t h;
        const uint8_t *p;
        if (espnow_frame_decode (w->acks[i].data, w->acks[i].len, &h, &p) == 0 && h.type == ESPNOW_T_OTA)
            ota_multi_on_msg (w->multi, w->acks[i].src, p, h.len, w->now_us / 1000);
    }
    w->nacks = 0;
}

/* One millisecond of the world; how many boards are still in progress. */
static int
s_step (world_t *w)
{
    int running = ota_multi_tick (w->multi, w->now_us / 1000);
    for (int i = 0; i < NB; i++)
        if (!w->b[i].rebooted_new)
            board_core_poll (&w->b[i].core);
    s_pump (w);
    w->now_us += 1000;
    return running;
}

/* --- set-up -------------------------------------------------------------- */
static int
s_group_setup (void **state)
{
    (void) state;
    char err[256];
    char *dir = lab_test_tmpdir ("otam-keys");
    if (!dir)
        return -1;
    snprintf (s_keys, sizeof s_keys, "%s", dir);
    free (dir);
    snprintf (s_other_keys, sizeof s_other_keys, "%s/other", s_keys);
    if (ota_sign_keygen (s_keys, err, sizeof err) != 1 || ota_sign_keygen (s_other_keys, err, sizeof err) != 1)
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

/* Four boards; board OTHER_KEY_BOARD (-1: none) was provisioned with
 * another lab's public key. A signed image of SIZE bytes. */
static world_t *
s_world (uint32_t size, int other_key_board)
{
    world_t *w = (world_t *) calloc (1, sizeof (world_t));
    w->rng = 12345;
    w->now_us = 1000000;
    char pub[200];
    for (int i = 0; i < NB; i++) {
        board_t *b = &w->b[i];
        b->w = w;
        uint8_t mac[6] = { 2, 2, 2, 2, 2, (uint8_t) (0xb0 + i) };
        memcpy (b->mac, mac, 6);
        b->flash = nor_flash_new (2u << 20);
        sim_ota_init (&b->ota, b->flash);
        snprintf (pub, sizeof pub, "%s/%s", i == other_key_board ? s_other_keys : s_keys, OTA_SIGN_PUB_FILE);
        b->sig = sim_sig_new (pub);
        assert_non_null (b->sig);
        for (int k = 0; k < 4; k++)
            b->drop_seq[k] = -1;
        s_boot (b);
    }
    w->size = size;
    w->image = (uint8_t *) malloc (size);
    uint32_t app = size - OTA_SIG_TRAILER_LEN;
    size_t data = app_image_init (w->image, app);
    assert_true (data > 0);
    for (uint32_t i = APP_IMAGE_DATA_OFF; i < APP_IMAGE_DATA_OFF + data; i++)
        w->image[i] = (uint8_t) (i * 13 + (i >> 9));
    app_image_seal (w->image, app);
    char err[128];
    assert_int_equal (ota_sign_trailer (s_signer, w->image, app, w->image + app, err, sizeof err), 0);
    w->multi = ota_multi_new (w->image, size, 4242, "2.0.1", NULL, s_send, w);
    for (int i = 0; i < NB; i++)
        assert_int_equal (ota_multi_add (w->multi, w->b[i].mac), i);
    return w;
}

static void
s_world_free (world_t **wp)
{
    world_t *w = *wp;
    for (int i = 0; i < NB; i++) {
        nor_flash_destroy (&w->b[i].flash);
        sim_sig_destroy (&w->b[i].sig);
    }
    ota_multi_destroy (&w->multi);
    free (w->image);
    free (w);
    *wp = NULL;
}

/* Runs until every board has an outcome (bounded: 120 s of world time). */
static void
s_run (world_t *w)
{
    for (int ms = 0; ms < 120000; ms++)
        if (!s_step (w)) {
            for (int i = 0; i < 300; i++)       /* the boards reboot 200 ms after DONE */
                s_step (w);
            return;
        }
    fail_msg ("the push did not finish");
}

static void
s_assert_slot_holds_image (world_t *w, int i)
{
    const uint8_t *slot = nor_flash_data (w->b[i].flash);
    assert_memory_equal (slot, w->image, w->size);
    assert_true (w->b[i].rebooted_new);
}

static uint32_t
s_chunks (world_t *w)
{
    return ota_chunks (w->size, OTA_CHUNK_MAX);
}

/* --- tests --------------------------------------------------------------- */

/* Four boards, 5 % receive loss on one: each ends with the image, verified
 * and signed; the image went out about once (not once per board), and what
 * only the lossy board lacked went to it by unicast. */
static void
test_four_boards_one_push (void **state)
{
    (void) state;
    world_t *w = s_world (80000, -1);
    w->b[3].loss_pct = 5;
    s_run (w);
    for (int i = 0; i < NB; i++) {
        assert_int_equal (ota_multi_state (w->multi, i), OTA_TGT_DONE);
        s_assert_slot_holds_image (w, i);
        ota_engine_stats_t st;
        ota_multi_target_stats (w->multi, i, w->now_us / 1000, &st);
        assert_true (st.percent > 99.9);
    }
    ota_multi_stats_t st;
    ota_multi_stats (w->multi, &st);
    uint32_t total = s_chunks (w);
    assert_true (st.broadcasts >= total * 9 / 10);
    assert_true (st.unicasts > 0);                /* the lossy board's gaps */
    assert_true (st.sent < total * 13 / 10);       /* about once, not four times */
    s_world_free (&w);
}

/* The union of the gaps: a chunk two boards lost goes out again once, by
 * broadcast; a chunk only one board lost goes to that board alone. */
static void
test_union_of_gaps (void **state)
{
    (void) state;
    world_t *w = s_world (40000, -1);
    w->b[0].drop_seq[0] = 5;
    w->b[1].drop_seq[0] = 5;
    w->b[2].drop_seq[0] = 9;
    s_run (w);
    int bc5 = 0, uni5 = 0, bc9 = 0, uni9 = 0, uni9_to = -1, bc20 = 0;
    for (int i = 0; i < w->nlog; i++) {
        if (w->log[i].seq == 5)
            w->log[i].broadcast ? bc5++ : uni5++;
        if (w->log[i].seq == 9) {
            w->log[i].broadcast ? bc9++ : uni9++;
            if (!w->log[i].broadcast)
                uni9_to = w->log[i].to;
        }
        if (w->log[i].seq == 20)
            bc20 += w->log[i].broadcast;
    }
    assert_int_equal (bc5, 2);      /* the first time, then once for both */
    assert_int_equal (uni5, 0);
    assert_int_equal (bc9, 1);
    assert_int_equal (uni9, 1);     /* only board 2 lacked it */
    assert_int_equal (uni9_to, 2);
    assert_int_equal (bc20, 1);     /* nobody lost it: sent once */
    for (int i = 0; i < NB; i++) {
        assert_int_equal (ota_multi_state (w->multi, i), OTA_TGT_DONE);
        s_assert_slot_holds_image (w, i);
    }
    s_world_free (&w);
}

/* A board busy with another initiator's push answers BUSY: it fails alone,
 * with the reason; the three others are updated. */
static void
test_busy_board_fails_alone (void **state)
{
    (void) state;
    world_t *w = s_world (40000, -1);
    board_t *b = &w->b[1];
    ota_msg_t m = { .op = OTA_OP_BEGIN, .session = 99, .size = 30000, .crc32 = 1, .chunk = OTA_CHUNK_MAX };
    snprintf (m.version, sizeof m.version, "9.9.9");
    uint8_t buf[OTA_MSG_MAX], air[ESPNOW_MAX_FRAME];
    size_t n = ota_msg_encode (buf, sizeof buf, &m);
    size_t an = espnow_frame_encode (air, sizeof air, ESPNOW_T_OTA, 0, buf, n);
    board_core_radio_in (&b->core, OTHER_INIT, -50, air, an);
    assert_true (b->resp.active);
    s_run (w);
    assert_int_equal (ota_multi_state (w->multi, 1), OTA_TGT_FAILED);
    assert_non_null (strstr (ota_multi_error (w->multi, 1), "another push is in progress"));
    assert_false (b->rebooted_new);
    for (int i = 0; i < NB; i++)
        if (i != 1) {
            assert_int_equal (ota_multi_state (w->multi, i), OTA_TGT_DONE);
            s_assert_slot_holds_image (w, i);
        }
    s_world_free (&w);
}

/* A board whose key is not the lab's refuses the image at END: it fails
 * alone (bad signature, its boot slot untouched), the others are updated. */
static void
test_bad_signature_on_one_board (void **state)
{
    (void) state;
    world_t *w = s_world (40000, 2);
    s_run (w);
    assert_int_equal (ota_multi_state (w->multi, 2), OTA_TGT_FAILED);
    assert_non_null (strstr (ota_multi_error (w->multi, 2), "signature"));
    assert_false (w->b[2].rebooted_new);
    for (int i = 0; i < NB; i++)
        if (i != 2)
            assert_int_equal (ota_multi_state (w->multi, i), OTA_TGT_DONE);
    s_world_free (&w);
}

/* A board reboots at about 40 %: it forgets the session, answers the next
 * chunk "unknown session", is sent BEGIN again, resumes from its progress
 * record and still ends with the image; the others do not wait for ever. */
static void
test_board_reboots_mid_push_and_resumes (void **state)
{
    (void) state;
    world_t *w = s_world (120000, -1);
    bool rebooted = false;
    int ms = 0;
    for (; ms < 120000; ms++) {
        if (!rebooted && w->b[2].resp.p.base > s_chunks (w) * 4 / 10) {
            s_boot (&w->b[2]);           /* power cut: RAM gone, flash and NVS kept */
            rebooted = true;
        }
        if (!s_step (w))
            break;
    }
    for (int i = 0; i < 300; i++)
        s_step (w);
    assert_true (rebooted);
    assert_true (ms < 120000);
    assert_int_equal (w->b[2].resp.stats.resumes, 1);
    for (int i = 0; i < NB; i++) {
        assert_int_equal (ota_multi_state (w->multi, i), OTA_TGT_DONE);
        s_assert_slot_holds_image (w, i);
    }
    s_world_free (&w);
}

/* A board that never answers fails alone after the give-up time. */
static void
test_silent_board_fails_alone (void **state)
{
    (void) state;
    world_t *w = s_world (40000, -1);
    w->b[0].loss_pct = 100;
    s_run (w);
    assert_int_equal (ota_multi_state (w->multi, 0), OTA_TGT_FAILED);
    assert_non_null (strstr (ota_multi_error (w->multi, 0), "BEGIN"));
    for (int i = 1; i < NB; i++)
        assert_int_equal (ota_multi_state (w->multi, i), OTA_TGT_DONE);
    s_world_free (&w);
}

/* A board that goes silent mid-push (out of range, dead) does not hold the
 * window for the others: they finish in about the time of a push, long
 * before it is given up. */
static void
test_board_gone_mid_push_does_not_hold_others (void **state)
{
    (void) state;
    world_t *w = s_world (120000, -1);
    uint64_t start = w->now_us, others_done = 0;
    for (int ms = 0; ms < 120000; ms++) {
        if (w->b[1].resp.p.base > s_chunks (w) / 3)
            w->b[1].loss_pct = 100;
        if (!others_done && ota_multi_state (w->multi, 0) == OTA_TGT_DONE
            && ota_multi_state (w->multi, 2) == OTA_TGT_DONE && ota_multi_state (w->multi, 3) == OTA_TGT_DONE)
            others_done = w->now_us;
        if (!s_step (w))
            break;
    }
    assert_true (others_done > 0);
    assert_true (others_done - start < 10000000u);          /* not the 30 s give-up */
    assert_int_equal (ota_multi_state (w->multi, 1), OTA_TGT_FAILED);
    s_world_free (&w);
}

/* A compressed push to four boards (the image deflated in independent
 * blocks, each board inflating as it writes): 5 % loss on one board, another
 * rebooting at about 40 % and resuming at a block boundary; every board ends
 * with the plain image. */
static void
test_compressed_push_to_four_boards (void **state)
{
    (void) state;
    world_t *w = s_world (200000, -1);
    ota_deflate_t *dz = ota_deflate_new (w->image, w->size, 0, 9);
    assert_non_null (dz);
    uint32_t *starts = NULL;
    uint32_t n = ota_deflate_chunk_starts (dz, OTA_CHUNK_MAX, &starts);
    uint8_t shift = 0;
    while ((1u << shift) < ota_deflate_block_size (dz))
        shift++;
    assert_int_equal (ota_multi_set_stream (w->multi, ota_deflate_data (dz), (uint32_t) ota_deflate_size (dz), starts,
                                            n, shift), 0);
    assert_int_equal (ota_multi_set_stream (w->multi, ota_deflate_data (dz), (uint32_t) ota_deflate_size (dz), starts,
                                            n, shift), -1);      /* once */
    assert_true (n < s_chunks (w));
    w->b[3].loss_pct = 5;
    bool rebooted = false;
    int ms = 0;
    for (; ms < 120000; ms++) {
        if (!rebooted && w->b[2].resp.p.base > n * 4 / 10) {
            s_boot (&w->b[2]);
            rebooted = true;
        }
        if (!s_step (w))
            break;
    }
    for (int i = 0; i < 300; i++)
        s_step (w);
    assert_true (rebooted && ms < 120000);
    assert_int_equal (w->b[2].resp.stats.resumes, 1);
    for (int i = 0; i < NB; i++) {
        assert_int_equal (ota_multi_state (w->multi, i), OTA_TGT_DONE);
        s_assert_slot_holds_image (w, i);
    }
    ota_multi_stats_t st;
    ota_multi_stats (w->multi, &st);
    assert_true (st.sent < n * 14 / 10);
    free (starts);
    ota_deflate_destroy (&dz);
    s_world_free (&w);
}

/* Someone in range forges BEGIN and ABORT to the broadcast address with the
 * paired initiator's MAC as source (broadcasts are not encrypted, so the
 * radio hands them up): the responder takes neither, counts them, and the
 * real push (BEGIN by unicast, chunks broadcast) completes. */
static void
test_forged_broadcast_begin_and_abort_are_dropped (void **state)
{
    (void) state;
    world_t *w = s_world (40000, -1);
    board_t *b = &w->b[0];
    uint8_t buf[OTA_MSG_MAX], air[ESPNOW_MAX_FRAME];
    ota_msg_t m = { .op = OTA_OP_BEGIN, .session = 66, .size = 30000, .crc32 = 1, .chunk = OTA_CHUNK_MAX };
    snprintf (m.version, sizeof m.version, "6.6.6");
    size_t an = espnow_frame_encode (air, sizeof air, ESPNOW_T_OTA, 0, buf, ota_msg_encode (buf, sizeof buf, &m));
    board_core_radio_in_to (&b->core, INITIATOR, true, -50, air, an);
    assert_false (b->resp.active);
    assert_int_equal (b->resp.stats.broadcast_refused, 1);
    int ms = 0;
    for (; ms < 120000 && !b->resp.active; ms++)
        s_step (w);
    ota_msg_t ab = { .op = OTA_OP_ABORT, .session = 4242 };
    an = espnow_frame_encode (air, sizeof air, ESPNOW_T_OTA, 0, buf, ota_msg_encode (buf, sizeof buf, &ab));
    board_core_radio_in_to (&b->core, INITIATOR, true, -50, air, an);
    assert_true (b->resp.active);
    assert_int_equal (b->resp.stats.broadcast_refused, 2);
    s_run (w);
    for (int i = 0; i < NB; i++)
        assert_int_equal (ota_multi_state (w->multi, i), OTA_TGT_DONE);
    s_world_free (&w);
}

static void
test_add_refuses_broadcast_and_duplicates (void **state)
{
    (void) state;
    uint8_t img[400] = { 0 };
    ota_multi_t *m = ota_multi_new (img, sizeof img, 1, "1", NULL, s_send, NULL);
    const uint8_t a[6] = { 2, 0, 0, 0, 0, 1 };
    assert_int_equal (ota_multi_add (m, BCAST), -1);
    assert_int_equal (ota_multi_add (m, a), 0);
    assert_int_equal (ota_multi_add (m, a), -1);
    assert_int_equal (ota_multi_count (m), 1);
    ota_multi_destroy (&m);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_add_refuses_broadcast_and_duplicates),
        cmocka_unit_test (test_four_boards_one_push),
        cmocka_unit_test (test_union_of_gaps),
        cmocka_unit_test (test_busy_board_fails_alone),
        cmocka_unit_test (test_bad_signature_on_one_board),
        cmocka_unit_test (test_board_reboots_mid_push_and_resumes),
        cmocka_unit_test (test_silent_board_fails_alone),
        cmocka_unit_test (test_board_gone_mid_push_does_not_hold_others),
        cmocka_unit_test (test_compressed_push_to_four_boards),
        cmocka_unit_test (test_forged_broadcast_begin_and_abort_are_dropped),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
