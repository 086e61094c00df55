/* link_frame - binary frames sharing the board's UART with log text.
 *
 * One definition for the host (serial-bridge, labsim, tests) and the board
 * firmware. The UART carries ESP-IDF log text and frames at once; a frame on
 * the wire is
 *
 *     0x00 0xB5  COBS( type | seq:le16 | len:le16 | payload[len] | crc32:le32 )  0x00
 *
 * COBS removes every 0x00 from the body, so 0x00 only ever delimits. A frame
 * starts with the two-byte marker 0x00 0xB5 and ends at the next 0x00; the
 * CRC-32 (lab_crc32) covers type..payload. Text bytes pass through untouched;
 * text would have to contain 0x00 0xB5, then a COBS body whose decoded length
 * field matches and whose CRC-32 matches, to be taken for a frame. A frame
 * costs LINK_OVERHEAD (13) bytes plus one COBS byte per 254 body bytes.
 *
 * The reader resynchronises: a cut frame, garbage or a bad CRC is reported
 * once (with the raw bytes, so the host can hex-dump them) and the reader
 * starts over at the next 0x00, which is where the next frame begins. Full
 * spec: docs/serial-protocol.md. No heap, no OS calls. */
#ifndef LINK_FRAME_H
#define LINK_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define LINK_DELIM          0x00u
#define LINK_MARK           0xB5u
#define LINK_HDR_SIZE       5u      /* type, seq, len */
#define LINK_CRC_SIZE       4u
#define LINK_MAX_PAYLOAD    512u    /* ESP-NOW rx of 250 + MAC + RSSI fits easily */
#define LINK_MAX_BODY       (LINK_HDR_SIZE + LINK_MAX_PAYLOAD + LINK_CRC_SIZE)
/* COBS adds one byte per 254 plus one. */
#define LINK_MAX_COBS       (LINK_MAX_BODY + LINK_MAX_BODY / 254u + 1u)
/* Largest frame on the wire: marker pair, COBS body, closing 0x00. */
#define LINK_MAX_WIRE       (2u + LINK_MAX_COBS + 1u)
/* Bytes a frame adds to its payload (when the body is under 254 bytes). */
#define LINK_OVERHEAD       (3u + 1u + LINK_HDR_SIZE + LINK_CRC_SIZE)

#define LINK_MAC_LEN        6u

/* Frame types. Direction: H = host to board, B = board to host.
 * Multi-byte fields are little-endian; layouts are in docs/serial-protocol.md
 * and encoded by the link_msg_* helpers below. */
typedef enum {
    LINK_T_ESPNOW_SEND = 0x01,  /* H: mac[6] air[]: send these bytes to MAC */
    LINK_T_ESPNOW_RX = 0x02,    /* B: mac[6] rssi:i8 channel:u8 air[] */
    LINK_T_SEND_STATUS = 0x03,  /* B: ref_seq:u16 status:u8 (link_send_status_t) */
    LINK_T_PP_START = 0x10,     /* H: peer mac[6] run:u32 count:u32 interval_us:u32 size:u16 */
    LINK_T_PP_STOP = 0x11,      /* H: run:u32 */
    LINK_T_PP_RESULT = 0x12,    /* B: run:u32 seq:u32 rtt_us:u32 (0xFFFFFFFF = lost) */
    LINK_T_PP_DONE = 0x13,      /* B: run:u32 sent:u32 received:u32 */
    LINK_T_OTA = 0x20,          /* both: OTA relay; body owned by the OTA module */
    LINK_T_BOOT = 0x30,         /* B: mac[6] channel:u8 then 3 strings (u8 len + bytes):
                                 * version, partition, reset reason */
    LINK_T_HEARTBEAT = 0x31,    /* B: uptime_ms:u32 radio_tx:u32 radio_rx:u32 link_err:u32 */
    LINK_T_QUERY = 0x32,        /* H: (empty) asks for a boot report now */
    LINK_T_REBOOT = 0x33,       /* H: (empty) reboot the board */
    LINK_T_BEACON_CFG = 0x34,   /* H: interval_ms:u32 (0 = off) broadcast beacons */
    LINK_T_APP = 0x40,          /* both: free for applications */
} link_type_t;

