/* ota_proto - OTA over ESP-NOW: the messages (docs/ota-protocol.md).
 *
 * Every message is the payload of one ESP-NOW frame of type ESPNOW_T_OTA
 * (espnow_hdr.h adds magic, version, length and CRC), little-endian:
 *
 *   BEGIN  op=1 session:u16 size:u32 crc32:u32 chunk:u16 vlen:u8 version[vlen]
 *          [flags:u8 chunks:u32 zsize:u32 block_shift:u8]   (compressed push)
 *   CHUNK  op=2 session:u16 seq:u32 data[1..OTA_CHUNK_MAX]
 *   END    op=3 session:u16 crc32:u32 chunks:u32
 *   ACK    op=4 session:u16 status:u8 base:u32 bitmap:u32
 *   ABORT  op=5 session:u16 reason:u8
 *
 * ACK says: every chunk below BASE is written; bit i of BITMAP says chunk
 * BASE + 1 + i has arrived (held in the responder's window). The initiator
 * resends only what is missing. No allocation anywhere.
 *
 * A compressed push (flags bit 0, OTA_BEGIN_DEFLATE) appends the optional
 * BEGIN fields: CHUNKs then carry the image deflated in independent blocks
 * of 2^block_shift plain bytes (ota_inflate.h), ZSIZE bytes in CHUNKS chunks
 * of at most CHUNK bytes; every block starts a new chunk (the last chunk of
 * a block may be short), so a block boundary is always a chunk boundary.
 * SIZE and CRC32 stay those of the plain image. A BEGIN without the
 * optional fields is a plain push, as before. */
#ifndef OTA_PROTO_H
#define OTA_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "espnow_hdr.h"

#define OTA_CHUNK_MAX 200u       /* chunk + 7-byte CHUNK header + 16-byte ESP-NOW header <= 250 */
#define OTA_VERSION_MAX 31u
#define OTA_WINDOW 32u           /* chunks the responder holds out of order */
#define OTA_MSG_MAX (7u + OTA_CHUNK_MAX)
#define OTA_BEGIN_DEFLATE 0x01u  /* BEGIN flags: CHUNKs carry the deflated image */
#define OTA_BEGIN_EXT_LEN 10u    /* the optional BEGIN fields: flags, chunks, zsize, block_shift */
#define OTA_BLOCK_SHIFT_MIN 12u  /* compressed blocks: 4 KB (a flash sector) .. */
#define OTA_BLOCK_SHIFT_MAX 20u  /* .. 1 MB of plain image */

typedef enum {
    OTA_OP_BEGIN = 1,
    OTA_OP_CHUNK = 2,
    OTA_OP_END = 3,
    OTA_OP_ACK = 4,
    OTA_OP_ABORT = 5,
} ota_op_t;

typedef enum {
    OTA_ST_OK = 0,
    OTA_ST_TOO_BIG = 1,          /* BEGIN refused: image larger than the slot (nothing erased) */
    OTA_ST_BUSY = 2,             /* another session is in progress */
    OTA_ST_BAD_SESSION = 3,      /* CHUNK/END for a session the responder does not have */
    OTA_ST_CRC_MISMATCH = 4,     /* END: the written image does not match; old firmware kept */
    OTA_ST_FLASH_ERROR = 5,
    OTA_ST_DONE = 6,             /* END verified, boot slot switched, rebooting */
    OTA_ST_ABORTED = 7,
    OTA_ST_BAD_REQUEST = 8,      /* malformed BEGIN (chunk size, version) */
    OTA_ST_BAD_SIGNATURE = 9,    /* END: signature does not verify with the lab's key; old firmware kept */
    OTA_ST_UNSIGNED = 10,        /* END: the image carries no signature trailer; old firmware kept */
    OTA_ST_INVALID_IMAGE = 11,   /* END: esp_ota_end refused the image (checksum, hash); old firmware kept */
    OTA_ST_BAD_STREAM = 12,      /* compressed push: the stream does not inflate (header, data, Adler-32,
                                    block length); push abandoned, old firmware kept */
} ota_status_t;

const char *ota_status_name (uint8_t status);

typedef struct {
    uint8_t op;
    uint16_t session;
    /* BEGIN */
    uint32_t size;
    uint32_t crc32;
    uint16_t chunk;
    char version[OTA_VERSION_MAX + 1];
    uint8_t flags;               /* OTA_BEGIN_DEFLATE: the optional fields below are sent */
    uint32_t zchunks;            /* compressed: chunks in the stream */
    uint32_t zsize;              /* compressed: bytes in the stream */
    uint8_t block_shift;         /* compressed: plain bytes per block = 1 << block_shift */
    /* CHUNK */
    uint32_t seq;
    const uint8_t *data;         /* points into the decoded buffer */
    uint16_t data_len;
    /* END: crc32 above, chunks */
    uint32_t chunks;
    /* ACK */
    uint8_t status;
    uint32_t base;
    uint32_t bitmap;
    /* ABORT */
    uint8_t reason;
} ota_msg_t;

/* Encodes MSG into OUT (capacity CAP); returns the length, 0 when it does
 * not fit or the message is invalid (unknown op, chunk too long). */
size_t ota_msg_encode (uint8_t *out, size_t cap, const ota_msg_t *msg);
/* Decodes BUF; returns 0, or -1 when malformed (short, unknown op, lengths). */
int ota_msg_decode (const uint8_t *buf, size_t len, ota_msg_t *msg);

/* Number of chunks of an image of SIZE bytes. */
static inline uint32_t
ota_chunks (uint32_t size, uint16_t chunk)
{
    return chunk ? (size + chunk - 1u) / chunk : 0;
}

#endif
