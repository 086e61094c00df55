/* test_eval_decide - the decision (evala), every branch against figures
 * computed by hand in the comments: a complete pair, missing memory,
 * missing quality, an error-heavy candidate, human scores present and
 * absent, the edges of the threshold and of the margins, and a candidate
 * faster on everything that lost audio. Then the same decision read from
 * a sweep directory (last row per key, pair roles, human scores file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "services/eval-runner/analysis/evala_sweep.h"
#include "tests/lab_test.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One row: KIND, OK, composite (NAN: none), decode, TTFT, memory kB. */
static json_t *
s_row (const char *kind, bool ok, double composite, double decode, double ttft, double mem)
{
    json_t *r = json_pack ("{s:s, s:s, s:s}", "kind", kind, "outcome", ok ? "ok" : "error", "bucket", "quality");
    if (!isnan (composite))
        json_object_set_new (r, "composite", json_real (composite));
    if (ok) {
        json_object_set_new (r, "decode_tps", json_real (decode));
        json_object_set_new (r, "ttft_ms", json_real (ttft));
        if (mem > 0)
            json_object_set_new (r, "peak_rss_kb", json_real (mem));
    }
    return r;
}

static void
s_add (evala_cohort_t *c, json_t *r, double human)
{
    evala_cohort_add (c, r, true, true, human);
    json_decref (r);
}

/* An audio row with WER counts (composite 1 - WER, as evalq writes it). */
static void
s_audio (evala_cohort_t *c, size_t edits, size_t words, double decode, double ttft, double mem)
{
    json_t *r = s_row ("audio", true, 1 - (double) edits / (double) words, decode, ttft, mem);
    json_object_set_new (r, "wer_sub", json_integer ((json_int_t) edits));
    json_object_set_new (r, "wer_del", json_integer (0));
    json_object_set_new (r, "wer_ins", json_integer (0));
    json_object_set_new (r, "wer_ref_words", json_integer ((json_int_t) words));
    s_add (c, r, NAN);
}

/* A run of COUNT triage rows with the same figures (as s_row), a human
 * score (NAN: none) and a finish reason (NULL: none); with WORDS > 0, audio
 * rows with EDITS of WORDS wrong instead (s_audio). A cohort's table ends
 * with a run of count 0. */
typedef struct {
    int count;
    bool ok;
    double composite, decode, ttft, mem, human;
    const char *finish;
    size_t edits, words;
} s_run_t;

#define S_TRIAGE(n, ok, composite, decode, ttft, mem, human) \
    { n, ok, composite, decode, ttft, mem, human, NULL, 0, 0 }
#define S_FINISHED(n, composite, decode, ttft, mem, finish) \
    { n, true, composite, decode, ttft, mem, NAN, finish, 0, 0 }
#define S_AUDIO(edits, words, decode, ttft, mem) { 1, true, NAN, decode, ttft, mem, NAN, NULL, edits, words }
#define S_END { 0, false, NAN, 0, 0, 0, NAN, NULL, 0, 0 }

static void
s_fill (evala_cohort_t *c, const s_run_t *runs)
{
    for (; runs->count > 0; runs++)
        for (int i = 0; i < runs->count; i++) {
            if (runs->words) {
                s_audio (c, runs->edits, runs->words, runs->decode, runs->ttft, runs->mem);
                continue;
            }
            json_t *r = s_row ("triage", runs->ok, runs->composite, runs->decode, runs->ttft, runs->mem);
            if (runs->finish)
                json_object_set_new (r, "finish_reason", json_string (runs->finish));
            s_add (c, r, runs->human);
        }
}

/* The pair a decision compares: the current backend llamacpp/m from CUR
 * and the candidate CAND_NAME from CAND (either table may be NULL). */
static void
s_cohorts (evala_cohort_t *a, const s_run_t *cur, evala_cohort_t *b, const char *cand_name, const s_run_t *cand)
{
    evala_cohort_init (a, "llamacpp/m");
    evala_cohort_init (b, cand_name);
    if (cur)
        s_fill (a, cur);
    if (cand)
        s_fill (b, cand);
}

static void
s_cohorts_free (evala_cohort_t *a, evala_cohort_t *b)
{
    evala_cohort_free (a);
    evala_cohort_free (b);
}

