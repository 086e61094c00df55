/* ota_responder - see ota_responder.h. */
#include "ota_responder.h"
#include "lab_crc32.h"
#include <string.h>

#define ACK_DELAY_US 20000u      /* quiet this long after chunks: ACK what we have */
#define GAP_ACK_GAP_US 5000u     /* at most one gap-triggered ACK per 5 ms */
/* Chunks of a session this board does not run: a rebooted responder says so
 * (the initiator BEGINs it again), but a paired board that is not a target
 * of a broadcast push hears every chunk of it too, and must not answer each
 * one. */
#define STALE_ACK_GAP_US 50000u
#define REBOOT_DELAY_US 200000u  /* let the DONE ACK leave before rebooting */

static uint64_t
s_now (ota_responder_t *self)
{
    return self->core->port.now_us (self->core->port.ctx);
}

static void
s_send (ota_responder_t *self, const uint8_t dst[BOARD_MAC_LEN], const ota_msg_t *msg)
{
    uint8_t buf[OTA_MSG_MAX];
    size_t n = ota_msg_encode (buf, sizeof buf, msg);
    if (n)
        board_core_send_espnow (self->core, dst, ESPNOW_T_OTA, buf, n);
}

/* To a sender that is not (or not yet) our initiator. */
static void
s_reply (ota_responder_t *self, const uint8_t dst[BOARD_MAC_LEN], uint16_t session, uint8_t status)
{
    ota_msg_t m;
    memset (&m, 0, sizeof m);
    m.op = OTA_OP_ACK;
    m.session = session;
    m.status = status;
    s_send (self, dst, &m);
}

/* To the initiator of the current push. */
static void
s_ack (ota_responder_t *self, uint16_t session, uint8_t status)
{
    ota_msg_t m;
    memset (&m, 0, sizeof m);
    m.op = OTA_OP_ACK;
    m.session = session;
    m.status = status;
    m.base = self->p.base;
    m.bitmap = self->active ? self->bitmap : 0;
    s_send (self, self->peer, &m);
    self->since_ack = 0;
    self->last_ack_us = s_now (self);
    self->stats.acks++;
}

static void
s_persist (ota_responder_t *self)
{
    if (self->flash.kv_set)
        self->flash.kv_set (self->flash.ctx, &self->p, sizeof self->p);
}

static void
s_log (ota_responder_t *self, const char *what)
{
    board_core_log (self->core, what);
}

static int
s_write (ota_responder_t *self, const uint8_t *data, size_t len)
{
    if (self->flash.write (self->flash.ctx, data, len))
        return -1;
    self->p.crc_so_far = lab_crc32 (self->p.crc_so_far, data, len);
    self->stats.writes++;
    return 0;
}

static bool
s_compressed (const ota_responder_t *self)
{
    return (self->p.flags & OTA_BEGIN_DEFLATE) != 0;
}

/* The inflater's sink: plain image bytes, in order, into the OTA write. */
static int
s_sink (void *ctx, const uint8_t *data, size_t len)
{
    return s_write ((ota_responder_t *) ctx, data, len);
}

/* A chunk's length is right: plain chunks are all CHUNK bytes but the last;
 * compressed ones at most CHUNK (the last chunk of each block is short). */
static bool
s_chunk_len_ok (ota_responder_t *self, uint32_t seq, uint16_t len)
{
    if (s_compressed (self))
        return len <= self->p.chunk;
    if (seq + 1 < self->total)
        return len == self->p.chunk;
    return len == self->p.size - (self->total - 1) * self->p.chunk;
}

/* Chunk BASE's bytes: written as they are, or inflated into the write. */
static int
s_take (ota_responder_t *self, const uint8_t *data, size_t len)
{
    if (!s_compressed (self))
        return s_write (self, data, len);
    int rc = ota_inflate_feed (&self->inf, data, len);
    self->inf_rc = rc < 0 ? rc : 0;
    return rc < 0 ? -1 : 0;
}

/* Checks the optional BEGIN fields of a compressed push. */
static bool
s_stream_ok (const ota_msg_t *m)
{
    if (!(m->flags & OTA_BEGIN_DEFLATE))
        return true;
    return m->block_shift >= OTA_BLOCK_SHIFT_MIN && m->block_shift <= OTA_BLOCK_SHIFT_MAX && m->zchunks
           && m->zsize >= m->zchunks && (uint64_t) m->zchunks * m->chunk >= m->zsize;
}

