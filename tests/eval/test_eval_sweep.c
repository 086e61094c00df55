/* test_eval_sweep - eval-runner against real labsim llm servers: every
 * simulated fault gives the right row outcome and the sweep goes on; a
 * backend that never gets healthy skips its cohort with the reason; a runner
 * killed mid-sweep resumes with no row missing or doubled; only one backend
 * process is alive at any moment; run-time faults and the judge model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "services/eval-runner/eval_backend.h"
#include "services/eval-runner/eval_openai.h"
#include "services/eval-runner/eval_request.h"
#include "services/eval-runner/eval_rows.h"
#include "services/eval-runner/eval_scenario.h"
#include "services/eval-runner/eval_sweep.h"
#include "tests/lab_fixture.h"

typedef struct {
    char *dir;
    char cfg[600];
    char plan[600];
    char out[600];
    char labsim[600];
} fx_t;

/* The lab config: labsim-llm models plus backends started locally. */
static void
s_config (fx_t *f, const char *models_a)
{
    char text[8192];
    snprintf (text, sizeof text,
              "labsim-llm\n"
              "    scenarios = \"tests/eval/scenarios\"\n"
              "    sim-a\n"
              "        load_time = \"100ms\"\n"
              "        style = \"llamacpp\"\n"
              "        models\n%s"
              "    sim-b\n"
              "        style = \"openai\"\n"
              "        load_time = \"0\"\n"
              "        models\n"
              "            m1\n"
              "                ttft = \"10ms\"\n"
              "                token_rate = 1000\n"
              "    slow\n"
              "        load_time = \"1h\"\n"
              "        models\n"
              "            m1\n"
              "backends\n"
              "    sim-a\n"
              "        command = \"%s llm -c %s --backend sim-a --port ${port}\"\n"
              "        base_url = \"http://127.0.0.1:${port}/v1\"\n"
              "    sim-b\n"
              "        command = \"%s llm -c %s --backend sim-b --port ${port}\"\n"
              "        base_url = \"http://127.0.0.1:${port}/v1\"\n"
              "    dead\n"
              "        command = \"%s llm -c %s --backend nosuch --port ${port}\"\n"
              "        base_url = \"http://127.0.0.1:${port}\"\n"
              "    slow\n"
              "        command = \"%s llm -c %s --backend slow --port ${port}\"\n"
              "        base_url = \"http://127.0.0.1:${port}\"\n"
              "        start_timeout = \"1s\"\n",
              models_a, f->labsim, f->cfg, f->labsim, f->cfg, f->labsim, f->cfg, f->labsim, f->cfg);
    lab_fixture_write (f->cfg, text);
}

static void
s_plan (fx_t *f, const char *backends, const char *extra)
{
    char text[4096];
    snprintf (text, sizeof text,
              "plan\n    name = \"t\"\n    scenarios = \"tests/eval/scenarios\"\n    output = \"%s\"\n"
              "    warmup = 0\n    timeout = \"1s\"\n    retries = 1\n    backoff = \"20ms\"\n"
              "    start_timeout = \"5s\"\n%sbackends\n%s",
              f->out, extra ? extra : "", backends);
    lab_fixture_write (f->plan, text);
}

/* Appends a quality bucket running SCENARIOS to the plan s_plan wrote. */
static void
s_plan_quality (fx_t *f, const char *scenarios)
{
    char plan[4096];
    char *text = eval_read_file (f->plan, NULL);
    assert_non_null (text);
    snprintf (plan, sizeof plan, "%sbuckets\n    quality\n        scenarios = \"%s\"\n", text, scenarios);
    free (text);
    lab_fixture_write (f->plan, plan);
}

/* One labsim backend, sim-a, serving MODEL from the real scenario pack
 * (eval/scenarios), and a plan running SCENARIOS in the quality bucket on
 * it; BACKEND_EXTRA is added to the plan's sim-a section. */
static void
s_sim_a_sweep (fx_t *f, const char *model, const char *backend_extra, const char *scenarios)
{
    char text[2048];
    snprintf (text, sizeof text,
              "labsim-llm\n    scenarios = \"eval/scenarios\"\n    sim-a\n        load_time = \"0\"\n"
              "        models\n            %s\n                token_rate = 4000\n                answers = \"good=1\"\n"
              "backends\n    sim-a\n        command = \"%s llm -c %s --backend sim-a --port ${port}\"\n"
              "        base_url = \"http://127.0.0.1:${port}\"\n",
              model, f->labsim, f->cfg);
    lab_fixture_write (f->cfg, text);
    snprintf (text, sizeof text,
              "plan\n    name = \"t\"\n    scenarios = \"eval/scenarios\"\n    output = \"%s\"\n    warmup = 0\n"
              "backends\n    sim-a\n        models = \"%s\"\n%s"
              "buckets\n    quality\n        scenarios = \"%s\"\n",
              f->out, model, backend_extra, scenarios);
    lab_fixture_write (f->plan, text);
}

/* Removes the sweep's output directory, for a fresh run on the same plan. */
static void
s_remove_out (fx_t *f)
{
    lab_test_rmdir (f->out);   /* under the fixture's /tmp/labtest-* directory */
    assert_int_not_equal (access (f->out, F_OK), 0);
}

static int
s_setup (void **state)
{
    fx_t *f = (fx_t *) calloc (1, sizeof (fx_t));
    f->dir = lab_test_tmpdir ("evalsweep");
    snprintf (f->cfg, sizeof f->cfg, "%s/lab.cfg", f->dir);
    snprintf (f->plan, sizeof f->plan, "%s/plan.cfg", f->dir);
    snprintf (f->out, sizeof f->out, "%s/out", f->dir);
    lab_test_bin ("labsim", f->labsim, sizeof f->labsim);
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fx_t *f = (fx_t *) *state;
    lab_test_rmdir (f->dir);
    free (f->dir);
    free (f);
    return 0;
}

