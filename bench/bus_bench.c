/* bus_bench - throughput and latency through labbus, against a bare libzmq
 * XSUB/XPUB proxy measured in the same run with the same client code.
 *
 * Prints BENCH lines: bus.throughput, bus.throughput_bare,
 * bus.throughput_ratio, bus.latency_p50_us, bus.latency_p99_us (the latter
 * two at a paced 10 000 msg/s through labbus). */
#include "bus/bus_client.h"
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAYLOAD 64

typedef struct {
    bus_endpoints_t ep;
    long count;
    double rate;             /* msgs/s; 0 = as fast as possible */
    volatile bool stop;
} s_pub_t;

static void *
s_publisher (void *arg)
{
    s_pub_t *p = (s_pub_t *) arg;
    bus_client_t *c = bus_client_new ("bench-pub", &p->ep);
    uint8_t payload[PAYLOAD];
    memset (payload, 'x', sizeof payload);
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    Lab__Blob blob = LAB__BLOB__INIT;
    blob.data.data = payload;
    blob.data.len = sizeof payload;
    env.body_case = LAB__ENVELOPE__BODY_BLOB;
    env.blob = &blob;
    prctl (PR_SET_TIMERSLACK, 1UL);   /* wake on time, not up to 50 us late */
    uint64_t t0 = bus_mono_ns ();
    for (long i = 0; i < p->count && !p->stop; i++) {
        if (p->rate > 0) {
            /* Sleep to the due time rather than spin: on two cores a
             * spinning publisher takes a whole core from the broker and the
             * subscriber, and the tail latency measured would be the bench's. */
            uint64_t due = t0 + (uint64_t) ((double) i * 1e9 / p->rate);
            struct timespec ts = { (time_t) (due / 1000000000ull), (long) (due % 1000000000ull) };
            while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                ;
        }
        uint64_t now = bus_mono_ns ();
        memcpy (payload, &now, sizeof now);   /* send time, for latency */
        env.ts_ns = 1;                         /* skip the realtime clock call */
        bus_client_publish (c, "bench.t", &env);
    }
    zclock_sleep (200);
    bus_client_destroy (&c);
    return NULL;
}

static int
s_cmp (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

/* Runs one measurement; returns msgs/s received, fills latencies if given. */
static double
s_run (const bus_endpoints_t *ep, long count, double rate, uint64_t *lat, long *nlat)
{
    bus_client_t *sub = bus_client_new ("bench-sub", ep);
    bus_client_subscribe (sub, "bench.");
    zclock_sleep (300);
    s_pub_t p = { .ep = *ep, .count = count, .rate = rate };
    pthread_t t;
    pthread_create (&t, NULL, s_publisher, &p);
    long got = 0;
    uint64_t first = 0, last = 0;
    while (got < count) {
        bus_msg_t *m = bus_client_recv (sub, 2000);
        if (!m)
            break;
        uint64_t now = bus_mono_ns ();
        if (!first)
            first = now;
        last = now;
        if (lat && m->env->body_case == LAB__ENVELOPE__BODY_BLOB && m->env->blob->data.len >= 8) {
            uint64_t sent;
            memcpy (&sent, m->env->blob->data.data, 8);
            lat[(*nlat)++] = now - sent;
        }
        got++;
        bus_msg_destroy (&m);
    }
    p.stop = true;
    pthread_join (t, NULL);
    bus_counters_t c;
    bus_client_counters (sub, &c);
    if (c.gaps)
        fprintf (stderr, "bus_bench: %" PRIu64 " messages lost (seq gaps)\n", c.gaps);
    bus_client_destroy (&sub);
    double secs = (double) (last - first) / 1e9;
    return secs > 0 ? (double) (got - 1) / secs : 0;
}

static pid_t
s_fork_bare_proxy (const bus_endpoints_t *ep)
{
    pid_t pid = fork ();
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        void *ctx = zmq_ctx_new ();
        void *xsub = zmq_socket (ctx, ZMQ_XSUB);
        void *xpub = zmq_socket (ctx, ZMQ_XPUB);
        int hwm = 100000;
        zmq_setsockopt (xsub, ZMQ_RCVHWM, &hwm, sizeof hwm);
        zmq_setsockopt (xpub, ZMQ_SNDHWM, &hwm, sizeof hwm);
        zmq_bind (xsub, ep->pub);
        zmq_bind (xpub, ep->sub);
        zmq_proxy (xsub, xpub, NULL);
        _exit (0);
    }
    return pid;
}

static pid_t
s_spawn_labbus (const char *bin, const char *dir, const char *rec)
{
    pid_t pid = fork ();
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        execl (bin, "labbus", "--dir", dir, "--recorder", rec, (char *) NULL);
        _exit (127);
    }
    return pid;
}

static void
s_stop (pid_t pid)
{
    kill (pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid (pid, NULL, WNOHANG) == pid)
            return;
        zclock_sleep (10);
    }
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
}

int
main (int argc, char **argv)
{
    const char *bindir = argc > 1 ? argv[1] : "build/bin";
    long count = argc > 2 ? atol (argv[2]) : 300000;
    zsys_init ();
    zsys_set_logsystem (false);
    char dir[] = "/tmp/labbench-XXXXXX";
    if (!mkdtemp (dir))
        return 1;
    char bin[512], rec[600];
    snprintf (bin, sizeof bin, "%s/labbus", bindir);
    snprintf (rec, sizeof rec, "%s/bus.rec", dir);
    bus_endpoints_t ep;
    bus_endpoints_in_dir (&ep, dir);

    /* Bare proxy first, then labbus, same client code and message count. */
    pid_t bare = s_fork_bare_proxy (&ep);
    zclock_sleep (200);
    double bare_rate = s_run (&ep, count, 0, NULL, NULL);
    s_stop (bare);

    pid_t broker = s_spawn_labbus (bin, dir, rec);
    zclock_sleep (300);
    double bus_rate = s_run (&ep, count, 0, NULL, NULL);

    /* Latency in steady state: let the broker finish with the burst above
     * (its flight recorder is still writing it out), then drop the first
     * 0.1 s of samples (connection set-up, first pages touched). */
    zclock_sleep (1000);
    long nlat = 0, nmsg = 21000, warmup = 1000;
    uint64_t *lat = (uint64_t *) calloc ((size_t) nmsg, sizeof (uint64_t));
    s_run (&ep, nmsg, 10000, lat, &nlat);
    s_stop (broker);
    if (nlat > warmup) {
        memmove (lat, lat + warmup, (size_t) (nlat - warmup) * sizeof (uint64_t));
        nlat -= warmup;
    }
    qsort (lat, (size_t) nlat, sizeof (uint64_t), s_cmp);
    double p50 = nlat ? (double) lat[nlat / 2] / 1000.0 : -1;
    double p99 = nlat ? (double) lat[(nlat * 99) / 100] / 1000.0 : -1;
    free (lat);
    printf ("BENCH bus.throughput %.0f msg/s\n", bus_rate);
    printf ("BENCH bus.throughput_bare %.0f msg/s\n", bare_rate);
    printf ("BENCH bus.throughput_ratio %.2f ratio\n", bare_rate > 0 ? bus_rate / bare_rate : 0);
    printf ("BENCH bus.latency_p50_us %.0f us\n", p50);
    printf ("BENCH bus.latency_p99_us %.0f us\n", p99);
    unlink (rec);
    for (int i = 1; i < 4; i++) {
        char r[700];
        snprintf (r, sizeof r, "%s.%d", rec, i);
        unlink (r);
    }
    rmdir (dir);
    return 0;
}
