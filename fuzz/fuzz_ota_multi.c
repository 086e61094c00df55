/* fuzz_ota_multi - hostile answers to a push to several boards: untrusted
 * bytes as ACKs from the responders (and from strangers) to the
 * coordinator, interleaved with time. Whatever they say, it must neither
 * crash nor send a chunk outside the image, and must end. */
#include "services/ota-initiator/ota_multi.h"
#include <stdlib.h>
#include <string.h>

static uint32_t s_total;

static int
s_send (void *ctx, const uint8_t dst[6], const uint8_t *msg, size_t len)
{
    (void) ctx;
    (void) dst;
    ota_msg_t m;
    if (ota_msg_decode (msg, len, &m))
        abort ();                    /* the coordinator sends only what decodes */
    if (m.op == OTA_OP_CHUNK && m.seq >= s_total)
        abort ();
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static uint8_t image[3000];
    for (size_t i = 0; i < sizeof image; i++)
        image[i] = (uint8_t) (i * 31);
    s_total = ota_chunks (sizeof image, OTA_CHUNK_MAX);
    ota_multi_t *m = ota_multi_new (image, sizeof image, 7, "1.0", NULL, s_send, NULL);
    uint8_t macs[4][6] = { { 2, 0, 0, 0, 0, 1 }, { 2, 0, 0, 0, 0, 2 }, { 2, 0, 0, 0, 0, 3 }, { 9, 9, 9, 9, 9, 9 } };
    for (int i = 0; i < 3; i++)
        ota_multi_add (m, macs[i]);
    uint64_t now = 1000;
    /* u8: who (low 2 bits) and how many ms pass (the rest); u8 length; bytes. */
    for (size_t i = 0; i + 2 <= size;) {
        uint8_t who = data[i] & 3, ms = data[i] >> 2;
        size_t len = data[i + 1];
        i += 2;
        if (len > size - i)
            len = size - i;
        ota_multi_on_msg (m, macs[who], data + i, len, now);
        now += ms;
        ota_multi_tick (m, now);
        i += len;
    }
    /* And then silence: every board ends, done or failed, in bounded time. */
    for (int k = 0; k < 200 && ota_multi_tick (m, now); k++)
        now += 500;
    if (ota_multi_tick (m, now))
        abort ();
    ota_multi_destroy (&m);
    return 0;
}