/* Runs the plan in this process with local backends. */
static int
s_run_opts (fx_t *f, lab_config_t **cfg_p, eval_progress_t *pr, long max_rows, bool retry_errors)
{
    char err[512];
    lab_config_t *cfg = lab_config_load (f->cfg, err, sizeof err);
    assert_non_null (cfg);
    eval_backends_t *be = eval_backends_new_local (cfg, f->cfg, f->dir);
    eval_progress_init (pr);
    eval_sweep_opts_t o = { .plan_path = f->plan, .backends = be, .max_rows = max_rows,
                            .retry_errors = retry_errors };
    int rc = eval_sweep_run (&o, pr, err, sizeof err);
    eval_backends_destroy (&be);
    if (cfg_p)
        *cfg_p = cfg;
    else
        lab_config_destroy (&cfg);
    return rc;
}

static int
s_run (fx_t *f, lab_config_t **cfg_p, eval_progress_t *pr, long max_rows)
{
    return s_run_opts (f, cfg_p, pr, max_rows, false);
}

static json_t *
s_rows (fx_t *f)
{
    char err[300];
    eval_rows_t *rows = eval_rows_open (f->out, err, sizeof err);
    assert_non_null (rows);
    json_t *all = json_incref (eval_rows_all (rows));
    eval_rows_destroy (&rows);
    return all;
}

static json_t *
s_row_of (json_t *rows, const char *cohort)
{
    size_t i;
    json_t *r;
    json_array_foreach (rows, i, r)
        if (!strcmp (json_string_value (json_object_get (r, "cohort")), cohort))
            return r;
    return NULL;
}

static const char *
s_get (json_t *row, const char *k)
{
    const char *v = json_string_value (json_object_get (row, k));
    return v ? v : "";
}

static void
test_each_fault_gives_its_outcome_and_sweep_continues (void **state)
{
    fx_t *f = (fx_t *) *state;
    s_config (f, "            good\n                ttft = \"5ms\"\n                token_rate = 2000\n"
                 "            f500\n                fault = \"500\"\n"
                 "            fhang\n                fault = \"hang\"\n"
                 "            fcut\n                fault = \"stream_cut\"\n                token_rate = 2000\n"
                 "            fbad\n                fault = \"malformed_json\"\n                token_rate = 2000\n"
                 "            fping\n                fault = \"ping\"\n                token_rate = 2000\n"
                 "            fimend\n                fault = \"im_end\"\n                token_rate = 2000\n"
                 "            flen\n                fault = \"length\"\n                token_rate = 2000\n");
    s_plan (f, "    sim-a\n        models = \"f500 fhang fcut fbad fping fimend flen good\"\n",
            "    max_tokens = 40\n");
    /* One scenario keeps it short. */
    s_plan_quality (f, "t01_crashloop");
    eval_progress_t pr;
    assert_int_equal (s_run (f, NULL, &pr, 0), 0);
    json_t *rows = s_rows (f);
    assert_int_equal (json_array_size (rows), 8);
    json_t *r = s_row_of (rows, "sim-a/f500");
    assert_string_equal (s_get (r, "outcome"), "error");
    assert_string_equal (s_get (r, "error_class"), "http");
    assert_int_equal (json_integer_value (json_object_get (r, "http_status")), 500);
    assert_int_equal (json_integer_value (json_object_get (r, "attempts")), 1);   /* not a transport error */
    r = s_row_of (rows, "sim-a/fhang");
    assert_string_equal (s_get (r, "error_class"), "timeout");
    assert_int_equal (json_integer_value (json_object_get (r, "attempts")), 2);   /* retried once */
    r = s_row_of (rows, "sim-a/fcut");
    assert_string_equal (s_get (r, "error_class"), "stream_cut");
    assert_int_equal (json_integer_value (json_object_get (r, "attempts")), 2);
    r = s_row_of (rows, "sim-a/fbad");
    assert_string_equal (s_get (r, "error_class"), "malformed_json");
    r = s_row_of (rows, "sim-a/fping");
    assert_string_equal (s_get (r, "outcome"), "ok");
    assert_true (json_integer_value (json_object_get (r, "sse_comments")) > 0);
    r = s_row_of (rows, "sim-a/fimend");
    assert_string_equal (s_get (r, "outcome"), "ok");
    assert_true (json_is_true (json_object_get (r, "template_leak")));
    r = s_row_of (rows, "sim-a/flen");
    assert_string_equal (s_get (r, "outcome"), "ok");
    assert_string_equal (s_get (r, "finish_reason"), "length");
    /* Runs on to the limit: the scenario's max_tokens (128) wins over the plan's. */
    assert_int_equal (json_integer_value (json_object_get (r, "completion_tokens")), 128);
    r = s_row_of (rows, "sim-a/good");
    assert_string_equal (s_get (r, "outcome"), "ok");
    assert_string_equal (s_get (r, "n_source"), "streamed");
    assert_true (json_number_value (json_object_get (r, "ttft_ms")) > 0);
    assert_true (json_is_object (json_object_get (r, "backend_timings")));
    /* The quality scorer saw every row. */
    assert_non_null (json_object_get (r, "composite_version"));
    assert_int_equal (pr.errors, 4);
    json_decref (rows);
}

/* llama-server reports a failure after the headers in two shapes (labsim
 * reproduces both, see labsim_llm.h), before or after the first token; a
 * server that ignores "stream" answers with one JSON body. Each is an error
 * row carrying the server's own message, never an "ok" row with a cut or
 * empty answer, and none is retried as a transport error. */
