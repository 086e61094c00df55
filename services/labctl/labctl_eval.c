/* labctl_eval - `labctl eval run PLAN`, `eval status`, `eval summary`:
 * thin clients of the eval-runner bus service. `run` starts the sweep and
 * follows state.eval.<sweep> until it ends, drawing a progress bar when
 * stdout is a terminal and one line per cohort otherwise. */
#include "services/labctl/labctl.h"
#include "bus/bus_json.h"
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
s_usage (FILE *f)
{
    fprintf (f, "usage: labctl eval run PLAN [--retry-errors] [--out DIR] [--no-wait]\n"
                "       labctl eval status\n"
                "       labctl eval summary [DIR]\n"
                "       labctl eval decide DIR|PLAN [--weights Q,D,T,R] [--threshold X]\n"
                "       labctl eval score DIR|PLAN [--rater NAME]   (blind human scoring)\n"
                "       labctl eval report DIR|PLAN [--out DIR]     (Markdown + HTML with plots)\n"
                "run: the sweep runs in eval-runner (backends started and stopped by labd);\n"
                "     this follows its progress and prints the summary at the end.\n"
                "summary: DIR/summary.md of a sweep (default: the last sweep's output).\n");
}

static void
s_bar (bool tty, const Lab__EvalSweepState *st, char *last_cohort, size_t len)
{
    if (tty) {
        int width = 30;
        double frac = st->total ? (double) st->done / st->total : 0;
        int fill = (int) (frac * width + 0.5);
        char bar[64];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[width] = 0;
        printf ("\r[%s] %3.0f%% %u/%u rows, %u errors, cohort %u/%u %-28.28s ETA %4.0fs ", bar,
                frac * 100, st->done, st->total, st->errors, st->cohorts_done, st->cohorts_total,
                st->cohort, st->eta_s);
        fflush (stdout);
    }
    else if (strcmp (last_cohort, st->cohort)) {
        printf ("eval %s: cohort %s (%u/%u rows, %u errors)\n", st->sweep, st->cohort, st->done,
                st->total, st->errors);
        fflush (stdout);
    }
    snprintf (last_cohort, len, "%s", st->cohort);
}

static int
s_run (labctl_t *ctx, int argc, char **argv)
{
    if (argc < 1) {
        s_usage (stderr);
        return BUS_EUSAGE;
    }
    bool wait = true;
    char plan[PATH_MAX];
    /* eval-runner may run elsewhere (labd's working directory): send a full path. */
    if (!realpath (argv[0], plan)) {
        fprintf (stderr, "labctl: no plan %s\n", argv[0]);
        return BUS_ENOTFOUND;
    }
    const char *args[8] = { plan };
    int n = 1;
    char out[PATH_MAX];
    for (int i = 1; i < argc && n < 7; i++) {
        if (!strcmp (argv[i], "--no-wait"))
            wait = false;
        else if (!strcmp (argv[i], "--retry-errors"))
            args[n++] = "--retry-errors";
        else if (!strcmp (argv[i], "--out") && i + 1 < argc) {
            args[n++] = "--out";
            snprintf (out, sizeof out, "%s", argv[++i]);
            if (out[0] != '/') {
                char cwd[PATH_MAX / 2];
                if (getcwd (cwd, sizeof cwd))
                    snprintf (out, sizeof out, "%s/%s", cwd, argv[i]);
            }
            args[n++] = out;
        }
        else {
            s_usage (stderr);
            return BUS_EUSAGE;
        }
    }
    bus_client_t *bus = labctl_bus (ctx);
    if (!bus)
        return BUS_ERROR;
    Lab__CommandReply *reply = NULL;
    int rc = bus_client_call (bus, "eval-runner", "run", n, args, ctx->timeout_ms, &reply);
    if (rc != BUS_OK) {
        fprintf (stderr, "labctl: eval-runner: %s\n", bus_client_error (bus));
        return rc;
    }
    rc = reply->status;
    json_t *j = json_loads (reply->json ? reply->json : "", 0, NULL);
    if (rc != BUS_OK || !wait) {
        if (ctx->json && reply->json)
            printf ("%s\n", reply->json);
        else
            fprintf (rc ? stderr : stdout, "%s%s\n", rc ? "labctl: " : "", reply->message);
        lab__command_reply__free_unpacked (reply, NULL);
        json_decref (j);
        return rc;
    }
    lab__command_reply__free_unpacked (reply, NULL);
    char topic[200];
    snprintf (topic, sizeof topic, "state.eval.%s", json_string_value (json_object_get (j, "sweep")));
    json_decref (j);
    bus_client_subscribe (bus, topic);
    bool tty = isatty (1) && !ctx->json;
    char last[200] = "";
    int result = BUS_ETIMEOUT;
    /* Bounded: a sweep that stops publishing for 10 minutes is reported. */
    uint64_t quiet_limit = 600ull * 1000000000ull, last_msg = bus_mono_ns ();
    while (bus_mono_ns () - last_msg < quiet_limit) {
        bus_msg_t *m = bus_client_recv (bus, 500);
        if (!m)
            continue;
        const Lab__EvalSweepState *st = bus_msg_body (m, LAB__ENVELOPE__BODY_EVAL_SWEEP);
        if (!st || strcmp (m->topic, topic)) {
            bus_msg_destroy (&m);
            continue;
        }
        last_msg = bus_mono_ns ();
        if (ctx->json) {
            char *s = bus_json_envelope (m->topic, m->env);
            printf ("%s\n", s);
            free (s);
        }
        if (!ctx->json)
            s_bar (tty, st, last, sizeof last);
        bool end = !strcmp (st->state, "done") || !strcmp (st->state, "stopped")
                   || !strcmp (st->state, "failed");
        if (end) {
            if (tty)
                printf ("\n");
            if (!ctx->json) {
                if (st->summary_md && *st->summary_md)
                    printf ("%s", st->summary_md);
                printf ("eval %s %s: %u/%u rows, %u errors, %u cohorts\n", st->sweep, st->state,
                        st->done, st->total, st->errors, st->cohorts_total);
            }
            result = !strcmp (st->state, "done") ? BUS_OK : BUS_ERROR;
            bus_msg_destroy (&m);
            break;
        }
        bus_msg_destroy (&m);
    }
    if (result == BUS_ETIMEOUT)
        fprintf (stderr, "labctl: no progress from eval-runner for 10 minutes\n");
    return result;
}

