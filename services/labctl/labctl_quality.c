/* labctl eval decide - the decision matrix: per matched pair (the same model
 * family on two backends), a weighted score over quality (mean composite of
 * the quality rows), decode tok/s, TTFT and peak RSS, each normalised within
 * the pair (best = 1). The second cohort of a pair is the candidate: it wins
 * ("migrate") only when its score beats the first's by the threshold. */
#include "services/labctl/labctl.h"
#include "services/labctl/labctl_evaldata.h"
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>


static double
s_quality (const char *rows_path, const char *cohort, int *n)
{
    FILE *f = fopen (rows_path, "r");
    double sum = 0;
    *n = 0;
    char *line = NULL;
    size_t cap = 0;
    while (f && getline (&line, &cap, f) > 0) {
        json_t *r = json_loads (line, 0, NULL);
        const char *c = json_string_value (json_object_get (r, "cohort"));
        json_t *comp = json_object_get (r, "composite");
        const char *bucket = json_string_value (json_object_get (r, "bucket"));
        if (c && !strcmp (c, cohort) && json_is_number (comp) && (!bucket || !strcmp (bucket, "quality"))) {
            sum += json_number_value (comp);
            (*n)++;
        }
        json_decref (r);
    }
    free (line);
    if (f)
        fclose (f);
    return *n ? sum / *n : NAN;
}

int
labctl_eval_decide (labctl_t *ctx, int argc, char **argv)
{
    double w[4] = LABCTL_DECIDE_WEIGHTS, threshold = LABCTL_DECIDE_THRESHOLD;
    const char *dir = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp (argv[i], "--weights") && i + 1 < argc)
            sscanf (argv[++i], "%lf,%lf,%lf,%lf", &w[0], &w[1], &w[2], &w[3]);
        else if (!strcmp (argv[i], "--threshold") && i + 1 < argc)
            threshold = atof (argv[++i]);
        else
            dir = argv[i];
    }
    if (!dir) {
        fprintf (stderr, "usage: labctl eval decide DIR|PLAN [--weights Q,D,T,R] [--threshold X]\n"
                         "  DIR is a sweep's output (summary.json, rows.jsonl); PLAN uses plan/output.\n"
                         "  Default weights 0.40,0.25,0.20,0.15 (quality, decode tok/s, TTFT, peak RSS).\n");
        return BUS_EUSAGE;
    }
    char out[1024];
    if (labctl_eval_dir (dir, out, sizeof out))
        return BUS_ERROR;
    char sum_path[1100], rows_path[1100];
    snprintf (sum_path, sizeof sum_path, "%s/summary.json", out);
    snprintf (rows_path, sizeof rows_path, "%s/rows.jsonl", out);
    json_error_t e;
    json_t *sum = json_load_file (sum_path, 0, &e);
    json_t *pairs = json_object_get (sum, "pairs");
    if (!json_is_object (pairs)) {
        fprintf (stderr, "labctl: %s: no pairs (%s)\n", sum_path, e.text);
        json_decref (sum);
        return BUS_ENOTFOUND;
    }
    json_t *verdicts = json_array ();
    const char *name;
    json_t *list;
    int migrate = 0, total = 0;
    json_object_foreach (pairs, name, list) {
        if (json_array_size (list) != 2)
            continue;
        labctl_fig_t f[2];
        for (int k = 0; k < 2; k++) {
            json_t *c = json_array_get (list, (size_t) k);
            f[k].cohort = json_string_value (json_object_get (c, "cohort"));
            f[k].decode = json_number_value (json_object_get (json_object_get (c, "decode_tps"), "p50"));
            f[k].ttft = json_number_value (json_object_get (json_object_get (c, "ttft_ms"), "p50"));
            f[k].rss = json_number_value (json_object_get (c, "peak_rss_kb"));
            f[k].quality = s_quality (rows_path, f[k].cohort, &f[k].scored);
        }
        double score[2] = { 0, 0 };
        for (int k = 0; k < 2; k++) {
            double norm[4];
            labctl_pair_norm (&f[k], &f[1 - k], norm);
            score[k] = labctl_pair_score (norm, w);
        }
        bool mig = score[1] > score[0] + threshold;
        migrate += mig;
        total++;
        printf ("pair %s\n", name);
        for (int k = 0; k < 2; k++)
            printf ("  %-28s quality %.3f (%d rows)  decode %.0f tok/s  TTFT %.1f ms  peak RSS %.0f MB  score %.3f%s\n",
                    f[k].cohort, f[k].quality, f[k].scored, f[k].decode, f[k].ttft, f[k].rss / 1024, score[k],
                    k ? " (candidate)" : " (current)");
        printf ("  verdict: %s (difference %+.3f, threshold %.2f)\n", mig ? "migrate" : "stay", score[1] - score[0],
                threshold);
        json_array_append_new (verdicts, json_pack ("{s:s, s:s, s:s, s:f, s:f, s:s}", "pair", name, "current",
                                                    f[0].cohort, "candidate", f[1].cohort, "score_current", score[0],
                                                    "score_candidate", score[1], "verdict", mig ? "migrate" : "stay"));
    }
    if (!total)
        printf ("no matched pair with two cohorts\n");
    else
        printf ("overall: %s (%d of %d pairs favour the candidate; weights quality %.2f decode %.2f TTFT %.2f RSS %.2f)\n",
                migrate * 2 > total ? "migrate" : "stay", migrate, total, w[0], w[1], w[2], w[3]);
    if (ctx->json) {
        char *j = json_dumps (verdicts, JSON_COMPACT);
        printf ("%s\n", j);
        free (j);
    }
    json_decref (verdicts);
    json_decref (sum);
    return total ? BUS_OK : BUS_ENOTFOUND;
}
