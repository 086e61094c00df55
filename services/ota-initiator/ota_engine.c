/* ota_engine - see ota_engine.h. */
#include "services/ota-initiator/ota_engine.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _ota_engine_t {
    ota_payload_t pl;          /* the image, its CRC, the chunks (plain or deflated) */
    ota_engine_opts_t opts;
    ota_send_fn *send;
    void *ctx;
    ota_engine_state_t state;
    char error[160];
    uint8_t *acked;            /* per chunk */
    uint64_t *sent_at;         /* per chunk, ms; 0 = to be sent (again) */
    uint8_t *sends;            /* per chunk: times sent (saturating) */
    uint32_t base;             /* responder: every chunk below is written */
    uint32_t next_new;         /* lowest never-sent chunk */
    uint64_t last_ctl_ms;      /* BEGIN / END last sent */
    uint64_t last_ack_ms, last_progress_ms, start_ms, first_ack_ms;
    uint32_t acked_count;
    uint32_t base_at_start;
    uint32_t rebegins;
    ota_pace_t pace;           /* over the initiator board's serial link */
    ota_engine_stats_t stats;
};

void
ota_engine_opts_resolve (ota_engine_opts_t *out, const ota_engine_opts_t *in)
{
    ota_engine_opts_t d = { OTA_WINDOW, 300, 500, 30000, 0, 0 };
    *out = in ? *in : d;
    if (!out->burst_bytes)
        out->burst_bytes = 4 * OTA_LINK_COST (OTA_CHUNK_MAX);
    if (!out->window || out->window > OTA_WINDOW)
        out->window = OTA_WINDOW;
}

/* The per-chunk bookkeeping, for PL's chunks. */
static void
s_chunk_arrays (ota_engine_t *self)
{
    free (self->acked);
    free (self->sent_at);
    free (self->sends);
    self->acked = (uint8_t *) calloc (self->pl.total + 1, 1);
    self->sent_at = (uint64_t *) calloc (self->pl.total + 1, sizeof (uint64_t));
    self->sends = (uint8_t *) calloc (self->pl.total + 1, 1);
}

ota_engine_t *
ota_engine_new (const uint8_t *image, uint32_t size, uint16_t session, const char *version,
                const ota_engine_opts_t *opts, ota_send_fn *send, void *ctx)
{
    ota_engine_t *self = (ota_engine_t *) calloc (1, sizeof (ota_engine_t));
    ota_payload_init (&self->pl, image, size, session, version);
    ota_engine_opts_resolve (&self->opts, opts);
    self->send = send;
    self->ctx = ctx;
    s_chunk_arrays (self);
    self->state = OTA_ENG_BEGIN;
    return self;
}

void
ota_engine_destroy (ota_engine_t **self_p)
{
    ota_engine_t *self = *self_p;
    if (!self)
        return;
    ota_payload_free (&self->pl);
    free (self->acked);
    free (self->sent_at);
    free (self->sends);
    free (self);
    *self_p = NULL;
}

int
ota_engine_set_stream (ota_engine_t *self, const uint8_t *stream, uint32_t len, const uint32_t *starts,
                       uint32_t nchunks, uint8_t block_shift)
{
    if (self->start_ms || ota_payload_set_stream (&self->pl, stream, len, starts, nchunks, block_shift))
        return -1;
    s_chunk_arrays (self);
    return 0;
}

static int
s_send_msg (ota_engine_t *self, const ota_msg_t *m)
{
    uint8_t buf[OTA_MSG_MAX];
    size_t n = ota_msg_encode (buf, sizeof buf, m);
    return n ? self->send (self->ctx, buf, n) : -1;
}

bool
ota_pace_take (ota_pace_t *pace, const ota_engine_opts_t *opts, uint32_t cost, uint64_t now_ms)
{
    if (!opts->link_bytes_per_s)
        return true;
    if (!pace->credit_ms)
        pace->credit_ms = now_ms, pace->credit = opts->burst_bytes;
    pace->credit += (double) (now_ms - pace->credit_ms) * opts->link_bytes_per_s / 1000.0;
    pace->credit_ms = now_ms;
    if (pace->credit > opts->burst_bytes)
        pace->credit = opts->burst_bytes;
    if (pace->credit < cost)
        return false;
    pace->credit -= cost;
    return true;
}