static int
s_summary (labctl_t *ctx, int argc, char **argv)
{
    char dir[PATH_MAX] = "";
    if (argc >= 1)
        snprintf (dir, sizeof dir, "%s", argv[0]);
    else {
        bus_client_t *bus = labctl_bus (ctx);
        if (!bus)
            return BUS_ERROR;
        Lab__CommandReply *reply = NULL;
        int rc = bus_client_call (bus, "eval-runner", "status", 0, NULL, ctx->timeout_ms, &reply);
        if (rc != BUS_OK) {
            fprintf (stderr, "labctl: eval-runner: %s\n", bus_client_error (bus));
            return rc;
        }
        json_t *j = json_loads (reply->json ? reply->json : "", 0, NULL);
        const char *out = json_string_value (json_object_get (j, "out"));
        snprintf (dir, sizeof dir, "%s", out ? out : "");
        json_decref (j);
        lab__command_reply__free_unpacked (reply, NULL);
        if (!dir[0]) {
            fprintf (stderr, "labctl: eval-runner has run no sweep; give the output DIR\n");
            return BUS_ENOTFOUND;
        }
    }
    char path[PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/summary.%s", dir, ctx->json ? "json" : "md");
    FILE *f = fopen (path, "r");
    if (!f) {
        fprintf (stderr, "labctl: no summary at %s\n", path);
        return BUS_ENOTFOUND;
    }
    char buf[4096];
    size_t k;
    while ((k = fread (buf, 1, sizeof buf, f)) > 0)
        fwrite (buf, 1, k, stdout);
    fclose (f);
    return BUS_OK;
}

/* labctl_quality.c, labctl_score.c, labctl_report.c */
int labctl_eval_decide (labctl_t *ctx, int argc, char **argv);
int labctl_eval_score (labctl_t *ctx, int argc, char **argv);
int labctl_eval_report (labctl_t *ctx, int argc, char **argv);

int
labctl_cmd_eval (labctl_t *ctx, int argc, char **argv)
{
    if (argc < 2 || !strcmp (argv[1], "--help") || !strcmp (argv[1], "-h")) {
        s_usage (argc < 2 ? stderr : stdout);
        return argc < 2 ? BUS_EUSAGE : BUS_OK;
    }
    if (!strcmp (argv[1], "run"))
        return s_run (ctx, argc - 2, argv + 2);
    if (!strcmp (argv[1], "status"))
        return labctl_call_print (ctx, "eval-runner", "status", 0, NULL);
    if (!strcmp (argv[1], "summary"))
        return s_summary (ctx, argc - 2, argv + 2);
    if (!strcmp (argv[1], "decide"))
        return labctl_eval_decide (ctx, argc - 2, argv + 2);
    if (!strcmp (argv[1], "score"))
        return labctl_eval_score (ctx, argc - 2, argv + 2);
    if (!strcmp (argv[1], "report"))
        return labctl_eval_report (ctx, argc - 2, argv + 2);
    s_usage (stderr);
    return BUS_EUSAGE;
}