/* A fresh inflater at the plain offset where the stream (re)starts. */
static int
s_inflate_start (ota_responder_t *self, uint32_t plain)
{
    ota_inflate_init (&self->inf, s_sink, self);
    self->inf_rc = 0;
    return ota_inflate_start (&self->inf, self->p.size, 1u << self->p.block_shift, plain) == OTA_INF_OK ? 0 : -1;
}

static void
s_stop (ota_responder_t *self)
{
    if (self->active && self->flash.abort)
        self->flash.abort (self->flash.ctx);
    self->active = false;
    self->bitmap = 0;
}

static bool
s_from_peer (ota_responder_t *self, const uint8_t src[BOARD_MAC_LEN])
{
    return !memcmp (src, self->peer, BOARD_MAC_LEN);
}

static void
s_begin (ota_responder_t *self, const uint8_t src[BOARD_MAC_LEN], const ota_msg_t *m)
{
    bool same = m->session == self->p.session && m->size == self->p.size && m->crc32 == self->p.crc32
                && m->flags == self->p.flags && m->zchunks == self->p.zchunks && m->zsize == self->p.zsize
                && m->block_shift == self->p.block_shift && !memcmp (src, self->p.peer, BOARD_MAC_LEN);
    /* The same push again (its ACK was lost, or the initiator restarted):
     * tell it where we are. */
    if (self->p.complete && same) {
        memcpy (self->peer, src, BOARD_MAC_LEN);
        s_ack (self, m->session, OTA_ST_DONE);
        return;
    }
    if (self->active && same) {
        s_ack (self, m->session, OTA_ST_OK);
        return;
    }
    /* Another push while one runs: it must not cancel it. Only a push whose
     * initiator went silent may be replaced. */
    if (self->active && s_now (self) - self->last_rx_us < OTA_STALE_US) {
        self->stats.busy++;
        s_log (self, "ota: BEGIN refused: another push is in progress");
        s_reply (self, src, m->session, OTA_ST_BUSY);
        return;
    }
    memcpy (self->peer, src, BOARD_MAC_LEN);
    /* Checks before anything is erased. */
    if (!m->chunk || m->chunk > OTA_CHUNK_MAX || !m->size || !m->version[0] || !s_stream_ok (m)) {
        s_ack (self, m->session, OTA_ST_BAD_REQUEST);
        return;
    }
    if (m->size > self->flash.slot_size (self->flash.ctx)) {
        s_log (self, "ota: refused: image larger than the OTA slot");
        s_ack (self, m->session, OTA_ST_TOO_BIG);
        return;
    }
    /* A record of this very push from before a reboot: resume it. A
     * compressed one restarts at the block its record ends at, with a fresh
     * inflater; the initiator sends again from that block's first chunk. */
    if (!self->active && self->p.magic == OTA_PROGRESS_MAGIC && !self->p.complete && same
        && self->flash.resume && (!s_compressed (self) || s_inflate_start (self, self->p.plain) == 0)
        && self->flash.resume (self->flash.ctx, self->p.size, self->p.plain) == 0) {
        self->active = true;
        self->total = s_compressed (self) ? self->p.zchunks : ota_chunks (self->p.size, self->p.chunk);
        self->bitmap = 0;
        self->stats.resumes++;
        s_log (self, "ota: resuming an interrupted push");
        s_ack (self, m->session, OTA_ST_OK);
        return;
    }
    s_stop (self);
    if (self->flash.begin (self->flash.ctx, m->size)) {
        s_ack (self, m->session, OTA_ST_FLASH_ERROR);
        return;
    }
    memset (&self->p, 0, sizeof self->p);
    self->p.magic = OTA_PROGRESS_MAGIC;
    self->p.session = m->session;
    self->p.chunk = m->chunk;
    self->p.size = m->size;
    self->p.crc32 = m->crc32;
    memcpy (self->p.version, m->version, sizeof self->p.version);
    memcpy (self->p.peer, src, BOARD_MAC_LEN);
    self->p.flags = m->flags;
    self->p.block_shift = m->block_shift;
    self->p.zchunks = m->zchunks;
    self->p.zsize = m->zsize;
    self->total = ota_chunks (m->size, m->chunk);
    if (s_compressed (self)) {
        self->total = m->zchunks;
        if (s_inflate_start (self, 0)) {
            if (self->flash.abort)
                self->flash.abort (self->flash.ctx);
            s_ack (self, m->session, OTA_ST_BAD_REQUEST);
            return;
        }
    }
    self->bitmap = 0;
    self->active = true;
    s_persist (self);
    s_log (self, s_compressed (self) ? "ota: push started (compressed)" : "ota: push started");
    s_ack (self, m->session, OTA_ST_OK);
}

