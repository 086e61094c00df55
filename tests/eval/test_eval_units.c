/* test_eval_units - the eval-runner's parsers, metrics, plans and row files,
 * without any server: SSE split/merged/comment/multi-line/malformed streams,
 * usage read from a finish chunk that still has choices, metrics of a
 * scripted stream with known timing, resume after a torn write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "services/eval-runner/eval_metrics.h"
#include "services/eval-runner/eval_openai.h"
#include "services/eval-runner/eval_plan.h"
#include "services/eval-runner/eval_request.h"
#include "services/eval-runner/eval_memprobe.h"
#include "services/eval-runner/eval_rows.h"
#include "services/eval-runner/eval_scenario.h"
#include "services/eval-runner/eval_sse.h"
#include "tests/lab_fixture.h"

typedef struct {
    char data[16][256];
    char event[16][32];
    int n;
} events_t;

static void
s_collect (const char *event, const char *data, size_t len, void *arg)
{
    events_t *e = (events_t *) arg;
    assert_int_equal (strlen (data), len);
    if (e->n < 16) {
        snprintf (e->data[e->n], sizeof e->data[0], "%s", data);
        snprintf (e->event[e->n], sizeof e->event[0], "%s", event);
    }
    e->n++;
}

static const char s_stream[] = "data: {\"a\":1}\n\n"
                               ": ping\n\n"
                               "event: note\r\ndata: line one\r\ndata: line two\r\n\r\n"
                               "data:[DONE]\n\n";

static void
s_check_stream (events_t *e, eval_sse_t *p)
{
    assert_int_equal (e->n, 3);
    assert_string_equal (e->data[0], "{\"a\":1}");
    assert_string_equal (e->event[0], "message");
    assert_string_equal (e->data[1], "line one\nline two");
    assert_string_equal (e->event[1], "note");
    assert_string_equal (e->data[2], "[DONE]");
    eval_sse_counters_t c;
    eval_sse_counters (p, &c);
    assert_int_equal (c.comments, 1);
    assert_int_equal (c.events, 3);
}

static void
test_sse_parses_merged_stream_in_one_feed (void **state)
{
    (void) state;
    events_t e = { 0 };
    eval_sse_t *p = eval_sse_new (0, s_collect, &e);
    eval_sse_feed (p, s_stream, strlen (s_stream));
    s_check_stream (&e, p);
    eval_sse_destroy (&p);
}

static void
test_sse_parses_stream_split_byte_by_byte (void **state)
{
    (void) state;
    events_t e = { 0 };
    eval_sse_t *p = eval_sse_new (0, s_collect, &e);
    for (size_t i = 0; i < strlen (s_stream); i++)
        eval_sse_feed (p, s_stream + i, 1);
    s_check_stream (&e, p);
    eval_sse_destroy (&p);
}

static void
test_sse_parses_stream_split_at_every_point (void **state)
{
    (void) state;
    size_t n = strlen (s_stream);
    for (size_t cut = 1; cut < n; cut++) {
        events_t e = { 0 };
        eval_sse_t *p = eval_sse_new (0, s_collect, &e);
        eval_sse_feed (p, s_stream, cut);
        eval_sse_feed (p, s_stream + cut, n - cut);
        s_check_stream (&e, p);
        eval_sse_destroy (&p);
    }
}

static void
test_sse_drops_unterminated_event_and_overlong_line (void **state)
{
    (void) state;
    events_t e = { 0 };
    eval_sse_t *p = eval_sse_new (32, s_collect, &e);
    const char *in = "data: this line is far too long for the limit of thirty-two\n\n"
                     "bogus-field: x\n"
                     "data: ok\n\n"
                     "data: never finished";
    eval_sse_feed (p, in, strlen (in));
    assert_int_equal (eval_sse_finish (p), 1);
    assert_int_equal (e.n, 1);
    assert_string_equal (e.data[0], "ok");
    eval_sse_counters_t c;
    eval_sse_counters (p, &c);
    assert_int_equal (c.overlong, 1);
    assert_int_equal (c.unknown, 1);
    eval_sse_destroy (&p);
}

static void
test_chunk_reads_usage_from_finish_chunk_with_choices (void **state)
{
    (void) state;
    /* llama-server: finish_reason, usage and timings in one chunk. */
    const char *d = "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
                    "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":7},"
                    "\"timings\":{\"predicted_ms\":60.5,\"predicted_per_second\":100}}";
    eval_chunk_t c;
    char err[200];
    assert_int_equal (eval_chunk_parse (d, strlen (d), &c, err, sizeof err), 0);
    assert_string_equal (c.finish_reason, "stop");
    assert_int_equal (c.completion_tokens, 7);
    assert_int_equal (c.prompt_tokens, 12);
    assert_non_null (c.timings);
    assert_false (eval_chunk_has_token (&c));
    eval_chunk_clear (&c);
}

