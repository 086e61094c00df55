/* labctl_evaldata - reading a finished (or half-finished) sweep's output
 * directory, shared by `labctl eval decide`, `score` and `report`. */
#ifndef LABCTL_EVALDATA_H
#define LABCTL_EVALDATA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* ARG is a sweep's output directory, or a plan file whose plan/output names
 * it. Writes the directory into OUT; -1 with a message on stderr when a plan
 * cannot be read. */
int labctl_eval_dir (const char *arg, char *out, size_t outlen);

/* The arguments of `eval score|report`: one positional (returned) and
 * options taking a value, OPTS[i] (NULL-terminated) setting VALUES[i]
 * (unchanged when absent). NULL on anything else: a usage error. */
const char *labctl_eval_args (int argc, char **argv, const char *const *opts, const char **values);

/* The scenario pack of the sweep in ARG: the plan's plan/scenarios when ARG
 * is a plan, else eval/scenarios. */
void labctl_eval_pack (const char *arg, char *out, size_t outlen);

/* The rows of DIR/rows.jsonl, the last row of every key (a rerun with
 * --retry-errors appends a newer one), in the order keys first appeared.
 * Lines that are not JSON objects (a torn last line) are skipped and counted
 * in *SKIPPED. NULL when the file cannot be opened. */
json_t *labctl_eval_rows (const char *dir, size_t *skipped);

/* Whether ROWS has rows of a bucket named "quality": quality figures then
 * come from those rows alone, else from every row. */
bool labctl_eval_has_quality (json_t *rows);

/* The raw completion of ROW: its completion_file under DIR, else its
 * "completion" field; "" when neither. Caller frees. */
char *labctl_eval_completion (const char *dir, json_t *row);

/* A cohort's figures for the decision matrix. */
typedef struct {
    const char *cohort;
    double quality;   /* mean composite of the quality rows; NAN when none */
    double decode;    /* decode tok/s, median */
    double ttft;      /* ms, median */
    double rss;       /* peak RSS, kB */
    int scored;       /* quality rows behind QUALITY */
} labctl_fig_t;

#define LABCTL_DECIDE_WEIGHTS { 0.40, 0.25, 0.20, 0.15 }
#define LABCTL_DECIDE_THRESHOLD 0.05

/* A's figures normalised within the pair (A, B): each divided by the better
 * of the two, TTFT and RSS inverted, so 1 is the better side and higher is
 * better everywhere. A figure one side lacks counts as a tie (1). */
void labctl_pair_norm (const labctl_fig_t *a, const labctl_fig_t *b, double norm[4]);

/* The weighted score of normalised figures (weights: quality, decode, TTFT,
 * RSS). */
double labctl_pair_score (const double norm[4], const double w[4]);

#endif