static void
test_llama_server_error_forms_are_error_rows_with_the_message (void **state)
{
    fx_t *f = (fx_t *) *state;
    s_config (f, "            eline\n                fault = \"error_line\"\n                token_rate = 2000\n"
                 "            eevent\n                fault = \"error_event\"\n                token_rate = 2000\n"
                 "            eline0\n                fault = \"error_line_early\"\n                token_rate = 2000\n"
                 "            eevent0\n                fault = \"error_event_early\"\n                token_rate = 2000\n"
                 "            whole\n                fault = \"json_reply\"\n                token_rate = 2000\n");
    s_plan (f, "    sim-a\n        models = \"eline eevent eline0 eevent0 whole\"\n", NULL);
    s_plan_quality (f, "t01_crashloop");
    eval_progress_t pr;
    assert_int_equal (s_run (f, NULL, &pr, 0), 0);
    json_t *rows = s_rows (f);
    assert_int_equal (json_array_size (rows), 5);
    const char *errs[] = { "sim-a/eline", "sim-a/eevent", "sim-a/eline0", "sim-a/eevent0" };
    for (int i = 0; i < 4; i++) {
        json_t *r = s_row_of (rows, errs[i]);
        assert_non_null (r);
        assert_string_equal (s_get (r, "outcome"), "error");
        assert_string_equal (s_get (r, "error_class"), "api_error");
        assert_non_null (strstr (s_get (r, "error_message"), "exceeds the available context size"));
        assert_int_equal (json_integer_value (json_object_get (r, "attempts")), 1);
    }
    json_t *r = s_row_of (rows, "sim-a/whole");
    assert_string_equal (s_get (r, "outcome"), "error");
    assert_string_equal (s_get (r, "error_class"), "not_sse");
    assert_non_null (strstr (s_get (r, "error_message"), "not an SSE stream"));
    assert_int_equal (pr.errors, 5);
    json_decref (rows);
}

static void
test_errors_are_redone_only_with_retry_errors (void **state)
{
    fx_t *f = (fx_t *) *state;
    s_config (f, "            m1\n                fault = \"500\"\n                token_rate = 2000\n");
    s_plan (f, "    sim-a\n        models = \"m1\"\n", NULL);
    eval_progress_t pr;
    assert_int_equal (s_run (f, NULL, &pr, 0), 0);
    assert_int_equal (pr.errors, 3);
    /* The backend is fixed; a plain rerun leaves the error rows alone. */
    s_config (f, "            m1\n                token_rate = 2000\n");
    assert_int_equal (s_run (f, NULL, &pr, 0), 0);
    json_t *rows = s_rows (f);
    assert_int_equal (json_array_size (rows), 3);
    json_decref (rows);
    assert_int_equal (s_run_opts (f, NULL, &pr, 0, true), 0);
    assert_int_equal (pr.errors, 0);
    rows = s_rows (f);
    assert_int_equal (json_array_size (rows), 6);        /* append-only: the errors stay */
    json_decref (rows);
    char err[300];
    eval_rows_t *rs = eval_rows_open (f->out, err, sizeof err);
    json_t *latest = eval_rows_latest (rs);
    assert_int_equal (json_array_size (latest), 3);      /* one per key, the newest */
    size_t i;
    json_t *r;
    json_array_foreach (latest, i, r)
        assert_string_equal (s_get (r, "outcome"), "ok");
    json_decref (latest);
    eval_rows_destroy (&rs);
    char path[700];
    snprintf (path, sizeof path, "%s/summary.json", f->out);
    json_t *sum = json_load_file (path, 0, NULL);
    assert_int_equal (json_integer_value (json_object_get (sum, "errors")), 0);
    assert_int_equal (json_integer_value (json_object_get (sum, "rows")), 3);
    json_decref (sum);
}

static json_t *
s_row_of_scenario (json_t *rows, const char *scenario)
{
    size_t i;
    json_t *r;
    json_array_foreach (rows, i, r)
        if (!strcmp (s_get (r, "scenario"), scenario))
            return r;
    return NULL;
}

/* Answers come from the scenario pack by the profile; a per-kind profile
 * gives one modality its own (the canned answer of a broken image path). */
static void
test_answers_come_from_pack_by_profile_and_kind (void **state)
{
    fx_t *f = (fx_t *) *state;
    s_config (f, "            m1\n                token_rate = 2000\n                answers = \"good=1\"\n"
                 "                answers_image = \"symptom=1\"\n");
    s_plan (f, "    sim-a\n        models = \"m1\"\n", NULL);
    eval_progress_t pr;
    assert_int_equal (s_run (f, NULL, &pr, 0), 0);
    json_t *rows = s_rows (f);
    char *good = eval_read_file ("tests/eval/scenarios/t01_crashloop/answers/good.txt", NULL);
    char *symptom = eval_read_file ("tests/eval/scenarios/i01_dashboard/answers/symptom.txt", NULL);
    good[strcspn (good, "\n")] = 0;
    symptom[strcspn (symptom, "\n")] = 0;
    assert_string_equal (s_get (s_row_of_scenario (rows, "t01_crashloop"), "completion"), good);
    assert_string_equal (s_get (s_row_of_scenario (rows, "i01_dashboard"), "completion"), symptom);
    free (good);
    free (symptom);
    json_decref (rows);
}

/* The judge runs after the cohort's timed requests, never inside them:
 * every triage row is first written "pending", and every judged version of
 * a row (no judge on the bus here, so judge_unavailable, never a low score)
 * comes after the last pending one. */
static void
test_judge_runs_after_the_timed_requests (void **state)
{
    fx_t *f = (fx_t *) *state;
    s_sim_a_sweep (f, "m1", "", "k01-crashloop-missing-configmap k04-oomkilled");
    eval_progress_t pr;
    assert_int_equal (s_run (f, NULL, &pr, 0), 0);
    json_t *rows = s_rows (f);
    size_t i, last_pending = 0, first_judged = SIZE_MAX, judged = 0, pending = 0;
    json_t *r;
    json_array_foreach (rows, i, r) {
        const char *jo = s_get (r, "judge_outcome");
        if (!strcmp (jo, "pending")) {
            pending++;
            last_pending = i;
        }
        else if (!strcmp (jo, "judge_unavailable")) {
            judged++;
            if (first_judged == SIZE_MAX)
                first_judged = i;
        }
    }
    assert_int_equal (pending, 2);
    assert_int_equal (judged, 2);
    assert_true (first_judged > last_pending);
    json_decref (rows);
}

