/* labctl_boards - the board commands: pingpong, tail, reset, flash, board.
 * Thin clients of the serial-bridge bus service. */
#include "services/labctl/labctl.h"
#include "services/labctl/labctl_args.h"
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>

/* Calls serial-bridge and returns the reply (caller frees) or NULL with the
 * exit code in *rc and the error printed. */
static Lab__CommandReply *
s_call (labctl_t *ctx, const char *command, int argc, const char *const *args, int timeout_ms, int *rc)
{
    bus_client_t *bus = labctl_bus (ctx);
    if (!bus) {
        *rc = BUS_ERROR;
        return NULL;
    }
    Lab__CommandReply *reply = NULL;
    *rc = bus_client_call (bus, "serial-bridge", command, argc, args, timeout_ms, &reply);
    if (*rc != BUS_OK) {
        fprintf (stderr, "labctl: serial-bridge: %s\n", bus_client_error (bus));
        return NULL;
    }
    *rc = reply->status;
    if (*rc != BUS_OK) {
        fprintf (stderr, "labctl: %s\n", reply->message);
        lab__command_reply__free_unpacked (reply, NULL);
        return NULL;
    }
    return reply;
}

static double
s_num (json_t *obj, const char *key)
{
    return json_number_value (json_object_get (obj, key));
}

