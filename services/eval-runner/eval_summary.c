/* eval_summary - per cohort median/p90/p99 of TTFT, TPOT, decode tok/s and
 * E2E, peak RSS and error counts, from the last row of every key, as
 * Markdown and JSON; matched pairs side by side. */
#include "services/eval-runner/eval_sweep.h"
#include "services/eval-runner/eval_metrics.h"
#include "services/eval-runner/eval_rows.h"
#include <czmq.h>
#include <math.h>
#include <string.h>

/* Percentiles of FIELD over COHORT's ok text rows of BUCKET (NULL: all). */
static json_t *
s_stats (json_t *rows, const char *cohort, const char *field, const char *bucket)
{
    size_t n = 0, i;
    json_t *row;
    double *v = (double *) malloc ((json_array_size (rows) + 1) * sizeof (double));
    json_array_foreach (rows, i, row) {
        const char *c = json_string_value (json_object_get (row, "cohort"));
        const char *o = json_string_value (json_object_get (row, "outcome"));
        const char *kind = json_string_value (json_object_get (row, "kind"));
        json_t *x = json_object_get (row, field);
        /* Text rows only: an audio row's TTFT includes hearing the clip. */
        const char *b = json_string_value (json_object_get (row, "bucket"));
        if (c && !strcmp (c, cohort) && o && !strcmp (o, "ok") && json_is_number (x)
            && !(kind && !strcmp (kind, "audio")) && (!bucket || (b && !strcmp (b, bucket))))
            v[n++] = json_number_value (x);
    }
    lab_stats_sort (v, n);
    json_t *s = n ? json_pack ("{s:i, s:f, s:f, s:f}", "n", (int) n, "p50", lab_stats_percentile (v, n, 50),
                               "p90", lab_stats_percentile (v, n, 90), "p99", lab_stats_percentile (v, n, 99))
                  : json_pack ("{s:i}", "n", 0);
    free (v);
    return s;
}

static void
s_cell (char *out, size_t len, json_t *stats, const char *fmt)
{
    json_t *p50 = json_object_get (stats, "p50");
    if (!p50) {
        snprintf (out, len, "-");
        return;
    }
    char a[32], b[32], c[32];
    snprintf (a, sizeof a, fmt, json_number_value (p50));
    snprintf (b, sizeof b, fmt, json_number_value (json_object_get (stats, "p90")));
    snprintf (c, sizeof c, fmt, json_number_value (json_object_get (stats, "p99")));
    snprintf (out, len, "%s / %s / %s", a, b, c);
}

