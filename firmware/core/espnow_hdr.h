/* espnow_hdr - the one header every board-to-board ESP-NOW payload starts with.
 *
 * One packed definition shared by every sender and receiver (host tests,
 * labsim and the ESP-IDF firmware), so the old bug of two separately defined,
 * differently padded structs cannot come back. Multi-byte fields are
 * little-endian on the air; ESP32 and x86 are both little-endian, and
 * espnow_hdr_encode/decode go through memcpy so alignment never matters.
 *
 * The CRC-32 covers the header (with crc32 = 0) followed by the payload. */
#ifndef ESPNOW_HDR_H
#define ESPNOW_HDR_H

#include <stddef.h>
#include <stdint.h>

#define ESPNOW_MAGIC        0x4C42u   /* "BL" on the air: bytes 0x42 0x4C */
#define ESPNOW_VERSION      1u
#define ESPNOW_MAX_FRAME    250u      /* ESP-NOW v1 payload limit */

typedef struct __attribute__ ((packed)) {
    uint16_t magic;     /* ESPNOW_MAGIC */
    uint8_t version;    /* ESPNOW_VERSION */
    uint8_t type;       /* espnow_type_t */
    uint32_t seq;       /* per-sender sequence */
    uint16_t len;       /* payload bytes after the header */
    uint16_t flags;     /* reserved, 0 */
    uint32_t crc32;     /* over header (crc32 = 0) + payload */
} espnow_hdr_t;

#define ESPNOW_HDR_SIZE     16u
#define ESPNOW_MAX_PAYLOAD  (ESPNOW_MAX_FRAME - ESPNOW_HDR_SIZE)   /* 234 */

_Static_assert (sizeof (espnow_hdr_t) == ESPNOW_HDR_SIZE, "espnow_hdr_t must be 16 bytes");

typedef enum {
    ESPNOW_T_PING = 1,        /* ping-pong request: payload = ping body */
    ESPNOW_T_PONG = 2,        /* ping-pong answer: echoes the ping body */
    ESPNOW_T_BEACON = 3,      /* periodic broadcast, used for RSSI */
    ESPNOW_T_APP = 4,         /* opaque application data from the host */
    ESPNOW_T_OTA = 5,         /* OTA message (ota_proto.h) */
} espnow_type_t;

/* Writes header + payload into OUT (capacity CAP); returns total bytes, or 0
 * when it does not fit in CAP or in one ESP-NOW frame. */
size_t espnow_frame_encode (uint8_t *out, size_t cap, uint8_t type, uint32_t seq,
                            const void *payload, size_t len);

/* Checks magic, version, length and CRC of the frame in BUF (LEN bytes).
 * On success fills *hdr, points *payload into BUF, and returns 0; otherwise a
 * negative espnow_err_t. */
typedef enum {
    ESPNOW_E_SHORT = -1, ESPNOW_E_MAGIC = -2, ESPNOW_E_VERSION = -3,
    ESPNOW_E_LENGTH = -4, ESPNOW_E_CRC = -5,
} espnow_err_t;
int espnow_frame_decode (const uint8_t *buf, size_t len, espnow_hdr_t *hdr,
                         const uint8_t **payload);

#endif
