/* ota_multi - one push to several responders at once: the initiator's side
 * of a broadcast push, independent of the transport (ota_engine.h is the
 * one-responder case).
 *
 * BEGIN and END go to each responder by unicast (a board that is not a
 * target never starts the push). CHUNKs go out once to the broadcast
 * address; each responder answers with its own ACK (base + bitmap, unicast
 * to the initiator), and the coordinator keeps each responder's view apart.
 * A chunk that a responder misses is sent again: by broadcast while two or
 * more responders still lack it (the union of their gaps), by unicast when
 * only one does (a straggler, typically at the end, or a responder that
 * rebooted and resumed behind the others). The window runs from the lowest
 * base of the responders still receiving, so none is pushed past the 32
 * chunks it can hold out of order.
 *
 * Each responder has its own state, error and progress: a BUSY, a bad
 * signature, a CRC error or silence fails that responder alone; the push
 * goes on for the others. */
#ifndef OTA_MULTI_H
#define OTA_MULTI_H

#include "services/ota-initiator/ota_engine.h"

#define OTA_MULTI_MAX 8          /* responders of one push */

typedef enum {
    OTA_TGT_BEGIN,               /* waiting for its answer to BEGIN */
    OTA_TGT_SENDING,
    OTA_TGT_ENDING,              /* has everything; END sent */
    OTA_TGT_DONE,                /* verified, signature checked, slot switched */
    OTA_TGT_FAILED,
} ota_tgt_state_t;

/* Sends one encoded OTA message to DST (a responder's MAC, or
 * ff:ff:ff:ff:ff:ff); 0, or -1 when the transport is down. */
typedef int (ota_multi_send_fn) (void *ctx, const uint8_t dst[6], const uint8_t *msg, size_t len);

typedef struct {
    uint32_t sent, broadcasts, unicasts, retransmissions, acks;
} ota_multi_stats_t;

typedef struct _ota_multi_t ota_multi_t;

/* IMAGE is copied. OPTS as for ota_engine (window, timeouts, pacing). */
ota_multi_t *ota_multi_new (const uint8_t *image, uint32_t size, uint16_t session, const char *version,
                            const ota_engine_opts_t *opts, ota_multi_send_fn *send, void *ctx);
void ota_multi_destroy (ota_multi_t **self_p);
/* Makes it a compressed push, exactly as ota_engine_set_stream: the chunks
 * carry STREAM (copied; chunk I = STREAM[STARTS[I] .. STARTS[I + 1])), BEGIN
 * announces it, size, CRC and progress stay the plain image's. Before the
 * first tick; 0, or -1 on bad arguments (the push stays plain). */
int ota_multi_set_stream (ota_multi_t *self, const uint8_t *stream, uint32_t len, const uint32_t *starts,
                          uint32_t nchunks, uint8_t block_shift);
/* Adds a responder before the first tick; its index, or -1 (full, twice,
 * broadcast address, or already started). */
int ota_multi_add (ota_multi_t *self, const uint8_t mac[6]);
int ota_multi_count (ota_multi_t *self);

/* An OTA message from SRC (the responder's MAC). */
void ota_multi_on_msg (ota_multi_t *self, const uint8_t src[6], const uint8_t *buf, size_t len,
                       uint64_t now_ms);
/* Sends what is due; returns how many responders are still in progress. */
int ota_multi_tick (ota_multi_t *self, uint64_t now_ms);

ota_tgt_state_t ota_multi_state (ota_multi_t *self, int i);
const char *ota_multi_error (ota_multi_t *self, int i);
/* Responder I's progress (percent, bytes acked, rate, ETA, its ACKs). */
void ota_multi_target_stats (ota_multi_t *self, int i, uint64_t now_ms, ota_engine_stats_t *out);
void ota_multi_stats (ota_multi_t *self, ota_multi_stats_t *out);
uint32_t ota_multi_crc (ota_multi_t *self);

#endif
