/* bus_bench - throughput and latency through labbus, against a bare libzmq
 * XSUB/XPUB proxy measured in the same run with the same client code.
 *
 * Prints BENCH lines: bus.throughput, bus.throughput_bare,
 * bus.throughput_ratio, bus.latency_p50_us, bus.latency_p99_us (the latter
 * two at a paced 10 000 msg/s through labbus); the fan-out curve
 * bus.fanout{1,10,100} (msg/s each subscriber receives, with 1, 10 and 100
 * subscribers) and bus.fanout{1,10,100}_ratio against the bare proxy with
 * the same subscribers; and over loopback TCP with CURVE, bus.curve and
 * bus.curve_ratio against a bare proxy with CURVE. */
#include "bus/bus_client.h"
#include "bus/bus_curve.h"
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <signal.h>
#include <sys/prctl.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

/* Fan-out: NSUBS subscribers (raw SUB sockets, drained by one thread, the
 * same for both brokers) and one publisher sending COUNT messages as fast as
 * it can; returns the messages per second each subscriber received. */
static double
s_run_fanout (const bus_endpoints_t *ep, long count, int nsubs)
{
    count = count / nsubs < 2000 ? 2000 : count / nsubs;
    zsock_t *subs[100];
    zmq_pollitem_t items[100];
    for (int i = 0; i < nsubs; i++) {
        subs[i] = zsock_new (ZMQ_SUB);
        zsock_set_rcvhwm (subs[i], 100000);
        zsock_set_subscribe (subs[i], "bench.");
        zsock_connect (subs[i], "%s", ep->sub);
        items[i] = (zmq_pollitem_t) { zsock_resolve (subs[i]), 0, ZMQ_POLLIN, 0 };
    }
    zclock_sleep (500);
    s_pub_t p = { .ep = *ep, .count = count };
    pthread_t t;
    pthread_create (&t, NULL, s_publisher, &p);
    long got = 0, total = count * nsubs;
    uint64_t first = 0, last = 0;
    while (got < total && zmq_poll (items, nsubs, 2000) > 0) {
        for (int i = 0; i < nsubs; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            zmq_msg_t m;
            zmq_msg_init (&m);
            while (zmq_msg_recv (&m, items[i].socket, ZMQ_DONTWAIT) >= 0) {
                if (!zmq_msg_more (&m)) {
                    got++;
                    last = bus_mono_ns ();
                    if (!first)
                        first = last;
                }
            }
            zmq_msg_close (&m);
        }
    }
    p.stop = true;
    pthread_join (t, NULL);
    for (int i = 0; i < nsubs; i++)
        zsock_destroy (&subs[i]);
    double secs = (double) (last - first) / 1e9;
    if (got < total)
        fprintf (stderr, "bus_bench: fan-out %d: %ld of %ld deliveries\n", nsubs, got, total);
    return secs > 0 ? (double) got / nsubs / secs : 0;
}

static void s_stop (pid_t pid);

#define ROUNDS 3

static int
s_cmp_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static double
s_median (double *v, int n)
{
    qsort (v, (size_t) n, sizeof (double), s_cmp_double);
    return v[n / 2];
}

/* On a shared machine the load changes from one second to the next: both
 * brokers run side by side and the runs alternate, ROUNDS times each, and
 * the medians are compared, so a ratio compares like with like. */
typedef double (s_measure_fn) (const bus_endpoints_t *ep, long count, int arg);

static double
s_throughput (const bus_endpoints_t *ep, long count, int arg)
{
    (void) arg;
    return s_run (ep, count, 0, NULL, NULL);
}

static void
s_compare (s_measure_fn *fn, const bus_endpoints_t *bare, const bus_endpoints_t *bus, long count, int arg,
           double *bare_out, double *bus_out)
{
    double a[ROUNDS], b[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        a[r] = fn (bare, count, arg);
        b[r] = fn (bus, count, arg);
    }
    *bare_out = s_median (a, ROUNDS);
    *bus_out = s_median (b, ROUNDS);
}

