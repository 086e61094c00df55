/* labctl ota push|status|abort - firmware over ESP-NOW from the command line. */
#include "services/labctl/labctl.h"
#include "bus/bus_json.h"
#include <czmq.h>
#include <string.h>
#include <unistd.h>

static void
s_progress (const Lab__OtaJobState *s, bool tty)
{
    if (tty) {
        int width = 30, full = (int) (s->percent / 100.0 * width);
        char bar[64];
        for (int i = 0; i < width; i++)
            bar[i] = i < full ? '#' : '.';
        bar[width] = 0;
        printf ("\r%s [%s] %5.1f%% %6.1f KB/s eta %3.0fs retx %u %-10s", s->job, bar, s->percent,
                s->rate_bps / 1024.0, s->eta_s, s->retransmissions, s->state);
    }
    else
        printf ("%s %s %.1f%% %.1f KB/s eta %.0fs retransmissions %u\n", s->job, s->state, s->percent,
                s->rate_bps / 1024.0, s->eta_s, s->retransmissions);
    fflush (stdout);
}

/* "compressed 0.620 (471234 bytes sent)" or "plain". */
static const char *
s_how (const Lab__OtaJobState *s, char *buf, size_t len)
{
    if (!s->compressed || !s->image_size)
        return "plain";
    snprintf (buf, len, "compressed %.3f, %llu bytes sent", (double) s->stream_size / (double) s->image_size,
              (unsigned long long) s->stream_size);
    return buf;
}

/* A push to several boards: one line per board, then the job's line. */
static void
s_boards_result (const Lab__OtaJobState *s)
{
    char how[96];
    for (size_t i = 0; i < s->n_boards; i++) {
        const Lab__OtaBoardResult *b = s->boards[i];
        if (!strcmp (b->state, "done"))
            printf ("%s: %s 100%% crc ok, signature ok, booted %s in %.1f s\n", s->job, b->board,
                    b->booted_version, b->elapsed_s);
        else
            printf ("%s: %s FAILED at %.0f%%: %s\n", s->job, b->board, b->percent, b->error);
    }
    if (!strcmp (s->state, "done"))
        printf ("%s: %llu bytes (%s) -> %zu boards, all booted %s in %.1f s (%u chunks broadcast, %u sent to "
                "one board, %u retransmissions)\n",
                s->job, (unsigned long long) s->image_size, s_how (s, how, sizeof how), s->n_boards, s->version,
                s->elapsed_s, s->broadcasts, s->unicasts, s->retransmissions);
    else
        printf ("%s: FAILED: %s\n", s->job, s->error);
}