/* Records progress where a reboot can resume: plain pushes every
 * OTA_PERSIST_EVERY chunks; compressed ones where a block has just ended
 * (the next chunk starts a new block, so a fresh inflater can start
 * there), which also keeps NVS writes to one per block. */
static void
s_progress (ota_responder_t *self)
{
    if (!s_compressed (self)) {
        self->p.plain = self->p.base * self->p.chunk;
        if (self->p.base % OTA_PERSIST_EVERY == 0)
            s_persist (self);
    }
    else if (ota_inflate_at_block_start (&self->inf)) {
        self->p.plain = ota_inflate_offset (&self->inf);
        s_persist (self);
    }
}

/* Writes chunk BASE and then everything contiguous held in the window. */
static int
s_advance (ota_responder_t *self, const uint8_t *data, size_t len)
{
    if (s_take (self, data, len))
        return -1;
    for (;;) {
        bool next = self->bitmap & 1u;
        self->bitmap >>= 1;
        self->p.base++;
        s_progress (self);
        if (!next)
            return 0;
        uint32_t slot = self->p.base % OTA_WINDOW;
        if (s_take (self, self->window[slot], self->window_len[slot]))
            return -1;
    }
}

/* A chunk could not be taken: the flash write failed, or (compressed) the
 * stream does not inflate. Either way the push is over and nothing boots
 * from the slot; a broken stream's record goes, so no BEGIN resumes it. */
static void
s_take_failed (ota_responder_t *self, uint16_t session)
{
    bool stream = s_compressed (self) && self->inf_rc != OTA_INF_ESINK;
    if (stream) {
        self->stats.bad_streams++;
        s_log (self, "ota: compressed stream corrupt; push abandoned, current firmware kept");
    }
    else
        s_log (self, "ota: flash write failed; push abandoned");
    s_stop (self);
    if (stream) {
        self->p.magic = 0;
        s_persist (self);
    }
    s_ack (self, session, stream ? OTA_ST_BAD_STREAM : OTA_ST_FLASH_ERROR);
}

static void
s_chunk (ota_responder_t *self, const ota_msg_t *m)
{
    if (!self->active || m->session != self->p.session) {
        /* Rate-limited: a stream of stale chunks (or of a broadcast push to
         * other boards) must not become a stream of ACKs. */
        if (!self->last_ack_us || s_now (self) - self->last_ack_us > STALE_ACK_GAP_US)
            s_ack (self, m->session, self->p.complete && m->session == self->p.session ? OTA_ST_DONE
                                                                                         : OTA_ST_BAD_SESSION);
        return;
    }
    self->stats.chunks++;
    self->since_ack++;
    if (m->seq >= self->total || !s_chunk_len_ok (self, m->seq, m->data_len)) {
        self->stats.bad++;
        return;
    }
    bool gap = false;
    if (m->seq < self->p.base)
        self->stats.duplicates++, gap = true;
    else if (m->seq == self->p.base) {
        if (s_advance (self, m->data, m->data_len)) {
            s_take_failed (self, m->session);
            return;
        }
    }
    else if (m->seq - self->p.base <= OTA_WINDOW) {
        uint32_t bit = m->seq - self->p.base - 1;
        if (self->bitmap & (1u << bit))
            self->stats.duplicates++;
        else {
            uint32_t slot = m->seq % OTA_WINDOW;
            memcpy (self->window[slot], m->data, m->data_len);
            self->window_len[slot] = m->data_len;
            self->bitmap |= 1u << bit;
        }
        gap = true;
    }
    else {
        self->stats.out_of_window++;
        gap = true;
    }
    uint64_t now = s_now (self);
    if (self->since_ack >= OTA_ACK_EVERY || self->p.base == self->total
        || (gap && now - self->last_ack_us > GAP_ACK_GAP_US))
        s_ack (self, m->session, OTA_ST_OK);
}