static const evala_opts_t s_opts = EVALA_OPTS_DEFAULT;

/* Current: quality (1 + 0.5) / 2 = 0.75, decode 100, TTFT 200, 4000 kB.
 * Candidate: quality 0.75, decode 200, TTFT 100, 2000 kB.
 * Current normalised: 1, 0.5, 0.5, 0.5 -> 0.40 + 0.125 + 0.10 + 0.075 = 0.70;
 * candidate 1 everywhere -> 1.00: migrate by 0.30. */
static void
s_pair (evala_cohort_t *cur, evala_cohort_t *cand)
{
    const s_run_t a[] = { S_TRIAGE (1, true, 1.0, 100, 200, 4000, NAN),
                          S_TRIAGE (1, true, 0.5, 100, 200, 4000, NAN), S_END };
    const s_run_t b[] = { S_TRIAGE (1, true, 1.0, 200, 100, 2000, NAN),
                          S_TRIAGE (1, true, 0.5, 200, 100, 2000, NAN), S_END };
    s_cohorts (cur, a, cand, "mlx/m", b);
}

static void
test_complete_pair_migrates_by_the_weighted_score (void **state)
{
    (void) state;
    evala_cohort_t a, b;
    s_pair (&a, &b);
    evala_verdict_t v;
    evala_decide (&a, &b, &s_opts, &v);
    assert_int_equal (v.outcome, EVALA_MIGRATE);
    assert_float_equal (v.figure[0][0], 0.75, 1e-12);
    assert_float_equal (v.norm[0][1], 0.5, 1e-12);
    assert_float_equal (v.norm[0][2], 0.5, 1e-12);
    assert_float_equal (v.norm[0][3], 0.5, 1e-12);
    assert_float_equal (v.score[0], 0.70, 1e-12);
    assert_float_equal (v.score[1], 1.00, 1e-12);
    assert_string_equal (v.verdict, "migrate");
    assert_string_equal (v.missing, "");
    char brief[600];
    evala_verdict_brief (&v, brief, sizeof brief);
    assert_string_equal (brief, "migrate (score +0.300, errors 0.0 % / 0.0 %, data complete)");
    /* The other way round the same figures say stay. */
    evala_decide (&b, &a, &s_opts, &v);
    assert_int_equal (v.outcome, EVALA_STAY);
    s_cohorts_free (&a, &b);
}

static void
test_missing_memory_is_insufficient_data_not_a_tie (void **state)
{
    (void) state;
    evala_cohort_t a, b;
    const s_run_t cur[] = { S_TRIAGE (1, true, 1.0, 100, 200, 4000, NAN), S_END };
    const s_run_t cand[] = { S_TRIAGE (1, true, 1.0, 200, 100, 0, NAN), S_END };   /* no probe on that host */
    s_cohorts (&a, cur, &b, "remote-mlx/m", cand);
    evala_verdict_t v;
    evala_decide (&a, &b, &s_opts, &v);
    assert_int_equal (v.outcome, EVALA_INSUFFICIENT);
    assert_string_equal (v.verdict, "insufficient data: peak memory of remote-mlx/m (no probe reported it)");
    assert_true (isnan (v.score[0]) && isnan (v.score[1]));
    /* With memory weighted 0 the figure is not needed. */
    evala_opts_t o = s_opts;
    o.weights[3] = 0;
    evala_decide (&a, &b, &o, &v);
    assert_int_equal (v.outcome, EVALA_MIGRATE);
    /* current 0.40 + 0.125 + 0.10 = 0.625, candidate 0.85 */
    assert_float_equal (v.score[0], 0.625, 1e-12);
    assert_float_equal (v.score[1], 0.85, 1e-12);
    s_cohorts_free (&a, &b);
}

static void
test_missing_quality_is_insufficient_data (void **state)
{
    (void) state;
    evala_cohort_t a, b;
    const s_run_t cur[] = { S_TRIAGE (1, true, 1.0, 100, 200, 4000, NAN), S_END };
    const s_run_t cand[] = { S_TRIAGE (1, true, NAN, 200, 100, 2000, NAN), S_END };   /* never scored */
    s_cohorts (&a, cur, &b, "mlx/m", cand);
    evala_verdict_t v;
    evala_decide (&a, &b, &s_opts, &v);
    assert_int_equal (v.outcome, EVALA_INSUFFICIENT);
    assert_string_equal (v.verdict, "insufficient data: quality of mlx/m");
    s_cohorts_free (&a, &b);
}

