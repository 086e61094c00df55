/* ota_proto - see ota_proto.h. */
#include "ota_proto.h"
#include <string.h>

static void put16 (uint8_t *p, uint16_t v) { p[0] = (uint8_t) v; p[1] = (uint8_t) (v >> 8); }
static void
put32 (uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) v; p[1] = (uint8_t) (v >> 8); p[2] = (uint8_t) (v >> 16); p[3] = (uint8_t) (v >> 24);
}
static uint16_t get16 (const uint8_t *p) { return (uint16_t) (p[0] | (p[1] << 8)); }
static uint32_t
get32 (const uint8_t *p)
{
    return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

const char *
ota_status_name (uint8_t status)
{
    switch (status) {
        case OTA_ST_OK: return "ok";
        case OTA_ST_TOO_BIG: return "image larger than the OTA slot";
        case OTA_ST_BUSY: return "another push is in progress";
        case OTA_ST_BAD_SESSION: return "unknown session";
        case OTA_ST_CRC_MISMATCH: return "CRC mismatch";
        case OTA_ST_FLASH_ERROR: return "flash write failed";
        case OTA_ST_DONE: return "done";
        case OTA_ST_ABORTED: return "aborted";
        case OTA_ST_BAD_REQUEST: return "bad request";
        case OTA_ST_BAD_SIGNATURE: return "signature check failed (not signed with the lab's key)";
        case OTA_ST_UNSIGNED: return "image is not signed";
        case OTA_ST_INVALID_IMAGE: return "image verification failed";
        case OTA_ST_BAD_STREAM: return "compressed stream corrupt";
        default: return "unknown status";
    }
}

size_t
ota_msg_encode (uint8_t *out, size_t cap, const ota_msg_t *m)
{
    size_t n;
    uint8_t tmp[OTA_MSG_MAX + 48];
    tmp[0] = m->op;
    put16 (tmp + 1, m->session);
    switch (m->op) {
        case OTA_OP_BEGIN: {
            size_t vlen = strlen (m->version);
            if (vlen > OTA_VERSION_MAX)
                return 0;
            put32 (tmp + 3, m->size);
            put32 (tmp + 7, m->crc32);
            put16 (tmp + 11, m->chunk);
            tmp[13] = (uint8_t) vlen;
            memcpy (tmp + 14, m->version, vlen);
            n = 14 + vlen;
            if (m->flags) {      /* only defined flags, with their fields */
                if (m->flags != OTA_BEGIN_DEFLATE)
                    return 0;
                tmp[n] = m->flags;
                put32 (tmp + n + 1, m->zchunks);
                put32 (tmp + n + 5, m->zsize);
                tmp[n + 9] = m->block_shift;
                n += OTA_BEGIN_EXT_LEN;
            }
            break;
        }
        case OTA_OP_CHUNK:
            if (!m->data_len || m->data_len > OTA_CHUNK_MAX)
                return 0;
            put32 (tmp + 3, m->seq);
            memcpy (tmp + 7, m->data, m->data_len);
            n = 7u + m->data_len;
            break;
        case OTA_OP_END:
            put32 (tmp + 3, m->crc32);
            put32 (tmp + 7, m->chunks);
            n = 11;
            break;
        case OTA_OP_ACK:
            tmp[3] = m->status;
            put32 (tmp + 4, m->base);
            put32 (tmp + 8, m->bitmap);
            n = 12;
            break;
        case OTA_OP_ABORT:
            tmp[3] = m->reason;
            n = 4;
            break;
        default:
            return 0;
    }
    if (n > cap)
        return 0;
    memcpy (out, tmp, n);
    return n;
}

int
ota_msg_decode (const uint8_t *b, size_t len, ota_msg_t *m)
{
    memset (m, 0, sizeof *m);
    if (len < 3)
        return -1;
    m->op = b[0];
    m->session = get16 (b + 1);
    switch (m->op) {
        case OTA_OP_BEGIN: {
            if (len < 14 || b[13] > OTA_VERSION_MAX
                || (len != 14u + b[13] && len != 14u + b[13] + OTA_BEGIN_EXT_LEN))
                return -1;
            m->size = get32 (b + 3);
            m->crc32 = get32 (b + 7);
            m->chunk = get16 (b + 11);
            memcpy (m->version, b + 14, b[13]);
            m->version[b[13]] = 0;
            for (size_t i = 0; i < b[13]; i++)   /* printable only: it ends up in logs */
                if (m->version[i] < 0x20 || m->version[i] > 0x7e)
                    return -1;
            if (len == 14u + b[13])
                return 0;        /* a plain push */
            const uint8_t *x = b + 14 + b[13];
            m->flags = x[0];
            m->zchunks = get32 (x + 1);
            m->zsize = get32 (x + 5);
            m->block_shift = x[9];
            /* Unknown flags are refused rather than misread. */
            return m->flags == OTA_BEGIN_DEFLATE ? 0 : -1;
        }
        case OTA_OP_CHUNK:
            if (len < 8 || len > 7u + OTA_CHUNK_MAX)
                return -1;
            m->seq = get32 (b + 3);
            m->data = b + 7;
            m->data_len = (uint16_t) (len - 7);
            return 0;
        case OTA_OP_END:
            if (len != 11)
                return -1;
            m->crc32 = get32 (b + 3);
            m->chunks = get32 (b + 7);
            return 0;
        case OTA_OP_ACK:
            if (len != 12)
                return -1;
            m->status = b[3];
            m->base = get32 (b + 4);
            m->bitmap = get32 (b + 8);
            return 0;
        case OTA_OP_ABORT:
            if (len != 4)
                return -1;
            m->reason = b[3];
            return 0;
        default:
            return -1;
    }
}