/* The lab's signature over the image as it lies in the slot (read back, so
 * what is checked is what would boot). Runs before the boot partition is
 * switched. The window is free by now (every chunk is written): it serves
 * as the read buffer. */
static uint8_t
s_check_signature (ota_responder_t *self)
{
    const ota_sig_t *sig = self->flash.sig;
    uint8_t *buf = self->window[0];
    ota_sig_trailer_t t;
    if (!sig || !self->flash.read || self->p.size <= OTA_SIG_TRAILER_LEN
        || self->flash.read (self->flash.ctx, self->p.size - OTA_SIG_TRAILER_LEN, buf, OTA_SIG_TRAILER_LEN)
        || ota_sig_trailer_decode (buf, self->p.size, &t)) {
        self->stats.bad_signatures++;
        return OTA_ST_UNSIGNED;
    }
    sig->sha256_start (sig->ctx);
    for (uint32_t off = 0; off < t.signed_len;) {
        uint32_t n = t.signed_len - off < OTA_CHUNK_MAX ? t.signed_len - off : OTA_CHUNK_MAX;
        if (self->flash.read (self->flash.ctx, off, buf, n)) {
            self->stats.bad_signatures++;
            return OTA_ST_FLASH_ERROR;
        }
        sig->sha256_update (sig->ctx, buf, n);
        off += n;
    }
    uint8_t hash[32];
    sig->sha256_finish (sig->ctx, hash);
    if (sig->verify (sig->ctx, hash, t.sig)) {
        self->stats.bad_signatures++;
        return OTA_ST_BAD_SIGNATURE;
    }
    return OTA_ST_OK;
}

static void
s_end (ota_responder_t *self, const ota_msg_t *m)
{
    if (self->p.complete && m->session == self->p.session) {
        s_ack (self, m->session, OTA_ST_DONE);
        return;
    }
    if (!self->active || m->session != self->p.session) {
        s_ack (self, m->session, OTA_ST_BAD_SESSION);
        return;
    }
    if (self->p.base < self->total) {
        s_ack (self, m->session, OTA_ST_OK);      /* not all there yet: says what is missing */
        return;
    }
    /* Every chunk taken, but the stream ended short of the image (or a
     * block was left open): the stream was not what BEGIN announced. */
    if (s_compressed (self) && self->inf.status != OTA_INF_DONE) {
        self->inf_rc = OTA_INF_ESIZE;
        s_take_failed (self, m->session);
        return;
    }
    if (self->p.crc_so_far != self->p.crc32 || m->crc32 != self->p.crc32) {
        s_log (self, "ota: CRC mismatch; image discarded, current firmware kept");
        s_stop (self);
        self->p.magic = 0;
        s_persist (self);
        s_ack (self, m->session, OTA_ST_CRC_MISMATCH);
        return;
    }
    uint8_t status = OTA_ST_OK;
    if (self->flash.end (self->flash.ctx)) {
        s_log (self, "ota: esp_ota_end refused the image; current firmware kept");
        status = OTA_ST_INVALID_IMAGE;
    }
    else if ((status = s_check_signature (self)) != OTA_ST_OK)
        s_log (self, status == OTA_ST_UNSIGNED ? "ota: image is not signed; current firmware kept"
                                               : "ota: signature check failed; current firmware kept");
    else if (self->flash.set_boot (self->flash.ctx)) {
        s_log (self, "ota: cannot switch the boot partition; current firmware kept");
        status = OTA_ST_FLASH_ERROR;
    }
    if (status != OTA_ST_OK) {
        self->active = false;
        self->p.magic = 0;
        s_persist (self);
        s_ack (self, m->session, status);
        return;
    }
    self->active = false;
    self->p.complete = 1;
    s_persist (self);
    s_log (self, "ota: image verified, boot partition switched; rebooting");
    s_ack (self, m->session, OTA_ST_DONE);
    self->reboot_at_us = s_now (self) + REBOOT_DELAY_US;
}

int
ota_responder_pair (ota_responder_t *self, const uint8_t mac[BOARD_MAC_LEN])
{
    if (self->npaired == OTA_PAIRED_MAX)
        return -1;
    memcpy (self->paired[self->npaired++], mac, BOARD_MAC_LEN);
    return 0;
}

static bool
s_paired (ota_responder_t *self, const uint8_t src[BOARD_MAC_LEN])
{
    for (uint8_t i = 0; i < self->npaired; i++)
        if (!memcmp (self->paired[i], src, BOARD_MAC_LEN))
            return true;
    return false;
}

