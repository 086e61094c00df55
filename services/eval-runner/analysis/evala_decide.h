/* evala_decide - stay or migrate, for one matched pair (the same model on the
 * current backend and on a candidate). The one decision behind
 * `labctl eval decide`, `labctl eval report` and eval-runner's `decide`
 * (chat `/eval decide`).
 *
 * In this order:
 *   1. blocked: the candidate's error rate is worse than the current's by
 *      more than ERROR_MARGIN, or the candidate is clearly worse on a
 *      capability (scenario kind) the current backend handles: its quality
 *      on that kind lower by more than CAPABILITY_MARGIN ("blocked: audio
 *      lost (WER 0.571 vs 0.000)"). Speed cannot buy a lost capability.
 *   2. insufficient data: a figure with a non-zero weight is missing on
 *      either side (quality, decode, TTFT, peak memory) or one side has no
 *      rows at all; the verdict names what is missing. Never a tie.
 *   3. migrate when the candidate's weighted score beats the current's by
 *      more than THRESHOLD, else stay. Each figure is normalised within the
 *      pair (divided by the better of the two, TTFT and memory inverted), so
 *      the better side gets 1.
 * A blocked verdict still lists missing data ("data incomplete: ..."). */
#ifndef EVALA_DECIDE_H
#define EVALA_DECIDE_H

#include "services/eval-runner/analysis/evala_cohort.h"

typedef struct {
    double weights[4];          /* quality, decode, TTFT, memory */
    double threshold;           /* score difference needed to migrate */
    double error_margin;        /* error-rate points the candidate may lose */
    double capability_margin;   /* per-kind quality the candidate may lose */
} evala_opts_t;

#define EVALA_OPTS_DEFAULT { { 0.40, 0.25, 0.20, 0.15 }, 0.05, 0.05, 0.10 }

typedef enum { EVALA_STAY, EVALA_MIGRATE, EVALA_BLOCKED, EVALA_INSUFFICIENT } evala_outcome_t;

typedef struct {
    evala_outcome_t outcome;
    double figure[2][4];        /* raw: quality, decode tok/s, TTFT ms, memory kB */
    double norm[2][4];          /* normalised; NAN where a side lacks it */
    double score[2];            /* NAN when incomplete */
    double error_rate[2];
    char verdict[256];          /* "migrate", "stay", "blocked: ...", "insufficient data: ..." */
    char missing[512];          /* "" when the data are complete */
    char capabilities[512];     /* per kind, current vs candidate */
} evala_verdict_t;

/* Decides for CUR (current) against CAND (candidate). */
void evala_decide (evala_cohort_t *cur, evala_cohort_t *cand, const evala_opts_t *o, evala_verdict_t *v);

/* One line for a phone: "<verdict> (errors 0.0 % / 0.0 %, data complete)". */
void evala_verdict_brief (const evala_verdict_t *v, char *out, size_t outlen);

/* "migrate", "stay", "blocked", "insufficient data". */
const char *evala_outcome_name (evala_outcome_t o);

#endif
