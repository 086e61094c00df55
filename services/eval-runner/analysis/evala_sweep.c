/* evala_sweep - a sweep directory read once for analysis (see the header).
 *
 * Pairs: cohorts that share a row's "pair"; the current backend is the one
 * whose rows say pair_role "current" (the plan's pairs line, first cohort),
 * else, for rows written before that field, the first cohort seen. */
#include "services/eval-runner/analysis/evala_sweep.h"
#include <czmq.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _evala_sweep_t {
    json_t *rows;
    json_t *human;              /* key -> mean score 1..5 */
    size_t skipped;
    evala_cohort_t cohorts[EVALA_COHORTS_MAX];
    size_t ncohorts, left_out;
    evala_pair_t pairs[EVALA_COHORTS_MAX];
    size_t npairs;
};

json_t *
evala_rows_load (const char *dir, size_t *skipped)
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
evala_rows_have_bucket (json_t *rows, const char *bucket)
{
    size_t i;
    json_t *r;
    json_array_foreach (rows, i, r) {
        const char *b = json_string_value (json_object_get (r, "bucket"));
        if (b && !strcmp (b, bucket))
            return true;
    }
    return false;
}

bool
evala_rows_have_quality (json_t *rows)
{
    return evala_rows_have_bucket (rows, "quality");
}

/* blind/scores.jsonl: key -> mean of the valid scores (1..5). */
static json_t *
s_human (const char *dir)
{
    char path[4300];
    snprintf (path, sizeof path, "%s/blind/scores.jsonl", dir);
    json_t *sum = json_object (), *n = json_object ();
    FILE *f = fopen (path, "r");
    char *line = NULL;
    size_t cap = 0;
    while (f && getline (&line, &cap, f) > 0) {
        json_t *s = json_loads (line, 0, NULL);
        const char *key = json_string_value (json_object_get (s, "key"));
        json_t *score = json_object_get (s, "score");
        if (key && json_is_integer (score) && json_integer_value (score) >= 1 && json_integer_value (score) <= 5) {
            json_object_set_new (sum, key, json_real (json_real_value (json_object_get (sum, key))
                                                      + (double) json_integer_value (score)));
            json_object_set_new (n, key, json_integer (json_integer_value (json_object_get (n, key)) + 1));
        }
        json_decref (s);
    }
    free (line);
    if (f)
        fclose (f);
    const char *key;
    json_t *v;
    json_object_foreach (sum, key, v)
        json_object_set_new (sum, key, json_real (json_real_value (v)
                                                  / (double) json_integer_value (json_object_get (n, key))));
    json_decref (n);
    return sum;
}

static evala_cohort_t *
s_cohort (evala_sweep_t *self, const char *name)
{
    for (size_t i = 0; i < self->ncohorts; i++)
        if (!strcmp (self->cohorts[i].name, name))
            return &self->cohorts[i];
    if (self->ncohorts == EVALA_COHORTS_MAX) {
        self->left_out++;
        return NULL;
    }
    evala_cohort_t *c = &self->cohorts[self->ncohorts++];
    evala_cohort_init (c, name);
    return c;
}

static void
s_records (evala_sweep_t *self, const char *dir)
{
    char path[4300];
    snprintf (path, sizeof path, "%s/cohorts.jsonl", dir);
    FILE *f = fopen (path, "r");
    char *line = NULL;
    size_t cap = 0;
    /* The last record of a cohort wins (a rerun appends). */
    while (f && getline (&line, &cap, f) > 0) {
        json_t *rec = json_loads (line, 0, NULL);
        const char *name = json_string_value (json_object_get (rec, "cohort"));
        evala_cohort_t *c = name ? s_cohort (self, name) : NULL;
        if (c)
            evala_cohort_record (c, rec);
        json_decref (rec);
    }
    free (line);
    if (f)
        fclose (f);
}

static void
s_pairs (evala_sweep_t *self, const evala_opts_t *o)
{
    for (size_t i = 0; i < self->ncohorts; i++)
        for (size_t j = i + 1; j < self->ncohorts; j++) {
            evala_cohort_t *a = &self->cohorts[i], *b = &self->cohorts[j];
            if (!a->pair[0] || strcmp (a->pair, b->pair) || self->npairs == EVALA_COHORTS_MAX)
                continue;
            evala_pair_t *p = &self->pairs[self->npairs++];
            snprintf (p->name, sizeof p->name, "%s", a->pair);
            bool swap = a->role == 1 || b->role == 0;
            p->cur = swap ? j : i;
            p->cand = swap ? i : j;
            evala_decide (&self->cohorts[p->cur], &self->cohorts[p->cand], o, &p->v);
        }
}

