/* evala_decide - stay, migrate, blocked or insufficient data (see the
 * header for the rules and their order). */
#include "services/eval-runner/analysis/evala_decide.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Comparisons at the margins are "more than": a difference equal to the
 * margin does not block. EPS keeps 1.0 - 0.9 (0.0999...) from deciding. */
#define EPS 1e-9

static const char *const s_figure_names[4] = { "quality", "decode tok/s", "TTFT", "peak memory" };

const char *
evala_outcome_name (evala_outcome_t o)
{
    switch (o) {
    case EVALA_MIGRATE: return "migrate";
    case EVALA_BLOCKED: return "blocked";
    case EVALA_INSUFFICIENT: return "insufficient data";
    default: return "stay";
    }
}

static void
s_append (char *buf, size_t len, const char *fmt, const char *a, const char *b)
{
    size_t l = strlen (buf);
    if (l + 2 >= len)
        return;
    snprintf (buf + l, len - l, "%s", l ? ", " : "");
    l = strlen (buf);
    snprintf (buf + l, len - l, fmt, a, b);
}

/* Missing figures (those with a weight) of side C into MISSING. */
static void
s_missing (evala_cohort_t *c, const double fig[4], const double w[4], char *missing, size_t len)
{
    if (!c->rows) {
        s_append (missing, len, "no rows of %s%s", c->name,
                  !strcmp (c->status, "skipped") ? " (skipped)" : "");
        return;
    }
    if (w[0] > 0 && c->scored && 2 * c->truncated > c->scored) {
        /* Answers cut at max_tokens (a thinking model's budget) score 0 on
         * both sides alike: their quality would be a tie of budgets. */
        char what[160];
        snprintf (what, sizeof what, "%zu of %zu quality answers cut at max_tokens; raise it or turn thinking off",
                  c->truncated, c->scored);
        s_append (missing, len, "quality of %s (%s)", c->name, what);
    }
    for (int m = 0; m < 4; m++) {
        if (!(w[m] > 0) || (m == 3 ? fig[m] > 0 : !isnan (fig[m])))
            continue;
        if (m == 3)
            s_append (missing, len, "peak memory of %s (%s)", c->name,
                      !c->memory_probe[0]                ? "no probe reported it"
                      : !strcmp (c->memory_probe, "none") ? "no memory_probe for a backend that runs elsewhere"
                                                          : "its probe got no figure");
        else
            s_append (missing, len, "%s of %s", s_figure_names[m], c->name);
    }
}

/* The capability gate: the first kind the candidate has clearly lost. */
static bool
s_capability_lost (evala_cohort_t *cur, evala_cohort_t *cand, const evala_opts_t *o, evala_verdict_t *v)
{
    bool lost = false;
    for (size_t i = 0; i < cur->nkinds; i++) {
        const evala_kind_t *a = &cur->kinds[i];
        const evala_kind_t *b = evala_cohort_kind (cand, a->kind);
        double qa = evala_kind_quality (a), qb = evala_kind_quality (b);
        if (isnan (qa))
            continue;
        char line[160];
        if (isnan (qb)) {
            /* Said once: a candidate with no quality at all is already missing it. */
            if (!isnan (evala_cohort_quality (cand)))
                s_append (v->missing, sizeof v->missing, "%s quality of %s", a->kind, cand->name);
            continue;
        }
        double wa = evala_kind_wer (a), wb = evala_kind_wer (b);
        bool wer = !isnan (wa) && !isnan (wb);
        if (wer)
            snprintf (line, sizeof line, "%s WER %.3f vs %.3f", a->kind, wa, wb);
        else
            snprintf (line, sizeof line, "%s %.3f vs %.3f", a->kind, qa, qb);
        s_append (v->capabilities, sizeof v->capabilities, "%s%s", line, "");
        if (lost || !(qa - qb > o->capability_margin + EPS))
            continue;
        lost = true;
        /* The candidate's figure first: it is the one that was lost. */
        if (wer)
            snprintf (v->verdict, sizeof v->verdict, "blocked: %s lost (WER %.3f vs %.3f)", a->kind, wb, wa);
        else
            snprintf (v->verdict, sizeof v->verdict, "blocked: %s lost (quality %.3f vs %.3f)", a->kind, qb, qa);
    }
    return lost;
}