static void
test_no_rows_of_one_side_is_insufficient_data (void **state)
{
    (void) state;
    evala_cohort_t a, b;
    const s_run_t cur[] = { S_TRIAGE (1, true, 1.0, 100, 200, 4000, NAN), S_END };
    s_cohorts (&a, cur, &b, "mlx/m", NULL);
    json_t *rec = json_pack ("{s:s, s:s}", "status", "skipped", "reason", "401 Unauthorized");
    evala_cohort_record (&b, rec);
    json_decref (rec);
    evala_verdict_t v;
    evala_decide (&a, &b, &s_opts, &v);
    assert_int_equal (v.outcome, EVALA_INSUFFICIENT);
    assert_string_equal (v.verdict, "insufficient data: no rows of mlx/m (skipped)");
    s_cohorts_free (&a, &b);
}

/* A thinking model whose answers mostly hit max_tokens: 3 of 4 truncated
 * (composite 0) on the candidate. More than half: its quality is a budget,
 * not an answer: insufficient data, saying what to change. */
static void
test_mostly_truncated_answers_are_insufficient_data (void **state)
{
    (void) state;
    evala_cohort_t a, b;
    const s_run_t cur[] = { S_TRIAGE (4, true, 1.0, 100, 100, 1000, NAN), S_END };
    const s_run_t cand[] = { S_FINISHED (1, 1.0, 100, 100, 1000, "stop"),
                             S_FINISHED (3, 0.0, 100, 100, 1000, "length"), S_END };
    s_cohorts (&a, cur, &b, "mlx/m", cand);
    assert_int_equal (b.truncated, 3);
    evala_opts_t o = s_opts;
    o.capability_margin = 1;
    evala_verdict_t v;
    evala_decide (&a, &b, &o, &v);
    assert_int_equal (v.outcome, EVALA_INSUFFICIENT);
    assert_string_equal (v.verdict, "insufficient data: quality of mlx/m (3 of 4 quality answers cut at max_tokens; "
                                    "raise it or turn thinking off)");
    s_cohorts_free (&a, &b);
}

/* Candidate: 10 rows, 2 failed (20 %), the 8 others perfect and faster.
 * Its quality counts the failures as 0: 8 / 10 = 0.8 against 1.0. */
static void
test_error_heavy_candidate_is_blocked (void **state)
{
    (void) state;
    evala_cohort_t a, b;
    const s_run_t cur[] = { S_TRIAGE (10, true, 1.0, 100, 200, 4000, NAN), S_END };
    const s_run_t cand[] = { S_TRIAGE (2, false, 1.0, 200, 100, 2000, NAN),
                             S_TRIAGE (8, true, 1.0, 200, 100, 2000, NAN), S_END };
    s_cohorts (&a, cur, &b, "mlx/m", cand);
    evala_verdict_t v;
    evala_decide (&a, &b, &s_opts, &v);
    assert_float_equal (v.figure[1][0], 0.8, 1e-12);
    assert_int_equal (b.failed_scored, 2);
    assert_float_equal (v.error_rate[1], 0.2, 1e-12);
    assert_int_equal (v.outcome, EVALA_BLOCKED);
    assert_string_equal (v.verdict, "blocked: error rate 20.0 % vs 0.0 %");
    /* Without the error margin the failures still cost quality: candidate
     * 0.40 * 0.8 + 0.60 = 0.92 against current 0.40 + 0.30 = 0.70, and the
     * capability gate sees triage 1.0 -> 0.8 (more than 0.10): blocked. */
    evala_opts_t o = s_opts;
    o.error_margin = 1;
    evala_decide (&a, &b, &o, &v);
    assert_float_equal (v.score[1], 0.92, 1e-12);
    assert_string_equal (v.verdict, "blocked: triage lost (quality 0.800 vs 1.000)");
    s_cohorts_free (&a, &b);
}

/* Error rate 1 in 20 = 5 % against 0 %: exactly the margin, not blocked;
 * 2 in 20 = 10 % is. */
