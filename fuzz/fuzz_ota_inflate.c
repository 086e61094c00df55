/* fuzz_ota_inflate - untrusted bytes as a compressed OTA stream: the
 * first bytes pick the image size, the block size and how the stream is
 * cut into chunks; the rest is fed to ota_inflate. The inflater must never
 * emit a byte past the image or past a block, never spin, and stay failed
 * once it failed. */
#include "ota_inflate.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint32_t image_size;
    uint32_t at;
} sink_t;

static int
s_sink (void *ctx, const uint8_t *data, size_t len)
{
    sink_t *s = (sink_t *) ctx;
    if (len == 0 || len > s->image_size - s->at)
        abort ();
    volatile uint8_t touch = data[0] ^ data[len - 1];   /* ASan: the bytes are readable */
    (void) touch;
    s->at += (uint32_t) len;
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static ota_inflate_t inf;
    if (size < 3)
        return 0;
    uint32_t block = 4096u * (1u + (data[0] & 7));
    uint32_t image = 1u + ((uint32_t) data[1] << 8 | data[2]) * 4;   /* up to 256 KB */
    size_t chunk = 1 + (data[0] >> 3) * 13;
    data += 3, size -= 3;
    sink_t s = { .image_size = image, .at = 0 };
    ota_inflate_init (&inf, s_sink, &s);
    if (ota_inflate_start (&inf, image, block, 0) != OTA_INF_OK)
        abort ();
    int rc = OTA_INF_OK;
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        rc = ota_inflate_feed (&inf, data + off, n);
        if (rc < 0) {
            if (ota_inflate_feed (&inf, data, size) != rc)    /* sticky */
                abort ();
            break;
        }
    }
    if (ota_inflate_offset (&inf) != s.at || s.at > image)
        abort ();
    if (rc == OTA_INF_DONE && s.at != image)
        abort ();
    return 0;
}
