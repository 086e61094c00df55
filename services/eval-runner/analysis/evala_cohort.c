/* evala_cohort - a cohort's figures from its rows (see the header). */
#include "services/eval-runner/analysis/evala_cohort.h"
#include "services/eval-runner/eval_metrics.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void
evala_cohort_init (evala_cohort_t *c, const char *name)
{
    memset (c, 0, sizeof *c);
    snprintf (c->name, sizeof c->name, "%s", name);
    c->role = -1;
}

void
evala_cohort_free (evala_cohort_t *c)
{
    free (c->decode);
    free (c->ttft);
    free (c->decode_audio);
    free (c->ttft_audio);
    c->decode = c->ttft = c->decode_audio = c->ttft_audio = NULL;
    c->ndecode = c->nttft = c->ndecode_audio = c->nttft_audio = 0;
}

static void
s_push (double **v, size_t *n, json_t *x)
{
    if (!json_is_number (x) || !isfinite (json_number_value (x)))
        return;
    double *nv = (double *) realloc (*v, (*n + 1) * sizeof (double));
    if (!nv)
        return;
    *v = nv;
    (*v)[(*n)++] = json_number_value (x);
}

static evala_kind_t *
s_kind (evala_cohort_t *c, const char *kind)
{
    for (size_t i = 0; i < c->nkinds; i++)
        if (!strcmp (c->kinds[i].kind, kind))
            return &c->kinds[i];
    if (c->nkinds == EVALA_KINDS_MAX)
        return NULL;
    evala_kind_t *k = &c->kinds[c->nkinds++];
    memset (k, 0, sizeof *k);
    snprintf (k->kind, sizeof k->kind, "%s", kind);
    return k;
}

/* A row's quality: NAN when the row has none to give. */
static double
s_row_quality (json_t *row, bool ok, double human)
{
    if (!ok)
        return 0;   /* a failed request is a failed answer */
    json_t *comp = json_object_get (row, "composite");
    bool has_comp = json_is_number (comp);
    if (has_comp && !isnan (human))
        return (1 - EVALA_HUMAN_WEIGHT) * json_number_value (comp) + EVALA_HUMAN_WEIGHT * human;
    if (has_comp)
        return json_number_value (comp);
    return human;
}

/* The memory figure of a row or cohort record: memory_kb with its probe;
 * rows written before probes were named have only peak_rss_kb, from /proc.
 * A probe that names itself and has no figure leaves memory unknown. */
static void
s_memory (evala_cohort_t *c, json_t *j)
{
    const char *probe = json_string_value (json_object_get (j, "memory_probe"));
    json_t *mem = json_object_get (j, probe ? "memory_kb" : "peak_rss_kb");
    double kb = json_is_number (mem) ? json_number_value (mem) : 0;
    if (probe && !c->memory_probe[0])
        snprintf (c->memory_probe, sizeof c->memory_probe, "%s", probe);
    if (kb > c->memory_kb) {
        c->memory_kb = kb;
        snprintf (c->memory_probe, sizeof c->memory_probe, "%s", probe ? probe : "proc");
    }
}

void
evala_cohort_add (evala_cohort_t *c, json_t *row, bool quality_row, bool speed_row, double human)
{
    const char *outcome = json_string_value (json_object_get (row, "outcome"));
    const char *kind = json_string_value (json_object_get (row, "kind"));
    bool ok = outcome && !strcmp (outcome, "ok");
    bool audio = kind && !strcmp (kind, "audio");
    if (c->role < 0) {
        const char *role = json_string_value (json_object_get (row, "pair_role"));
        c->role = !role ? -1 : !strcmp (role, "current") ? 0 : !strcmp (role, "candidate") ? 1 : -1;
    }
    if (!c->pair[0] && json_string_value (json_object_get (row, "pair")))
        snprintf (c->pair, sizeof c->pair, "%s", json_string_value (json_object_get (row, "pair")));
    c->rows++;
    c->errors += !ok;
    evala_kind_t *k = s_kind (c, kind && *kind ? kind : "triage");
    if (k) {
        k->rows++;
        k->errors += !ok;
    }
    if (ok && speed_row) {
        s_push (audio ? &c->decode_audio : &c->decode, audio ? &c->ndecode_audio : &c->ndecode,
                json_object_get (row, "decode_tps"));
        s_push (audio ? &c->ttft_audio : &c->ttft, audio ? &c->nttft_audio : &c->nttft,
                json_object_get (row, "ttft_ms"));
    }
    if (ok)
        s_memory (c, row);
    if (!quality_row)
        return;
    double q = s_row_quality (row, ok, human);
    if (isnan (q))
        return;
    c->scored++;
    c->failed_scored += !ok;
    const char *finish = json_string_value (json_object_get (row, "finish_reason"));
    c->truncated += ok && (json_is_true (json_object_get (row, "truncated")) || (finish && !strcmp (finish, "length")));
    c->human_rows += ok && !isnan (human);
    c->quality_sum += q;
    if (k) {
        k->scored++;
        k->quality_sum += q;
        if (ok && json_is_integer (json_object_get (row, "wer_ref_words"))) {
            k->wer_words += (size_t) json_integer_value (json_object_get (row, "wer_ref_words"));
            k->wer_edits += (size_t) (json_integer_value (json_object_get (row, "wer_sub"))
                                      + json_integer_value (json_object_get (row, "wer_del"))
                                      + json_integer_value (json_object_get (row, "wer_ins")));
        }
    }
}

void
evala_cohort_record (evala_cohort_t *c, json_t *rec)
{
    const char *status = json_string_value (json_object_get (rec, "status"));
    const char *reason = json_string_value (json_object_get (rec, "reason"));
    snprintf (c->status, sizeof c->status, "%s", status ? status : "");
    snprintf (c->reason, sizeof c->reason, "%s", reason ? reason : "");
    s_memory (c, rec);
}

double
evala_cohort_quality (const evala_cohort_t *c)
{
    return c->scored ? c->quality_sum / (double) c->scored : NAN;
}

double
evala_cohort_error_rate (const evala_cohort_t *c)
{
    return c->rows ? (double) c->errors / (double) c->rows : NAN;
}

double
evala_median (double *v, size_t n)
{
    lab_stats_sort (v, n);
    return lab_stats_percentile (v, n, 50);
}

double
evala_cohort_decode (evala_cohort_t *c)
{
    return c->ndecode ? evala_median (c->decode, c->ndecode) : evala_median (c->decode_audio, c->ndecode_audio);
}

double
evala_cohort_ttft (evala_cohort_t *c)
{
    return c->nttft ? evala_median (c->ttft, c->nttft) : evala_median (c->ttft_audio, c->nttft_audio);
}

const evala_kind_t *
evala_cohort_kind (const evala_cohort_t *c, const char *kind)
{
    for (size_t i = 0; i < c->nkinds; i++)
        if (!strcmp (c->kinds[i].kind, kind))
            return &c->kinds[i];
    return NULL;
}

double
evala_kind_quality (const evala_kind_t *k)
{
    return k && k->scored ? k->quality_sum / (double) k->scored : NAN;
}

double
evala_kind_wer (const evala_kind_t *k)
{
    return k && k->wer_words ? (double) k->wer_edits / (double) k->wer_words : NAN;
}
