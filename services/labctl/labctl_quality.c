/* labctl eval decide - stay or migrate, per matched pair: the decision of
 * evala (services/eval-runner/analysis/evala_decide.h), the same one the
 * report and chat `/eval decide` (eval-runner) give. This file only reads
 * the options and prints. */
#include "services/labctl/labctl.h"
#include "services/labctl/labctl_evaldata.h"
#include "services/eval-runner/analysis/evala_sweep.h"
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void
s_usage (void)
{
    fprintf (stderr, "usage: labctl eval decide DIR|PLAN [--weights Q,D,T,M] [--threshold X]\n"
                     "                          [--error-margin X] [--capability-margin X]\n"
                     "  DIR is a sweep's output (rows.jsonl, cohorts.jsonl); PLAN uses plan/output.\n"
                     "  Default weights 0.40,0.25,0.20,0.15 (quality, decode tok/s, TTFT, peak memory),\n"
                     "  threshold 0.05, error margin 0.05, capability margin 0.10 (docs/eval.md).\n");
}

/* A number from 0 to 1, or -1. */
static int
s_fraction (const char *text, double *out)
{
    char *end;
    double x = strtod (text, &end);
    if (end == text || *end || !(x >= 0 && x <= 1))
        return -1;
    *out = x;
    return 0;
}

int
labctl_eval_decide (labctl_t *ctx, int argc, char **argv)
{
    evala_opts_t o = EVALA_OPTS_DEFAULT;
    const char *dir = NULL;
    for (int i = 0; i < argc; i++) {
        int bad = 0;
        if (!strcmp (argv[i], "--weights") && i + 1 < argc) {
            char tail;
            bad = sscanf (argv[++i], "%lf,%lf,%lf,%lf%c", &o.weights[0], &o.weights[1], &o.weights[2],
                          &o.weights[3], &tail) != 4;
            for (int m = 0; m < 4; m++)
                bad |= !(o.weights[m] >= 0);
        }
        else if (!strcmp (argv[i], "--threshold") && i + 1 < argc)
            bad = s_fraction (argv[++i], &o.threshold);
        else if (!strcmp (argv[i], "--error-margin") && i + 1 < argc)
            bad = s_fraction (argv[++i], &o.error_margin);
        else if (!strcmp (argv[i], "--capability-margin") && i + 1 < argc)
            bad = s_fraction (argv[++i], &o.capability_margin);
        else if (argv[i][0] != '-' && !dir)
            dir = argv[i];
        else
            bad = 1;
        if (bad) {
            fprintf (stderr, "labctl: bad argument %s\n", argv[i]);
            s_usage ();
            return BUS_EUSAGE;
        }
    }
    if (!dir) {
        s_usage ();
        return BUS_EUSAGE;
    }
    char out[1024], err[600];
    if (labctl_eval_dir (dir, out, sizeof out))
        return BUS_ERROR;
    evala_sweep_t *sw = evala_sweep_load (out, &o, err, sizeof err);
    if (!sw) {
        fprintf (stderr, "labctl: %s\n", err);
        return BUS_ENOTFOUND;
    }
    char *text = evala_sweep_text (sw, &o);
    fputs (text, stdout);
    free (text);
    if (ctx->json) {
        json_t *j = evala_sweep_json (sw);
        char *s = json_dumps (j, JSON_COMPACT);
        printf ("%s\n", s);
        free (s);
        json_decref (j);
    }
    int rc = evala_sweep_npairs (sw) ? BUS_OK : BUS_ENOTFOUND;
    evala_sweep_destroy (&sw);
    return rc;
}
