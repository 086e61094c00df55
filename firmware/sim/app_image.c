/* app_image - see app_image.h. */
#include "firmware/sim/app_image.h"
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAX_SEGMENTS 16u                /* ESP_IMAGE_MAX_SEGMENTS */
#define CHECKSUM_INIT 0xEFu             /* ESP_ROM_CHECKSUM_INITIAL */
#define HASH_LEN 32u

static uint32_t
s_get32 (const uint8_t *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static void
s_put32 (uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) v;
    p[1] = (uint8_t) (v >> 8);
    p[2] = (uint8_t) (v >> 16);
    p[3] = (uint8_t) (v >> 24);
}

size_t
app_image_init (uint8_t *img, size_t total)
{
    if (total % 16 || total < APP_IMAGE_MIN || total > UINT32_MAX)
        return 0;
    /* One segment of length L - 36 (a multiple of 4), where L = total - 32
     * is the checksummed part: 32 + data + 1 rounds up to exactly L. */
    size_t data_len = total - HASH_LEN - APP_IMAGE_DATA_OFF - 4;
    memset (img, 0, APP_IMAGE_DATA_OFF);
    img[0] = APP_IMAGE_MAGIC;
    img[1] = 1;                         /* segment count */
    img[2] = 2;                         /* SPI mode DIO */
    img[3] = 0x20;                      /* 4 MB, 40 MHz */
    s_put32 (img + 4, 0x400d0000u);     /* entry point */
    img[8] = 0xEE;                      /* WP pin: none */
    img[12] = 0;                        /* chip id: ESP32 */
    img[23] = 1;                        /* hash_appended */
    s_put32 (img + 24, 0x3f400020u);    /* load address (DROM) */
    s_put32 (img + 28, (uint32_t) data_len);
    return data_len;
}

static void
s_sha256 (const uint8_t *data, size_t len, uint8_t out[HASH_LEN])
{
    unsigned int n = HASH_LEN;
    EVP_Digest (data, len, out, &n, EVP_sha256 (), NULL);
}

void
app_image_seal (uint8_t *img, size_t total)
{
    uint32_t data_len = s_get32 (img + 28);
    uint8_t sum = CHECKSUM_INIT;
    for (uint32_t i = 0; i < data_len; i++)
        sum ^= img[APP_IMAGE_DATA_OFF + i];
    size_t body = total - HASH_LEN;
    memset (img + APP_IMAGE_DATA_OFF + data_len, 0, body - APP_IMAGE_DATA_OFF - data_len);
    img[body - 1] = sum;
    s_sha256 (img, body, img + body);
}

int
app_image_verify (const uint8_t *img, size_t avail, uint32_t *len, char *why, size_t whylen)
{
    if (avail < APP_IMAGE_HDR || img[0] != APP_IMAGE_MAGIC) {
        snprintf (why, whylen, "invalid image magic 0x%02x", avail ? img[0] : 0);
        return -1;
    }
    uint32_t segments = img[1];
    if (segments > MAX_SEGMENTS || segments == 0) {
        snprintf (why, whylen, "invalid segment count %u", segments);
        return -1;
    }
    if ((img[12] | img[13] << 8) != 0) {
        snprintf (why, whylen, "image is for another chip (id %u)", img[12] | img[13] << 8);
        return -1;
    }
    size_t off = APP_IMAGE_HDR;
    uint8_t sum = CHECKSUM_INIT;
    for (uint32_t s = 0; s < segments; s++) {
        if (avail - off < 8) {
            snprintf (why, whylen, "segment %u header beyond the partition", s);
            return -1;
        }
        uint32_t data_len = s_get32 (img + off + 4);
        off += 8;
        if (data_len % 4) {
            snprintf (why, whylen, "unaligned segment length 0x%x", data_len);
            return -1;
        }
        if (data_len > avail - off) {
            snprintf (why, whylen, "segment %u (%u bytes) beyond the partition", s, data_len);
            return -1;
        }
        for (uint32_t i = 0; i < data_len; i++)
            sum ^= img[off + i];
        off += data_len;
    }
    size_t length = (off + 1 + 15) & ~(size_t) 15;
    bool hashed = img[23] == 1;
    if (length + (hashed ? HASH_LEN : 0) > avail) {
        snprintf (why, whylen, "image end beyond the partition");
        return -1;
    }
    if (img[length - 1] != sum) {
        snprintf (why, whylen, "checksum failed: calculated 0x%02x, read 0x%02x", sum, img[length - 1]);
        return -1;
    }
    if (hashed) {
        uint8_t h[HASH_LEN];
        s_sha256 (img, length, h);
        if (memcmp (h, img + length, HASH_LEN)) {
            snprintf (why, whylen, "image hash failed: the appended SHA-256 does not match");
            return -1;
        }
        length += HASH_LEN;
    }
    *len = (uint32_t) length;
    return 0;
}
