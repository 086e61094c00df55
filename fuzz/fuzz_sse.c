/* fuzz_sse - untrusted bytes as a streamed chat completion: the SSE parser
 * fed in pieces whose sizes come from the input, each event's data through
 * the chunk parser, then the metrics and outcome, as eval-runner does. */
#include "services/eval-runner/eval_request.h"
#include "services/eval-runner/eval_sse.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    /* The first byte picks the piece size, so splits land everywhere. */
    size_t piece = 1 + data[0] % 17;
    eval_result_t r;
    eval_result_init (&r);
    eval_stream_t *s = eval_stream_new (&r, 1000);
    uint64_t t = 2000;
    for (size_t off = 1; off < size; off += piece) {
        size_t n = size - off < piece ? size - off : piece;
        eval_stream_feed (s, (const char *) data + off, n, t);
        t += 1000 + data[off];
    }
    eval_stream_end (s, 200, 0);
    eval_stream_destroy (&s);
    eval_result_clear (&r);
    eval_timeline_free (&r.tl);
    return 0;
}