static int
s_send_chunk (ota_engine_t *self, uint32_t seq, uint64_t now)
{
    ota_msg_t m;
    ota_payload_chunk (&self->pl, seq, &m);
    if (!ota_pace_take (&self->pace, &self->opts, OTA_LINK_COST (m.data_len), now))
        return -1;
    if (s_send_msg (self, &m))
        return -1;
    if (self->sends[seq])
        self->stats.retransmissions++;
    if (self->sends[seq] < 255)
        self->sends[seq]++;
    self->sent_at[seq] = now ? now : 1;
    self->stats.sent++;
    return 0;
}

static void
s_fail (ota_engine_t *self, const char *fmt, const char *what)
{
    snprintf (self->error, sizeof self->error, fmt, what);
    self->state = OTA_ENG_FAILED;
}

static void
s_mark (ota_engine_t *self, uint32_t seq)
{
    if (seq < self->pl.total && !self->acked[seq]) {
        self->acked[seq] = 1;
        self->acked_count++;
    }
}

void
ota_engine_on_msg (ota_engine_t *self, const uint8_t *buf, size_t len, uint64_t now)
{
    ota_msg_t m;
    if (ota_msg_decode (buf, len, &m) || m.op != OTA_OP_ACK || m.session != self->pl.session)
        return;
    if (self->state == OTA_ENG_DONE || self->state == OTA_ENG_FAILED)
        return;
    self->stats.acks++;
    self->last_ack_ms = now;
    if (!self->first_ack_ms) {
        self->first_ack_ms = now;
        self->base_at_start = m.base;
    }
    if (m.status == OTA_ST_DONE) {
        for (uint32_t i = 0; i < self->pl.total; i++)
            s_mark (self, i);
        self->base = self->pl.total;
        self->state = OTA_ENG_DONE;
        return;
    }
    if (m.status == OTA_ST_BAD_SESSION) {
        /* The responder rebooted and forgot the session in RAM: BEGIN again;
         * it resumes from its stored progress. While BEGIN is out, these are
         * answers to chunks that were already on their way: ignore them. */
        if (self->state != OTA_ENG_BEGIN) {
            self->rebegins++;
            self->state = OTA_ENG_BEGIN;
            self->last_ctl_ms = 0;
            self->start_ms = now;       /* a fresh BEGIN deadline */
        }
        return;
    }
    if (m.status != OTA_ST_OK) {
        s_fail (self, "responder: %s", ota_status_name (m.status));
        return;
    }
    if (self->state == OTA_ENG_BEGIN) {
        self->state = OTA_ENG_SENDING;
        self->last_progress_ms = now;
        if (m.base < self->base) {
            for (uint32_t i = m.base; i < self->pl.total; i++)
                if (self->acked[i]) {
                    self->acked[i] = 0;
                    self->acked_count--;
                }
            self->base = m.base;
        }
        self->next_new = m.base;      /* resume where the responder is */
        for (uint32_t i = m.base; i < self->pl.total; i++)
            self->sent_at[i] = 0;
    }
    if (m.base > self->pl.total)
        return;
    if (m.base > self->base) {
        self->last_progress_ms = now;
        for (uint32_t i = self->base; i < m.base; i++)
            s_mark (self, i);
        self->base = m.base;
    }
    else if (m.base < self->base) {
        /* The responder lost progress (rebooted past its last record): go back. */
        for (uint32_t i = m.base; i < self->pl.total; i++)
            if (self->acked[i]) {
                self->acked[i] = 0;
                self->acked_count--;
            }
        self->base = m.base;
    }
    /* Chunks above BASE are only held in the responder's RAM window: the
     * bitmap is a snapshot, not a promise. Each ACK says afresh which of
     * base .. base+32 it holds (the path is FIFO, so a later ACK knows at
     * least as much, unless the responder lost its window in a reboot); a
     * chunk it no longer holds goes out again. Only BASE is final. */
    uint32_t hi = 0;
    for (uint32_t i = 0; i <= OTA_WINDOW && m.base + i < self->pl.total; i++) {
        uint32_t seq = m.base + i;
        if (i > 0 && (m.bitmap & (1u << (i - 1)))) {
            s_mark (self, seq);
            hi = seq;
        }
        else if (self->acked[seq]) {
            self->acked[seq] = 0;
            self->acked_count--;
            self->sent_at[seq] = 0;          /* lost with the window: send again */
        }
    }
    /* Selective repeat: a missing chunk that was sent before one that got
     * through was lost (the path is FIFO); send it again now. */
    if (hi && self->state == OTA_ENG_SENDING)
        for (uint32_t s = self->base; s < hi; s++)
            if (!self->acked[s] && self->sent_at[s] && self->sent_at[s] <= self->sent_at[hi])
                self->sent_at[s] = 0;        /* resent first thing in the next tick */
    if (self->next_new < self->base)
        self->next_new = self->base;
}

