/* eval_rows - the sweep's append-only results: one row per request in
 * rows.jsonl (the full row) and rows.csv (fixed columns), each row written
 * with one write and flushed at once, the raw completion stored beside in
 * completions/. A row's key is cohort|bucket|scenario|rep.
 *
 * Opening an existing directory resumes: a torn last line (the process was
 * killed mid-write) is cut off, the CSV is rebuilt from the JSON lines when
 * the two disagree, and eval_rows_done says which keys need no new request.
 * Cohort records (started, done, skipped with reason, peak RSS) go to
 * cohorts.jsonl the same way. */
#ifndef EVAL_ROWS_H
#define EVAL_ROWS_H

#include <jansson.h>
#include <stdbool.h>

typedef struct _eval_rows_t eval_rows_t;

eval_rows_t *eval_rows_open (const char *dir, char *err, size_t errlen);
void eval_rows_destroy (eval_rows_t **self_p);
const char *eval_rows_dir (eval_rows_t *self);

/* The key of a row. */
void eval_rows_key (char *out, size_t outlen, const char *cohort, const char *bucket,
                    const char *scenario, long rep);
/* True when KEY has a row that needs no redo: an ok row, or an error row
 * unless RETRY_ERRORS. */
bool eval_rows_done (eval_rows_t *self, const char *key, bool retry_errors);

/* Appends ROW (must have "key"; "completion" goes to its own file too). */
int eval_rows_append (eval_rows_t *self, json_t *row, char *err, size_t errlen);
/* Appends a cohort record. */
int eval_rows_cohort (eval_rows_t *self, json_t *rec);

/* Rows: every row written, in order (borrowed array). */
json_t *eval_rows_all (eval_rows_t *self);
/* The last row of every key, in first-seen order (new reference). */
json_t *eval_rows_latest (eval_rows_t *self);
/* The last record per cohort name (borrowed object: name -> record). */
json_t *eval_rows_cohorts (eval_rows_t *self);
size_t eval_rows_count (eval_rows_t *self);

/* The CSV header (columns in order). */
extern const char *const eval_rows_columns[];

#endif