int
labctl_cmd_pingpong (labctl_t *ctx, int argc, char **argv)
{
    long count = 100;
    double hz = 1, size = 32;
    static struct option longopts[] = { { "count", required_argument, 0, 'n' },
                                        { "hz", required_argument, 0, 'z' },
                                        { "size", required_argument, 0, 's' },
                                        { "json", no_argument, 0, 'j' },
                                        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    int opt;
    while ((opt = getopt_long (argc, argv, "n:z:s:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'n':
            if (labctl_parse_long ("--count", optarg, 1, 1000000, &count))
                return BUS_EUSAGE;
            break;
        case 'z':
            if (labctl_parse_double ("--hz", optarg, 0.001, 1000, &hz))
                return BUS_EUSAGE;
            break;
        case 's':
            if (labctl_parse_double ("--size", optarg, 1, 250, &size))
                return BUS_EUSAGE;
            break;
        case 'j': ctx->json = true; break;
        case 'h':
            printf ("usage: labctl pingpong SENDER RESPONDER [--count N] [--hz RATE] [--size BYTES]\n"
                    "Runs ESP-NOW ping-pong from SENDER to RESPONDER through serial-bridge and\n"
                    "prints sent/received/lost and RTT min/median/p99. Results are also published\n"
                    "on tel.pingpong.<run>.\n");
            return 0;
        default: return BUS_EUSAGE;
        }
    }
    if (argc - optind != 2 || count < 1 || !(hz > 0)) {
        fprintf (stderr, "usage: labctl pingpong SENDER RESPONDER [--count N] [--hz RATE]\n");
        return BUS_EUSAGE;
    }
    char c[32], h[32], s[32];
    snprintf (c, sizeof c, "%ld", count);
    snprintf (h, sizeof h, "%g", hz);
    snprintf (s, sizeof s, "%g", size);
    const char *args[] = { argv[optind], argv[optind + 1], c, h, s };
    double wait_s = (double) count / hz + 15.0;
    int rc;
    Lab__CommandReply *reply = s_call (ctx, "pingpong", 5, args,
                                       wait_s > INT_MAX / 1000 ? INT_MAX : (int) (wait_s * 1000), &rc);
    if (!reply)
        return rc;
    if (ctx->json) {
        printf ("%s\n", reply->json);
    } else {
        json_t *j = json_loads (reply->json, 0, NULL);
        if (j) {
            printf ("pingpong %s -> %s (run %s)\n", argv[optind], argv[optind + 1],
                    json_string_value (json_object_get (j, "run")));
            printf ("sent %.0f  received %.0f  lost %.0f\n", s_num (j, "sent"), s_num (j, "received"),
                    s_num (j, "lost"));
            printf ("rtt min %.2f ms  median %.2f ms  p99 %.2f ms  max %.2f ms\n", s_num (j, "rtt_min_ms"),
                    s_num (j, "rtt_median_ms"), s_num (j, "rtt_p99_ms"), s_num (j, "rtt_max_ms"));
            json_decref (j);
        } else
            printf ("%s\n", reply->message);
    }
    lab__command_reply__free_unpacked (reply, NULL);
    return BUS_OK;
}

int
labctl_cmd_tail (labctl_t *ctx, int argc, char **argv)
{
    long lines = 20;
    double seconds = -1;
    bool follow = true;
    static struct option longopts[] = { { "lines", required_argument, 0, 'n' },
                                        { "no-follow", no_argument, 0, 'N' },
                                        { "seconds", required_argument, 0, 't' },
                                        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    int opt;
    while ((opt = getopt_long (argc, argv, "n:t:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'n':
            if (labctl_parse_long ("--lines", optarg, 0, 100000, &lines))
                return BUS_EUSAGE;
            break;
        case 'N': follow = false; break;
        case 't':
            if (labctl_parse_double ("--seconds", optarg, 0, 1e9, &seconds))
                return BUS_EUSAGE;
            break;
        case 'h':
            printf ("usage: labctl tail BOARD [-n LINES] [--no-follow] [--seconds S]\n"
                    "Prints the board's last LINES lines, then its live serial output with\n"
                    "timestamps until Ctrl-C (or S seconds).\n");
            return 0;
        default: return BUS_EUSAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf (stderr, "usage: labctl tail BOARD [-n LINES] [--no-follow]\n");
        return BUS_EUSAGE;
    }
    const char *board = argv[optind];
    bus_client_t *bus = labctl_bus (ctx);
    if (!bus)
        return BUS_ERROR;
    char topic[160];
    snprintf (topic, sizeof topic, "tel.serial.%s", board);
    /* Subscribe first so nothing falls between the history and the live lines. */
    if (follow)
        bus_client_subscribe (bus, topic);
    if (lines > 0) {
        char n[32];
        snprintf (n, sizeof n, "%ld", lines);
        const char *args[] = { board, n };
        int rc;
        Lab__CommandReply *reply = s_call (ctx, "tail", 2, args, ctx->timeout_ms, &rc);
        if (!reply)
            return rc;
        if (*reply->message)
            printf ("%s\n", reply->message);
        lab__command_reply__free_unpacked (reply, NULL);
    }
    fflush (stdout);
    if (!follow)
        return BUS_OK;
    uint64_t end = seconds < 0 ? UINT64_MAX : bus_mono_ns () + (uint64_t) (seconds * 1e9);
    while (!zsys_interrupted && bus_mono_ns () < end) {
        bus_msg_t *msg = bus_client_recv (bus, 200);
        if (!msg)
            continue;
        /* The prefix subscription also matches board-a2 when tailing board-a. */
        const Lab__SerialLine *l = bus_msg_body (msg, LAB__ENVELOPE__BODY_SERIAL_LINE);
        if (l && !strcmp (msg->topic, topic)) {
            time_t secs = (time_t) (l->rx_ts_ns / 1000000000ull);
            struct tm tm;
            localtime_r (&secs, &tm);
            char when[16];
            strftime (when, sizeof when, "%H:%M:%S", &tm);
            printf ("%s.%03u %s\n", when, (unsigned) (l->rx_ts_ns / 1000000ull % 1000), l->text);
            fflush (stdout);
        }
        bus_msg_destroy (&msg);
    }
    return BUS_OK;
}

int
labctl_cmd_reset (labctl_t *ctx, int argc, char **argv)
{
    bool boot = false;
    static struct option longopts[] = { { "bootloader", no_argument, 0, 'b' },
                                        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    int opt;
    while ((opt = getopt_long (argc, argv, "bh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'b': boot = true; break;
        case 'h':
            printf ("usage: labctl reset BOARD [--bootloader]\n"
                    "Pulses DTR/RTS like the ESP32 DevKitC auto-reset circuit (or the board's\n"
                    "configured reset); --bootloader enters the ROM download mode.\n");
            return 0;
        default: return BUS_EUSAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf (stderr, "usage: labctl reset BOARD [--bootloader]\n");
        return BUS_EUSAGE;
    }
    const char *args[] = { argv[optind], "bootloader" };
    return labctl_call_print (ctx, "serial-bridge", "reset", boot ? 2 : 1, args);
}

int
labctl_cmd_flash (labctl_t *ctx, int argc, char **argv)
{
    if (argc == 2 && (!strcmp (argv[1], "-h") || !strcmp (argv[1], "--help"))) {
        printf ("usage: labctl flash BOARD IMAGE\n"
                "Releases the board's port, runs its configured flash command, takes the port\n"
                "back and prints the version the board booted.\n");
        return 0;
    }
    if (argc != 3) {
        fprintf (stderr, "usage: labctl flash BOARD IMAGE\n");
        return BUS_EUSAGE;
    }
    /* serial-bridge may run in another directory: pass an absolute path. */
    char image[PATH_MAX];
    if (!realpath (argv[2], image)) {
        fprintf (stderr, "labctl: %s: %s\n", argv[2], strerror (errno));
        return BUS_ENOTFOUND;
    }
    const char *args[] = { argv[1], image };
    int saved = ctx->timeout_ms;
    if (ctx->timeout_ms < 330000)
        ctx->timeout_ms = 330000;
    int rc = labctl_call_print (ctx, "serial-bridge", "flash", 2, args);
    ctx->timeout_ms = saved;
    return rc;
}

int
labctl_cmd_board (labctl_t *ctx, int argc, char **argv)
{
    if (argc == 2 && (!strcmp (argv[1], "-h") || !strcmp (argv[1], "--help"))) {
        printf ("usage: labctl board [BOARD]\nEvery board's state, or one board's in detail.\n");
        return 0;
    }
    if (argc == 1)
        return labctl_call_print (ctx, "serial-bridge", "boards", 0, NULL);
    if (argc != 2) {
        fprintf (stderr, "usage: labctl board [BOARD]\n");
        return BUS_EUSAGE;
    }
    if (ctx->json) {
        const char *args[] = { argv[1] };
        return labctl_call_print (ctx, "serial-bridge", "status", 1, args);
    }
    const char *args[] = { argv[1] };
    int rc;
    Lab__CommandReply *reply = s_call (ctx, "status", 1, args, ctx->timeout_ms, &rc);
    if (!reply)
        return rc;
    json_t *j = json_loads (reply->json, 0, NULL);
    const char *key;
    json_t *v;
    json_object_foreach (j, key, v)
    {
        if (json_is_string (v))
            printf ("%-18s %s\n", key, json_string_value (v));
        else if (json_is_boolean (v))
            printf ("%-18s %s\n", key, json_is_true (v) ? "yes" : "no");
        else
            printf ("%-18s %.0f\n", key, json_number_value (v));
    }
    json_decref (j);
    lab__command_reply__free_unpacked (reply, NULL);
    return BUS_OK;
}
