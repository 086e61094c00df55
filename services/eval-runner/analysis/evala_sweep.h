/* evala_sweep - a sweep's output directory read once for analysis: the last
 * row of every key (rows.jsonl), the cohort records (cohorts.jsonl), the
 * blind human scores (blind/scores.jsonl), the cohorts' figures and the
 * matched pairs with their verdicts. `labctl eval decide`, `labctl eval
 * report` and eval-runner's `decide` all read a sweep through this, so they
 * cannot disagree. */
#ifndef EVALA_SWEEP_H
#define EVALA_SWEEP_H

#include "services/eval-runner/analysis/evala_cohort.h"
#include "services/eval-runner/analysis/evala_decide.h"

#define EVALA_COHORTS_MAX 32

typedef struct {
    char name[96];
    size_t cur, cand;           /* indexes into the cohorts */
    evala_verdict_t v;
} evala_pair_t;

typedef struct _evala_sweep_t evala_sweep_t;

/* The last row of every key of DIR/rows.jsonl, in first-seen key order;
 * lines that are not JSON objects with a key are skipped and counted in
 * *SKIPPED. NULL when the file cannot be opened. */
json_t *evala_rows_load (const char *dir, size_t *skipped);

/* Whether ROWS have a bucket named "quality" (then only those are quality rows). */
bool evala_rows_have_quality (json_t *rows);
/* Whether ROWS have a bucket named BUCKET. */
bool evala_rows_have_bucket (json_t *rows, const char *bucket);

/* Reads DIR and decides every pair with O. NULL with ERR when DIR has no
 * rows.jsonl. */
evala_sweep_t *evala_sweep_load (const char *dir, const evala_opts_t *o, char *err, size_t errlen);
void evala_sweep_destroy (evala_sweep_t **self_p);

/* The deduplicated rows (borrowed). */
json_t *evala_sweep_rows (evala_sweep_t *self);
size_t evala_sweep_skipped (evala_sweep_t *self);
/* Row key -> mean human score 1..5 (borrowed object of reals). */
json_t *evala_sweep_human (evala_sweep_t *self);

size_t evala_sweep_ncohorts (evala_sweep_t *self);
evala_cohort_t *evala_sweep_cohort (evala_sweep_t *self, size_t i);
/* Cohorts beyond EVALA_COHORTS_MAX, left out. */
size_t evala_sweep_left_out (evala_sweep_t *self);

size_t evala_sweep_npairs (evala_sweep_t *self);
evala_pair_t *evala_sweep_pair (evala_sweep_t *self, size_t i);

/* "migrate" when most pairs migrate, else "stay"; "insufficient data"
 * when no pair could be decided; writes the counts into DETAIL. */
const char *evala_sweep_overall (evala_sweep_t *self, char *detail, size_t len);

/* The decision in a few lines for a phone: one per pair
 * ("qwen3-8b: stay (score +0.010, errors 0.0 % / 0.0 %, data complete)")
 * and the overall verdict. Caller frees. */
char *evala_sweep_brief (evala_sweep_t *self);

/* The whole decision as text (what `labctl eval decide` prints) and as JSON. */
char *evala_sweep_text (evala_sweep_t *self, const evala_opts_t *o);
json_t *evala_sweep_json (evala_sweep_t *self);

#endif
