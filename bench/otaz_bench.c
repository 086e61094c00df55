/* otaz-bench - what compression would buy an OTA push, per image file:
 * the zlib level-9 ratio over the whole image (as esptool compresses for
 * flashing), the ratio of the blocked stream a compressed push sends
 * (ota_deflate, OTA_DEFLATE_BLOCK), and a check that ota_inflate gives the
 * image back. Prints "FILE plain whole_ratio blocked_ratio inflate_mb_s".
 * Nothing here pushes: the push path does not carry compressed chunks
 * yet, so the line-time figure bench/45-otaz.sh derives is a projection. */
#include "lab_crc32.h"
#include "ota_inflate.h"
#include "services/ota-initiator/ota_deflate.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

typedef struct {
    uint32_t crc;
    size_t n;
} sum_t;

static int
s_sink (void *ctx, const uint8_t *data, size_t len)
{
    sum_t *s = (sum_t *) ctx;
    s->crc = lab_crc32 (s->crc, data, len);
    s->n += len;
    return 0;
}

static uint8_t *
s_read (const char *path, size_t *len)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    fseek (f, 0, SEEK_END);
    long n = ftell (f);
    rewind (f);
    uint8_t *b = n > 0 ? (uint8_t *) malloc ((size_t) n) : NULL;
    if (b && fread (b, 1, (size_t) n, f) != (size_t) n) {
        free (b);
        b = NULL;
    }
    fclose (f);
    *len = (size_t) n;
    return b;
}

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
s_one (const char *path)
{
    static ota_inflate_t inf;
    size_t n;
    uint8_t *img = s_read (path, &n);
    if (!img || n > UINT32_MAX) {
        fprintf (stderr, "otaz-bench: cannot read %s\n", path);
        free (img);
        return 1;
    }
    uLongf wn = compressBound (n);
    uint8_t *whole = (uint8_t *) malloc (wn);
    ota_deflate_t *dz = ota_deflate_new (img, n, 0, 9);
    int rc = whole && dz && compress2 (whole, &wn, img, n, 9) == Z_OK ? 0 : 1;
    sum_t sum = { 0, 0 };
    double t0 = s_now ();
    if (rc == 0) {
        ota_inflate_init (&inf, s_sink, &sum);
        rc = ota_inflate_start (&inf, (uint32_t) n, ota_deflate_block_size (dz), 0) == OTA_INF_OK ? 0 : 1;
        /* in 200-byte chunks, as OTA chunks arrive */
        const uint8_t *c = ota_deflate_data (dz);
        size_t cn = ota_deflate_size (dz), off = 0;
        int r = OTA_INF_OK;
        for (; rc == 0 && off < cn && r == OTA_INF_OK; off += 200)
            r = ota_inflate_feed (&inf, c + off, cn - off < 200 ? cn - off : 200);
        if (r != OTA_INF_DONE || sum.n != n || sum.crc != lab_crc32 (0, img, n)) {
            fprintf (stderr, "otaz-bench: %s did not inflate back (%s)\n", path, ota_inflate_strerror (r));
            rc = 1;
        }
    }
    double dt = s_now () - t0;
    if (rc == 0)
        printf ("%s %zu %.4f %.4f %.1f\n", path, n, (double) wn / n, (double) ota_deflate_size (dz) / n,
                n / 1e6 / (dt > 0 ? dt : 1e-9));
    ota_deflate_destroy (&dz);
    free (whole);
    free (img);
    return rc;
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        fprintf (stderr, "usage: otaz-bench IMAGE...\n");
        return 2;
    }
    int rc = 0;
    for (int i = 1; i < argc; i++)
        rc |= s_one (argv[i]);
    return rc;
}