static void
test_unhealthy_backend_skips_cohort_with_reason (void **state)
{
    fx_t *f = (fx_t *) *state;
    s_config (f, "            m1\n                token_rate = 2000\n");
    s_plan (f, "    dead\n        models = \"m1\"\n    slow\n        models = \"m1\"\n"
               "    sim-b\n        models = \"m1\"\n", NULL);
    eval_progress_t pr;
    assert_int_equal (s_run (f, NULL, &pr, 0), 0);
    assert_int_equal (pr.skipped, 2);
    char path[700];
    snprintf (path, sizeof path, "%s/summary.json", f->out);
    json_t *sum = json_load_file (path, 0, NULL);
    assert_non_null (sum);
    json_t *per = json_object_get (sum, "per_cohort");
    int skipped = 0, done = 0;
    size_t i;
    json_t *c;
    json_array_foreach (per, i, c) {
        const char *st = s_get (c, "status");
        if (!strcmp (st, "skipped")) {
            skipped++;
            assert_true (strlen (s_get (c, "reason")) > 0);
        }
        done += !strcmp (st, "done");
    }
    assert_int_equal (skipped, 2);
    assert_int_equal (done, 1);
    json_decref (sum);
    json_t *rows = s_rows (f);
    assert_int_equal (json_array_size (rows), 3);   /* sim-b/m1 x 3 scenarios */
    json_decref (rows);
}

/* PPid of a process, 0 when unknown. */
static int
s_ppid (const char *pid)
{
    char path[300], line[256];
    snprintf (path, sizeof path, "/proc/%s/status", pid);
    FILE *f = fopen (path, "r");
    int ppid = 0;
    while (f && fgets (line, sizeof line, f))
        if (!strncmp (line, "PPid:", 5))
            ppid = atoi (line + 5);
    if (f)
        fclose (f);
    return ppid;
}

/* Counts labsim llm processes started with this test's config. A task
 * cloned by such a process (the leak checker's tracer under ASan) carries
 * the same command line but is not another backend: it is not counted. */
static int
s_count_backends (const char *cfg)
{
    DIR *d = opendir ("/proc");
    struct dirent *e;
    int pids[64], ppids[64], n = 0;
    while (d && (e = readdir (d)) && n < 64) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300], buf[4096];
        snprintf (path, sizeof path, "/proc/%s/cmdline", e->d_name);
        FILE *f = fopen (path, "r");
        if (!f)
            continue;
        size_t len = fread (buf, 1, sizeof buf - 1, f);
        fclose (f);
        buf[len] = 0;
        for (size_t i = 0; i + 1 < len; i++)
            if (!buf[i])
                buf[i] = ' ';
        /* Zombies have an empty cmdline: a reaped-late process is not alive. */
        if (strstr (buf, " llm ") && strstr (buf, cfg)) {
            pids[n] = atoi (e->d_name);
            ppids[n] = s_ppid (e->d_name);
            n++;
        }
    }
    if (d)
        closedir (d);
    int alive = 0;
    for (int i = 0; i < n; i++) {
        bool child_of_match = false;
        for (int k = 0; k < n; k++)
            child_of_match |= ppids[i] == pids[k];
        alive += !child_of_match;
    }
    return alive;
}

typedef struct {
    fx_t *f;
    eval_progress_t pr;
    int rc;
    volatile bool finished;
} runner_arg_t;

static void *
s_runner_thread (void *arg)
{
    runner_arg_t *a = (runner_arg_t *) arg;
    a->rc = s_run (a->f, NULL, &a->pr, 0);
    a->finished = true;
    return NULL;
}

static void
test_only_one_backend_alive_at_any_time (void **state)
{
    fx_t *f = (fx_t *) *state;
    s_config (f, "            m1\n                token_rate = 2000\n            m2\n                token_rate = 2000\n");
    s_plan (f, "    sim-a\n        models = \"m1 m2\"\n    sim-b\n        models = \"m1\"\n", NULL);
    runner_arg_t a = { .f = f };
    pthread_t t;
    pthread_create (&t, NULL, s_runner_thread, &a);
    int max = 0, samples_with_one = 0;
    for (int i = 0; i < 3000 && !a.finished; i++) {
        int n = s_count_backends (f->cfg);
        if (n > max)
            max = n;
        samples_with_one += n == 1;
        usleep (2000);
    }
    pthread_join (t, NULL);
    assert_int_equal (a.rc, 0);
    assert_int_equal (max, 1);
    assert_true (samples_with_one > 0);
    assert_int_equal (s_count_backends (f->cfg), 0);
}

static int
s_count_lines (const char *path)
{
    char *t = eval_read_file (path, NULL);
    int n = 0;
    for (char *p = t; p && *p; p++)
        n += *p == '\n';
    free (t);
    return n;
}

static void
test_killed_runner_resumes_without_missing_or_duplicate_rows (void **state)
{
    fx_t *f = (fx_t *) *state;
    s_config (f, "            m1\n                token_rate = 200\n");
    s_plan (f, "    sim-a\n        models = \"m1\"\n    sim-b\n        models = \"m1\"\n",
            NULL);
    char plan[4096];
    char *text = eval_read_file (f->plan, NULL);
    snprintf (plan, sizeof plan, "%sbuckets\n    throughput\n        repetitions = 3\n", text);
    free (text);
    lab_fixture_write (f->plan, plan);
    char rowsfile[700], log[700];
    snprintf (rowsfile, sizeof rowsfile, "%s/rows.jsonl", f->out);
    snprintf (log, sizeof log, "%s/runner.log", f->dir);
    const char *argv[] = { "eval-runner", "-c", f->cfg, "--plan", f->plan, "--local-backends", "--no-bus", NULL };
    pid_t pid = lab_test_spawn ("eval-runner", argv, log);
    assert_true (pid > 0);
    for (int i = 0; i < 1000 && s_count_lines (rowsfile) < 4; i++)
        usleep (10000);
    assert_true (s_count_lines (rowsfile) >= 4);
    kill (pid, SIGKILL);
    lab_test_stop (pid, SIGKILL, 2000);
    /* Its backend dies with it. */
    for (int i = 0; i < 200 && s_count_backends (f->cfg) > 0; i++)
        usleep (10000);
    assert_int_equal (s_count_backends (f->cfg), 0);
    int before = s_count_lines (rowsfile);
    assert_true (before < 18);
    pid = lab_test_spawn ("eval-runner", argv, log);
    int status = lab_test_stop (pid, 0, 30000);
    (void) status;
    json_t *rows = s_rows (f);
    assert_int_equal (json_array_size (rows), 18);    /* 2 cohorts x 3 scenarios x 3 reps */
    json_t *seen = json_object ();
    size_t i;
    json_t *r;
    json_array_foreach (rows, i, r) {
        const char *key = s_get (r, "key");
        assert_null (json_object_get (seen, key));
        json_object_set_new (seen, key, json_true ());
    }
    json_decref (seen);
    json_decref (rows);
    char csv[700];
    snprintf (csv, sizeof csv, "%s/rows.csv", f->out);
    assert_int_equal (s_count_lines (csv), 19);
    /* A third run has nothing to do. */
    eval_progress_t pr;
    assert_int_equal (s_run (f, NULL, &pr, 0), 0);
    assert_int_equal (pr.done, 18);
    assert_int_equal (s_count_lines (rowsfile), 18);
}

