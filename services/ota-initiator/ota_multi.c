/* ota_multi - see ota_multi.h. */
#include "services/ota-initiator/ota_multi.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t s_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* How long the first chunks wait for every responder to answer BEGIN: one
 * that answers later joins behind the others and is served from its base. */
#define JOIN_WAIT_MS 1000u
/* A board silent this long (rebooting, gone) stops holding the window for
 * the others; if it comes back it is served behind them, by unicast. */
#define STALL_MS 1500u

typedef struct {
    uint8_t mac[6];
    ota_tgt_state_t state;
    char error[160];
    uint8_t *acked;            /* per chunk: this responder has it (base, or held in its window) */
    uint32_t acked_count;
    uint32_t base;             /* every chunk below is written on this responder */
    bool answered;             /* has answered BEGIN once */
    uint64_t begin_ms;         /* this BEGIN round started */
    uint64_t last_ctl_ms, last_ack_ms, last_progress_ms, first_ack_ms;
    uint64_t heard_ms;         /* its last ACK (last_ack_ms doubles as its RTO timer) */
    uint32_t base_at_start, acks;
} target_t;

struct _ota_multi_t {
    ota_payload_t pl;          /* the image, its CRC, the chunks (plain or deflated) */
    ota_engine_opts_t opts;
    ota_multi_send_fn *send;
    void *ctx;
    target_t tgt[OTA_MULTI_MAX];
    int n;
    uint64_t *sent_at;         /* per chunk, ms; 0 = to be sent (again) */
    uint8_t *sends;            /* per chunk: times sent (saturating) */
    uint32_t next_new;         /* lowest never-sent chunk */
    uint64_t start_ms;
    ota_pace_t pace;           /* over the initiator board's serial link */
    ota_multi_stats_t stats;
};

ota_multi_t *
ota_multi_new (const uint8_t *image, uint32_t size, uint16_t session, const char *version,
               const ota_engine_opts_t *opts, ota_multi_send_fn *send, void *ctx)
{
    ota_multi_t *self = (ota_multi_t *) calloc (1, sizeof (ota_multi_t));
    ota_payload_init (&self->pl, image, size, session, version);
    ota_engine_opts_resolve (&self->opts, opts);
    self->send = send;
    self->ctx = ctx;
    self->sent_at = (uint64_t *) calloc (self->pl.total + 1, sizeof (uint64_t));
    self->sends = (uint8_t *) calloc (self->pl.total + 1, 1);
    return self;
}

void
ota_multi_destroy (ota_multi_t **self_p)
{
    ota_multi_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < self->n; i++)
        free (self->tgt[i].acked);
    ota_payload_free (&self->pl);
    free (self->sent_at);
    free (self->sends);
    free (self);
    *self_p = NULL;
}

int
ota_multi_set_stream (ota_multi_t *self, const uint8_t *stream, uint32_t len, const uint32_t *starts,
                      uint32_t nchunks, uint8_t block_shift)
{
    if (self->start_ms || ota_payload_set_stream (&self->pl, stream, len, starts, nchunks, block_shift))
        return -1;
    free (self->sent_at);
    free (self->sends);
    self->sent_at = (uint64_t *) calloc (self->pl.total + 1, sizeof (uint64_t));
    self->sends = (uint8_t *) calloc (self->pl.total + 1, 1);
    for (int i = 0; i < self->n; i++) {
        free (self->tgt[i].acked);
        self->tgt[i].acked = (uint8_t *) calloc (self->pl.total + 1, 1);
    }
    return 0;
}

int
ota_multi_add (ota_multi_t *self, const uint8_t mac[6])
{
    if (self->n == OTA_MULTI_MAX || self->start_ms || !memcmp (mac, s_bcast, 6))
        return -1;
    for (int i = 0; i < self->n; i++)
        if (!memcmp (self->tgt[i].mac, mac, 6))
            return -1;
    target_t *t = &self->tgt[self->n];
    memset (t, 0, sizeof *t);
    memcpy (t->mac, mac, 6);
    t->state = OTA_TGT_BEGIN;
    t->acked = (uint8_t *) calloc (self->pl.total + 1, 1);
    return self->n++;
}

