/* ota_payload - what a push sends, the same for the single-board engine
 * (ota_engine.h) and the multi-board coordinator (ota_multi.h): the plain
 * image with its size and CRC-32 (what BEGIN and END carry, what the
 * responder writes and checks), the session and version, and the chunks,
 * cut from the image or, for a compressed push, from the deflated stream at
 * the chunk starts ota_deflate gave (every block starts a chunk). */
#ifndef OTA_PAYLOAD_H
#define OTA_PAYLOAD_H

#include <stdint.h>
#include "ota_proto.h"

typedef struct {
    uint8_t *image;
    uint32_t size, crc;
    uint32_t total;            /* chunks the push sends */
    uint16_t session;
    char version[OTA_VERSION_MAX + 1];
    uint8_t *stream;           /* compressed push: what the chunks carry (NULL: the image) */
    uint32_t stream_len, *starts;   /* chunk i = stream[starts[i] .. starts[i + 1]) */
    uint8_t block_shift;
} ota_payload_t;

/* IMAGE (SIZE bytes) is copied; the chunks are the image's until a stream
 * is set. */
void ota_payload_init (ota_payload_t *self, const uint8_t *image, uint32_t size, uint16_t session,
                       const char *version);
void ota_payload_free (ota_payload_t *self);

/* The chunks become STREAM (LEN bytes, copied) cut at STARTS[0..NCHUNKS]
 * (STARTS[0] = 0, STARTS[NCHUNKS] = LEN, each chunk 1..OTA_CHUNK_MAX bytes),
 * blocks of 2^BLOCK_SHIFT plain bytes. -1 (nothing changed) when the cut
 * is not valid or a stream is already set. */
int ota_payload_set_stream (ota_payload_t *self, const uint8_t *stream, uint32_t len, const uint32_t *starts,
                            uint32_t nchunks, uint8_t block_shift);

/* A BEGIN for this payload (plain, or with the compressed stream's fields). */
void ota_payload_begin (const ota_payload_t *self, ota_msg_t *m);
/* A CHUNK for chunk SEQ (< total): op, session, seq and the data. */
void ota_payload_chunk (const ota_payload_t *self, uint32_t seq, ota_msg_t *m);

#endif