typedef enum {
    LINK_SEND_OK = 0,
    LINK_SEND_FAIL = 1,         /* the radio refused or got no ACK */
    LINK_SEND_TOO_LONG = 2,
    LINK_SEND_BAD_FRAME = 3,
} link_send_status_t;

/* Encodes one frame into OUT (capacity CAP). Returns the wire length, or 0
 * when the payload is over LINK_MAX_PAYLOAD or does not fit in CAP. */
size_t link_frame_encode (uint8_t *out, size_t cap, uint8_t type, uint16_t seq,
                          const void *payload, size_t len);

/* --- resynchronising reader ------------------------------------------ */

typedef enum {
    LINK_ERR_CRC = 1,       /* body decoded but CRC-32 does not match */
    LINK_ERR_LENGTH = 2,    /* length field disagrees with the body */
    LINK_ERR_COBS = 3,      /* malformed COBS (cut frame, garbage) */
    LINK_ERR_OVERFLOW = 4,  /* no closing 0x00 within LINK_MAX_COBS bytes */
} link_err_t;

typedef struct {
    /* A frame with a good CRC. PAYLOAD points into the reader. */
    void (*on_frame) (void *ctx, uint8_t type, uint16_t seq, const uint8_t *payload, size_t len);
    /* Text bytes (anything that is not a frame), in arrival order. */
    void (*on_text) (void *ctx, const uint8_t *text, size_t len);
    /* A damaged frame: RAW is what arrived between the marker and the delimiter. */
    void (*on_error) (void *ctx, link_err_t err, const uint8_t *raw, size_t len);
    void *ctx;
} link_reader_cb_t;

typedef struct {
    link_reader_cb_t cb;
    uint8_t state;
    size_t n;                         /* bytes in raw[] */
    uint8_t raw[LINK_MAX_COBS];       /* COBS body as it arrived */
    uint8_t body[LINK_MAX_BODY];      /* decoded */
    uint32_t frames;
    uint32_t errors;
} link_reader_t;

void link_reader_init (link_reader_t *self, const link_reader_cb_t *cb);
/* Feeds LEN bytes; calls the callbacks as frames and text complete. Text is
 * passed on in runs (never held back except a single 0x00 that may start a
 * frame). */
void link_reader_feed (link_reader_t *self, const uint8_t *data, size_t len);

/* --- little helpers for payload layouts ------------------------------ */
static inline void link_put16 (uint8_t *p, uint16_t v) { p[0] = (uint8_t) v; p[1] = (uint8_t) (v >> 8); }
static inline void link_put32 (uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) v; p[1] = (uint8_t) (v >> 8); p[2] = (uint8_t) (v >> 16); p[3] = (uint8_t) (v >> 24);
}
static inline uint16_t link_get16 (const uint8_t *p) { return (uint16_t) (p[0] | (p[1] << 8)); }
static inline uint32_t link_get32 (const uint8_t *p)
{
    return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

/* "24:6f:28:00:00:a1" <-> bytes. parse returns 0 or -1; format writes 18 bytes. */
int link_mac_parse (const char *text, uint8_t mac[LINK_MAC_LEN]);
void link_mac_format (const uint8_t mac[LINK_MAC_LEN], char out[18]);

/* Boot report payload (LINK_T_BOOT). Strings are at most 32 bytes each. */
#define LINK_BOOT_STR_MAX 32u
typedef struct {
    uint8_t mac[LINK_MAC_LEN];
    uint8_t channel;
    char version[LINK_BOOT_STR_MAX + 1];
    char partition[LINK_BOOT_STR_MAX + 1];
    char reset_reason[LINK_BOOT_STR_MAX + 1];
} link_boot_t;

/* Returns payload length written into OUT (cap >= 6+1+3*(1+32)). */
size_t link_boot_encode (uint8_t *out, size_t cap, const link_boot_t *boot);
/* 0, or -1 when the payload is malformed. */
int link_boot_decode (const uint8_t *p, size_t len, link_boot_t *boot);

#endif