static void
test_chunk_rejects_malformed_json_and_shapes (void **state)
{
    (void) state;
    const char *bad[] = { "{\"choices\":[{\"delta\":{\"content\":\"x", "[1,2]", "{\"choices\":5}",
                          "{\"choices\":[7]}", "", NULL };
    for (int i = 0; bad[i]; i++) {
        eval_chunk_t c;
        char err[200];
        assert_int_equal (eval_chunk_parse (bad[i], strlen (bad[i]), &c, err, sizeof err), -1);
        assert_true (strlen (err) > 0);
    }
    eval_chunk_t c;
    char err[200];
    const char *e = "{\"error\":{\"message\":\"context overflow\"}}";
    assert_int_equal (eval_chunk_parse (e, strlen (e), &c, err, sizeof err), 0);
    assert_string_equal (c.error, "context overflow");
    eval_chunk_clear (&c);
}

#define MS 1000000ull

/* A stream with known timing: t0 = 1000 ms; role chunk (empty content) at
 * +5 ms; content at +50, +60, +75, +80 ms; a reasoning-only chunk is a token
 * too; usage (5, more than the 4 token events: N is what was streamed,
 * usage is kept beside it and flagged) in a choices:[] chunk; [DONE]. */
static void
test_metrics_of_scripted_stream_match_definitions (void **state)
{
    (void) state;
    eval_result_t r;
    eval_result_init (&r);
    uint64_t t0 = 1000 * MS;
    eval_stream_t *s = eval_stream_new (&r, t0);
    struct {
        uint64_t at;
        const char *text;
    } script[] = {
        { 5, "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n" },
        { 50, "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n" },
        { 60, "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n: keep-alive\n\n" },
        { 75, "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"hmm\"}}]}\n\n" },
        { 80, "data: {\"choices\":[{\"delta\":{\"content\":\"!\"},\"finish_reason\":\"stop\"}]}\n\n" },
        { 90, "data: {\"choices\":[],\"usage\":{\"completion_tokens\":5,\"prompt_tokens\":3}}\n\n" },
        { 91, "data: [DONE]\n\n" },
    };
    for (size_t i = 0; i < sizeof script / sizeof script[0]; i++)
        eval_stream_feed (s, script[i].text, strlen (script[i].text), t0 + script[i].at * MS);
    eval_stream_end (s, 200, 0);
    eval_stream_destroy (&s);
    assert_true (r.ok);
    assert_string_equal (r.completion, "Hello!");
    assert_string_equal (r.reasoning, "hmm");
    assert_string_equal (r.finish_reason, "stop");
    assert_true (r.done_seen);
    assert_int_equal (r.sse.comments, 1);
    assert_true (r.m.have_ttft);
    assert_true (fabs (r.m.ttft_ms - 50.0) < 1e-9);            /* first non-empty content */
    assert_true (fabs (r.m.e2e_ms - 80.0) < 1e-9);             /* last token-carrying event */
    assert_int_equal (r.m.n, 4);                               /* streamed: Hel, lo, hmm, ! */
    assert_int_equal (r.m.usage_n, 5);                         /* kept beside */
    assert_true (r.m.usage_differs);                           /* |5 - 4| = 1 > 0.4 */
    assert_true (fabs (r.m.tpot_ms - 30.0 / 3.0) < 1e-9);      /* (80 - 50) / (4 - 1) */
    assert_true (fabs (r.m.decode_tps - 100.0) < 1e-9);
    /* gaps 10, 15, 5 -> sorted 5, 10, 15 */
    assert_int_equal (r.m.ngaps, 3);
    assert_true (fabs (r.m.itl_p50_ms - 10.0) < 1e-9);
    assert_true (fabs (r.m.itl_p90_ms - 14.0) < 1e-9);         /* 10 + 0.8 * 5 */
    assert_true (fabs (r.m.itl_p99_ms - 14.9) < 1e-9);
    eval_result_clear (&r);
    eval_timeline_free (&r.tl);
}