evala_sweep_t *
evala_sweep_load (const char *dir, const evala_opts_t *o, char *err, size_t errlen)
{
    evala_sweep_t *self = (evala_sweep_t *) zmalloc (sizeof *self);
    self->rows = evala_rows_load (dir, &self->skipped);
    if (!self->rows) {
        snprintf (err, errlen, "no rows at %s/rows.jsonl", dir);
        free (self);
        return NULL;
    }
    self->human = s_human (dir);
    /* Quality from the quality bucket, speed from the throughput bucket,
     * when the sweep has them: buckets measure different things. */
    bool has_quality = evala_rows_have_quality (self->rows);
    bool has_speed = evala_rows_have_bucket (self->rows, "throughput");
    size_t i;
    json_t *r;
    json_array_foreach (self->rows, i, r) {
        const char *name = json_string_value (json_object_get (r, "cohort"));
        evala_cohort_t *c = name ? s_cohort (self, name) : NULL;
        if (!c)
            continue;
        const char *bucket = json_string_value (json_object_get (r, "bucket"));
        bool quality_row = !has_quality || (bucket && !strcmp (bucket, "quality"));
        bool speed_row = !has_speed || (bucket && !strcmp (bucket, "throughput"));
        json_t *h = json_object_get (self->human, json_string_value (json_object_get (r, "key")));
        evala_cohort_add (c, r, quality_row, speed_row, h ? (json_real_value (h) - 1) / 4 : NAN);
    }
    s_records (self, dir);
    s_pairs (self, o);
    return self;
}

void
evala_sweep_destroy (evala_sweep_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    evala_sweep_t *self = *self_p;
    for (size_t i = 0; i < self->ncohorts; i++)
        evala_cohort_free (&self->cohorts[i]);
    json_decref (self->rows);
    json_decref (self->human);
    free (self);
    *self_p = NULL;
}

json_t *
evala_sweep_rows (evala_sweep_t *self)
{
    return self->rows;
}

size_t
evala_sweep_skipped (evala_sweep_t *self)
{
    return self->skipped;
}

json_t *
evala_sweep_human (evala_sweep_t *self)
{
    return self->human;
}

size_t
evala_sweep_ncohorts (evala_sweep_t *self)
{
    return self->ncohorts;
}

evala_cohort_t *
evala_sweep_cohort (evala_sweep_t *self, size_t i)
{
    return i < self->ncohorts ? &self->cohorts[i] : NULL;
}

size_t
evala_sweep_left_out (evala_sweep_t *self)
{
    return self->left_out;
}

size_t
evala_sweep_npairs (evala_sweep_t *self)
{
    return self->npairs;
}

evala_pair_t *
evala_sweep_pair (evala_sweep_t *self, size_t i)
{
    return i < self->npairs ? &self->pairs[i] : NULL;
}

const char *
evala_sweep_overall (evala_sweep_t *self, char *detail, size_t len)
{
    size_t n[4] = { 0 };
    for (size_t i = 0; i < self->npairs; i++)
        n[self->pairs[i].v.outcome]++;
    snprintf (detail, len, "%zu of %zu pairs favour the candidate, %zu blocked, %zu with insufficient data",
              n[EVALA_MIGRATE], self->npairs, n[EVALA_BLOCKED], n[EVALA_INSUFFICIENT]);
    if (self->npairs && n[EVALA_INSUFFICIENT] == self->npairs)
        return "insufficient data";
    return n[EVALA_MIGRATE] * 2 > self->npairs ? "migrate" : "stay";
}

static const char *
s_fmt (char *buf, size_t len, double x, const char *fmt, double scale)
{
    if (isnan (x))
        snprintf (buf, len, "–");
    else
        snprintf (buf, len, fmt, x / scale);
    return buf;
}

