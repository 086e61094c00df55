/* labctl_evaldata - reading a sweep's output directory (see the header). */
#include "services/labctl/labctl_evaldata.h"
#include "bus/lab_config.h"
#include <czmq.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
labctl_eval_dir (const char *arg, char *out, size_t outlen)
{
    struct stat st;
    if (stat (arg, &st) == 0 && !S_ISDIR (st.st_mode)) {
        char err[256];
        lab_config_t *plan = lab_config_load (arg, err, sizeof err);
        if (!plan) {
            fprintf (stderr, "labctl: %s\n", err);
            return -1;
        }
        snprintf (out, outlen, "%s", lab_config_get (plan, "plan/output", "."));
        lab_config_destroy (&plan);
    }
    else
        snprintf (out, outlen, "%s", arg);
    return 0;
}

const char *
labctl_eval_args (int argc, char **argv, const char *const *opts, const char **values)
{
    const char *arg = NULL;
    for (int i = 0; i < argc; i++) {
        int k = 0;
        while (opts[k] && strcmp (argv[i], opts[k]))
            k++;
        if (opts[k] && i + 1 < argc)
            values[k] = argv[++i];
        else if (argv[i][0] != '-' && !arg)
            arg = argv[i];
        else
            return NULL;
    }
    return arg;
}

void
labctl_eval_pack (const char *arg, char *out, size_t outlen)
{
    snprintf (out, outlen, "eval/scenarios");
    struct stat st;
    if (stat (arg, &st) == 0 && !S_ISDIR (st.st_mode)) {
        char err[256];
        lab_config_t *plan = lab_config_load (arg, err, sizeof err);
        if (plan)
            snprintf (out, outlen, "%s", lab_config_get (plan, "plan/scenarios", "eval/scenarios"));
        lab_config_destroy (&plan);
    }
}

json_t *
labctl_eval_rows (const char *dir, size_t *skipped)
{
    char path[4200];
    snprintf (path, sizeof path, "%s/rows.jsonl", dir);
    FILE *f = fopen (path, "r");
    if (skipped)
        *skipped = 0;
    if (!f)
        return NULL;
    json_t *by_key = json_object (), *order = json_array ();
    char *line = NULL;
    size_t cap = 0;
    while (getline (&line, &cap, f) > 0) {
        json_t *r = json_loads (line, 0, NULL);
        const char *key = json_string_value (json_object_get (r, "key"));
        if (!json_is_object (r) || !key) {
            if (skipped)
                (*skipped)++;
            json_decref (r);
            continue;
        }
        if (!json_object_get (by_key, key))
            json_array_append_new (order, json_string (key));
        json_object_set_new (by_key, key, r);
    }
    free (line);
    fclose (f);
    json_t *rows = json_array ();
    size_t i;
    json_t *k;
    json_array_foreach (order, i, k)
        json_array_append (rows, json_object_get (by_key, json_string_value (k)));
    json_decref (order);
    json_decref (by_key);
    return rows;
}

bool
labctl_eval_has_quality (json_t *rows)
{
    size_t i;
    json_t *r;
    json_array_foreach (rows, i, r) {
        const char *b = json_string_value (json_object_get (r, "bucket"));
        if (b && !strcmp (b, "quality"))
            return true;
    }
    return false;
}

char *
labctl_eval_completion (const char *dir, json_t *row)
{
    const char *file = json_string_value (json_object_get (row, "completion_file"));
    if (file && !strstr (file, "..")) {
        char path[4200];
        snprintf (path, sizeof path, "%s/%s", dir, file);
        zchunk_t *chunk = zchunk_slurp (path, 0);
        if (chunk) {
            char *text = zchunk_strdup (chunk);
            zchunk_destroy (&chunk);
            return text;
        }
    }
    const char *c = json_string_value (json_object_get (row, "completion"));
    return strdup (c ? c : "");
}

void
labctl_pair_norm (const labctl_fig_t *a, const labctl_fig_t *b, double norm[4])
{
    double qmax = fmax (a->quality, b->quality), dmax = fmax (a->decode, b->decode);
    norm[0] = isnan (a->quality) || isnan (b->quality) || !(qmax > 0) ? 1 : a->quality / qmax;
    norm[1] = dmax > 0 && !isnan (a->decode) ? a->decode / dmax : 1;
    norm[2] = a->ttft > 0 && b->ttft > 0 ? fmin (a->ttft, b->ttft) / a->ttft : 1;
    norm[3] = a->rss > 0 && b->rss > 0 ? fmin (a->rss, b->rss) / a->rss : 1;
}

double
labctl_pair_score (const double norm[4], const double w[4])
{
    return w[0] * norm[0] + w[1] * norm[1] + w[2] * norm[2] + w[3] * norm[3];
}