int ota_multi_count (ota_multi_t *self) { return self->n; }

static int
s_send_msg (ota_multi_t *self, const uint8_t dst[6], const ota_msg_t *m)
{
    uint8_t buf[OTA_MSG_MAX];
    size_t n = ota_msg_encode (buf, sizeof buf, m);
    return n ? self->send (self->ctx, dst, buf, n) : -1;
}

static void
s_fail (target_t *t, const char *fmt, const char *what)
{
    snprintf (t->error, sizeof t->error, fmt, what);
    t->state = OTA_TGT_FAILED;
}

static void
s_set (target_t *t, uint32_t seq, bool have)
{
    if (have && !t->acked[seq]) {
        t->acked[seq] = 1;
        t->acked_count++;
    }
    else if (!have && t->acked[seq]) {
        t->acked[seq] = 0;
        t->acked_count--;
    }
}

static target_t *
s_target (ota_multi_t *self, const uint8_t mac[6])
{
    for (int i = 0; i < self->n; i++)
        if (!memcmp (self->tgt[i].mac, mac, 6))
            return &self->tgt[i];
    return NULL;
}

/* The responder's base and window snapshot (see ota_engine.c: only BASE is
 * final; a chunk the bitmap no longer shows was lost with its RAM window). */
static void
s_apply_ack (ota_multi_t *self, target_t *t, const ota_msg_t *m, uint64_t now)
{
    if (m->base > self->pl.total)
        return;
    if (m->base > t->base)
        t->last_progress_ms = now;
    for (uint32_t i = m->base; i < t->base; i++)
        s_set (t, i, false);          /* it went back (a reboot past its last record) */
    for (uint32_t i = t->base; i < m->base; i++)
        s_set (t, i, true);
    t->base = m->base;
    uint32_t hi = 0;
    for (uint32_t i = 1; i <= OTA_WINDOW && m->base + i < self->pl.total; i++) {
        uint32_t seq = m->base + i;
        if (m->bitmap & (1u << (i - 1))) {
            s_set (t, seq, true);
            hi = seq;
        }
        else if (t->acked[seq]) {
            s_set (t, seq, false);
            self->sent_at[seq] = 0;
        }
    }
    /* Selective repeat, per responder: a chunk it lacks that left before one
     * it got was lost on the way to it (the path is FIFO). Cleared once for
     * everybody: a second responder reporting the same gap does not send it
     * twice. */
    if (hi && t->state == OTA_TGT_SENDING)
        for (uint32_t s = t->base; s < hi; s++)
            if (!t->acked[s] && self->sent_at[s] && self->sent_at[s] <= self->sent_at[hi])
                self->sent_at[s] = 0;
}

void
ota_multi_on_msg (ota_multi_t *self, const uint8_t src[6], const uint8_t *buf, size_t len, uint64_t now)
{
    ota_msg_t m;
    target_t *t = s_target (self, src);
    if (!t || ota_msg_decode (buf, len, &m) || m.op != OTA_OP_ACK || m.session != self->pl.session)
        return;
    if (t->state == OTA_TGT_DONE || t->state == OTA_TGT_FAILED)
        return;
    self->stats.acks++;
    t->acks++;
    t->last_ack_ms = t->heard_ms = now;
    if (!t->first_ack_ms) {
        t->first_ack_ms = now;
        t->base_at_start = m.base;
    }
    if (m.status == OTA_ST_DONE) {
        for (uint32_t i = 0; i < self->pl.total; i++)
            s_set (t, i, true);
        t->base = self->pl.total;
        t->state = OTA_TGT_DONE;
        return;
    }
    if (m.status == OTA_ST_BAD_SESSION) {
        /* It rebooted and forgot the session: BEGIN again (it resumes from
         * its record). Answers to chunks already on their way are ignored
         * while BEGIN is out. */
        if (t->state != OTA_TGT_BEGIN) {
            t->state = OTA_TGT_BEGIN;
            t->last_ctl_ms = 0;
            t->begin_ms = now;
        }
        return;
    }
    if (m.status != OTA_ST_OK) {
        s_fail (t, "responder: %s", ota_status_name (m.status));
        return;
    }
    if (t->state == OTA_TGT_BEGIN) {
        t->state = OTA_TGT_SENDING;
        t->answered = true;
        t->last_progress_ms = now;
        /* From its base on it has nothing (a resumed responder lost its
         * window): what the stream already carried past that is owed to it
         * now, not after a timeout. */
        for (uint32_t i = m.base; i < self->pl.total; i++)
            s_set (t, i, false);
        for (uint32_t i = m.base; i < self->next_new && i < self->pl.total; i++)
            self->sent_at[i] = 0;
    }
    s_apply_ack (self, t, &m, now);
}

