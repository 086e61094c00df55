/* eval_sweep - runs a plan: for each cohort (backend x model) start its
 * backend (labd or local), record /props, warm up, run every bucket x
 * scenario x repetition that has no row yet, score each row (evalq), write
 * it, publish it, then stop the backend and wait until it is gone, so one
 * backend is resident at a time. A backend that does not become healthy
 * marks its cohort skipped with the reason; the sweep goes on. Progress goes
 * to state.eval.<sweep>, rows to evt.eval.<sweep>, and at the end the
 * summary to summary.md / summary.json in the output directory. */
#ifndef EVAL_SWEEP_H
#define EVAL_SWEEP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include "bus/bus_client.h"
#include "services/eval-runner/eval_backend.h"
#include "services/eval-runner/quality/evalq.h"

/* Shared progress, read by the service thread under LOCK. */
typedef struct {
    pthread_mutex_t lock;
    char sweep[96];
    char plan[1024];
    char out[1024];
    char cohort[200];
    char state[16];          /* idle, running, done, failed, stopped */
    char error[256];
    unsigned done, total, errors, skipped, cohorts_done, cohorts_total, retries;
    double eta_s;
} eval_progress_t;

void eval_progress_init (eval_progress_t *p);
/* The progress as JSON (new reference). */
json_t *eval_progress_json (eval_progress_t *p);

typedef struct {
    const char *plan_path;
    const char *out_dir;           /* NULL: the plan's output */
    bool retry_errors;
    bus_client_t *bus;             /* NULL: no publishing */
    eval_backends_t *backends;     /* borrowed */
    const char *scenarios_dir;     /* NULL: the plan's */
    atomic_bool *stop;             /* set to stop between rows */
    long max_rows;                 /* stop after this many new rows (0: no limit; tests) */
} eval_sweep_opts_t;

/* Runs the sweep to the end. Returns 0 when every cohort was done or
 * skipped, -1 with ERR on a setup error or a stop. */
int eval_sweep_run (const eval_sweep_opts_t *o, eval_progress_t *progress, char *err, size_t errlen);

/* Writes summary.md and summary.json for the rows in DIR; returns the
 * Markdown (free it) or NULL. */
char *eval_summary_write (const char *dir, const char *sweep, json_t **json_p);

#endif
