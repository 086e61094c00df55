/* ota_engine - the initiator's side of the OTA protocol, independent of the
 * transport: a window of chunks in flight, selective retransmission from the
 * responder's ACK bitmaps, timeouts, END and the final status. The caller
 * feeds it ACKs and time, and gives it a send function. */
#ifndef OTA_ENGINE_H
#define OTA_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ota_proto.h"
#include "services/ota-initiator/ota_payload.h"

typedef enum {
    OTA_ENG_BEGIN,       /* waiting for BEGIN's ACK */
    OTA_ENG_SENDING,
    OTA_ENG_ENDING,      /* everything acked; END sent */
    OTA_ENG_DONE,        /* responder verified the CRC and switched slots */
    OTA_ENG_FAILED,
} ota_engine_state_t;

/* Sends one encoded OTA message; 0, or -1 when the transport is down (the
 * engine tries again later). */
typedef int (ota_send_fn) (void *ctx, const uint8_t *msg, size_t len);

typedef struct {
    uint32_t window;         /* chunks in flight beyond the acked base (default OTA_WINDOW) */
    uint32_t rto_ms;         /* no ACK progress this long: resend what is unacked (300) */
    uint32_t begin_retry_ms; /* BEGIN and END are repeated this often until answered (500) */
    uint32_t give_up_ms;     /* no answer at all this long: failed (30000) */
    /* Pacing: the serial link to the initiator board is the bottleneck and a
     * FIFO. Sending at its rate keeps the queue short, so a retransmission
     * does not wait behind a window's worth of chunks. 0: unpaced. */
    uint32_t link_bytes_per_s;
    uint32_t burst_bytes;    /* how far ahead of the pace we may get (default 4 chunks) */
} ota_engine_opts_t;

/* Bytes a chunk costs on the serial link to the initiator board (link frame,
 * MAC, ESP-NOW header, CHUNK header, data). */
#define OTA_LINK_COST(data_len) ((data_len) + 7u + 16u + 6u + 13u + 2u)

typedef struct {
    uint32_t chunks_total, chunks_acked, sent, retransmissions, acks;
    uint64_t bytes_acked;
    double rate_bps, eta_s, percent;
} ota_engine_stats_t;

/* Pacing over the initiator board's serial link: a token bucket filled at
 * opts.link_bytes_per_s, holding at most opts.burst_bytes. Zeroed = full
 * at the first use. */
typedef struct {
    double credit;           /* bytes that may be sent now */
    uint64_t credit_ms;      /* last refill; 0 = never used */
} ota_pace_t;

/* True (and COST taken from the bucket) when COST bytes may go now. */
bool ota_pace_take (ota_pace_t *pace, const ota_engine_opts_t *opts, uint32_t cost, uint64_t now_ms);

/* OUT = IN (NULL: the defaults) with unset or out-of-range fields given
 * their defaults (window, burst). */
void ota_engine_opts_resolve (ota_engine_opts_t *out, const ota_engine_opts_t *in);

typedef struct _ota_engine_t ota_engine_t;

/* IMAGE (SIZE bytes) is copied. START_BASE: chunks the caller knows are
 * already written (a resumed job); the responder's ACK has the last word. */
ota_engine_t *ota_engine_new (const uint8_t *image, uint32_t size, uint16_t session,
                              const char *version, const ota_engine_opts_t *opts,
                              ota_send_fn *send, void *ctx);
void ota_engine_destroy (ota_engine_t **self_p);
/* Makes it a compressed push: the chunks carry STREAM (LEN bytes, copied)
 * instead of the image, chunk I being STREAM[STARTS[I] .. STARTS[I + 1])
 * (NCHUNKS + 1 offsets, each chunk 1..OTA_CHUNK_MAX bytes, so a deflate
 * block can end a chunk early); BEGIN announces it (OTA_BEGIN_DEFLATE,
 * blocks of 1 << BLOCK_SHIFT plain bytes). Size, CRC and progress stay
 * those of the plain image given to ota_engine_new. Call before the first
 * tick; 0, or -1 on bad arguments (the push stays plain). */
int ota_engine_set_stream (ota_engine_t *self, const uint8_t *stream, uint32_t len, const uint32_t *starts,
                           uint32_t nchunks, uint8_t block_shift);

void ota_engine_on_msg (ota_engine_t *self, const uint8_t *buf, size_t len, uint64_t now_ms);
/* Sends what is due; returns the state. */
ota_engine_state_t ota_engine_tick (ota_engine_t *self, uint64_t now_ms);

ota_engine_state_t ota_engine_state (ota_engine_t *self);
const char *ota_engine_error (ota_engine_t *self);
void ota_engine_stats (ota_engine_t *self, uint64_t now_ms, ota_engine_stats_t *out);
uint32_t ota_engine_crc (ota_engine_t *self);
uint32_t ota_engine_base (ota_engine_t *self);

#endif