static void
test_stream_without_done_is_cut_and_malformed_is_error (void **state)
{
    (void) state;
    eval_result_t r;
    eval_result_init (&r);
    eval_stream_t *s = eval_stream_new (&r, 0);
    const char *a = "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\ndata: {\"cho";
    eval_stream_feed (s, a, strlen (a), 10 * MS);
    eval_stream_end (s, 200, 18 /* CURLE_PARTIAL_FILE */);
    eval_stream_destroy (&s);
    assert_false (r.ok);
    assert_string_equal (r.error_class, "stream_cut");
    assert_true (r.transport_error);

    s = eval_stream_new (&r, 0);
    const char *b = "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\ndata: {\"choices\":[{\n\n"
                    "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
    eval_stream_feed (s, b, strlen (b), 10 * MS);
    eval_stream_end (s, 200, 0);
    eval_stream_destroy (&s);
    assert_false (r.ok);
    assert_string_equal (r.error_class, "malformed_json");
    assert_false (r.transport_error);
    assert_int_equal (r.malformed_chunks, 1);

    s = eval_stream_new (&r, 0);
    const char *c = "data: {\"choices\":[{\"delta\":{\"content\":\"ok<|im_end|>\"},\"finish_reason\":\"length\"}]}\n\n";
    eval_stream_feed (s, c, strlen (c), 10 * MS);
    eval_stream_end (s, 200, 0);
    eval_stream_destroy (&s);
    assert_true (r.ok);
    assert_true (r.template_leak);
    assert_string_equal (r.finish_reason, "length");
    assert_int_equal (r.m.n, 1);             /* counted events */
    assert_int_equal (r.m.usage_n, -1);      /* no usage */
    assert_false (r.m.usage_differs);
    assert_false (r.m.have_tpot);            /* N = 1: TPOT undefined */
    eval_result_clear (&r);
    eval_timeline_free (&r.tl);
}

/* Feeds TEXT split at byte K and ends it with STATUS. */
static void
s_feed_split (eval_result_t *r, const char *text, size_t k, long status)
{
    eval_stream_t *s = eval_stream_new (r, 0);
    eval_stream_feed (s, text, k, 10 * MS);
    eval_stream_feed (s, text + k, strlen (text) - k, 20 * MS);
    eval_stream_end (s, status, 0);
    eval_stream_destroy (&s);
}

/* llama-server's older mid-stream error (an `error:` SSE line, then [DONE];
 * examples/server/utils.hpp server_sent_event(sink, "error", ...), b4xxx-
 * b6xxx) and the current one (`data: {"error": ...}`, tools/server/
 * server.cpp) are both error rows with the server's message, wherever the
 * bytes are split; an HTTP error keeps the message, not the JSON; a JSON
 * body where a stream was asked for says so. */