static void
test_error_margin_edge (void **state)
{
    (void) state;
    for (int failed = 1; failed <= 2; failed++) {
        evala_cohort_t a, b;
        const s_run_t cur[] = { S_TRIAGE (20, true, 1.0, 100, 100, 1000, NAN), S_END };
        const s_run_t cand[] = { S_TRIAGE (failed, false, 1.0, 100, 100, 1000, NAN),
                                 S_TRIAGE (20 - failed, true, 1.0, 100, 100, 1000, NAN), S_END };
        s_cohorts (&a, cur, &b, "mlx/m", cand);
        evala_opts_t o = s_opts;
        o.capability_margin = 1;   /* only the error margin under test */
        evala_verdict_t v;
        evala_decide (&a, &b, &o, &v);
        assert_int_equal (v.outcome, failed == 1 ? EVALA_STAY : EVALA_BLOCKED);
        s_cohorts_free (&a, &b);
    }
}

/* Human scores blend half and half with the composite: a row with
 * composite 0.5 and human 4/5 ((4 - 1) / 4 = 0.75) counts 0.625; without
 * a human score it counts 0.5; a row with a human score and no composite
 * counts the human score alone. */
static void
test_human_scores_blend_into_quality (void **state)
{
    (void) state;
    evala_cohort_t c;
    evala_cohort_init (&c, "x/m");
    s_add (&c, s_row ("triage", true, 0.5, 100, 100, 1000), (4.0 - 1) / 4);
    assert_float_equal (evala_cohort_quality (&c), 0.625, 1e-12);
    s_add (&c, s_row ("triage", true, 0.5, 100, 100, 1000), NAN);
    assert_float_equal (evala_cohort_quality (&c), (0.625 + 0.5) / 2, 1e-12);
    s_add (&c, s_row ("triage", true, NAN, 100, 100, 1000), 1.0);
    assert_float_equal (evala_cohort_quality (&c), (0.625 + 0.5 + 1.0) / 3, 1e-12);
    /* A failed request is 0 whatever a rater said. */
    s_add (&c, s_row ("triage", false, NAN, 0, 0, 0), 1.0);
    assert_float_equal (evala_cohort_quality (&c), (0.625 + 0.5 + 1.0) / 4, 1e-12);
    assert_int_equal (c.human_rows, 2);
    evala_cohort_free (&c);
}

/* Current quality 0.75 (composites 1.0 and 0.5); the candidate's rows
 * have composite 0.5 and 1.0 but a rater gave its 1.0 answer 1/5 (0):
 * (0.5 + 0.5) / 2 = 0.5. Absent the rater, the same figures as s_pair:
 * migrate; present, quality 0.5 / 0.75 = 0.667 -> 0.267 + 0.60 = 0.867
 * against 0.70: still migrate, by 0.167. */
static void
test_human_scores_change_the_score (void **state)
{
    (void) state;
    evala_cohort_t a, b;
    const s_run_t cur[] = { S_TRIAGE (1, true, 1.0, 100, 200, 4000, NAN),
                            S_TRIAGE (1, true, 0.5, 100, 200, 4000, NAN), S_END };
    const s_run_t cand[] = { S_TRIAGE (1, true, 0.5, 200, 100, 2000, NAN),
                             S_TRIAGE (1, true, 1.0, 200, 100, 2000, 0.0), S_END };
    s_cohorts (&a, cur, &b, "mlx/m", cand);
    evala_verdict_t v;
    evala_opts_t o = s_opts;
    o.capability_margin = 1;
    evala_decide (&a, &b, &o, &v);
    assert_float_equal (v.figure[1][0], 0.5, 1e-12);
    assert_float_equal (v.score[1], 0.4 * 0.5 / 0.75 + 0.6, 1e-12);
    assert_float_equal (v.score[1] - v.score[0], 0.4 * 0.5 / 0.75 + 0.6 - 0.7, 1e-12);
    assert_int_equal (v.outcome, EVALA_MIGRATE);
    s_cohorts_free (&a, &b);
}

/* Two cohorts whose scores differ by exactly the threshold: stay; by a
 * hair more: migrate. Current decode 100, candidate 125: current scores
 * 0.40 + 0.25 * 0.8 + 0.35 = 0.95, candidate 1.00: a difference of 0.05. */