static void
test_runtime_fault_and_judge_replies (void **state)
{
    fx_t *f = (fx_t *) *state;
    s_config (f, "            m1\n                token_rate = 2000\n"
                 "            judge\n                role = \"judge\"\n                token_rate = 5000\n");
    char err[512];
    lab_config_t *cfg = lab_config_load (f->cfg, err, sizeof err);
    eval_backends_t *be = eval_backends_new_local (cfg, f->cfg, f->dir);
    eval_backend_info_t info;
    assert_int_equal (eval_backends_start (be, "sim-a", 5000, &info, err, sizeof err), 0);
    char url[400], fault_url[400];
    snprintf (url, sizeof url, "%s/v1/chat/completions", info.base_url);
    snprintf (fault_url, sizeof fault_url, "%s/sim/fault", info.base_url);
    CURL *c = curl_easy_init ();
    curl_easy_setopt (c, CURLOPT_URL, fault_url);
    curl_easy_setopt (c, CURLOPT_POSTFIELDS, "{\"model\":\"m1\",\"fault\":\"500\",\"count\":1}");
    curl_easy_setopt (c, CURLOPT_NOPROXY, "*");
    FILE *null = fopen ("/dev/null", "w");
    curl_easy_setopt (c, CURLOPT_WRITEDATA, null);
    assert_int_equal (curl_easy_perform (c), CURLE_OK);
    curl_easy_cleanup (c);
    fclose (null);
    json_t *msgs = json_pack ("[{s:s, s:s}]", "role", "user", "content", "hello");
    eval_openai_req_t rq = { .model = "m1", .messages = msgs, .temperature = -1, .seed = 1, .stream = true };
    char *body = eval_openai_request_body (&rq);
    eval_request_opts_t o = { .url = url, .body = body, .timeout_ms = 5000 };
    eval_result_t r;
    eval_result_init (&r);
    assert_int_equal (eval_request_run (&o, &r), -1);
    assert_int_equal (r.http_status, 500);
    assert_int_equal (eval_request_run (&o, &r), 0);    /* count 1: the next is fine */
    free (body);
    json_decref (msgs);
    /* The judge answers with the rubric JSON, the same for the same request. */
    msgs = json_pack ("[{s:s, s:s}]", "role", "user", "content", "Rate this answer: restart the pod");
    rq.model = "judge";
    rq.messages = msgs;
    body = eval_openai_request_body (&rq);
    o.body = body;
    assert_int_equal (eval_request_run (&o, &r), 0);
    json_t *j = json_loads (r.completion, 0, NULL);
    assert_non_null (j);
    char *first = strdup (r.completion);
    const char *keys[] = { "correctness", "evidence", "safety" };
    for (int i = 0; i < 3; i++) {
        json_int_t v = json_integer_value (json_object_get (j, keys[i]));
        assert_true (v >= 1 && v <= 5);
    }
    assert_true (json_is_string (json_object_get (j, "reasoning")));
    json_decref (j);
    assert_int_equal (eval_request_run (&o, &r), 0);
    assert_string_equal (r.completion, first);
    free (first);
    free (body);
    json_decref (msgs);
    eval_result_clear (&r);
    eval_timeline_free (&r.tl);
    assert_int_equal (eval_backends_stop (be, "sim-a", &info, err, sizeof err), 0);
    assert_true (info.peak_rss_kb > 0);
    eval_backends_destroy (&be);
    lab_config_destroy (&cfg);
}


static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset (&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (bind (fd, (struct sockaddr *) &a, sizeof a) == 0 && getsockname (fd, (struct sockaddr *) &a, &len) == 0)
        port = ntohs (a.sin_port);
    close (fd);
    return port;
}

/* The real path: labd supervises labbus and eval-runner and runs the two
 * backends on request; `eval-runner run` sweeps through labd, publishes
 * state.eval.<sweep> and one evt.eval.<sweep> per row, and no two backend
 * processes are ever alive together. */