static void
test_stream_errors_in_both_llama_server_forms (void **state)
{
    (void) state;
    const char *forms[] = {
        "data: {\"choices\":[{\"delta\":{\"content\":\"The \"}}]}\n\n"
        "error: {\"code\":400,\"message\":\"the request exceeds the available context size, try increasing it\","
        "\"type\":\"exceed_context_size_error\"}\n\ndata: [DONE]\n\n",
        "data: {\"choices\":[{\"delta\":{\"content\":\"The \"}}]}\n\n"
        "data: {\"error\":{\"code\":400,\"message\":\"the request exceeds the available context size, try increasing "
        "it\",\"type\":\"exceed_context_size_error\"}}\n\n",
        "error: {\"code\":500,\"message\":\"the request exceeds the available context size\"}\n\ndata: [DONE]\n\n",
    };
    eval_result_t r;
    eval_result_init (&r);
    for (int f = 0; f < 3; f++)
        for (size_t k = 0; k <= strlen (forms[f]); k++) {
            s_feed_split (&r, forms[f], k, 200);
            assert_false (r.ok);
            assert_false (r.transport_error);
            assert_string_equal (r.error_class, "api_error");
            assert_non_null (strstr (r.error_message, "exceeds the available context size"));
            assert_int_equal (r.sse.errors, f == 1 ? 0 : 1);
        }
    s_feed_split (&r, "{\"error\":{\"code\":401,\"message\":\"Authentication Error, No api key passed in.\","
                      "\"type\":\"auth_error\"}}", 10, 401);
    assert_string_equal (r.error_class, "http");
    assert_string_equal (r.error_message, "HTTP 401: Authentication Error, No api key passed in.");
    s_feed_split (&r, "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"message\":{\"content\":\"hi\"}}]}",
                  5, 200);
    assert_string_equal (r.error_class, "not_sse");
    assert_false (r.transport_error);
    eval_result_clear (&r);
    eval_timeline_free (&r.tl);
}

/* The memory probes against nvidia-smi's recorded output (driver
 * 580.159.04, tests/eval/data/nvidia-smi) and a footprint command: the
 * device memory is added to the resident set, a pid nvidia-smi does not
 * list or a failing nvidia-smi is unknown (0), never RSS alone. */
static void
test_memory_probes_read_what_the_tools_print (void **state)
{
    (void) state;
    char *csv = eval_read_file ("tests/eval/data/nvidia-smi/query-compute-apps-noheader.csv", NULL);
    char *csvh = eval_read_file ("tests/eval/data/nvidia-smi/query-compute-apps.csv", NULL);
    assert_non_null (csv);
    uint64_t kb = 0;
    assert_int_equal (eval_nvidia_parse (csv, 428, &kb), 0);
    assert_int_equal (kb, 10850ull * 1024);
    kb = 0;
    assert_int_equal (eval_nvidia_parse (csvh, 428, &kb), 0);   /* header and " MiB" too */
    assert_int_equal (kb, 10850ull * 1024);
    assert_int_equal (eval_nvidia_parse (csv, 429, &kb), -1);
    /* One line per GPU: they add up. */
    assert_int_equal (eval_nvidia_parse ("428, python3, 100\n7, x, 5\n428, python3, 28\n", 428, &kb), 0);
    assert_int_equal (kb, 128ull * 1024);
    free (csv);
    free (csvh);
    assert_int_equal (eval_footprint_parse ("phys_footprint: 5.5 GB\n", &kb), 0);
    assert_int_equal (kb, (uint64_t) (5.5 * 1024 * 1024));
    assert_int_equal (eval_footprint_parse ("1234 MiB", &kb), 0);
    assert_int_equal (kb, 1234ull * 1024);
    assert_int_equal (eval_footprint_parse ("628796", &kb), 0);   /* no unit: kB */
    assert_int_equal (kb, 628796);
    assert_int_equal (eval_footprint_parse ("no such process", &kb), -1);

    char err[256], why[200];
    eval_memprobe_t p;
    assert_int_equal (eval_memprobe_parse (&p, "nvidia-smi", EVAL_PROBE_PROC, err, sizeof err), 0);
    assert_string_equal (eval_memprobe_name (&p), "proc+nvidia-smi");
    snprintf (p.nvidia_smi, sizeof p.nvidia_smi, "tests/eval/fake-nvidia-smi");
    char pid[16];
    snprintf (pid, sizeof pid, "%d", (int) getpid ());
    setenv ("FAKE_NVIDIA_PID", pid, 1);
    uint64_t rss = eval_proc_vmhwm_kb (getpid ());
    assert_true (rss > 0);
    kb = eval_memprobe_sample (&p, getpid (), why, sizeof why);
    assert_true (kb >= rss + 10850ull * 1024 && kb < rss + 10850ull * 1024 + 65536);
    setenv ("FAKE_NVIDIA_FAIL", "1", 1);
    assert_int_equal (eval_memprobe_sample (&p, getpid (), why, sizeof why), 0);
    assert_string_equal (why, "nvidia-smi did not run");
    unsetenv ("FAKE_NVIDIA_FAIL");
    setenv ("FAKE_NVIDIA_PID", "1", 1);   /* another process holds the GPU */
    assert_int_equal (eval_memprobe_sample (&p, getpid (), why, sizeof why), 0);
    assert_non_null (strstr (why, "no device memory"));
    unsetenv ("FAKE_NVIDIA_PID");
    assert_int_equal (eval_memprobe_parse (&p, "command:echo 'phys_footprint: 2 GB'", EVAL_PROBE_NONE, err,
                                           sizeof err), 0);
    assert_int_equal (eval_memprobe_sample (&p, 0, why, sizeof why), 2ull * 1024 * 1024);
    assert_int_equal (eval_memprobe_parse (&p, "command:false", EVAL_PROBE_NONE, err, sizeof err), 0);
    assert_int_equal (eval_memprobe_sample (&p, 0, why, sizeof why), 0);
    assert_int_equal (eval_memprobe_parse (&p, NULL, EVAL_PROBE_NONE, err, sizeof err), 0);
    assert_int_equal (eval_memprobe_sample (&p, getpid (), why, sizeof why), 0);
    assert_string_equal (eval_memprobe_name (&p), "none");
    assert_int_equal (eval_memprobe_parse (&p, "top", EVAL_PROBE_NONE, err, sizeof err), -1);
}