static int
s_push (labctl_t *ctx, int argc, char **argv)
{
    const char *image = NULL, *to = NULL, *via = NULL;
    bool force = false, wait = true, plain = false;
    for (int i = 2; i < argc; i++) {
        if (!strcmp (argv[i], "--to") && i + 1 < argc)
            to = argv[++i];
        else if (!strcmp (argv[i], "--via") && i + 1 < argc)
            via = argv[++i];
        else if (!strcmp (argv[i], "--force"))
            force = true;
        else if (!strcmp (argv[i], "--no-compress"))
            plain = true;
        else if (!strcmp (argv[i], "--no-wait"))
            wait = false;
        else if (argv[i][0] != '-' && !image)
            image = argv[i];
        else
            image = NULL, i = argc;
    }
    if (!image || !to) {
        fprintf (stderr, "usage: labctl ota push IMAGE --to BOARD[,BOARD...] [--via BOARD] [--force] [--no-compress] [--no-wait]\n"
                         "  IMAGE is a file in the lab's image directory (ota/images). Several boards:\n"
                         "  the chunks are broadcast once, each board's result is reported.\n");
        return BUS_EUSAGE;
    }
    bus_client_t *bus = labctl_bus (ctx);
    if (!bus)
        return BUS_ERROR;
    const char *args[5] = { image, to };
    int n = 2;
    if (via)
        args[n++] = via;
    if (force)
        args[n++] = "force";
    if (plain)
        args[n++] = "plain";
    Lab__CommandReply *reply = NULL;
    int rc = bus_client_call (bus, "ota-initiator", "push", n, args, ctx->timeout_ms, &reply);
    if (rc != BUS_OK) {
        fprintf (stderr, "labctl: ota-initiator: %s\n", bus_client_error (bus));
        return rc;
    }
    if (reply->status != BUS_OK) {
        fprintf (stderr, "labctl: %s\n", reply->message);
        rc = reply->status;
        lab__command_reply__free_unpacked (reply, NULL);
        return rc;
    }
    char job[128] = "";
    const char *colon = strchr (reply->message, ':');
    snprintf (job, sizeof job, "%.*s", colon ? (int) (colon - reply->message) : 0, reply->message);
    if (!ctx->json)
        printf ("%s\n", reply->message);
    lab__command_reply__free_unpacked (reply, NULL);
    if (!wait)
        return BUS_OK;
    char topic[160];
    snprintf (topic, sizeof topic, "state.ota.%s", job);
    bus_client_subscribe (bus, topic);
    bool tty = isatty (1) && !ctx->json;
    uint64_t last_print = 0;
    char how[80];
    while (!zsys_interrupted) {
        bus_msg_t *m = bus_client_recv (bus, 1000);
        const Lab__OtaJobState *s = bus_msg_body (m, LAB__ENVELOPE__BODY_OTA);
        if (!s) {
            bus_msg_destroy (&m);
            continue;
        }
        bool final = !strcmp (s->state, "done") || !strcmp (s->state, "failed");
        uint64_t now = bus_mono_ns ();
        if (final) {
            if (tty)
                printf ("\n");
            if (ctx->json) {
                char *j = bus_json_envelope (m->topic, m->env);
                printf ("%s\n", j);
                free (j);
            }
            else if (s->n_boards)
                s_boards_result (s);
            else if (!strcmp (s->state, "done"))
                printf ("%s: %llu bytes (%s) -> %s 100%% crc ok, signature %s, booted %s in %.1f s (%u retransmissions)\n",
                        s->job, (unsigned long long) s->image_size, s_how (s, how, sizeof how), s->target,
                        s->signature_ok ? "ok" : "unchecked", s->booted_version, s->elapsed_s, s->retransmissions);
            else
                printf ("%s: FAILED: %s\n", s->job, s->error);
            rc = !strcmp (s->state, "done") ? BUS_OK : BUS_ERROR;
            bus_msg_destroy (&m);
            return rc;
        }
        if (!ctx->json && (tty || now - last_print > 1000000000ull)) {
            s_progress (s, tty);
            last_print = now;
        }
        bus_msg_destroy (&m);
    }
    return BUS_ERROR;
}

int labctl_ota_sign (labctl_t *ctx, int argc, char **argv);

int
labctl_cmd_ota (labctl_t *ctx, int argc, char **argv)
{
    if (argc >= 2 && !strcmp (argv[1], "sign"))
        return labctl_ota_sign (ctx, argc, argv);
    if (argc >= 2 && !strcmp (argv[1], "push"))
        return s_push (ctx, argc, argv);
    if (argc >= 2 && !strcmp (argv[1], "status"))
        return labctl_call_print (ctx, "ota-initiator", "status", argc - 2, (const char *const *) argv + 2);
    if (argc == 3 && !strcmp (argv[1], "abort"))
        return labctl_call_print (ctx, "ota-initiator", "abort", 1, (const char *const *) argv + 2);
    fprintf (stderr, "usage: labctl ota push IMAGE --to BOARD[,BOARD...] [--via BOARD] [--force] [--no-compress]\n"
                     "       labctl ota status [JOB]\n       labctl ota abort JOB\n"
                     "       labctl ota sign IMAGE [-o OUT] [--dir KEYDIR]\n");
    return BUS_EUSAGE;
}