/* A bare XSUB/XPUB proxy on EP; with CERT (a CURVE server certificate) both
 * sockets are CURVE servers (no ZAP handler: any client key is accepted). */
static pid_t
s_fork_bare_proxy_curve (const bus_endpoints_t *ep, zcert_t *cert)
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
        if (cert) {
            int one = 1;
            zmq_setsockopt (xsub, ZMQ_CURVE_SERVER, &one, sizeof one);
            zmq_setsockopt (xpub, ZMQ_CURVE_SERVER, &one, sizeof one);
            zmq_setsockopt (xsub, ZMQ_CURVE_SECRETKEY, zcert_secret_key (cert), 32);
            zmq_setsockopt (xpub, ZMQ_CURVE_SECRETKEY, zcert_secret_key (cert), 32);
        }
        zmq_bind (xsub, ep->pub);
        zmq_bind (xpub, ep->sub);
        zmq_proxy (xsub, xpub, NULL);
        _exit (0);
    }
    return pid;
}

static pid_t
s_fork_bare_proxy (const bus_endpoints_t *ep)
{
    return s_fork_bare_proxy_curve (ep, NULL);
}

/* labbus with a config file (CURVE on TCP). */
static pid_t
s_spawn_labbus_cfg (const char *bin, const char *cfg)
{
    pid_t pid = fork ();
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        int null = open ("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2 (null, 2);
        execl (bin, "labbus", "-c", cfg, (char *) NULL);
        _exit (127);
    }
    return pid;
}

/* A free loopback TCP port: bound by the kernel's choice, read, released
 * (a plain socket closes at once, unlike a ZeroMQ one). */
static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind (fd, (struct sockaddr *) &a, sizeof a) == 0
        && getsockname (fd, (struct sockaddr *) &a, &len) == 0)
        port = ntohs (a.sin_port);
    if (fd >= 0)
        close (fd);
    return port;
}

/* Throughput over loopback TCP with CURVE: labbus against a bare proxy with
 * CURVE, one subscriber, the same client code. Prints the BENCH lines. */