static void
test_percentile_interpolates_between_ranks (void **state)
{
    (void) state;
    double v[] = { 1, 2, 3, 4 };
    assert_true (fabs (lab_stats_percentile (v, 4, 50) - 2.5) < 1e-12);
    assert_true (fabs (lab_stats_percentile (v, 4, 0) - 1) < 1e-12);
    assert_true (fabs (lab_stats_percentile (v, 4, 100) - 4) < 1e-12);
    assert_true (isnan (lab_stats_percentile (v, 0, 50)));
}

static void
test_plan_loads_cohorts_pairs_buckets_and_rejects_typos (void **state)
{
    (void) state;
    char *dir = lab_test_tmpdir ("evalplan");
    char path[600], err[400];
    snprintf (path, sizeof path, "%s/plan.cfg", dir);
    lab_fixture_write (path,
                       "plan\n    name = \"p\"\n    timeout = \"2s\"\nbackends\n    a\n        models = \"m1 m2\"\n"
                       "    b\n        models = \"m1\"\npairs\n    m1 = \"a/m1 b/m1\"\nbuckets\n    throughput\n"
                       "        repetitions = 4\n        scenarios = \"x y\"\n");
    eval_plan_t plan;
    assert_int_equal (eval_plan_load (&plan, path, err, sizeof err), 0);
    assert_int_equal (plan.ncohorts, 3);
    assert_string_equal (plan.cohorts[1].name, "a/m2");
    assert_string_equal (plan.cohorts[2].pair, "m1");
    assert_string_equal (plan.cohorts[1].pair, "");
    assert_int_equal (plan.timeout_ms, 2000);
    assert_int_equal (plan.buckets[0].repetitions, 4);
    assert_true (eval_bucket_has (&plan.buckets[0], "y", 1));
    assert_false (eval_bucket_has (&plan.buckets[0], "z", 2));
    assert_string_equal (plan.output, "var/eval/p");
    eval_plan_free (&plan);
    lab_fixture_write (path, "plan\n    name = \"p\"\n    retires = 3\nbackends\n    a\n        models = \"m\"\n");
    assert_int_equal (eval_plan_load (&plan, path, err, sizeof err), -1);
    assert_non_null (strstr (err, ":3:"));
    assert_non_null (strstr (err, "retires"));
    lab_test_rmdir (dir);
    free (dir);
}

static json_t *
s_row (const char *key, const char *outcome)
{
    return json_pack ("{s:s, s:s, s:s, s:s}", "key", key, "outcome", outcome, "cohort", "c",
                      "completion", "text, with \"quotes\"\nand lines");
}