static void
s_norm (const double a[4], const double b[4], double out[4])
{
    out[0] = fmax (a[0], b[0]) > 0 ? a[0] / fmax (a[0], b[0]) : 1;   /* both 0: equal */
    out[1] = fmax (a[1], b[1]) > 0 ? a[1] / fmax (a[1], b[1]) : 1;
    out[2] = a[2] > 0 ? fmin (a[2], b[2]) / a[2] : 1;
    out[3] = a[3] > 0 ? fmin (a[3], b[3]) / a[3] : 1;
    for (int m = 0; m < 4; m++)
        if (isnan (a[m]) || isnan (b[m]) || (m == 3 && !(a[m] > 0 && b[m] > 0)))
            out[m] = NAN;
}

void
evala_decide (evala_cohort_t *cur, evala_cohort_t *cand, const evala_opts_t *o, evala_verdict_t *v)
{
    memset (v, 0, sizeof *v);
    evala_cohort_t *side[2] = { cur, cand };
    for (int k = 0; k < 2; k++) {
        v->figure[k][0] = evala_cohort_quality (side[k]);
        v->figure[k][1] = evala_cohort_decode (side[k]);
        v->figure[k][2] = evala_cohort_ttft (side[k]);
        v->figure[k][3] = side[k]->memory_kb > 0 ? side[k]->memory_kb : NAN;
        v->error_rate[k] = evala_cohort_error_rate (side[k]);
    }
    for (int k = 0; k < 2; k++)
        s_missing (side[k], v->figure[k], o->weights, v->missing, sizeof v->missing);
    s_norm (v->figure[0], v->figure[1], v->norm[0]);
    s_norm (v->figure[1], v->figure[0], v->norm[1]);
    for (int k = 0; k < 2; k++) {
        v->score[k] = 0;
        for (int m = 0; m < 4; m++)
            if (o->weights[m] > 0)
                v->score[k] += o->weights[m] * v->norm[k][m];   /* NAN stays NAN */
    }
    bool lost = s_capability_lost (cur, cand, o, v);
    if (!isnan (v->error_rate[0]) && !isnan (v->error_rate[1])
        && v->error_rate[1] - v->error_rate[0] > o->error_margin + EPS) {
        v->outcome = EVALA_BLOCKED;
        snprintf (v->verdict, sizeof v->verdict, "blocked: error rate %.1f %% vs %.1f %%",
                  100 * v->error_rate[1], 100 * v->error_rate[0]);
    }
    else if (lost)
        v->outcome = EVALA_BLOCKED;
    else if (v->missing[0]) {
        v->outcome = EVALA_INSUFFICIENT;
        snprintf (v->verdict, sizeof v->verdict, "insufficient data: %s", v->missing);
    }
    else {
        v->outcome = v->score[1] > v->score[0] + o->threshold + EPS ? EVALA_MIGRATE : EVALA_STAY;
        snprintf (v->verdict, sizeof v->verdict, "%s", evala_outcome_name (v->outcome));
    }
}

void
evala_verdict_brief (const evala_verdict_t *v, char *out, size_t outlen)
{
    char e[2][32];
    for (int k = 0; k < 2; k++)
        if (isnan (v->error_rate[k]))
            snprintf (e[k], sizeof e[k], "–");
        else
            snprintf (e[k], sizeof e[k], "%.1f %%", 100 * v->error_rate[k]);
    char diff[64] = "";
    if (!isnan (v->score[0]) && !isnan (v->score[1]))
        snprintf (diff, sizeof diff, "score %+.3f, ", v->score[1] - v->score[0]);
    /* An insufficient-data verdict already names what is missing. */
    bool repeat = v->missing[0] && v->outcome != EVALA_INSUFFICIENT;
    snprintf (out, outlen, "%s (%serrors %s / %s, %s%s%s)", v->verdict, diff, e[0], e[1],
              v->missing[0] ? "data incomplete" : "data complete", repeat ? ": " : "", repeat ? v->missing : "");
}
