/* ota_sig - see ota_sig.h. */
#include "ota_sig.h"
#include <string.h>

void
ota_sig_trailer_encode (uint8_t out[OTA_SIG_TRAILER_LEN], const ota_sig_trailer_t *t)
{
    memset (out, 0, OTA_SIG_TRAILER_LEN);
    memcpy (out, OTA_SIG_MAGIC, 8);
    out[8] = t->alg;
    out[12] = (uint8_t) t->signed_len;
    out[13] = (uint8_t) (t->signed_len >> 8);
    out[14] = (uint8_t) (t->signed_len >> 16);
    out[15] = (uint8_t) (t->signed_len >> 24);
    memcpy (out + 16, t->sig, OTA_SIG_LEN);
}

int
ota_sig_trailer_decode (const uint8_t in[OTA_SIG_TRAILER_LEN], uint32_t image_size, ota_sig_trailer_t *t)
{
    if (image_size <= OTA_SIG_TRAILER_LEN || memcmp (in, OTA_SIG_MAGIC, 8) || in[9] || in[10] || in[11])
        return -1;
    t->alg = in[8];
    t->signed_len = (uint32_t) in[12] | (uint32_t) in[13] << 8 | (uint32_t) in[14] << 16 | (uint32_t) in[15] << 24;
    memcpy (t->sig, in + 16, OTA_SIG_LEN);
    if (t->alg != OTA_SIG_ALG_ECDSA_P256_SHA256 || t->signed_len != image_size - OTA_SIG_TRAILER_LEN)
        return -1;
    return 0;
}