char *
eval_summary_write (const char *dir, const char *sweep, json_t **json_p)
{
    char err[256];
    eval_rows_t *rows = eval_rows_open (dir, err, sizeof err);
    if (!rows)
        return NULL;
    json_t *latest = eval_rows_latest (rows);
    json_t *cohort_recs = eval_rows_cohorts (rows);
    /* Cohorts in first-seen order: from rows, then records with no rows. */
    json_t *names = json_array ();
    size_t i;
    json_t *row;
    json_array_foreach (latest, i, row) {
        const char *c = json_string_value (json_object_get (row, "cohort"));
        bool seen = false;
        size_t k;
        json_t *n;
        json_array_foreach (names, k, n) seen |= !strcmp (json_string_value (n), c);
        if (!seen)
            json_array_append_new (names, json_string (c));
    }
    const char *cname;
    json_t *rec;
    json_object_foreach (cohort_recs, cname, rec) {
        bool seen = false;
        size_t k;
        json_t *n;
        json_array_foreach (names, k, n) seen |= !strcmp (json_string_value (n), cname);
        if (!seen)
            json_array_append_new (names, json_string (cname));
    }
    /* Latency from the throughput bucket when there is one (requests
     * repeated to measure speed), else from every row; text rows only. */
    const char *speed = NULL;
    json_array_foreach (latest, i, row) {
        const char *b = json_string_value (json_object_get (row, "bucket"));
        if (b && !strcmp (b, "throughput"))
            speed = "throughput";
    }
    json_t *cohorts = json_array ();
    char *warnings = strdup ("");
    size_t total_rows = 0, total_err = 0;
    char *md = zsys_sprintf ("# Eval sweep %s\n\nLatency and speed: ok text rows of %s.\n\n"
                             "| cohort | status | rows | ok | errors | retries | TTFT ms p50/p90/p99 | TPOT ms p50/p90/p99 "
                             "| decode tok/s p50/p90/p99 | E2E ms p50/p90/p99 | peak RSS MB |\n"
                             "|---|---|---|---|---|---|---|---|---|---|---|\n",
                             sweep, speed ? "the throughput bucket" : "every bucket");
    json_t *n;
    json_array_foreach (names, i, n) {
        const char *c = json_string_value (n);
        json_t *r = json_object_get (cohort_recs, c);
        int nrows = 0, ok = 0, retries = 0;
        json_t *by_class = json_object ();
        const char *pair = "";
        size_t k;
        json_array_foreach (latest, k, row) {
            const char *rc = json_string_value (json_object_get (row, "cohort"));
            if (!rc || strcmp (rc, c))
                continue;
            nrows++;
            json_int_t att = json_integer_value (json_object_get (row, "attempts"));
            retries += att > 1 ? (int) (att - 1) : 0;
            if (json_string_value (json_object_get (row, "pair")))
                pair = json_string_value (json_object_get (row, "pair"));
            const char *o = json_string_value (json_object_get (row, "outcome"));
            if (o && !strcmp (o, "ok"))
                ok++;
            else {
                const char *cls = json_string_value (json_object_get (row, "error_class"));
                cls = cls ? cls : "unknown";
                json_object_set_new (by_class, cls, json_integer (json_integer_value (json_object_get (by_class, cls)) + 1));
            }
        }
        total_rows += (size_t) nrows;
        total_err += (size_t) (nrows - ok);
        const char *status = r ? json_string_value (json_object_get (r, "status")) : "partial";
        const char *reason = r ? json_string_value (json_object_get (r, "reason")) : NULL;
        double rss_kb = r ? json_number_value (json_object_get (r, "peak_rss_kb")) : 0;
        json_t *ttft = s_stats (latest, c, "ttft_ms", speed), *tpot = s_stats (latest, c, "tpot_ms", speed),
               *tps = s_stats (latest, c, "decode_tps", speed), *e2e = s_stats (latest, c, "e2e_ms", speed);
        json_t *cj = json_pack ("{s:s, s:s, s:s, s:i, s:i, s:i, s:o, s:O, s:O, s:O, s:O, s:f}", "cohort", c,
                                "status", status ? status : "partial", "pair", pair, "rows", nrows, "ok", ok,
                                "errors", nrows - ok, "errors_by_class", by_class, "ttft_ms", ttft,
                                "tpot_ms", tpot, "decode_tps", tps, "e2e_ms", e2e, "peak_rss_kb", rss_kb);
        if (reason)
            json_object_set_new (cj, "reason", json_string (reason));
        /* llama-server's own timings against ours: more than 10 % apart
         * means one of the two clocks is not measuring what it says. */
        json_t *own = s_stats (latest, c, "backend_predicted_per_second", speed);
        double own50 = json_number_value (json_object_get (own, "p50")), ours50 = json_number_value (json_object_get (tps, "p50"));
        if (json_object_get (own, "p50") && ours50 > 0) {
            double diff = (own50 - ours50) / ours50;
            json_object_set_new (cj, "backend_decode_tps_p50", json_real (own50));
            json_object_set_new (cj, "backend_timings_diff_pct", json_real (100 * diff));
            if (fabs (diff) > 0.10) {
                char *w = zsys_sprintf ("the backend's own timings say %.1f tok/s, measured %.1f (%+.0f %%)", own50, ours50,
                                        100 * diff);
                json_object_set_new (cj, "warning", json_string (w));
                char *line = zsys_sprintf ("%s> warning: %s: %s\n\n", warnings, c, w);
                zstr_free (&warnings);
                warnings = line;
                free (w);
            }
        }
        json_decref (own);
        json_object_set_new (cj, "retries", json_integer (retries));
        json_array_append_new (cohorts, cj);
        char a[100], b[100], d[100], e[100], rss[32];
        s_cell (a, sizeof a, ttft, "%.1f");
        s_cell (b, sizeof b, tpot, "%.2f");
        s_cell (d, sizeof d, tps, "%.1f");
        s_cell (e, sizeof e, e2e, "%.0f");
        snprintf (rss, sizeof rss, rss_kb > 0 ? "%.1f" : "-", rss_kb / 1024.0);
        char st[300], errs[200] = "";
        snprintf (st, sizeof st, "%s%s%s", status ? status : "partial", reason ? ": " : "", reason ? reason : "");
        snprintf (errs, sizeof errs, "%d", nrows - ok);
        const char *cls;
        json_t *cnt;
        int first = 1;
        json_object_foreach (json_object_get (cj, "errors_by_class"), cls, cnt) {
            size_t l = strlen (errs);
            snprintf (errs + l, sizeof errs - l, "%s%s %lld", first ? " (" : ", ", cls,
                      (long long) json_integer_value (cnt));
            first = 0;
        }
        if (!first)
            strncat (errs, ")", sizeof errs - strlen (errs) - 1);
        char *line = zsys_sprintf ("%s| %s | %s | %d | %d | %s | %d | %s | %s | %s | %s | %s |\n", md, c, st,
                                   nrows, ok, errs, retries, a, b, d, e, rss);
        zstr_free (&md);
        md = line;
        json_decref (ttft);
        json_decref (tpot);
        json_decref (tps);
        json_decref (e2e);
    }
    if (*warnings) {
        char *line = zsys_sprintf ("%s\n%s", md, warnings);
        zstr_free (&md);
        md = line;
    }
    zstr_free (&warnings);
    /* Matched pairs, side by side. */
    json_t *pairs = json_object ();
    json_t *cj;
    json_array_foreach (cohorts, i, cj) {
        const char *p = json_string_value (json_object_get (cj, "pair"));
        if (!p || !*p)
            continue;
        json_t *arr = json_object_get (pairs, p);
        if (!arr)
            json_object_set_new (pairs, p, arr = json_array ());
        json_array_append (arr, cj);
    }
    if (json_object_size (pairs)) {
        char *line = zsys_sprintf ("%s\n## Matched pairs (medians)\n\n| pair | cohort | TTFT ms | decode tok/s | E2E ms | errors |\n|---|---|---|---|---|---|\n", md);
        zstr_free (&md);
        md = line;
        const char *p;
        json_t *arr;
        json_object_foreach (pairs, p, arr) {
            size_t k;
            json_array_foreach (arr, k, cj) {
                double t = json_number_value (json_object_get (json_object_get (cj, "ttft_ms"), "p50"));
                double d = json_number_value (json_object_get (json_object_get (cj, "decode_tps"), "p50"));
                double e = json_number_value (json_object_get (json_object_get (cj, "e2e_ms"), "p50"));
                line = zsys_sprintf ("%s| %s | %s | %.1f | %.1f | %.0f | %lld |\n", md, p,
                                     json_string_value (json_object_get (cj, "cohort")), t, d, e,
                                     json_integer_value (json_object_get (cj, "errors")));
                zstr_free (&md);
                md = line;
            }
        }
    }
    json_t *summary = json_pack ("{s:s, s:i, s:i, s:i, s:o, s:o}", "sweep", sweep, "cohorts",
                                 (int) json_array_size (cohorts), "rows", (int) total_rows, "errors",
                                 (int) total_err, "per_cohort", cohorts, "pairs", pairs);
    char path[1200];
    snprintf (path, sizeof path, "%s/summary.md", dir);
    FILE *f = fopen (path, "w");
    if (f) {
        fputs (md, f);
        fclose (f);
    }
    snprintf (path, sizeof path, "%s/summary.json", dir);
    json_dump_file (summary, path, JSON_INDENT (2));
    if (json_p)
        *json_p = summary;
    else
        json_decref (summary);
    json_decref (names);
    json_decref (latest);
    eval_rows_destroy (&rows);
    char *out = strdup (md);
    zstr_free (&md);
    return out;
}
