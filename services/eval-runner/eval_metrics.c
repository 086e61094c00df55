/* eval_metrics - latency metrics of one streamed request; see eval_metrics.h. */
#include "services/eval-runner/eval_metrics.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void
eval_timeline_init (eval_timeline_t *tl, uint64_t t0_ns)
{
    memset (tl, 0, sizeof *tl);
    tl->t0_ns = t0_ns;
    tl->usage_tokens = -1;
}

void
eval_timeline_free (eval_timeline_t *tl)
{
    free (tl->token_ns);
    tl->token_ns = NULL;
    tl->ntoken = tl->cap = 0;
}

int
eval_timeline_token (eval_timeline_t *tl, uint64_t ts_ns)
{
    if (tl->ntoken == tl->cap) {
        size_t cap = tl->cap ? tl->cap * 2 : 256;
        uint64_t *n = (uint64_t *) realloc (tl->token_ns, cap * sizeof (uint64_t));
        if (!n)
            return -1;
        tl->token_ns = n;
        tl->cap = cap;
    }
    tl->token_ns[tl->ntoken++] = ts_ns;
    return 0;
}

int
eval_metrics_compute (const eval_timeline_t *tl, eval_metrics_t *out)
{
    memset (out, 0, sizeof *out);
    out->itl_p50_ms = out->itl_p90_ms = out->itl_p99_ms = NAN;
    out->tpot_ms = out->decode_tps = NAN;
    if (tl->ntoken == 0)
        return -1;
    out->have_ttft = true;
    out->ttft_ms = (double) (tl->token_ns[0] - tl->t0_ns) / 1e6;
    out->e2e_ms = (double) (tl->token_ns[tl->ntoken - 1] - tl->t0_ns) / 1e6;
    /* N is what was streamed: tokens a server counts but never sends (a
     * proxy's hidden reasoning) must not speed up the decode rate. */
    out->n = (long) tl->ntoken;
    out->usage_n = tl->usage_tokens;
    out->usage_differs = tl->usage_tokens >= 0
                         && fabs ((double) (tl->usage_tokens - out->n)) > 0.10 * (double) out->n;
    if (out->n >= 2 && out->e2e_ms > out->ttft_ms) {
        out->have_tpot = true;
        out->tpot_ms = (out->e2e_ms - out->ttft_ms) / (double) (out->n - 1);
        out->decode_tps = 1000.0 / out->tpot_ms;
    }
    if (tl->ntoken >= 2) {
        size_t ng = tl->ntoken - 1;
        double *gaps = (double *) malloc (ng * sizeof (double));
        if (!gaps)
            return 0;
        for (size_t i = 0; i < ng; i++)
            gaps[i] = (double) (tl->token_ns[i + 1] - tl->token_ns[i]) / 1e6;
        lab_stats_sort (gaps, ng);
        out->ngaps = ng;
        out->itl_p50_ms = lab_stats_percentile (gaps, ng, 50);
        out->itl_p90_ms = lab_stats_percentile (gaps, ng, 90);
        out->itl_p99_ms = lab_stats_percentile (gaps, ng, 99);
        free (gaps);
    }
    return 0;
}