ota_engine_state_t
ota_engine_tick (ota_engine_t *self, uint64_t now)
{
    if (!self->start_ms)
        self->start_ms = now;
    switch (self->state) {
        case OTA_ENG_BEGIN:
            if (!self->last_ctl_ms || now - self->last_ctl_ms >= self->opts.begin_retry_ms) {
                ota_msg_t m;
                ota_payload_begin (&self->pl, &m);
                s_send_msg (self, &m);
                self->last_ctl_ms = now;
            }
            if (now - self->start_ms > self->opts.give_up_ms)
                s_fail (self, "%s", "the responder does not answer BEGIN");
            break;
        case OTA_ENG_SENDING: {
            if (self->base >= self->pl.total) {
                self->state = OTA_ENG_ENDING;
                self->last_ctl_ms = 0;
                return ota_engine_tick (self, now);
            }
            /* Nothing moved for an RTO: resend the unacked part of the window. */
            uint64_t quiet = now - (self->last_ack_ms > self->last_progress_ms ? self->last_ack_ms
                                                                                : self->last_progress_ms);
            if (quiet >= self->opts.rto_ms) {
                for (uint32_t s = self->base; s < self->next_new && s < self->pl.total; s++)
                    if (!self->acked[s] && self->sent_at[s] && now - self->sent_at[s] >= self->opts.rto_ms)
                        self->sent_at[s] = 0;
                self->last_ack_ms = now;
            }
            /* Retransmissions first (they hold the window back), then new chunks. */
            bool blocked = false;
            for (uint32_t s = self->base; s < self->next_new && s < self->pl.total && !blocked; s++)
                if (!self->acked[s] && !self->sent_at[s])
                    blocked = s_send_chunk (self, s, now) != 0;
            while (!blocked && self->next_new < self->pl.total
                   && self->next_new < self->base + self->opts.window) {
                if (!self->acked[self->next_new] && s_send_chunk (self, self->next_new, now))
                    break;
                self->next_new++;
            }
            if (now - self->last_progress_ms > self->opts.give_up_ms)
                s_fail (self, "%s", "no progress from the responder");
            break;
        }
        case OTA_ENG_ENDING:
            if (!self->last_ctl_ms || now - self->last_ctl_ms >= self->opts.begin_retry_ms) {
                ota_msg_t m = { .op = OTA_OP_END, .session = self->pl.session, .crc32 = self->pl.crc,
                                .chunks = self->pl.total };
                s_send_msg (self, &m);
                self->last_ctl_ms = now;
            }
            if (self->base < self->pl.total)
                self->state = OTA_ENG_SENDING;       /* the responder says something is missing */
            if (now - self->last_progress_ms > self->opts.give_up_ms)
                s_fail (self, "%s", "the responder does not confirm END");
            break;
        default:
            break;
    }
    return self->state;
}

ota_engine_state_t ota_engine_state (ota_engine_t *self) { return self->state; }
const char *ota_engine_error (ota_engine_t *self) { return self->error; }
uint32_t ota_engine_crc (ota_engine_t *self) { return self->pl.crc; }
uint32_t ota_engine_base (ota_engine_t *self) { return self->base; }

void
ota_engine_stats (ota_engine_t *self, uint64_t now, ota_engine_stats_t *out)
{
    self->stats.chunks_total = self->pl.total;
    self->stats.chunks_acked = self->acked_count;
    /* In bytes of the plain image (a compressed push: in proportion). */
    uint64_t bytes = self->pl.stream ? (self->pl.total ? (uint64_t) self->pl.size * self->acked_count / self->pl.total : 0)
                                  : (uint64_t) self->acked_count * OTA_CHUNK_MAX;
    if (bytes > self->pl.size)
        bytes = self->pl.size;
    self->stats.bytes_acked = bytes;
    self->stats.percent = self->pl.size ? 100.0 * (double) bytes / self->pl.size : 100.0;
    double secs = self->first_ack_ms && now > self->first_ack_ms ? (now - self->first_ack_ms) / 1000.0 : 0;
    uint64_t per_chunk = self->pl.stream && self->pl.total ? self->pl.size / self->pl.total : OTA_CHUNK_MAX;
    uint64_t done_here = self->acked_count > self->base_at_start
                             ? (uint64_t) (self->acked_count - self->base_at_start) * per_chunk : 0;
    self->stats.rate_bps = secs > 0 ? (double) done_here / secs : 0;
    self->stats.eta_s = self->stats.rate_bps > 0 ? (double) (self->pl.size - bytes) / self->stats.rate_bps : 0;
    *out = self->stats;
}