static void
test_sweep_through_labd_keeps_one_backend_and_publishes (void **state)
{
    fx_t *f = (fx_t *) *state;
    int pa = s_free_port (), pb = s_free_port ();
    char text[8192];
    snprintf (text, sizeof text,
              "lab\n    logs = \"%s/logs\"\n    state = \"%s/state\"\n"
              "services\n    labbus\n        command = \"labbus -c ${config}\"\n"
              "    eval-runner\n        command = \"eval-runner -c ${config}\"\n        after = \"labbus\"\n"
              "backends\n"
              "    sim-a\n        command = \"labsim llm -c ${config} --backend sim-a\"\n"
              "        base_url = \"http://127.0.0.1:%d\"\n        group = \"llm\"\n        stop_grace = \"2s\"\n"
              "    sim-b\n        command = \"labsim llm -c ${config} --backend sim-b\"\n"
              "        base_url = \"http://127.0.0.1:%d\"\n        group = \"llm\"\n        stop_grace = \"2s\"\n"
              "labsim-llm\n    scenarios = \"tests/eval/scenarios\"\n"
              "    sim-a\n        load_time = \"200ms\"\n        models\n            m1\n                token_rate = 2000\n"
              "            m2\n                token_rate = 2000\n"
              "    sim-b\n        style = \"openai\"\n        models\n            m1\n                token_rate = 2000\n",
              f->dir, f->dir, pa, pb);
    lab_fixture_write (f->cfg, text);
    s_plan (f, "    sim-a\n        models = \"m1 m2\"\n    sim-b\n        models = \"m1\"\n",
            "pairs\n    m1 = \"sim-a/m1 sim-b/m1\"\n");
    char plan_abs[PATH_MAX], scen[PATH_MAX];
    assert_non_null (realpath (f->plan, plan_abs));
    assert_non_null (realpath ("tests/eval/scenarios", scen));
    setenv ("LAB_RUNTIME_DIR", f->dir, 1);
    char log[700];
    snprintf (log, sizeof log, "%s/labd.out", f->dir);
    const char *argv[] = { "labd", "-c", f->cfg, NULL };
    pid_t labd = lab_test_spawn ("labd", argv, log);
    assert_true (labd > 0);
    bus_endpoints_t ep;
    bus_endpoints_in_dir (&ep, f->dir);
    bus_client_t *bus = bus_client_new ("test", &ep);
    bus_client_subscribe (bus, "state.eval.t");
    bus_client_subscribe (bus, "evt.eval.t");
    Lab__CommandReply *reply = NULL;
    bool up = false;
    for (int i = 0; i < 100 && !up; i++) {
        if (bus_client_call (bus, "eval-runner", "status", 0, NULL, 500, &reply) == BUS_OK) {
            up = true;
            lab__command_reply__free_unpacked (reply, NULL);
        }
        else
            usleep (100000);
    }
    assert_true (up);
    const char *args[] = { plan_abs };
    assert_int_equal (bus_client_call (bus, "eval-runner", "run", 1, args, 10000, &reply), BUS_OK);
    assert_int_equal (reply->status, BUS_OK);
    lab__command_reply__free_unpacked (reply, NULL);
    int max = 0, rows_seen = 0;
    bool done = false;
    uint64_t deadline = bus_mono_ns () + 40ull * 1000000000ull;
    while (!done && bus_mono_ns () < deadline) {
        bus_msg_t *m = bus_client_recv (bus, 5);
        if (m && m->env->body_case == LAB__ENVELOPE__BODY_EVAL_ROW)
            rows_seen++;
        if (m && m->env->body_case == LAB__ENVELOPE__BODY_EVAL_SWEEP && !strcmp (m->env->eval_sweep->state, "done"))
            done = true;
        bus_msg_destroy (&m);
        int n = s_count_backends (f->cfg);
        if (n > max)
            max = n;
    }
    assert_true (done);
    assert_int_equal (max, 1);
    assert_int_equal (rows_seen, 9);     /* 3 cohorts x 3 scenarios */
    json_t *rows = s_rows (f);
    assert_int_equal (json_array_size (rows), 9);
    json_decref (rows);
    char path[700];
    snprintf (path, sizeof path, "%s/summary.json", f->out);
    json_t *sum = json_load_file (path, 0, NULL);
    json_t *c0 = json_array_get (json_object_get (sum, "per_cohort"), 0);
    assert_true (json_number_value (json_object_get (c0, "peak_rss_kb")) > 0);   /* from labd */
    json_decref (sum);
    /* `decide PLAN` (what chat /eval decide forwards): eval-runner answers
     * with evala's verdict for the plan's pair, the same text labctl prints. */
    assert_int_equal (bus_client_call (bus, "eval-runner", "decide", 1, args, 10000, &reply), BUS_OK);
    assert_int_equal (reply->status, BUS_OK);
    assert_non_null (strstr (reply->message, "m1: sim-a/m1 -> sim-b/m1: "));
    assert_non_null (strstr (reply->message, "errors 0.0 % / 0.0 %"));
    assert_non_null (strstr (reply->message, "\noverall: "));
    json_t *verdicts = json_loads (reply->json, 0, NULL);
    assert_string_equal (json_string_value (json_object_get (json_array_get (verdicts, 0), "current")), "sim-a/m1");
    json_decref (verdicts);
    lab__command_reply__free_unpacked (reply, NULL);
    const char *nodir[] = { "/nonexistent/sweep" };
    assert_int_equal (bus_client_call (bus, "eval-runner", "decide", 1, nodir, 10000, &reply), BUS_OK);
    assert_int_equal (reply->status, BUS_ENOTFOUND);
    assert_non_null (strstr (reply->message, "no rows at /nonexistent/sweep"));
    lab__command_reply__free_unpacked (reply, NULL);
    bus_client_destroy (&bus);
    lab_test_stop (labd, SIGTERM, 8000);
    assert_int_equal (s_count_backends (f->cfg), 0);
}

/* A LiteLLM proxy that already runs (labsim in litellm style with a master
 * key): a backend with base_url and no command is used directly. With the
 * key from api_key_env every request passes and the rows name the kind and
 * version; without it the cohort is skipped saying the key is missing (not
 * measured as failures); a model the proxy does not list gives
 * "wrong model served" rows; the key is in no row, record or log. A slow
 * but steady model (19 tokens at 10 tok/s: gaps 100 ms, 1.9 s in all, idle
 * limit 1 s) is not hung; the same model against a 1 s deadline is. */
