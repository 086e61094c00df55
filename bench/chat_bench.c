/* chat_bench - chat-gateway against the fake Bot API of the tests (loopback,
 * tests/chat/fake_bot_api.c): the time from an update being available to its
 * reply being accepted by sendMessage, one message at a time (p50, p99), and
 * the rate for 100 updates queued at once. Each reply costs two fsync'd
 * journal writes (done, sent) plus a bus call to a fake serial-bridge; the
 * fake's long poll notices a new update within 20 ms. */
#include "tests/chat/chat_fixture.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
    if (argc > 1)
        setenv ("LAB_BUILD", argv[1], 1);
    fx_t *f = fx_new ("");
    if (!f) {
        printf ("BENCH chat.reply_p50_ms FAIL no fixture\n");
        return 1;
    }
    fx_start_gw (f);
    fake_api_message (f->api, 42, "/help", 0);
    if (!fx_wait_sent (f, "42", "Lab commands", 1, 20000)) {
        printf ("BENCH chat.reply_p50_ms FAIL the gateway did not answer\n");
        fx_destroy (&f);
        return 1;
    }
    enum { N = 60, BURST = 100 };
    double lat[N];
    for (int i = 0; i < N; i++) {
        char text[32], want[32];
        snprintf (text, sizeof text, "/tail b%d", i % 60 + 1);
        snprintf (want, sizeof want, "tail of b%d", i % 60 + 1);
        int before = fake_api_sent_exact (f->api, "42", want);
        uint64_t t0 = fake_api_ms ();
        fake_api_message (f->api, 42, text, 0);
        while (fake_api_sent_exact (f->api, "42", want) == before && fake_api_ms () - t0 < 10000)
            fx_pump (f, 1);
        lat[i] = (double) (fake_api_ms () - t0);
    }
    qsort (lat, N, sizeof *lat, s_cmp);
    printf ("BENCH chat.reply_p50_ms %.0f ms\n", lat[N / 2]);
    printf ("BENCH chat.reply_p99_ms %.0f ms\n", lat[N - 1 - N / 100]);
    int before = fake_api_sent (f->api, "42", "Lab commands");
    uint64_t t0 = fake_api_ms ();
    for (int i = 0; i < BURST; i++)
        fake_api_message (f->api, 42, "/help", 0);
    while (fake_api_sent (f->api, "42", "Lab commands") < before + BURST && fake_api_ms () - t0 < 60000)
        fx_pump (f, 5);
    double secs = (double) (fake_api_ms () - t0) / 1000.0;
    int done = fake_api_sent (f->api, "42", "Lab commands") - before;
    printf ("BENCH chat.burst_rate %.0f replies/s\n", done / secs);
    fprintf (stderr, "chat: %d/%d burst replies in %.2f s\n", done, BURST, secs);
    fx_destroy (&f);
    return done == BURST ? 0 : 1;
}
