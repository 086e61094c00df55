/* labctl build|builds|reflash|boards|diagnose - firmware builds, their
 * history, the firmware history of every board, and "code, board or
 * cable?", through the builder service. */
#include "services/labctl/labctl.h"
#include "bus/bus_json.h"
#include <czmq.h>
#include <string.h>
#include <unistd.h>

/* Starts COMMAND on the builder and follows the job it started: the
 * build's output as it comes, then one result line. */
static int
s_follow (labctl_t *ctx, const char *command, int argc, const char *const *args, bool wait)
{
    bus_client_t *bus = labctl_bus (ctx);
    if (!bus)
        return BUS_ERROR;
    /* Subscribed before the call: the job may print before we read the reply. */
    bus_client_subscribe (bus, "state.build.");
    if (!ctx->json)
        bus_client_subscribe (bus, "log.build.");
    Lab__CommandReply *reply = NULL;
    int rc = bus_client_call (bus, "builder", command, argc, args, ctx->timeout_ms, &reply);
    if (rc != BUS_OK) {
        fprintf (stderr, "labctl: builder: %s\n", bus_client_error (bus));
        return rc;
    }
    if (reply->status != BUS_OK) {
        fprintf (stderr, "labctl: %s\n", reply->message);
        rc = reply->status;
        lab__command_reply__free_unpacked (reply, NULL);
        return rc;
    }
    char job[32] = "";
    const char *colon = strchr (reply->message, ':');
    snprintf (job, sizeof job, "%.*s", colon ? (int) (colon - reply->message) : 0, reply->message);
    if (!ctx->json)
        printf ("%s\n", reply->message);
    else if (!wait)
        printf ("%s\n", reply->json);
    lab__command_reply__free_unpacked (reply, NULL);
    if (!wait)
        return BUS_OK;
    char state_topic[64], log_topic[64];
    snprintf (state_topic, sizeof state_topic, "state.build.%s", job);
    snprintf (log_topic, sizeof log_topic, "log.build.%s", job);
    char last_step[256] = "";
    uint64_t quiet_since = bus_mono_ns ();
    while (!zsys_interrupted) {
        bus_msg_t *m = bus_client_recv (bus, 1000);
        if (!m) {
            /* A long quiet step (a flash) is fine; a job the builder no
             * longer has (it was restarted) will never end. */
            if (bus_mono_ns () - quiet_since > 5000000000ull) {
                quiet_since = bus_mono_ns ();
                Lab__CommandReply *r = NULL;
                int jrc = bus_client_call (bus, "builder", "jobs", 0, NULL, ctx->timeout_ms, &r);
                bool lost = jrc == BUS_ENOTRUNNING
                            || (jrc == BUS_OK && r->status == BUS_OK && !strstr (r->message, job));
                if (r)
                    lab__command_reply__free_unpacked (r, NULL);
                if (lost) {
                    fprintf (stderr, "labctl: job %s was lost (the builder stopped or restarted)\n", job);
                    return BUS_ERROR;
                }
            }
            continue;
        }
        quiet_since = bus_mono_ns ();
        const Lab__Blob *line = !strcmp (m->topic, log_topic) ? bus_msg_body (m, LAB__ENVELOPE__BODY_BLOB) : NULL;
        const Lab__BuildJobState *s
            = !strcmp (m->topic, state_topic) ? bus_msg_body (m, LAB__ENVELOPE__BODY_BUILD_JOB) : NULL;
        if (line)
            printf ("  | %.*s\n", (int) line->data.len, (const char *) line->data.data);
        else if (s) {
            bool over = !strcmp (s->state, "done") || !strcmp (s->state, "failed");
            if (!ctx->json && !over && strcmp (s->step, last_step) && strncmp (s->state, "build", 5)) {
                printf ("%s: %s\n", s->job, s->step);
                snprintf (last_step, sizeof last_step, "%s", s->step);
            }
            if (over) {
                if (ctx->json) {
                    char *j = bus_json_envelope (m->topic, m->env);
                    printf ("%s\n", j);
                    free (j);
                }
                else if (!strcmp (s->state, "failed")) {
                    printf ("%s %s FAILED: %s\n", s->job, s->kind, s->error);
                    if (s->n_last_lines)
                        printf ("last lines of the build:\n");
                    for (size_t i = 0; i < s->n_last_lines; i++)
                        printf ("  | %s\n", s->last_lines[i]);
                }
                else if (!strcmp (s->kind, "diagnose")) {
                    printf ("evidence:\n");
                    for (size_t i = 0; i < s->n_evidence; i++)
                        printf ("  - %s\n", s->evidence[i]);
                    printf ("%s diagnose %s: %s\n", s->job, s->board, s->verdict);
                }
                else if (!strcmp (s->kind, "build"))
                    printf ("%s build ok %s %s, %llu bytes, sha256 %s, %.1f s\n", s->job, s->recipe, s->version,
                            (unsigned long long) s->artefact_size, s->sha256, s->build_s);
                else
                    printf ("%s %s ok %s -> %s %s booted (%s, %.1f s)\n", s->job, s->kind, s->recipe, s->board,
                            s->booted_version, s->how, s->elapsed_s);
                rc = !strcmp (s->state, "done") ? BUS_OK : BUS_ERROR;
                bus_msg_destroy (&m);
                return rc;
            }
        }
        fflush (stdout);
        bus_msg_destroy (&m);
    }
    return BUS_ERROR;
}