static void
test_threshold_edge (void **state)
{
    (void) state;
    double decodes[2] = { 125, 126 };
    for (int k = 0; k < 2; k++) {
        evala_cohort_t a, b;
        const s_run_t cur[] = { S_TRIAGE (1, true, 1.0, 100, 100, 1000, NAN), S_END };
        const s_run_t cand[] = { S_TRIAGE (1, true, 1.0, decodes[k], 100, 1000, NAN), S_END };
        s_cohorts (&a, cur, &b, "mlx/m", cand);
        evala_verdict_t v;
        evala_decide (&a, &b, &s_opts, &v);
        if (k == 0) {
            assert_float_equal (v.score[1] - v.score[0], 0.05, 1e-12);
            assert_int_equal (v.outcome, EVALA_STAY);
        }
        else
            assert_int_equal (v.outcome, EVALA_MIGRATE);
        s_cohorts_free (&a, &b);
    }
}

/* The demo's case: the candidate is faster on every figure and as good on
 * text, but transcribes 4 of 7 words wrong (WER 0.571) where the current
 * backend got all 7 (0.000). Its score wins; the verdict is blocked. */
static void
test_faster_candidate_that_lost_audio_is_blocked (void **state)
{
    (void) state;
    evala_cohort_t a, b;
    const s_run_t cur[] = { S_TRIAGE (27, true, 1.0, 100, 200, 4000, NAN),
                            S_AUDIO (0, 7, 100, 200, 4000), S_END };
    const s_run_t cand[] = { S_TRIAGE (27, true, 1.0, 200, 100, 2000, NAN),
                             S_AUDIO (4, 7, 200, 100, 2000), S_END };
    s_cohorts (&a, cur, &b, "mlx/m", cand);
    evala_verdict_t v;
    evala_decide (&a, &b, &s_opts, &v);
    /* quality: current 1, candidate (27 + 3/7) / 28 = 0.9796 */
    assert_float_equal (v.figure[1][0], (27 + 3.0 / 7) / 28, 1e-12);
    assert_true (v.score[1] > v.score[0] + s_opts.threshold);
    assert_int_equal (v.outcome, EVALA_BLOCKED);
    assert_string_equal (v.verdict, "blocked: audio lost (WER 0.571 vs 0.000)");
    assert_string_equal (v.capabilities, "triage 1.000 vs 1.000, audio WER 0.000 vs 0.571");
    char brief[600];
    evala_verdict_brief (&v, brief, sizeof brief);
    assert_string_equal (brief, "blocked: audio lost (WER 0.571 vs 0.000) (score +0.292, errors 0.0 % / 0.0 %, "
                                "data complete)");
    s_cohorts_free (&a, &b);
}

/* Audio WER 0 vs 1 word in 10 (0.100): exactly the margin, kept; 2 words
 * (0.200) is lost. */
static void
test_capability_margin_edge (void **state)
{
    (void) state;
    for (size_t edits = 1; edits <= 2; edits++) {
        evala_cohort_t a, b;
        const s_run_t cur[] = { S_AUDIO (0, 10, 100, 100, 1000), S_END };
        const s_run_t cand[] = { S_AUDIO (edits, 10, 100, 100, 1000), S_END };
        s_cohorts (&a, cur, &b, "mlx/m", cand);
        evala_verdict_t v;
        evala_decide (&a, &b, &s_opts, &v);
        assert_int_equal (v.outcome, edits == 1 ? EVALA_STAY : EVALA_BLOCKED);
        s_cohorts_free (&a, &b);
    }
}

/* Writes LINES (NULL-terminated), one a line, to DIR/NAME. */
static void
s_write_lines (const char *dir, const char *name, const char *const lines[])
{
    char path[512];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    for (size_t i = 0; lines[i]; i++)
        fprintf (f, "%s\n", lines[i]);
    fclose (f);
}

/* A sweep directory: the last row of a key wins (a --retry-errors rerun),
 * pair_role names the current backend even when its rows come second, the
 * human scores file joins by key, and the cohort record's memory counts. */