static void
s_bench_curve (const char *bin, const char *dir, long count)
{
    char err[256], allowed[600], cfgpath[600], brokerpub[600], clientsec[700];
    snprintf (allowed, sizeof allowed, "%s/allowed", dir);
    mkdir (allowed, 0700);
    if (bus_curve_keygen (dir, "broker", err, sizeof err) || bus_curve_keygen (allowed, "bench", err, sizeof err)) {
        fprintf (stderr, "bus_bench: %s\n", err);
        return;
    }
    snprintf (brokerpub, sizeof brokerpub, "%s/broker", dir);
    snprintf (clientsec, sizeof clientsec, "%s/bench_secret", allowed);
    bus_endpoints_t ep;
    memset (&ep, 0, sizeof ep);
    int ports[3] = { s_free_port (), s_free_port (), s_free_port () };
    snprintf (ep.pub, sizeof ep.pub, "tcp://127.0.0.1:%d", ports[0]);
    snprintf (ep.sub, sizeof ep.sub, "tcp://127.0.0.1:%d", ports[1]);
    snprintf (ep.req, sizeof ep.req, "tcp://127.0.0.1:%d", ports[2]);
    snprintf (ep.curve_cert, sizeof ep.curve_cert, "%s", clientsec);
    if (bus_curve_load_public (brokerpub, ep.curve_server, err, sizeof err)) {
        fprintf (stderr, "bus_bench: %s\n", err);
        return;
    }
    char secret[700];
    snprintf (secret, sizeof secret, "%s/broker_secret", dir);
    zcert_t *cert = bus_curve_load_cert (secret, err, sizeof err);
    bus_endpoints_t bare_ep = ep;
    int bports[2] = { s_free_port (), s_free_port () };
    snprintf (bare_ep.pub, sizeof bare_ep.pub, "tcp://127.0.0.1:%d", bports[0]);
    snprintf (bare_ep.sub, sizeof bare_ep.sub, "tcp://127.0.0.1:%d", bports[1]);
    pid_t bare = s_fork_bare_proxy_curve (&bare_ep, cert);
    zcert_destroy (&cert);
    snprintf (cfgpath, sizeof cfgpath, "%s/curve.cfg", dir);
    FILE *f = fopen (cfgpath, "w");
    if (!f)
        return;
    fprintf (f, "bus\n    pub = \"%s\"\n    sub = \"%s\"\n    req = \"%s\"\n"
                "    curve\n        server_cert = \"%s\"\n        clients = \"%s\"\n",
             ep.pub, ep.sub, ep.req, secret, allowed);
    fclose (f);
    pid_t broker = s_spawn_labbus_cfg (bin, cfgpath);
    zclock_sleep (400);
    double bare_rate, bus_rate;
    s_compare (s_throughput, &bare_ep, &ep, count, 0, &bare_rate, &bus_rate);
    s_stop (bare);
    s_stop (broker);
    printf ("BENCH bus.curve %.0f msg/s\n", bus_rate);
    printf ("BENCH bus.curve_bare %.0f msg/s\n", bare_rate);
    printf ("BENCH bus.curve_ratio %.2f ratio\n", bare_rate > 0 ? bus_rate / bare_rate : 0);
    fflush (stdout);
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
    char bin[512], rec[600], bare_dir[600], bus_dir[600];
    snprintf (bin, sizeof bin, "%s/labbus", bindir);
    snprintf (bare_dir, sizeof bare_dir, "%s/bare", dir);
    snprintf (bus_dir, sizeof bus_dir, "%s/bus", dir);
    mkdir (bare_dir, 0700);
    mkdir (bus_dir, 0700);
    snprintf (rec, sizeof rec, "%s/bus.rec", dir);
    bus_endpoints_t ep, bare_ep;
    bus_endpoints_in_dir (&ep, bus_dir);
    bus_endpoints_in_dir (&bare_ep, bare_dir);

    /* The bare proxy and labbus side by side; the same client code, message
     * count and subscribers on both (s_compare). */
    static const int fan[3] = { 1, 10, 100 };
    double fan_bare[3], fan_bus[3], bare_rate, bus_rate;
    pid_t bare = s_fork_bare_proxy (&bare_ep);
    pid_t broker = s_spawn_labbus (bin, bus_dir, rec);
    zclock_sleep (300);
    s_compare (s_throughput, &bare_ep, &ep, count, 0, &bare_rate, &bus_rate);

    /* Latency in steady state: let the broker finish with the burst above
     * (its flight recorder is still writing it out), then drop the first
     * 0.1 s of samples (connection set-up, first pages touched). Before the
     * fan-out runs, whose 100 subscribers leave queues to drain. */
    zclock_sleep (1000);
    long nlat = 0, nmsg = 21000, warmup = 1000;
    uint64_t *lat = (uint64_t *) calloc ((size_t) nmsg, sizeof (uint64_t));
    s_run (&ep, nmsg, 10000, lat, &nlat);

    for (int i = 0; i < 3; i++)
        s_compare (s_run_fanout, &bare_ep, &ep, count, fan[i], &fan_bare[i], &fan_bus[i]);
    s_stop (bare);
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
    for (int i = 0; i < 3; i++) {
        printf ("BENCH bus.fanout%d %.0f msg/s\n", fan[i], fan_bus[i]);
        printf ("BENCH bus.fanout%d_bare %.0f msg/s\n", fan[i], fan_bare[i]);
        printf ("BENCH bus.fanout%d_ratio %.2f ratio\n", fan[i], fan_bare[i] > 0 ? fan_bus[i] / fan_bare[i] : 0);
    }
    fflush (stdout);
    s_bench_curve (bin, dir, count / 3);
    unlink (rec);
    for (int i = 1; i < 4; i++) {
        char r[700];
        snprintf (r, sizeof r, "%s.%d", rec, i);
        unlink (r);
    }
    char cmd[700];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);   /* keys and the CURVE config */
    if (system (cmd) != 0)
        rmdir (dir);
    return 0;
}
