/* serial_bench - serial-bridge throughput, latency and CPU at 921600 baud.
 *
 * A pty stands in for the board: we write link frames into its master side
 * paced at the line rate (8N1: 92160 bytes/s), serial-bridge reads the slave
 * side, and a bus subscriber in this process receives tel.frame.bench.
 *   serial.mbps_ratio      payload bytes delivered per second / line rate
 *   serial.latency_p99_us  last byte of a frame written -> subscriber has it
 *                          (frames sent at 200/s so queueing does not count)
 *   serial.bridge_cpu_pct  bridge CPU time / wall time during the throughput run
 * Usage: serial-bench BIN_DIR [SECONDS] */
#include "bench/bench_boards.h"
#include "bus/bus_client.h"
#include "bus/lab_proc.h"
#include "bus/lab_stats.h"
#include "link_frame.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAUD 921600.0
#define PAYLOAD 240

static void
s_sleep_until (uint64_t t_ns)
{
    struct timespec ts = { .tv_sec = (time_t) (t_ns / 1000000000u), .tv_nsec = (long) (t_ns % 1000000000u) };
    clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* Drains subscribed frames; returns payload bytes, records latencies. */
static size_t
s_drain (bus_client_t *bus, int wait_ms, uint64_t *sent_at, size_t nsent, double *lat, size_t *nlat)
{
    size_t bytes = 0;
    bus_msg_t *msg;
    while ((msg = bus_client_recv (bus, wait_ms))) {
        uint64_t now = bus_mono_ns ();
        wait_ms = 0;
        if (msg->env->body_case == LAB__ENVELOPE__BODY_BOARD_FRAME && msg->env->board_frame->direction == 0
            && msg->env->board_frame->type == LINK_T_APP) {
            const Lab__BoardFrame *f = msg->env->board_frame;
            bytes += f->payload.len;
            if (sent_at && f->payload.len >= 4) {
                uint32_t i = link_get32 (f->payload.data);
                if (i < nsent && sent_at[i])
                    lat[(*nlat)++] = (double) (now - sent_at[i]) / 1000.0;
            }
        }
        bus_msg_destroy (&msg);
    }
    return bytes;
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        fprintf (stderr, "usage: serial-bench BIN_DIR [SECONDS]\n");
        return 2;
    }
    const char *bin = argv[1];
    double seconds = argc > 2 ? atof (argv[2]) : 4.0;
    zsys_init ();
    zsys_set_logsystem (false);
    char dir[] = "/tmp/serial-bench-XXXXXX";
    if (bench_boards_tmpdir (dir))
        return 1;
    int master, slave;
    char slave_name[256];
    if (bench_boards_pty (&master, &slave, slave_name, sizeof slave_name))
        return 1;
    char cfg[512], log[512];
    snprintf (cfg, sizeof cfg, "%s/lab.cfg", dir);
    FILE *f = fopen (cfg, "w");
    fprintf (f, "lab\n    logs = \"%s/log\"\nboards\n    bench\n        port = \"pty:%s\"\n"
                "        baud = 921600\n        silent_after = \"60s\"\n", dir, slave_name);
    fclose (f);
    pid_t broker = bench_boards_broker (bin, dir);
    snprintf (log, sizeof log, "%s/bridge.log", dir);
    char *bridge_argv[] = { "serial-bridge", "-c", cfg, NULL };
    pid_t bridge = bench_boards_spawn (bin, "serial-bridge", bridge_argv, log);
    bus_endpoints_t ep;
    bus_endpoints_in_dir (&ep, dir);
    bus_client_t *bus = bus_client_new ("serial-bench", &ep);
    bus_client_subscribe (bus, "tel.frame.bench");
    int rc = 1;
    if (bench_boards_wait_open (&master, 1, 5000) < 1) {
        fprintf (stderr, "serial-bench: serial-bridge did not open the pty (see %s)\n", log);
        goto done;
    }
    usleep (300000);   /* subscription settles */
    s_drain (bus, 100, NULL, 0, NULL, NULL);

    /* --- throughput and CPU ----------------------------------------- */
    uint8_t payload[PAYLOAD], wire[LINK_MAX_WIRE];
    memset (payload, 0x61, sizeof payload);
    size_t frame_len = link_frame_encode (wire, sizeof wire, LINK_T_APP, 0, payload, PAYLOAD);
    double line_Bps = BAUD / 10.0;
    size_t frames = (size_t) (seconds * line_Bps / (double) frame_len);
    uint64_t frame_ns = (uint64_t) ((double) frame_len / line_Bps * 1e9);
    double cpu0 = lab_proc_cpu_s (bridge);
    uint64_t t0 = bus_mono_ns ();
    size_t got = 0;
    for (size_t i = 0; i < frames; i++) {
        link_put32 (payload, (uint32_t) i);
        size_t n = link_frame_encode (wire, sizeof wire, LINK_T_APP, (uint16_t) i, payload, PAYLOAD);
        s_sleep_until (t0 + (uint64_t) (i + 1) * frame_ns);
        size_t off = 0;
        while (off < n) {
            ssize_t w = write (master, wire + off, n - off);
            if (w > 0)
                off += (size_t) w;
            else
                usleep (200);
        }
        got += s_drain (bus, 0, NULL, 0, NULL, NULL);
    }
    uint64_t t_end_write = bus_mono_ns ();
    got += s_drain (bus, 500, NULL, 0, NULL, NULL);
    double cpu1 = lab_proc_cpu_s (bridge);
    double elapsed = (double) (t_end_write - t0) / 1e9;
    double ratio = ((double) got / elapsed) / line_Bps;
    double cpu_pct = (cpu1 - cpu0) / elapsed * 100.0;

    /* --- latency ------------------------------------------------------ */
    size_t nlat_frames = 600, nlat = 0;
    uint64_t *sent_at = calloc (nlat_frames, sizeof (uint64_t));
    double *lat = calloc (nlat_frames, sizeof (double));
    for (size_t i = 0; i < nlat_frames; i++) {
        link_put32 (payload, (uint32_t) i);
        size_t n = link_frame_encode (wire, sizeof wire, LINK_T_APP, (uint16_t) i, payload, 32);
        if (write (master, wire, n) != (ssize_t) n)
            continue;
        sent_at[i] = bus_mono_ns ();
        s_drain (bus, 5, sent_at, nlat_frames, lat, &nlat);
    }
    s_drain (bus, 500, sent_at, nlat_frames, lat, &nlat);
    lab_stats_sort (lat, nlat);
    double p99 = nlat ? lab_stats_percentile (lat, nlat, 99) : -1;
    double p50 = nlat ? lab_stats_percentile (lat, nlat, 50) : -1;
    fprintf (stderr, "serial-bench: %zu frames of %d payload bytes (%zu on the wire) in %.2f s, %zu payload bytes "
                     "delivered; latency %zu samples, median %.0f us\n",
             frames, PAYLOAD, frame_len, elapsed, got, nlat, p50);
    printf ("BENCH serial.mbps_ratio %.3f ratio\n", ratio);
    printf ("BENCH serial.latency_p99_us %.0f us\n", p99);
    printf ("BENCH serial.bridge_cpu_pct %.1f pct\n", cpu_pct);
    free (sent_at);
    free (lat);
    rc = 0;
done:
    bus_client_destroy (&bus);
    bench_boards_stop (bridge);
    bench_boards_stop (broker);
    close (master);
    close (slave);
    bench_boards_rmdir (dir);
    return rc;
}