char *
evala_sweep_text (evala_sweep_t *self, const evala_opts_t *o)
{
    char *out = strdup ("");
    for (size_t i = 0; i < self->npairs; i++) {
        evala_pair_t *p = &self->pairs[i];
        char *s = zsys_sprintf ("%spair %s\n", out, p->name);
        free (out);
        out = s;
        for (int k = 0; k < 2; k++) {
            evala_cohort_t *c = &self->cohorts[k ? p->cand : p->cur];
            char q[32], d[32], t[32], m[32], sc[32], e[32];
            s_fmt (q, sizeof q, p->v.figure[k][0], "%.3f", 1);
            s_fmt (d, sizeof d, p->v.figure[k][1], "%.0f", 1);
            s_fmt (t, sizeof t, p->v.figure[k][2], "%.1f", 1);
            s_fmt (m, sizeof m, p->v.figure[k][3], "%.0f MB", 1024);
            s_fmt (sc, sizeof sc, p->v.score[k], "%.3f", 1);
            s_fmt (e, sizeof e, p->v.error_rate[k], "%.1f %%", 0.01);
            s = zsys_sprintf ("%s  %-28s quality %s (%zu rows, %zu failed, %zu human)  decode %s tok/s  TTFT %s ms  "
                              "peak memory %s (%s)  errors %s (%zu/%zu)  score %s%s\n",
                              out, c->name, q, c->scored, c->failed_scored, c->human_rows, d, t, m,
                              c->memory_probe[0] ? c->memory_probe : "unknown", e, c->errors, c->rows, sc,
                              k ? " (candidate)" : " (current)");
            free (out);
            out = s;
        }
        char brief[1200];
        evala_verdict_brief (&p->v, brief, sizeof brief);
        s = zsys_sprintf ("%s  capabilities: %s\n  verdict: %s\n", out,
                          p->v.capabilities[0] ? p->v.capabilities : "–", brief);
        free (out);
        out = s;
    }
    char detail[256];
    const char *overall = evala_sweep_overall (self, detail, sizeof detail);
    char *s = self->npairs
                  ? zsys_sprintf ("%soverall: %s (%s; weights quality %.2f decode %.2f TTFT %.2f memory %.2f, "
                                  "threshold %.2f, error margin %.2f, capability margin %.2f)\n",
                                  out, overall, detail, o->weights[0], o->weights[1], o->weights[2], o->weights[3],
                                  o->threshold, o->error_margin, o->capability_margin)
                  : zsys_sprintf ("%sno matched pair with two cohorts\n", out);
    free (out);
    return s;
}

char *
evala_sweep_brief (evala_sweep_t *self)
{
    char *out = strdup ("");
    for (size_t i = 0; i < self->npairs; i++) {
        evala_pair_t *p = &self->pairs[i];
        char brief[1200];
        evala_verdict_brief (&p->v, brief, sizeof brief);
        char *s = zsys_sprintf ("%s%s: %s -> %s: %s\n", out, p->name, self->cohorts[p->cur].name,
                                self->cohorts[p->cand].name, brief);
        free (out);
        out = s;
    }
    char detail[256];
    const char *overall = evala_sweep_overall (self, detail, sizeof detail);
    char *s = self->npairs ? zsys_sprintf ("%soverall: %s (%s)", out, overall, detail)
                           : zsys_sprintf ("%sno matched pair with two cohorts", out);
    free (out);
    return s;
}

static json_t *
s_num (double x)
{
    return isnan (x) ? json_null () : json_real (x);
}

json_t *
evala_sweep_json (evala_sweep_t *self)
{
    json_t *arr = json_array ();
    for (size_t i = 0; i < self->npairs; i++) {
        evala_pair_t *p = &self->pairs[i];
        json_t *sides = json_array ();
        for (int k = 0; k < 2; k++) {
            evala_cohort_t *c = &self->cohorts[k ? p->cand : p->cur];
            json_array_append_new (sides, json_pack ("{s:s, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:I, s:I, s:I}",
                                                     "cohort", c->name, "quality", s_num (p->v.figure[k][0]),
                                                     "decode_tps", s_num (p->v.figure[k][1]), "ttft_ms",
                                                     s_num (p->v.figure[k][2]), "memory_kb",
                                                     s_num (p->v.figure[k][3]), "memory_probe",
                                                     c->memory_probe[0] ? c->memory_probe : "unknown", "error_rate",
                                                     s_num (p->v.error_rate[k]), "score", s_num (p->v.score[k]),
                                                     "rows", (json_int_t) c->rows, "errors", (json_int_t) c->errors,
                                                     "human_rows", (json_int_t) c->human_rows));
        }
        json_array_append_new (arr, json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "pair", p->name, "current",
                                               self->cohorts[p->cur].name, "candidate", self->cohorts[p->cand].name,
                                               "verdict", evala_outcome_name (p->v.outcome), "detail", p->v.verdict,
                                               "missing", p->v.missing, "capabilities", p->v.capabilities, "sides",
                                               sides));
    }
    return arr;
}
