/* evala_cohort - one cohort's figures for the decision, built from its rows
 * (the last row of every key) and the human blind scores of those rows.
 *
 * Every figure has a definition that docs/eval.md repeats:
 *   rows, errors      all buckets; errors = outcome other than "ok"
 *   quality           mean row quality over the quality rows (the "quality"
 *                     bucket when the sweep has one, else every row); a
 *                     failed request counts 0, an ok row without any score
 *                     (no verify section, no human score) is left out
 *   row quality       composite; with blind human scores (1..5, mapped to
 *                     (s - 1) / 4 and averaged per row) the blend
 *                     (1 - h) * composite + h * human, h = EVALA_HUMAN_WEIGHT
 *   per kind          the same quality per scenario kind (triage, audio,
 *                     image ...), and for audio the corpus WER
 *                     (S + D + I) / N of the scored rows
 *   decode, ttft      medians over the ok rows of the text kinds in the
 *                     speed set (the "throughput" bucket when the sweep has
 *                     one, else every row); audio rows only when there is
 *                     nothing else
 *   memory            the largest peak over the rows and the cohort record,
 *                     with the probe that measured it; 0 = unknown
 *   truncated         quality rows cut at max_tokens: when they are more
 *                     than half, the quality says nothing about the model
 * NAN means "no data", never 0. */
#ifndef EVALA_COHORT_H
#define EVALA_COHORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define EVALA_HUMAN_WEIGHT 0.5
#define EVALA_KINDS_MAX    8
#define EVALA_NAME_MAX     192

typedef struct {
    char kind[32];
    size_t rows, errors;      /* rows of this kind; failed ones */
    size_t scored;            /* rows behind QUALITY (failed ones included) */
    double quality_sum;
    size_t wer_edits, wer_words;
} evala_kind_t;

typedef struct {
    char name[EVALA_NAME_MAX];
    char pair[96];
    int role;                 /* 0 current, 1 candidate, -1 not said by the rows */
    size_t rows, errors;
    size_t scored;            /* rows behind QUALITY */
    size_t failed_scored;     /* failed requests among them (quality 0) */
    size_t human_rows;        /* scored rows that had a human score */
    size_t truncated;         /* scored rows cut at max_tokens (finish_reason=length) */
    double quality_sum;
    double *decode, *ttft;    /* ok text rows' figures (owned) */
    size_t ndecode, nttft;
    double *decode_audio, *ttft_audio;   /* ok audio rows' (owned) */
    size_t ndecode_audio, nttft_audio;
    double memory_kb;         /* 0: unknown */
    char memory_probe[32];    /* "proc", "command", "nvidia-smi", ... "" */
    char status[16];          /* cohort record: done, skipped, "" */
    char reason[256];
    evala_kind_t kinds[EVALA_KINDS_MAX];
    size_t nkinds;
} evala_cohort_t;

/* Starts an empty cohort NAME. */
void evala_cohort_init (evala_cohort_t *c, const char *name);
void evala_cohort_free (evala_cohort_t *c);

/* Adds ROW (one of this cohort's, deduplicated). QUALITY_ROW: the row is in
 * the quality set; SPEED_ROW: in the speed set. HUMAN: the row's mean blind
 * score mapped to 0..1, or NAN when it has none. */
void evala_cohort_add (evala_cohort_t *c, json_t *row, bool quality_row, bool speed_row, double human);

/* Takes the cohort record of cohorts.jsonl (status, reason, peak memory). */
void evala_cohort_record (evala_cohort_t *c, json_t *rec);

/* The figures (NAN when there are none). */
double evala_cohort_quality (const evala_cohort_t *c);
double evala_cohort_error_rate (const evala_cohort_t *c);
double evala_cohort_decode (evala_cohort_t *c);    /* sorts in place */
double evala_cohort_ttft (evala_cohort_t *c);
const evala_kind_t *evala_cohort_kind (const evala_cohort_t *c, const char *kind);
double evala_kind_quality (const evala_kind_t *k);
double evala_kind_wer (const evala_kind_t *k);

/* Median of V[0..N-1] (sorted in place); NAN when N is 0. */
double evala_median (double *v, size_t n);

#endif
