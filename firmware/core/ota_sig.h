/* ota_sig - the lab's signature on an OTA image, and the small interface
 * through which the responder checks it.
 *
 * A signed image is the ESP32 application image followed by an 80-byte
 * trailer: magic "LABSIG01", algorithm (1 = ECDSA P-256 over SHA-256),
 * three zero bytes, the signed length (u32 LE, = image size - 80), and the
 * signature as r || s (32 bytes each, big-endian). The signature covers the
 * SHA-256 of the first `signed length` bytes, i.e. everything but the
 * trailer. esp_image_verify ignores bytes after the application image, so a
 * signed image still passes esp_ota_end.
 *
 * The responder does no cryptography itself: ota_sig_t supplies SHA-256 and
 * the verification against the lab's public key (mbedTLS on the board,
 * firmware/bench/main/bench_sig.c; libcrypto in labsim and the host tests,
 * firmware/sim/sim_sig.c). */
#ifndef OTA_SIG_H
#define OTA_SIG_H

#include <stddef.h>
#include <stdint.h>

#define OTA_SIG_MAGIC "LABSIG01"
#define OTA_SIG_TRAILER_LEN 80u
#define OTA_SIG_ALG_ECDSA_P256_SHA256 1u
#define OTA_SIG_LEN 64u

typedef struct {
    uint8_t alg;
    uint32_t signed_len;
    uint8_t sig[OTA_SIG_LEN];
} ota_sig_trailer_t;

typedef struct {
    void *ctx;
    /* SHA-256, one digest at a time. */
    void (*sha256_start) (void *ctx);
    void (*sha256_update) (void *ctx, const uint8_t *data, size_t len);
    void (*sha256_finish) (void *ctx, uint8_t out[32]);
    /* 0 when SIG (r || s) is the lab key's signature of HASH; -1 otherwise,
     * also when no key is provisioned. */
    int (*verify) (void *ctx, const uint8_t hash[32], const uint8_t sig[OTA_SIG_LEN]);
} ota_sig_t;

/* Writes the trailer into OUT (OTA_SIG_TRAILER_LEN bytes). */
void ota_sig_trailer_encode (uint8_t out[OTA_SIG_TRAILER_LEN], const ota_sig_trailer_t *t);
/* Reads the trailer at the end of an image of IMAGE_SIZE bytes; -1 when
 * there is none or it does not describe this image. */
int ota_sig_trailer_decode (const uint8_t in[OTA_SIG_TRAILER_LEN], uint32_t image_size, ota_sig_trailer_t *t);

#endif
