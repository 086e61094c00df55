/* labsim mkimage - writes a well-formed ESP32 application image for tests and
 * the demo (firmware/sim/app_image.h): the 24-byte image header (magic 0xE9,
 * hash appended), one segment whose data starts with an esp_app_desc_t
 * (magic 0xABCD5432, version, project name, IDF version), the OTA responder
 * marker (docs/ota-protocol.md) unless --no-responder, deterministic content
 * that compresses like a real application (labsim_appfill.h; random bytes
 * with --incompressible), then the checksum and SHA-256 esp_ota_end checks. --size is rounded up to
 * a multiple of 16 (the image format's block). */
#include "services/labsim/labsim.h"
#include "firmware/sim/app_image.h"
#include "ota_image_marker.h"
#include "services/labsim/labsim_board.h"
#include "services/labsim/labsim_appfill.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
put32 (uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) v; p[1] = (uint8_t) (v >> 8); p[2] = (uint8_t) (v >> 16); p[3] = (uint8_t) (v >> 24);
}

/* "742K", "1M", "100" -> bytes; 0 when malformed. */
static long
s_size (const char *s)
{
    char *end;
    double v = strtod (s, &end);
    if (end == s || v <= 0)
        return 0;
    if (*end == 'K' || *end == 'k')
        v *= 1024, end++;
    else if (*end == 'M' || *end == 'm')
        v *= 1024 * 1024, end++;
    return *end ? 0 : ((long) v + 15) & ~15L;
}

int
labsim_mkimage_main (int argc, char **argv)
{
    const char *out = NULL, *version = NULL, *project = "labbench";
    long size = 0;
    int responder = 1, crash = 0, incompressible = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv[i], "--size") && i + 1 < argc)
            size = s_size (argv[++i]);
        else if (!strcmp (argv[i], "--version") && i + 1 < argc)
            version = argv[++i];
        else if (!strcmp (argv[i], "--project") && i + 1 < argc)
            project = argv[++i];
        else if (!strcmp (argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp (argv[i], "--no-responder"))
            responder = 0;
        else if (!strcmp (argv[i], "--crash"))
            crash = 1;
        else if (!strcmp (argv[i], "--incompressible"))
            incompressible = 1;
        else {
            fprintf (stderr,
                     "usage: labsim mkimage --size SIZE --version V -o FILE [--project NAME] [--no-responder] [--crash]\n"
                     "                     [--incompressible]\n"
                     "  SIZE like 742K or 1M; the image carries the OTA responder marker unless\n"
                     "  --no-responder (such an image is refused by ota-initiator without force).\n"
                     "  --crash: a simulated board flashed with it panics shortly after every boot.\n"
                     "  The content compresses like an ESP-IDF application (docs/ota-protocol.md);\n"
                     "  --incompressible: random bytes instead, which no compressor shrinks.\n");
            return strcmp (argv[i], "--help") ? 2 : 0;
        }
    }
    size_t minimum = (APP_IMAGE_MIN + 256 + sizeof (OTA_RESPONDER_MARKER) + sizeof (LABSIM_CRASH_MARKER) + 15)
                     & ~(size_t) 15;
    if (!out || !version || !size || strlen (version) > 31 || strlen (project) > 31) {
        fprintf (stderr, "labsim mkimage: need --size, --version (at most 31 chars) and -o\n");
        return 2;
    }
    if ((size_t) size < minimum) {
        fprintf (stderr, "labsim mkimage: the smallest well-formed image is %zu bytes\n", minimum);
        return 2;
    }
    uint8_t *img = (uint8_t *) calloc (1, (size_t) size);
    size_t data_len = app_image_init (img, (size_t) size);
    /* esp_app_desc_t */
    uint8_t *d = img + APP_IMAGE_DATA_OFF;
    put32 (d, 0xABCD5432u);
    memcpy (d + 16, version, strlen (version));
    memcpy (d + 48, project, strlen (project));
    memcpy (d + 80, "00:00:00", 8);
    memcpy (d + 96, "Nov 24 2026", 11);
    memcpy (d + 112, "v6.0-labsim", 11);
    size_t off = 32 + 256;
    if (responder) {
        memcpy (img + off, OTA_RESPONDER_MARKER, sizeof OTA_RESPONDER_MARKER);
        off += sizeof OTA_RESPONDER_MARKER;
    }
    if (crash) {
        memcpy (img + off, LABSIM_CRASH_MARKER, sizeof LABSIM_CRASH_MARKER);
        off += sizeof LABSIM_CRASH_MARKER;
    }
    uint32_t seed = 0x12345678u ^ (uint32_t) size;
    size_t fill = APP_IMAGE_DATA_OFF + data_len - off;
    if (incompressible)
        labsim_appfill_random (img + off, fill, seed);
    else
        labsim_appfill (img + off, fill, seed);
    app_image_seal (img, (size_t) size);
    FILE *f = fopen (out, "wb");
    if (!f || fwrite (img, 1, (size_t) size, f) != (size_t) size || fclose (f)) {
        fprintf (stderr, "labsim mkimage: cannot write %s\n", out);
        free (img);
        return 1;
    }
    free (img);
    printf ("%s: %ld bytes, version %s%s\n", out, size, version, responder ? "" : ", no OTA responder");
    return 0;
}
