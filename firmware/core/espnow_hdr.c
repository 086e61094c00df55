/* espnow_hdr - encode and check ESP-NOW payload frames (see espnow_hdr.h). */
#include "espnow_hdr.h"
#include "lab_crc32.h"
#include <string.h>

size_t
espnow_frame_encode (uint8_t *out, size_t cap, uint8_t type, uint32_t seq,
                     const void *payload, size_t len)
{
    size_t total = ESPNOW_HDR_SIZE + len;
    if (total > cap || total > ESPNOW_MAX_FRAME)
        return 0;
    espnow_hdr_t h = { .magic = ESPNOW_MAGIC, .version = ESPNOW_VERSION, .type = type,
                       .seq = seq, .len = (uint16_t) len, .flags = 0, .crc32 = 0 };
    memcpy (out, &h, ESPNOW_HDR_SIZE);
    if (len)
        memcpy (out + ESPNOW_HDR_SIZE, payload, len);
    h.crc32 = lab_crc32 (0, out, total);
    memcpy (out, &h, ESPNOW_HDR_SIZE);
    return total;
}

int
espnow_frame_decode (const uint8_t *buf, size_t len, espnow_hdr_t *hdr, const uint8_t **payload)
{
    if (len < ESPNOW_HDR_SIZE)
        return ESPNOW_E_SHORT;
    espnow_hdr_t h;
    memcpy (&h, buf, ESPNOW_HDR_SIZE);
    if (h.magic != ESPNOW_MAGIC)
        return ESPNOW_E_MAGIC;
    if (h.version != ESPNOW_VERSION)
        return ESPNOW_E_VERSION;
    if ((size_t) h.len + ESPNOW_HDR_SIZE != len)
        return ESPNOW_E_LENGTH;
    uint32_t want = h.crc32;
    espnow_hdr_t zeroed = h;
    zeroed.crc32 = 0;
    uint32_t crc = lab_crc32 (0, &zeroed, ESPNOW_HDR_SIZE);
    crc = lab_crc32 (crc, buf + ESPNOW_HDR_SIZE, h.len);
    if (crc != want)
        return ESPNOW_E_CRC;
    *hdr = h;
    *payload = buf + ESPNOW_HDR_SIZE;
    return 0;
}