static void
test_rows_resume_after_torn_write_without_duplicates (void **state)
{
    (void) state;
    char *dir = lab_test_tmpdir ("evalrows");
    char err[300];
    eval_rows_t *rows = eval_rows_open (dir, err, sizeof err);
    assert_non_null (rows);
    json_t *r1 = s_row ("k1", "ok"), *r2 = s_row ("k2", "error");
    assert_int_equal (eval_rows_append (rows, r1, err, sizeof err), 0);
    assert_int_equal (eval_rows_append (rows, r2, err, sizeof err), 0);
    json_decref (r1);
    json_decref (r2);
    eval_rows_destroy (&rows);
    /* A kill in the middle of the third row's write. */
    char path[600];
    snprintf (path, sizeof path, "%s/rows.jsonl", dir);
    FILE *f = fopen (path, "a");
    fputs ("{\"key\":\"k3\",\"outc", f);
    fclose (f);
    rows = eval_rows_open (dir, err, sizeof err);
    assert_non_null (rows);
    assert_int_equal (eval_rows_count (rows), 2);
    assert_true (eval_rows_done (rows, "k1", false));
    assert_true (eval_rows_done (rows, "k2", false));      /* errors stay unless asked */
    assert_false (eval_rows_done (rows, "k2", true));      /* --retry-errors */
    assert_false (eval_rows_done (rows, "k3", false));
    json_t *r3 = s_row ("k3", "ok");
    assert_int_equal (eval_rows_append (rows, r3, err, sizeof err), 0);
    json_decref (r3);
    eval_rows_destroy (&rows);
    char *text = eval_read_file (path, NULL);
    int lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal (lines, 3);
    free (text);
    /* The CSV has a header and the same three rows, the newline in the
     * completion flattened so one row stays one line. */
    snprintf (path, sizeof path, "%s/rows.csv", dir);
    text = eval_read_file (path, NULL);
    lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal (lines, 4);
    free (text);
    lab_test_rmdir (dir);
    free (dir);
}

/* A rows.csv from an older version (fewer columns) with the right number
 * of lines is rebuilt on open, not appended to with rows of another shape. */
static void
test_rows_csv_of_an_older_version_is_rebuilt_with_todays_columns (void **state)
{
    (void) state;
    char *dir = lab_test_tmpdir ("evalcsv");
    char err[300];
    eval_rows_t *rows = eval_rows_open (dir, err, sizeof err);
    assert_non_null (rows);
    json_t *r1 = s_row ("k1", "ok");
    json_object_set_new (r1, "wer", json_real (0.25));
    json_object_set_new (r1, "served_model", json_string ("qwen3-8b"));
    assert_int_equal (eval_rows_append (rows, r1, err, sizeof err), 0);
    json_decref (r1);
    eval_rows_destroy (&rows);
    char path[600];
    snprintf (path, sizeof path, "%s/rows.csv", dir);
    FILE *f = fopen (path, "w");
    fputs ("ts,plan,key\n1,p,k1\n", f);      /* header + one row: the count agrees */
    fclose (f);
    rows = eval_rows_open (dir, err, sizeof err);
    assert_non_null (rows);
    eval_rows_destroy (&rows);
    char *text = eval_read_file (path, NULL);
    assert_non_null (text);
    /* Today's header (the new columns at the end), the row's values in them. */
    assert_int_equal (strncmp (text, "ts,plan,sweep,", 14), 0);
    char *nl = strchr (text, '\n');
    assert_non_null (nl);
    *nl = 0;
    int wer_col = -1, model_col = -1, col = 0;
    for (char *save = NULL, *t = strtok_r (text, ",", &save); t; t = strtok_r (NULL, ",", &save), col++) {
        if (!strcmp (t, "wer"))
            wer_col = col;
        if (!strcmp (t, "served_model"))
            model_col = col;
    }
    assert_true (wer_col > 0 && model_col > 0);
    char *row = nl + 1;
    col = 0;
    const char *wer = NULL, *model = NULL;
    for (char *p = row, *start = row; ; p++) {
        if (*p == ',' || *p == '\n' || !*p) {
            char c = *p;
            *p = 0;
            if (col == wer_col)
                wer = start;
            if (col == model_col)
                model = start;
            col++;
            start = p + 1;
            if (c != ',')
                break;
        }
    }
    assert_non_null (wer);
    assert_non_null (model);
    assert_string_equal (wer, "0.25");
    assert_string_equal (model, "qwen3-8b");
    free (text);
    lab_test_rmdir (dir);
    free (dir);
}