void
ota_responder_on_msg (ota_responder_t *self, const uint8_t src[BOARD_MAC_LEN], const uint8_t *payload,
                      size_t len)
{
    /* Only paired initiators are heard at all: anyone else in radio range is
     * dropped before parsing and counted, and gets no answer. */
    if (!s_paired (self, src)) {
        self->stats.unpaired++;
        /* Said on the UART (the host's only view of it), once per 10 s at
         * most: a stranger's flood must not flood the log too. */
        uint64_t now = s_now (self);
        if (self->stats.unpaired == 1 || now - self->unpaired_logged_us >= OTA_UNPAIRED_LOG_US) {
            self->unpaired_logged_us = now;
            s_log (self, "ota: frames from an unpaired board dropped (not provisioned with this lab's keys)");
        }
        return;
    }
    ota_msg_t m;
    if (ota_msg_decode (payload, len, &m)) {
        self->stats.bad++;
        return;
    }
    if (m.op == OTA_OP_ACK)
        return;                  /* for an initiator, not for us */
    /* A push to several boards broadcasts its CHUNKs, which ESP-NOW never
     * encrypts, and hands up even with a paired board's MAC as source from
     * anyone in range. BEGIN, END and ABORT always come by unicast
     * (encrypted between paired boards): one sent to the broadcast address
     * is dropped and counted, so a forged broadcast can neither start nor
     * end nor cancel a push, and a paired board that is not a target of a
     * broadcast push never starts it. */
    if (self->core && self->core->rx_broadcast && m.op != OTA_OP_CHUNK) {
        self->stats.broadcast_refused++;
        return;
    }
    if (m.op == OTA_OP_BEGIN) {
        s_begin (self, src, &m);
        if (s_from_peer (self, src))
            self->last_rx_us = s_now (self);
        return;
    }
    /* During a push only its initiator is heard; others are dropped
     * (counted), so they can neither feed nor end nor abort it. */
    if (self->active && !s_from_peer (self, src)) {
        self->stats.foreign++;
        return;
    }
    if (!self->active)
        memcpy (self->peer, src, BOARD_MAC_LEN);   /* where BAD_SESSION / DONE answers go */
    self->last_rx_us = s_now (self);
    switch (m.op) {
        case OTA_OP_CHUNK: s_chunk (self, &m); break;
        case OTA_OP_END: s_end (self, &m); break;
        case OTA_OP_ABORT:
            if (self->active && m.session == self->p.session) {
                s_stop (self);
                self->p.magic = 0;
                s_persist (self);
                s_log (self, "ota: push aborted by the initiator");
            }
            s_ack (self, m.session, OTA_ST_ABORTED);
            break;
        default: break;
    }
}

void
ota_responder_poll (ota_responder_t *self, uint64_t now_us)
{
    if (self->active && self->since_ack && now_us - self->last_rx_us > ACK_DELAY_US)
        s_ack (self, self->p.session, OTA_ST_OK);
    if (self->reboot_at_us && now_us >= self->reboot_at_us) {
        self->reboot_at_us = 0;
        board_core_reboot (self->core);
    }
}

static void
s_on_radio (void *ctx, board_core_t *core, const uint8_t src[BOARD_MAC_LEN], int8_t rssi,
            const espnow_hdr_t *hdr, const uint8_t *payload, size_t len)
{
    (void) core;
    (void) rssi;
    (void) hdr;
    ota_responder_on_msg ((ota_responder_t *) ctx, src, payload, len);
}

static void
s_on_poll (void *ctx, board_core_t *core, uint64_t now_us)
{
    (void) core;
    ota_responder_poll ((ota_responder_t *) ctx, now_us);
}

void
ota_responder_init (ota_responder_t *self, board_core_t *core, const ota_flash_t *flash)
{
    memset (self, 0, sizeof *self);
    self->core = core;
    self->flash = *flash;
    if (!flash->kv_get || flash->kv_get (flash->ctx, &self->p, sizeof self->p)
        || self->p.magic != OTA_PROGRESS_MAGIC)
        memset (&self->p, 0, sizeof self->p);
    board_core_set_handler (core, ESPNOW_T_OTA, s_on_radio, self);
    board_core_add_poller (core, s_on_poll, self);
}