static bool
s_no_wait (int *argc, char **argv)
{
    for (int i = 1; i < *argc; i++)
        if (!strcmp (argv[i], "--no-wait")) {
            memmove (argv + i, argv + i + 1, (size_t) (*argc - i - 1) * sizeof *argv);
            (*argc)--;
            return true;
        }
    return false;
}

int
labctl_cmd_build (labctl_t *ctx, int argc, char **argv)
{
    bool no_wait = s_no_wait (&argc, argv);
    if (argc != 2 || argv[1][0] == '-') {
        fprintf (stderr, "usage: labctl build RECIPE [--no-wait]\n"
                         "  runs the recipe (lab config: builds/recipes), prints its output and the\n"
                         "  result: exit status, duration, size, SHA-256 and version of the image.\n");
        return BUS_EUSAGE;
    }
    return s_follow (ctx, "build", 1, (const char *const *) argv + 1, !no_wait);
}

int
labctl_cmd_reflash (labctl_t *ctx, int argc, char **argv)
{
    bool no_wait = s_no_wait (&argc, argv);
    if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-') {
        fprintf (stderr, "usage: labctl reflash RECIPE BOARD [--no-wait]\n"
                         "  builds the recipe, flashes it over USB or pushes it over ESP-NOW (as the\n"
                         "  recipe says), waits for the board's boot report and checks the version.\n");
        return BUS_EUSAGE;
    }
    return s_follow (ctx, "reflash", 2, (const char *const *) argv + 1, !no_wait);
}

int
labctl_cmd_builds (labctl_t *ctx, int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fprintf (stderr, "usage: labctl builds [RECIPE]\n  the last builds, newest first, and the recipes.\n");
        return BUS_EUSAGE;
    }
    return labctl_call_print (ctx, "builder", "builds", argc - 1, (const char *const *) argv + 1);
}

int
labctl_cmd_diagnose (labctl_t *ctx, int argc, char **argv)
{
    bool no_wait = s_no_wait (&argc, argv);
    if (argc < 2 || argc > 3 || argv[1][0] == '-' || (argc == 3 && argv[2][0] == '-')) {
        fprintf (stderr, "usage: labctl diagnose BOARD [SPARE] [--no-wait]\n"
                         "  is it the code, the board or the cable/USB bridge? Listens to the board,\n"
                         "  resets it, ping-pongs it from SPARE over ESP-NOW, power-cycles it and\n"
                         "  flashes the known-good image when needed; prints the evidence and a verdict.\n");
        return BUS_EUSAGE;
    }
    return s_follow (ctx, "diagnose", argc - 1, (const char *const *) argv + 1, !no_wait);
}

/* The boards as serial-bridge sees them, then what was put on each. */
int
labctl_cmd_boards (labctl_t *ctx, int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fprintf (stderr, "usage: labctl boards [BOARD]\n  each board's state and its firmware history.\n");
        return BUS_EUSAGE;
    }
    if (!ctx->json) {
        bus_client_t *bus = labctl_bus (ctx);
        if (!bus)
            return BUS_ERROR;
        Lab__CommandReply *reply = NULL;
        int rc = bus_client_call (bus, "serial-bridge", "boards", 0, NULL, ctx->timeout_ms, &reply);
        if (rc == BUS_OK && reply->status == BUS_OK)
            printf ("%s\n\n", reply->message);
        else
            printf ("(serial-bridge: %s)\n\n", rc == BUS_OK ? reply->message : bus_client_error (bus));
        if (reply)
            lab__command_reply__free_unpacked (reply, NULL);
    }
    return labctl_call_print (ctx, "builder", "history", argc - 1, (const char *const *) argv + 1);
}
