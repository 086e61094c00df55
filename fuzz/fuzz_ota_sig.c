/* fuzz_ota_sig - untrusted bytes where the board reads them back from flash
 * at END: the signature trailer (ota_sig_trailer_decode, re-encoded and
 * compared) and the application image as esp_ota_end verifies it
 * (app_image_verify), never reading past what it was given. */
#include "ota_sig.h"
#include "firmware/sim/app_image.h"
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size >= OTA_SIG_TRAILER_LEN) {
        ota_sig_trailer_t t;
        uint32_t image_size = (uint32_t) size;
        if (ota_sig_trailer_decode (data + size - OTA_SIG_TRAILER_LEN, image_size, &t) == 0) {
            uint8_t again[OTA_SIG_TRAILER_LEN];
            ota_sig_trailer_encode (again, &t);
            if (memcmp (again, data + size - OTA_SIG_TRAILER_LEN, OTA_SIG_TRAILER_LEN))
                abort ();
            if (t.signed_len != image_size - OTA_SIG_TRAILER_LEN)
                abort ();
        }
    }
    /* A copy of exactly SIZE bytes, so ASan sees any read beyond it. */
    uint8_t *copy = (uint8_t *) malloc (size ? size : 1);
    memcpy (copy, data, size);
    uint32_t len = 0;
    char why[96];
    if (app_image_verify (copy, size, &len, why, sizeof why) == 0 && len > size)
        abort ();
    free (copy);
    return 0;
}
