/* ota_sign - the lab's OTA signing key: making it, loading it, signing an
 * image (firmware/core/ota_sig.h describes the trailer), on libcrypto.
 *
 * Keys live in the lab's key directory (config ota/keys, default var/keys):
 * ota-sign.key (the ECDSA P-256 private key, PEM, mode 0600 — a key file
 * others can read is refused) and ota-sign.pub (its public half, PEM, which
 * boards verify with). The private key is only ever read from that file: it
 * is never passed in argv, on the bus or in a log line. */
#ifndef OTA_SIGN_H
#define OTA_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ota_sig.h"

#define OTA_SIGN_KEY_FILE "ota-sign.key"
#define OTA_SIGN_PUB_FILE "ota-sign.pub"

typedef struct _ota_sign_t ota_sign_t;

/* Creates DIR (0700) and the key pair in it unless it exists. 1 when made,
 * 0 when it was there already, -1 with a message in ERR. */
int ota_sign_keygen (const char *dir, char *err, size_t errlen);
/* Loads DIR/ota-sign.key; NULL with a message in ERR. */
ota_sign_t *ota_sign_load (const char *dir, char *err, size_t errlen);
void ota_sign_destroy (ota_sign_t **self_p);
/* Signs IMAGE[0, LEN) into TRAILER (appended by the caller). */
int ota_sign_trailer (ota_sign_t *self, const uint8_t *image, uint32_t len, uint8_t trailer[OTA_SIG_TRAILER_LEN],
                      char *err, size_t errlen);
/* True when IMAGE ends with a trailer that describes it. */
bool ota_sign_is_signed (const uint8_t *image, uint32_t len);

#endif