static void
test_external_proxy_with_key_model_check_and_idle_limit (void **state)
{
    fx_t *f = (fx_t *) *state;
    int port = s_free_port ();
    char text[4096];
    snprintf (text, sizeof text,
              "labsim-llm\n    scenarios = \"tests/eval/scenarios\"\n    proxy\n        style = \"litellm\"\n"
              "        load_time = \"0\"\n        api_key = \"sk-test-4711\"\n        models\n"
              "            m1\n                ttft = \"5ms\"\n                token_rate = 2000\n"
              "            slow\n                ttft = \"5ms\"\n                token_rate = 10\n"
              "backends\n    proxy\n        base_url = \"http://127.0.0.1:%d/v1\"\n"
              "        health_url = \"http://127.0.0.1:%d/health\"\n        api_key_env = \"EVAL_TEST_PROXY_KEY\"\n"
              "    proxy-nokey\n        base_url = \"http://127.0.0.1:%d\"\n        start_timeout = \"1s\"\n",
              port, port, port);
    lab_fixture_write (f->cfg, text);
    char portarg[16], log[700];
    snprintf (portarg, sizeof portarg, "%d", port);
    snprintf (log, sizeof log, "%s/proxy.log", f->dir);
    const char *argv[] = { "labsim", "llm", "-c", f->cfg, "--backend", "proxy", "--port", portarg, NULL };
    pid_t proxy = lab_test_spawn ("labsim", argv, log);
    assert_true (proxy > 0);
    char url[100];
    snprintf (url, sizeof url, "http://127.0.0.1:%d/health/liveliness", port);
    for (int i = 0; i < 200 && eval_http_get (url, 500, NULL) != 200; i++)
        usleep (20000);
    setenv ("EVAL_TEST_PROXY_KEY", "sk-test-4711", 1);
    s_plan (f, "    proxy\n        models = \"m1 nosuch\"\n    proxy-nokey\n        models = \"m1\"\n", NULL);
    s_plan_quality (f, "t01_crashloop t02_pending");
    eval_progress_t pr;
    assert_int_equal (s_run (f, NULL, &pr, 0), 0);
    json_t *rows = s_rows (f);
    assert_int_equal (json_array_size (rows), 4);   /* proxy-nokey skipped */
    size_t i;
    json_t *r;
    json_array_foreach (rows, i, r) {
        if (!strcmp (s_get (r, "cohort"), "proxy/m1")) {
            assert_string_equal (s_get (r, "outcome"), "ok");
            assert_string_equal (s_get (r, "backend_kind"), "litellm");
            assert_string_equal (s_get (r, "backend_version"), "1.74.0-labsim");
            assert_string_equal (s_get (r, "prompt_cache"), "unique prefix");
            /* Runs elsewhere, no probe configured: memory unknown, not 0. */
            assert_string_equal (s_get (r, "memory_probe"), "none");
            assert_true (json_is_null (json_object_get (r, "memory_kb")));
            /* the first request connects, the second reuses it (keep-alive) */
            assert_string_equal (s_get (r, "connection"),
                                 strcmp (s_get (r, "scenario"), "t01_crashloop") ? "reused" : "new");
        }
        else {
            assert_string_equal (s_get (r, "cohort"), "proxy/nosuch");
            assert_string_equal (s_get (r, "error_class"), "wrong_model");
            assert_non_null (strstr (s_get (r, "error_message"), "wrong model served"));
        }
    }
    json_decref (rows);
    char path[700];
    snprintf (path, sizeof path, "%s/cohorts.jsonl", f->out);
    char *recs = eval_read_file (path, NULL);
    assert_non_null (strstr (recs, "the API key is missing or wrong"));
    free (recs);
    /* The key is nowhere in what the sweep wrote. */
    char out[16];
    char *const grep[] = { "grep", "-rq", "sk-test-4711", f->out, NULL };
    assert_int_not_equal (lab_test_capture (grep, NULL, 10000, out, sizeof out), 0);

    /* Idle limit against deadline. */
    s_plan (f, "    proxy\n        models = \"slow\"\n", "    max_tokens = 30\n");
    s_plan_quality (f, "t01_crashloop");
    s_remove_out (f);
    assert_int_equal (s_run (f, NULL, &pr, 0), 0);
    rows = s_rows (f);
    r = json_array_get (rows, 0);
    assert_string_equal (s_get (r, "outcome"), "ok");
    assert_true (json_number_value (json_object_get (r, "e2e_ms")) > 1000);
    json_decref (rows);
    char plan[4096];
    char *ptext = eval_read_file (f->plan, NULL);
    snprintf (plan, sizeof plan, "%s", ptext);
    free (ptext);
    char *at = strstr (plan, "    max_tokens");
    assert_non_null (at);
    char rest[4096];
    snprintf (rest, sizeof rest, "%s", at);
    snprintf (at, sizeof plan - (size_t) (at - plan), "    deadline = \"1s\"\n%s", rest);
    lab_fixture_write (f->plan, plan);
    s_remove_out (f);
    assert_int_equal (s_run (f, NULL, &pr, 0), 0);
    rows = s_rows (f);
    r = json_array_get (rows, 0);
    assert_string_equal (s_get (r, "error_class"), "timeout");
    assert_non_null (strstr (s_get (r, "error_message"), "deadline"));
    json_decref (rows);
    lab_test_stop (proxy, SIGTERM, 3000);
}

/* An audio scenario through /v1/audio/transcriptions: a multipart upload
 * of the clip (labsim hears it by its bytes), the transcript scored by WER
 * like a chat transcript; the row says which audio API it used. */
static void
test_audio_through_transcriptions_endpoint (void **state)
{
    fx_t *f = (fx_t *) *state;
    s_sim_a_sweep (f, "whisper", "        audio = \"transcriptions\"\n", "v01-audio-oncall-voice-note");
    eval_progress_t pr;
    assert_int_equal (s_run (f, NULL, &pr, 0), 0);
    json_t *rows = s_rows (f);
    json_t *r = json_array_get (rows, json_array_size (rows) - 1);
    assert_string_equal (s_get (r, "outcome"), "ok");
    assert_string_equal (s_get (r, "audio_api"), "transcriptions");
    char *good = eval_read_file ("eval/scenarios/v01-audio-oncall-voice-note/answers/good.txt", NULL);
    good[strcspn (good, "\n")] = 0;
    assert_string_equal (s_get (r, "completion"), good);
    free (good);
    /* The right words with other punctuation than the reference: WER 0
     * under our normalisation, not under jiwer's default. */
    assert_true (json_real_value (json_object_get (r, "wer")) == 0);
    assert_true (json_real_value (json_object_get (r, "wer_jiwer_default")) > 0);
    assert_true (json_number_value (json_object_get (r, "ttft_ms")) > 0);
    json_decref (rows);
}

