/* eval_metrics - per-request latency metrics, exactly as DESIGN.md section 7
 * defines them (monotonic clock; t0 taken just before the request is sent):
 *   TTFT   first event carrying non-empty content (or reasoning / tool call)
 *   last   last token-carrying event (e2e_ms here; the row's e2e_ms is the
 *          request's wall time, eval_request)
 *   N      token-carrying events actually streamed; usage.completion_tokens
 *          is kept beside it and flagged when the two differ by more than
 *          10 % of N (hidden reasoning a proxy counts but never streams, EOS)
 *   TPOT   (last - TTFT) / (N - 1); decode tok/s = 1 / TPOT
 *   ITL    gaps between consecutive token-carrying events, p50/p90/p99
 * Percentiles interpolate linearly between closest ranks (numpy's default). */
#ifndef EVAL_METRICS_H
#define EVAL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bus/lab_stats.h"

typedef struct {
    uint64_t t0_ns;
    uint64_t *token_ns;     /* monotonic time of each token-carrying event */
    size_t ntoken, cap;
    long usage_tokens;      /* completion_tokens from usage, -1 when no chunk had it */
} eval_timeline_t;

void eval_timeline_init (eval_timeline_t *tl, uint64_t t0_ns);
void eval_timeline_free (eval_timeline_t *tl);
int eval_timeline_token (eval_timeline_t *tl, uint64_t ts_ns);

typedef struct {
    bool have_ttft;         /* false when no token-carrying event came */
    double ttft_ms;
    double e2e_ms;
    long n;                 /* N used for TPOT: streamed token events */
    long usage_n;           /* usage.completion_tokens, -1 when no chunk had it */
    bool usage_differs;     /* |usage_n - n| > 10 % of n */
    bool have_tpot;         /* N >= 2 and E2E > TTFT is defined */
    double tpot_ms;
    double decode_tps;
    size_t ngaps;
    double itl_p50_ms, itl_p90_ms, itl_p99_ms;
} eval_metrics_t;

/* Computes OUT from TL. Returns 0, or -1 when there was no token event. */
int eval_metrics_compute (const eval_timeline_t *tl, eval_metrics_t *out);

/* Percentiles of the gaps and of summaries: bus/lab_stats.h. */

#endif
