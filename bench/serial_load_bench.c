/* serial_load_bench - serial-bridge's CPU as the number of boards grows.
 *
 * 1, 4 and 16 simulated boards, each a pty whose master side we write link
 * frames into at the full 921600-baud line rate (8N1: 92160 bytes/s per
 * board, 240-byte payloads), all at once; serial-bridge reads every slave
 * side and publishes tel.frame.<board>, which a subscriber here counts.
 *   serial.bridge_cpu_pct_{1board,4boards,16boards}
 *       bridge CPU time / wall time, in % of one core (target for 16:
 *       <= 60)
 *   serial.bridge_cpu_scaling_16v1   (cpu16 / 16) / (cpu1 / 1): <= 1 means
 *       no worse than linear in the number of boards
 *   serial.bridge_delivered_ratio_16boards   payload bytes delivered /
 *       written with 16 boards (1.0: nothing lost at full load)
 * Usage: serial-load-bench BIN_DIR [SECONDS_PER_STEP] */
#include "bench/bench_boards.h"
#include "bus/bus_client.h"
#include "bus/lab_proc.h"
#include "link_frame.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAUD 921600.0
#define PAYLOAD 240
#define MAX_BOARDS 16

static size_t
s_drain (bus_client_t *bus, int wait_ms)
{
    size_t bytes = 0;
    bus_msg_t *msg;
    while ((msg = bus_client_recv (bus, wait_ms))) {
        wait_ms = 0;
        if (msg->env->body_case == LAB__ENVELOPE__BODY_BOARD_FRAME && msg->env->board_frame->direction == 0
            && msg->env->board_frame->type == LINK_T_APP)
            bytes += msg->env->board_frame->payload.len;
        bus_msg_destroy (&msg);
    }
    return bytes;
}

typedef struct {
    double cpu_pct;
    double delivered;
} s_result_t;

/* One step: NBOARDS boards streaming for SECONDS. */
static int
s_step (const char *bin, const char *dir, int nboards, double seconds, s_result_t *out)
{
    int master[MAX_BOARDS], slave[MAX_BOARDS];
    char cfg[512], log[512];
    snprintf (cfg, sizeof cfg, "%s/lab-%d.cfg", dir, nboards);
    FILE *f = fopen (cfg, "w");
    fprintf (f, "lab\n    logs = \"%s/log-%d\"\nboards\n", dir, nboards);
    for (int b = 0; b < nboards; b++) {
        char name[256];
        if (bench_boards_pty (&master[b], &slave[b], name, sizeof name))
            return -1;
        fprintf (f, "    b%02d\n        port = \"pty:%s\"\n        baud = 921600\n        silent_after = \"60s\"\n",
                 b, name);
    }
    fclose (f);
    snprintf (log, sizeof log, "%s/bridge-%d.log", dir, nboards);
    char *bridge_argv[] = { "serial-bridge", "-c", cfg, NULL };
    pid_t bridge = bench_boards_spawn (bin, "serial-bridge", bridge_argv, log);
    bus_endpoints_t ep;
    bus_endpoints_in_dir (&ep, dir);
    bus_client_t *bus = bus_client_new ("serial-load-bench", &ep);
    bus_client_subscribe (bus, "tel.frame.");
    int rc = -1;
    int ready = bench_boards_wait_open (master, nboards, 5000);
    if (ready < nboards) {
        fprintf (stderr, "serial-load-bench: only %d of %d ports opened (see %s)\n", ready, nboards, log);
        goto done;
    }
    usleep (300000);
    s_drain (bus, 100);

    uint8_t payload[PAYLOAD], wire[LINK_MAX_WIRE];
    memset (payload, 0x61, sizeof payload);
    size_t frame_len = link_frame_encode (wire, sizeof wire, LINK_T_APP, 0, payload, PAYLOAD);
    double line_Bps = BAUD / 10.0;
    uint64_t frame_ns = (uint64_t) ((double) frame_len / line_Bps * 1e9);
    size_t frames = (size_t) (seconds * 1e9 / (double) frame_ns);
    size_t sent[MAX_BOARDS] = { 0 }, written = 0, got = 0;
    double cpu0 = lab_proc_cpu_s (bridge);
    uint64_t t0 = bus_mono_ns ();
    /* Every 2 ms, each board gets the frames its line rate allows by now. */
    for (;;) {
        uint64_t now = bus_mono_ns ();
        size_t due = (size_t) ((now - t0) / frame_ns);
        if (due > frames)
            due = frames;
        bool all = true;
        for (int b = 0; b < nboards; b++) {
            while (sent[b] < due) {
                size_t n = link_frame_encode (wire, sizeof wire, LINK_T_APP, (uint16_t) sent[b], payload, PAYLOAD);
                size_t off = 0;
                while (off < n) {
                    ssize_t w = write (master[b], wire + off, n - off);
                    if (w > 0)
                        off += (size_t) w;
                    else
                        usleep (100);
                }
                sent[b]++;
                written += PAYLOAD;
            }
            all &= sent[b] >= frames;
        }
        got += s_drain (bus, 0);
        if (all)
            break;
        usleep (2000);
    }
    uint64_t t1 = bus_mono_ns ();
    got += s_drain (bus, 500);
    double cpu1 = lab_proc_cpu_s (bridge);
    double elapsed = (double) (t1 - t0) / 1e9;
    out->cpu_pct = (cpu1 - cpu0) / elapsed * 100.0;
    out->delivered = written ? (double) got / (double) written : 0;
    fprintf (stderr, "serial-load-bench: %d boards, %.2f s, %zu payload bytes written, %zu delivered, bridge %.1f%% CPU\n",
             nboards, elapsed, written, got, out->cpu_pct);
    rc = 0;
done:
    bus_client_destroy (&bus);
    bench_boards_stop (bridge);
    for (int b = 0; b < nboards; b++) {
        close (master[b]);
        close (slave[b]);
    }
    return rc;
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        fprintf (stderr, "usage: serial-load-bench BIN_DIR [SECONDS_PER_STEP]\n");
        return 2;
    }
    const char *bin = argv[1];
    double seconds = argc > 2 ? atof (argv[2]) : 3.0;
    zsys_init ();
    zsys_set_logsystem (false);
    char dir[] = "/tmp/serial-load-bench-XXXXXX";
    if (bench_boards_tmpdir (dir))
        return 1;
    pid_t broker = bench_boards_broker (bin, dir);
    const int steps[] = { 1, 4, 16 };
    s_result_t r[3] = { { 0 } };
    int rc = 0;
    for (int i = 0; i < 3 && !rc; i++)
        rc = s_step (bin, dir, steps[i], seconds, &r[i]);
    if (!rc) {
        printf ("BENCH serial.bridge_cpu_pct_1board %.1f pct\n", r[0].cpu_pct);
        printf ("BENCH serial.bridge_cpu_pct_4boards %.1f pct\n", r[1].cpu_pct);
        printf ("BENCH serial.bridge_cpu_pct_16boards %.1f pct\n", r[2].cpu_pct);
        printf ("BENCH serial.bridge_cpu_scaling_16v1 %.2f ratio\n",
                r[0].cpu_pct > 0 ? (r[2].cpu_pct / 16.0) / (r[0].cpu_pct / 1.0) : -1);
        printf ("BENCH serial.bridge_delivered_ratio_16boards %.3f ratio\n", r[2].delivered);
    }
    bench_boards_stop (broker);
    bench_boards_rmdir (dir);
    return rc ? 1 : 0;
}