static void
test_sweep_directory_reads_like_the_decision (void **state)
{
    (void) state;
    char *dir = lab_test_tmpdir ("decide");
    assert_non_null (dir);
    const char *rows[] = {
        /* candidate first in the file */
        "{\"key\":\"b|quality|s1|1\",\"cohort\":\"b\",\"pair\":\"p\",\"pair_role\":\"candidate\","
        "\"bucket\":\"quality\",\"kind\":\"triage\",\"outcome\":\"error\",\"error_class\":\"timeout\"}",
        "{\"key\":\"b|quality|s1|1\",\"cohort\":\"b\",\"pair\":\"p\",\"pair_role\":\"candidate\","
        "\"bucket\":\"quality\",\"kind\":\"triage\",\"outcome\":\"ok\",\"composite\":1.0,"
        "\"decode_tps\":200,\"ttft_ms\":100,\"peak_rss_kb\":2000}",
        "{\"key\":\"a|quality|s1|1\",\"cohort\":\"a\",\"pair\":\"p\",\"pair_role\":\"current\","
        "\"bucket\":\"quality\",\"kind\":\"triage\",\"outcome\":\"ok\",\"composite\":1.0,"
        "\"decode_tps\":100,\"ttft_ms\":200}",
        "{\"key\":\"a|throughput|s1|1\",\"cohort\":\"a\",\"pair\":\"p\",\"pair_role\":\"current\","
        "\"bucket\":\"throughput\",\"kind\":\"triage\",\"outcome\":\"ok\",\"composite\":0.0,"
        "\"decode_tps\":100,\"ttft_ms\":200}",
        NULL,
    };
    s_write_lines (dir, "rows.jsonl", rows);
    const char *cohorts[] = { "{\"cohort\":\"a\",\"status\":\"done\",\"peak_rss_kb\":4000,\"memory_probe\":\"proc\"}",
                              NULL };
    s_write_lines (dir, "cohorts.jsonl", cohorts);
    char path[256];
    snprintf (path, sizeof path, "%s/blind", dir);
    mkdir (path, 0700);
    /* b's answer rated 3/5 -> 0.5: its quality (1.0 + 0.5) / 2 = 0.75 */
    const char *scores[] = { "{\"key\":\"b|quality|s1|1\",\"rater\":\"r\",\"score\":3}",
                             "{\"key\":\"b|quality|s1|1\",\"score\":9}", NULL };
    s_write_lines (dir, "blind/scores.jsonl", scores);
    char err[256];
    evala_sweep_t *sw = evala_sweep_load (dir, &s_opts, err, sizeof err);
    assert_non_null (sw);
    assert_int_equal (evala_sweep_npairs (sw), 1);
    evala_pair_t *p = evala_sweep_pair (sw, 0);
    assert_string_equal (evala_sweep_cohort (sw, p->cur)->name, "a");
    assert_string_equal (evala_sweep_cohort (sw, p->cand)->name, "b");
    /* The throughput row's composite 0 is not a quality row. */
    assert_float_equal (p->v.figure[0][0], 1.0, 1e-12);
    assert_float_equal (p->v.figure[1][0], 0.75, 1e-12);
    assert_float_equal (p->v.error_rate[1], 0.0, 1e-12);
    assert_float_equal (p->v.figure[0][3], 4000, 1e-12);
    /* a: 0.40 + 0.125 + 0.10 + 0.075 = 0.70; b: 0.40 * 0.75 + 0.60 = 0.90 */
    assert_float_equal (p->v.score[0], 0.70, 1e-12);
    assert_float_equal (p->v.score[1], 0.90, 1e-12);
    /* triage 1.0 -> 0.75: lost by more than 0.10 */
    assert_string_equal (p->v.verdict, "blocked: triage lost (quality 0.750 vs 1.000)");
    char detail[256];
    assert_string_equal (evala_sweep_overall (sw, detail, sizeof detail), "stay");
    char *brief = evala_sweep_brief (sw);
    assert_non_null (strstr (brief, "p: a -> b: blocked: triage lost"));
    assert_non_null (strstr (brief, "overall: stay"));
    free (brief);
    evala_sweep_destroy (&sw);
    lab_test_rmdir (dir);
    free (dir);
}

/* Quality from the quality bucket, speed from the throughput bucket: the
 * one quality row of each cohort says nothing about its speed here (decode
 * 1 and TTFT 1000), the two throughput rows do (medians 150 / 50 against
 * 300 / 25). Audio rows never set the speed while text rows exist. */