/* A vLLM-style server caches prompts it has seen (automatic prefix
 * caching, on by default): the warm-up and three repetitions of the same
 * scenario would come back from the cache at a tenth of the TTFT. Every
 * measured request starts with a line of its own, so none does: each TTFT
 * is at least the configured 60 ms (a lower bound: load only adds). The
 * rows name the treatment. */
static void
test_prompt_cache_cannot_answer_a_measured_request (void **state)
{
    fx_t *f = (fx_t *) *state;
    char text[2048];
    snprintf (text, sizeof text,
              "labsim-llm\n    scenarios = \"tests/eval/scenarios\"\n    vl\n        style = \"vllm\"\n"
              "        load_time = \"0\"\n        models\n            m1\n                ttft = \"60ms\"\n"
              "                token_rate = 4000\n"
              "backends\n    vl\n        command = \"%s llm -c %s --backend vl --port ${port}\"\n"
              "        base_url = \"http://127.0.0.1:${port}\"\n",
              f->labsim, f->cfg);
    lab_fixture_write (f->cfg, text);
    snprintf (text, sizeof text,
              "plan\n    name = \"t\"\n    scenarios = \"tests/eval/scenarios\"\n    output = \"%s\"\n    warmup = 1\n"
              "backends\n    vl\n        models = \"m1\"\n"
              "buckets\n    throughput\n        repetitions = 3\n        scenarios = \"i01_dashboard\"\n",
              f->out);
    lab_fixture_write (f->plan, text);
    eval_progress_t pr;
    assert_int_equal (s_run (f, NULL, &pr, 0), 0);
    json_t *rows = s_rows (f);
    assert_int_equal (json_array_size (rows), 3);
    size_t i;
    json_t *r;
    json_array_foreach (rows, i, r) {
        assert_string_equal (s_get (r, "backend_kind"), "vllm");
        assert_string_equal (s_get (r, "backend_version"), "0.11.0-labsim");
        assert_string_equal (s_get (r, "prompt_cache"), "unique prefix");
        double ttft = json_number_value (json_object_get (r, "ttft_ms"));
        if (ttft < 59)
            fail_msg ("repetition %zu answered from the prompt cache: TTFT %.1f ms", i + 1, ttft);
    }
    json_decref (rows);
}

/* The model each streamed chunk names is checked where it means
 * something: a LiteLLM proxy reports the deployment an alias was routed
 * to, so a proxy that lists "m1" but answers from another model gives
 * "wrong model served" rows, while a correctly routed model passes.
 * llama-server's chunks only echo the request (or a default name), so
 * there the same mismatch is not held against it. */
static void
test_streamed_chunks_naming_another_model_are_wrong_model_rows (void **state)
{
    fx_t *f = (fx_t *) *state;
    char text[4096];
    snprintf (text, sizeof text,
              "labsim-llm\n    scenarios = \"tests/eval/scenarios\"\n"
              "    px\n        style = \"litellm\"\n        load_time = \"0\"\n        models\n"
              "            m1\n                ttft = \"5ms\"\n                token_rate = 4000\n"
              "                chunk_model = \"gpt-4o-mini-2024-07-18\"\n"
              "            m2\n                ttft = \"5ms\"\n                token_rate = 4000\n"
              "    ll\n        style = \"llamacpp\"\n        load_time = \"0\"\n        models\n"
              "            m1\n                ttft = \"5ms\"\n                token_rate = 4000\n"
              "                chunk_model = \"gpt-3.5-turbo\"\n"
              "backends\n    px\n        command = \"%s llm -c %s --backend px --port ${port}\"\n"
              "        base_url = \"http://127.0.0.1:${port}\"\n"
              "    ll\n        command = \"%s llm -c %s --backend ll --port ${port}\"\n"
              "        base_url = \"http://127.0.0.1:${port}\"\n",
              f->labsim, f->cfg, f->labsim, f->cfg);
    lab_fixture_write (f->cfg, text);
    snprintf (text, sizeof text,
              "plan\n    name = \"t\"\n    scenarios = \"tests/eval/scenarios\"\n    output = \"%s\"\n    warmup = 0\n"
              "backends\n    px\n        models = \"m1 m2\"\n    ll\n        models = \"m1\"\n"
              "buckets\n    quality\n        scenarios = \"t01_crashloop\"\n",
              f->out);
    lab_fixture_write (f->plan, text);
    eval_progress_t pr;
    assert_int_equal (s_run (f, NULL, &pr, 0), 0);
    json_t *rows = s_rows (f);
    assert_int_equal (json_array_size (rows), 3);
    int wrong = 0, ok = 0;
    size_t i;
    json_t *r;
    json_array_foreach (rows, i, r) {
        const char *cohort = s_get (r, "cohort");
        if (!strcmp (cohort, "px/m1")) {
            assert_string_equal (s_get (r, "outcome"), "error");
            assert_string_equal (s_get (r, "error_class"), "wrong_model");
            assert_non_null (strstr (s_get (r, "error_message"), "the chunks say gpt-4o-mini-2024-07-18"));
            assert_string_equal (s_get (r, "served_model"), "gpt-4o-mini-2024-07-18");
            wrong++;
        } else {
            assert_string_equal (s_get (r, "outcome"), "ok");
            ok++;
        }
    }
    assert_int_equal (wrong, 1);
    assert_int_equal (ok, 2);
    json_decref (rows);
}

int
main (void)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_each_fault_gives_its_outcome_and_sweep_continues, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_streamed_chunks_naming_another_model_are_wrong_model_rows, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_llama_server_error_forms_are_error_rows_with_the_message, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_errors_are_redone_only_with_retry_errors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_answers_come_from_pack_by_profile_and_kind, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_judge_runs_after_the_timed_requests, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_unhealthy_backend_skips_cohort_with_reason, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_only_one_backend_alive_at_any_time, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_killed_runner_resumes_without_missing_or_duplicate_rows, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_runtime_fault_and_judge_replies, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_sweep_through_labd_keeps_one_backend_and_publishes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_external_proxy_with_key_model_check_and_idle_limit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_audio_through_transcriptions_endpoint, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_prompt_cache_cannot_answer_a_measured_request, s_setup, s_teardown),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    curl_global_cleanup ();
    return rc;
}