/* Who still lacks chunk SEQ among the responders receiving: how many, and
 * the last of them. */
static int
s_lacking (ota_multi_t *self, uint32_t seq, target_t **who)
{
    int n = 0;
    for (int i = 0; i < self->n; i++) {
        target_t *t = &self->tgt[i];
        if (t->state == OTA_TGT_SENDING && !t->acked[seq]) {
            n++;
            *who = t;
        }
    }
    return n;
}

/* 0 sent, 1 nobody needs it, -1 must wait (pace, transport). */
static int
s_send_chunk (ota_multi_t *self, uint32_t seq, uint64_t now)
{
    target_t *who = NULL;
    int lacking = s_lacking (self, seq, &who);
    if (!lacking)
        return 1;
    ota_msg_t m;
    ota_payload_chunk (&self->pl, seq, &m);
    if (!ota_pace_take (&self->pace, &self->opts, OTA_LINK_COST (m.data_len), now))
        return -1;
    /* One responder left wanting it: unicast (acknowledged and retried by
     * the radio, encrypted between paired boards). Several: broadcast once. */
    const uint8_t *dst = lacking == 1 ? who->mac : s_bcast;
    if (s_send_msg (self, dst, &m))
        return -1;
    if (lacking == 1)
        self->stats.unicasts++;
    else
        self->stats.broadcasts++;
    if (self->sends[seq])
        self->stats.retransmissions++;
    if (self->sends[seq] < 255)
        self->sends[seq]++;
    self->sent_at[seq] = now ? now : 1;
    self->stats.sent++;
    return 0;
}

static void
s_tick_control (ota_multi_t *self, target_t *t, uint64_t now)
{
    if (t->state == OTA_TGT_BEGIN) {
        if (!t->begin_ms)
            t->begin_ms = now;
        if (!t->last_ctl_ms || now - t->last_ctl_ms >= self->opts.begin_retry_ms) {
            ota_msg_t m;
            ota_payload_begin (&self->pl, &m);
            s_send_msg (self, t->mac, &m);
            t->last_ctl_ms = now;
        }
        if (now - t->begin_ms > self->opts.give_up_ms)
            s_fail (t, "%s", "the responder does not answer BEGIN");
        return;
    }
    if (t->state == OTA_TGT_SENDING && t->base >= self->pl.total) {
        t->state = OTA_TGT_ENDING;
        t->last_ctl_ms = 0;
    }
    if (t->state == OTA_TGT_ENDING) {
        if (t->base < self->pl.total) {
            t->state = OTA_TGT_SENDING;       /* it says something is missing */
            return;
        }
        if (!t->last_ctl_ms || now - t->last_ctl_ms >= self->opts.begin_retry_ms) {
            ota_msg_t m = { .op = OTA_OP_END, .session = self->pl.session, .crc32 = self->pl.crc,
                            .chunks = self->pl.total };
            s_send_msg (self, t->mac, &m);
            t->last_ctl_ms = now;
        }
        if (now - t->last_progress_ms > self->opts.give_up_ms)
            s_fail (t, "%s", "the responder does not confirm END");
        return;
    }
    if (t->state != OTA_TGT_SENDING)
        return;
    /* Nothing from it for an RTO: what it lacks and was sent long enough
     * ago goes out again. */
    uint64_t quiet = now - (t->last_ack_ms > t->last_progress_ms ? t->last_ack_ms : t->last_progress_ms);
    if (quiet >= self->opts.rto_ms) {
        for (uint32_t s = t->base; s < self->next_new && s < self->pl.total; s++)
            if (!t->acked[s] && self->sent_at[s] && now - self->sent_at[s] >= self->opts.rto_ms)
                self->sent_at[s] = 0;
        t->last_ack_ms = now;
    }
    if (now - t->last_progress_ms > self->opts.give_up_ms)
        s_fail (t, "%s", "no progress from the responder");
}