static void
test_buckets_feed_their_own_figures (void **state)
{
    (void) state;
    char *dir = lab_test_tmpdir ("decide");
    assert_non_null (dir);
    const char *rows[] = {
        "{\"key\":\"a|quality|s1|1\",\"cohort\":\"a\",\"pair\":\"p\",\"bucket\":\"quality\",\"kind\":\"triage\","
        "\"outcome\":\"ok\",\"composite\":1.0,\"decode_tps\":1,\"ttft_ms\":1000,\"peak_rss_kb\":1000}",
        "{\"key\":\"a|throughput|s1|1\",\"cohort\":\"a\",\"pair\":\"p\",\"bucket\":\"throughput\",\"kind\":\"triage\","
        "\"outcome\":\"ok\",\"composite\":0.0,\"decode_tps\":100,\"ttft_ms\":40,\"peak_rss_kb\":1000}",
        "{\"key\":\"a|throughput|s1|2\",\"cohort\":\"a\",\"pair\":\"p\",\"bucket\":\"throughput\",\"kind\":\"triage\","
        "\"outcome\":\"ok\",\"composite\":0.0,\"decode_tps\":200,\"ttft_ms\":60,\"peak_rss_kb\":1000}",
        "{\"key\":\"a|throughput|v1|1\",\"cohort\":\"a\",\"pair\":\"p\",\"bucket\":\"throughput\",\"kind\":\"audio\","
        "\"outcome\":\"ok\",\"decode_tps\":9000,\"ttft_ms\":9000,\"peak_rss_kb\":1000}",
        "{\"key\":\"b|quality|s1|1\",\"cohort\":\"b\",\"pair\":\"p\",\"bucket\":\"quality\",\"kind\":\"triage\","
        "\"outcome\":\"ok\",\"composite\":1.0,\"decode_tps\":1,\"ttft_ms\":1000,\"peak_rss_kb\":1000}",
        "{\"key\":\"b|throughput|s1|1\",\"cohort\":\"b\",\"pair\":\"p\",\"bucket\":\"throughput\",\"kind\":\"triage\","
        "\"outcome\":\"ok\",\"composite\":0.0,\"decode_tps\":300,\"ttft_ms\":25,\"peak_rss_kb\":1000}",
        NULL,
    };
    s_write_lines (dir, "rows.jsonl", rows);
    char err[256];
    evala_sweep_t *sw = evala_sweep_load (dir, &s_opts, err, sizeof err);
    assert_non_null (sw);
    evala_pair_t *p = evala_sweep_pair (sw, 0);
    assert_non_null (p);
    assert_float_equal (p->v.figure[0][0], 1.0, 1e-12);    /* the quality row only */
    assert_float_equal (p->v.figure[0][1], 150, 1e-12);    /* median of 100, 200 */
    assert_float_equal (p->v.figure[0][2], 50, 1e-12);     /* median of 40, 60 */
    assert_float_equal (p->v.figure[1][1], 300, 1e-12);
    assert_float_equal (p->v.figure[1][2], 25, 1e-12);
    /* a: 0.40 + 0.25 * 0.5 + 0.20 * 0.5 + 0.15 = 0.775; b: 1.00 -> migrate */
    assert_float_equal (p->v.score[0], 0.775, 1e-12);
    assert_int_equal (p->v.outcome, EVALA_MIGRATE);
    evala_sweep_destroy (&sw);
    lab_test_rmdir (dir);
    free (dir);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_complete_pair_migrates_by_the_weighted_score),
        cmocka_unit_test (test_missing_memory_is_insufficient_data_not_a_tie),
        cmocka_unit_test (test_missing_quality_is_insufficient_data),
        cmocka_unit_test (test_no_rows_of_one_side_is_insufficient_data),
        cmocka_unit_test (test_mostly_truncated_answers_are_insufficient_data),
        cmocka_unit_test (test_error_heavy_candidate_is_blocked),
        cmocka_unit_test (test_error_margin_edge),
        cmocka_unit_test (test_human_scores_blend_into_quality),
        cmocka_unit_test (test_human_scores_change_the_score),
        cmocka_unit_test (test_threshold_edge),
        cmocka_unit_test (test_faster_candidate_that_lost_audio_is_blocked),
        cmocka_unit_test (test_capability_margin_edge),
        cmocka_unit_test (test_sweep_directory_reads_like_the_decision),
        cmocka_unit_test (test_buckets_feed_their_own_figures),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