static void
test_scenario_pack_loads_files_and_builds_multimodal_messages (void **state)
{
    (void) state;
    char err[300];
    eval_pack_t *pack = eval_pack_load ("tests/eval/scenarios", err, sizeof err);
    assert_non_null (pack);
    assert_int_equal (eval_pack_size (pack), 3);
    const eval_scenario_t *t2 = eval_pack_find (pack, "t02_pending");
    assert_non_null (t2);
    assert_non_null (strstr (t2->user, "Insufficient cpu"));
    assert_ptr_equal (eval_pack_match_user (pack, t2->user), t2);
    const eval_scenario_t *img = eval_pack_find (pack, "i01_dashboard");
    json_t *msgs = eval_scenario_messages (img, err, sizeof err);
    assert_non_null (msgs);
    json_t *content = json_object_get (json_array_get (msgs, 1), "content");
    assert_true (json_is_array (content));
    const char *url = json_string_value (
        json_object_get (json_object_get (json_array_get (content, 1), "image_url"), "url"));
    assert_non_null (url);
    assert_int_equal (strncmp (url, "data:image/png;base64,iVBORw0KGgo", 33), 0);
    char *user = eval_messages_user_text (msgs);
    assert_string_equal (user, img->user);
    free (user);
    json_decref (msgs);
    /* Audio goes as an input_audio part with base64 data and its format. */
    eval_scenario_t audio = *img;
    audio.image_file = NULL;
    audio.audio_file = img->image_file;   /* any bytes will do */
    audio.audio_format = (char *) "wav";
    msgs = eval_scenario_messages (&audio, err, sizeof err);
    assert_non_null (msgs);
    json_t *part = json_array_get (json_object_get (json_array_get (msgs, 1), "content"), 1);
    assert_string_equal (json_string_value (json_object_get (part, "type")), "input_audio");
    json_t *ia = json_object_get (part, "input_audio");
    assert_string_equal (json_string_value (json_object_get (ia, "format")), "wav");
    assert_int_equal (strncmp (json_string_value (json_object_get (ia, "data")), "iVBORw0KGgo", 11), 0);
    json_decref (msgs);
    audio.audio_file = (char *) "/nonexistent/clip.wav";
    assert_null (eval_scenario_messages (&audio, err, sizeof err));
    assert_non_null (strstr (err, "cannot read audio"));
    eval_pack_destroy (&pack);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_sse_parses_merged_stream_in_one_feed),
        cmocka_unit_test (test_sse_parses_stream_split_byte_by_byte),
        cmocka_unit_test (test_sse_parses_stream_split_at_every_point),
        cmocka_unit_test (test_sse_drops_unterminated_event_and_overlong_line),
        cmocka_unit_test (test_chunk_reads_usage_from_finish_chunk_with_choices),
        cmocka_unit_test (test_chunk_rejects_malformed_json_and_shapes),
        cmocka_unit_test (test_metrics_of_scripted_stream_match_definitions),
        cmocka_unit_test (test_stream_without_done_is_cut_and_malformed_is_error),
        cmocka_unit_test (test_stream_errors_in_both_llama_server_forms),
        cmocka_unit_test (test_memory_probes_read_what_the_tools_print),
        cmocka_unit_test (test_percentile_interpolates_between_ranks),
        cmocka_unit_test (test_plan_loads_cohorts_pairs_buckets_and_rejects_typos),
        cmocka_unit_test (test_rows_resume_after_torn_write_without_duplicates),
        cmocka_unit_test (test_rows_csv_of_an_older_version_is_rebuilt_with_todays_columns),
        cmocka_unit_test (test_scenario_pack_loads_files_and_builds_multimodal_messages),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