int
ota_multi_tick (ota_multi_t *self, uint64_t now)
{
    if (!self->start_ms)
        self->start_ms = now;
    int running = 0, receiving = 0, waiting = 0;
    uint32_t lo = self->pl.total;
    for (int i = 0; i < self->n; i++) {
        target_t *t = &self->tgt[i];
        s_tick_control (self, t, now);
        if (t->state == OTA_TGT_DONE || t->state == OTA_TGT_FAILED)
            continue;
        running++;
        if (t->state == OTA_TGT_SENDING) {
            receiving++;
            if (t->base < lo && now - t->heard_ms < STALL_MS)
                lo = t->base;
        }
        if (t->state == OTA_TGT_BEGIN && !t->answered)
            waiting++;
    }
    /* The first chunks wait until every responder is in (or a second). */
    if (!receiving || (waiting && now - self->start_ms < JOIN_WAIT_MS))
        return running;
    if (lo == self->pl.total)        /* every board receiving has stalled: serve the lowest anyway */
        for (int i = 0; i < self->n; i++)
            if (self->tgt[i].state == OTA_TGT_SENDING && self->tgt[i].base < lo)
                lo = self->tgt[i].base;
    if (self->next_new < lo)
        self->next_new = lo;
    /* Gaps first (they hold the window back), then new chunks. */
    bool blocked = false;
    for (uint32_t s = lo; s < self->next_new && s < self->pl.total && !blocked; s++)
        if (!self->sent_at[s])
            blocked = s_send_chunk (self, s, now) < 0;
    while (!blocked && self->next_new < self->pl.total && self->next_new < lo + self->opts.window) {
        if (s_send_chunk (self, self->next_new, now) < 0)
            break;
        self->next_new++;
    }
    return running;
}

ota_tgt_state_t
ota_multi_state (ota_multi_t *self, int i)
{
    return i >= 0 && i < self->n ? self->tgt[i].state : OTA_TGT_FAILED;
}

const char *
ota_multi_error (ota_multi_t *self, int i)
{
    return i >= 0 && i < self->n ? self->tgt[i].error : "";
}

uint32_t ota_multi_crc (ota_multi_t *self) { return self->pl.crc; }

void
ota_multi_stats (ota_multi_t *self, ota_multi_stats_t *out)
{
    *out = self->stats;
}

void
ota_multi_target_stats (ota_multi_t *self, int i, uint64_t now, ota_engine_stats_t *out)
{
    memset (out, 0, sizeof *out);
    if (i < 0 || i >= self->n)
        return;
    target_t *t = &self->tgt[i];
    out->chunks_total = self->pl.total;
    out->chunks_acked = t->acked_count;
    out->sent = self->stats.sent;
    out->retransmissions = self->stats.retransmissions;
    out->acks = t->acks;
    /* In bytes of the plain image (a compressed push: in proportion). */
    uint64_t bytes = self->pl.stream ? (self->pl.total ? (uint64_t) self->pl.size * t->acked_count / self->pl.total : 0)
                                  : (uint64_t) t->acked_count * OTA_CHUNK_MAX;
    if (bytes > self->pl.size)
        bytes = self->pl.size;
    out->bytes_acked = bytes;
    out->percent = self->pl.size ? 100.0 * (double) bytes / self->pl.size : 100.0;
    double secs = t->first_ack_ms && now > t->first_ack_ms ? (now - t->first_ack_ms) / 1000.0 : 0;
    uint64_t per_chunk = self->pl.stream && self->pl.total ? self->pl.size / self->pl.total : OTA_CHUNK_MAX;
    uint64_t done_here = t->acked_count > t->base_at_start
                             ? (uint64_t) (t->acked_count - t->base_at_start) * per_chunk : 0;
    out->rate_bps = secs > 0 ? (double) done_here / secs : 0;
    out->eta_s = out->rate_bps > 0 ? (double) (self->pl.size - bytes) / out->rate_bps : 0;
}
