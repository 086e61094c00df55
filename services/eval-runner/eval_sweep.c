/* eval_sweep - runs a plan cohort by cohort; see eval_sweep.h. */
#include "services/eval-runner/eval_sweep.h"
#include "services/eval-runner/eval_openai.h"
#include "services/eval-runner/eval_plan.h"
#include "services/eval-runner/eval_request.h"
#include "services/eval-runner/eval_rows.h"
#include "services/eval-runner/eval_scenario.h"
#include "services/eval-runner/eval_server.h"
#include "services/eval-runner/eval_memprobe.h"
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void
eval_progress_init (eval_progress_t *p)
{
    memset (p, 0, sizeof *p);
    pthread_mutex_init (&p->lock, NULL);
    snprintf (p->state, sizeof p->state, "idle");
}

json_t *
eval_progress_json (eval_progress_t *p)
{
    pthread_mutex_lock (&p->lock);
    json_t *j = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f}",
                           "sweep", p->sweep, "plan", p->plan, "out", p->out, "cohort", p->cohort,
                           "state", p->state, "done", p->done, "total", p->total, "errors", p->errors,
                           "retries", p->retries, "skipped", p->skipped, "cohorts_done",
                           p->cohorts_done, "cohorts_total", p->cohorts_total, "eta_s", p->eta_s);
    if (p->error[0])
        json_object_set_new (j, "error", json_string (p->error));
    pthread_mutex_unlock (&p->lock);
    return j;
}

typedef struct {
    const eval_sweep_opts_t *o;
    eval_plan_t plan;
    eval_pack_t *pack;
    eval_rows_t *rows;
    evalq_t *q;
    eval_progress_t *pr;
    uint64_t t_start;
    unsigned new_rows;
    char topic_state[200];
    char topic_rows[200];
} sweep_t;

static void
s_publish_state (sweep_t *s, const char *summary_md)
{
    if (!s->o->bus)
        return;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    Lab__EvalSweepState st = LAB__EVAL_SWEEP_STATE__INIT;
    pthread_mutex_lock (&s->pr->lock);
    st.sweep = s->pr->sweep;
    st.plan = s->pr->plan;
    st.cohort = s->pr->cohort;
    st.done = s->pr->done;
    st.total = s->pr->total;
    st.errors = s->pr->errors;
    st.eta_s = s->pr->eta_s;
    st.state = s->pr->state;
    st.cohorts_done = s->pr->cohorts_done;
    st.cohorts_total = s->pr->cohorts_total;
    st.summary_md = (char *) (summary_md ? summary_md : "");
    env.body_case = LAB__ENVELOPE__BODY_EVAL_SWEEP;
    env.eval_sweep = &st;
    bus_client_publish (s->o->bus, s->topic_state, &env);
    pthread_mutex_unlock (&s->pr->lock);
}

static double
s_num (json_t *row, const char *k)
{
    json_t *v = json_object_get (row, k);
    return json_is_number (v) ? json_number_value (v) : 0;
}

static const char *
s_str (json_t *row, const char *k)
{
    const char *v = json_string_value (json_object_get (row, k));
    return v ? v : "";
}

static void
s_publish_row (sweep_t *s, json_t *row)
{
    if (!s->o->bus)
        return;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    Lab__EvalRow r = LAB__EVAL_ROW__INIT;
    r.plan = (char *) s_str (row, "plan");
    r.sweep = (char *) s_str (row, "sweep");
    r.cohort = (char *) s_str (row, "cohort");
    r.backend = (char *) s_str (row, "backend");
    r.model = (char *) s_str (row, "model");
    r.scenario = (char *) s_str (row, "scenario");
    r.rep = (uint32_t) s_num (row, "rep");
    r.outcome = (char *) s_str (row, "outcome");
    r.error_class = (char *) s_str (row, "error_class");
    r.error_message = (char *) s_str (row, "error_message");
    r.ttft_ms = s_num (row, "ttft_ms");
    r.e2e_ms = s_num (row, "e2e_ms");
    r.tpot_ms = s_num (row, "tpot_ms");
    r.decode_tps = s_num (row, "decode_tps");
    r.completion_tokens = (uint32_t) s_num (row, "completion_tokens");
    r.itl_p50_ms = s_num (row, "itl_p50_ms");
    r.itl_p90_ms = s_num (row, "itl_p90_ms");
    r.itl_p99_ms = s_num (row, "itl_p99_ms");
    r.peak_rss_kb = (uint64_t) s_num (row, "peak_rss_kb");
    r.finish_reason = (char *) s_str (row, "finish_reason");
    r.format_ok = json_is_true (json_object_get (row, "format_ok"));
    r.format_cause = (char *) s_str (row, "format_cause");
    r.composite = s_num (row, "composite");
    char *json = json_dumps (row, JSON_COMPACT);
    r.json = json;
    env.body_case = LAB__ENVELOPE__BODY_EVAL_ROW;
    env.eval_row = &r;
    bus_client_publish (s->o->bus, s->topic_rows, &env);
    free (json);
}

static void
s_set_num (json_t *row, const char *k, double v)
{
    json_object_set_new (row, k, isfinite (v) ? json_real (v) : json_null ());
}

static void
s_iso_now (char *out, size_t len)
{
    time_t t = time (NULL);
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The prompt-cache treatment, the same for every backend: each measured
 * request starts with a line no earlier request had, so no server (vLLM's
 * automatic prefix caching, MLX, LiteLLM's own cache) can answer from a
 * cached prefix; llama-server is also told cache_prompt: false. The line
 * goes into the system message, which servers put first. */
static void
s_unique_prefix (json_t *msgs, const char *key, unsigned attempt, uint64_t now_ns)
{
    char line[160];
    snprintf (line, sizeof line, "Request %s #%u at %llx.\n", key, attempt, (unsigned long long) now_ns);
    json_t *m0 = json_array_get (msgs, 0);
    const char *role = json_string_value (json_object_get (m0, "role"));
    json_t *content = json_object_get (m0, "content");
    if (role && !strcmp (role, "system") && json_is_string (content)) {
        char *text = zsys_sprintf ("%s%s", line, json_string_value (content));
        json_object_set_new (m0, "content", json_string (text));
        free (text);
    }
    else
        json_array_insert_new (msgs, 0, json_pack ("{s:s, s:s}", "role", "system", "content", line));
}

/* One request with retries on transport errors; fills R. */
static void
s_request (sweep_t *s, const eval_server_t *b, const eval_cohort_t *c, const eval_scenario_t *sc, const char *key,
           eval_result_t *r, unsigned *attempts)
{
    char err[256];
    char url[300];
    const char *model = c->model;
    bool transcribe = c->audio_transcriptions && sc->audio_file;
    snprintf (url, sizeof url, "%s/v1/%s", b->root, transcribe ? "audio/transcriptions" : "chat/completions");
    *attempts = 0;
    long backoff = s->plan.backoff_ms;
    for (;;) {
        (*attempts)++;
        if (transcribe) {
            eval_transcribe_opts_t to = { .url = url, .model = model, .file = sc->audio_file,
                                          .timeout_ms = s->plan.timeout_ms, .deadline_ms = s->plan.deadline_ms,
                                          .curl = b->curl, .api_key = b->key };
            if (eval_transcribe_run (&to, r) == 0 || !r->transport_error || (long) *attempts > s->plan.retries)
                break;
            usleep ((useconds_t) backoff * 1000);
            backoff *= 2;
            continue;
        }
        json_t *msgs = eval_scenario_messages (sc, err, sizeof err);
        if (!msgs) {
            eval_result_clear (r);
            snprintf (r->error_class, sizeof r->error_class, "scenario");
            snprintf (r->error_message, sizeof r->error_message, "%s", err);
            r->completion = strdup ("");
            return;
        }
        s_unique_prefix (msgs, key, *attempts, eval_now_ns ());
        eval_openai_req_t req = { .model = model, .messages = msgs,
                                  .max_tokens = sc->max_tokens ? sc->max_tokens : s->plan.max_tokens,
                                  .temperature = s->plan.temperature, .seed = s->plan.seed,
                                  .stream = true, .no_cache_prompt = b->supports_cache_prompt,
                                  .no_thinking = s->plan.no_thinking };
        char *body = eval_openai_request_body (&req);
        json_decref (msgs);
        eval_request_opts_t ro = { .url = url, .body = body, .timeout_ms = s->plan.timeout_ms,
                                   .deadline_ms = s->plan.deadline_ms, .curl = b->curl, .api_key = b->key };
        int rc = eval_request_run (&ro, r);
        free (body);
        /* llama-server's chunks echo the request's model, or a default such
         * as gpt-3.5-turbo when none was sent: only /v1/models (checked at
         * the cohort's start) says what it serves. */
        if (rc == 0 && r->served_model[0] && strcmp (b->kind, "llama-server")
            && !eval_model_matches (model, r->served_model)) {
            r->ok = false;
            snprintf (r->error_class, sizeof r->error_class, "wrong_model");
            snprintf (r->error_message, sizeof r->error_message, "wrong model served: the chunks say %s, "
                      "the plan wants %s", r->served_model, model);
        }
        if (rc == 0 || !r->transport_error || (long) *attempts > s->plan.retries)
            break;
        if (s->o->stop && atomic_load (s->o->stop))
            break;
        pthread_mutex_lock (&s->pr->lock);
        s->pr->retries++;
        pthread_mutex_unlock (&s->pr->lock);
        usleep ((useconds_t) backoff * 1000);
        backoff *= 2;
    }
}

static json_t *
s_row (sweep_t *s, const eval_cohort_t *c, const eval_server_t *b, const eval_bucket_t *bk,
       const eval_scenario_t *sc, long rep, const char *key, eval_result_t *r, unsigned attempts,
       uint64_t peak_rss_kb, const eval_memprobe_t *mp, uint64_t memory_kb)
{
    char ts[32];
    s_iso_now (ts, sizeof ts);
    json_t *row = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i}",
                             "key", key, "ts", ts, "plan", s->plan.name, "sweep", s->plan.name,
                             "cohort", c->name, "backend", c->backend, "model", c->model,
                             "backend_version", b->version, "pair", c->pair, "bucket", bk->name,
                             "scenario", sc->id, "kind", sc->kind, "rep", (int) rep, "attempts",
                             (int) attempts);
    if (b->template_hash[0])
        json_object_set_new (row, "chat_template_hash", json_string (b->template_hash));
    if (c->pair[0])
        json_object_set_new (row, "pair_role", json_string (c->pair_role ? "candidate" : "current"));
    bool ok = r->ok && r->error_class[0] == 0;
    json_object_set_new (row, "outcome", json_string (ok ? "ok" : "error"));
    json_object_set_new (row, "error_class", json_string (ok ? "" : r->error_class));
    json_object_set_new (row, "error_message", json_string (ok ? "" : r->error_message));
    json_object_set_new (row, "http_status", json_integer (r->http_status));
    json_object_set_new (row, "backend_kind", json_string (b->kind));
    json_object_set_new (row, "prompt_cache", json_string (b->supports_cache_prompt
                                                               ? "unique prefix + cache_prompt: false"
                                                               : "unique prefix"));
    if (b->models[0] || r->served_model[0])
        json_object_set_new (row, "served_model", json_string (r->served_model[0] ? r->served_model : b->models));
    json_object_set_new (row, "connection", json_string (r->new_connection ? "new" : "reused"));
    json_object_set_new (row, "thinking", json_string (s->plan.no_thinking ? "off" : "model default"));
    if (sc->audio_file)
        json_object_set_new (row, "audio_api", json_string (c->audio_transcriptions ? "transcriptions" : "chat input_audio"));
    s_set_num (row, "connect_ms", r->connect_ms);
    if (ok && r->m.have_ttft) {
        s_set_num (row, "ttft_ms", r->m.ttft_ms);
        s_set_num (row, "e2e_ms", r->wall_ms);
        s_set_num (row, "last_token_ms", r->m.e2e_ms);
        s_set_num (row, "tpot_ms", r->m.have_tpot ? r->m.tpot_ms : NAN);
        s_set_num (row, "decode_tps", r->m.have_tpot ? r->m.decode_tps : NAN);
        s_set_num (row, "itl_p50_ms", r->m.itl_p50_ms);
        s_set_num (row, "itl_p90_ms", r->m.itl_p90_ms);
        s_set_num (row, "itl_p99_ms", r->m.itl_p99_ms);
        json_object_set_new (row, "completion_tokens", json_integer (r->m.n));
        json_object_set_new (row, "n_source", json_string ("streamed"));
        if (r->m.usage_n >= 0)
            json_object_set_new (row, "usage_completion_tokens", json_integer (r->m.usage_n));
        json_object_set_new (row, "usage_differs", json_boolean (r->m.usage_differs));
    }
    json_object_set_new (row, "chunks", json_integer (r->chunks));
    json_object_set_new (row, "sse_comments", json_integer ((json_int_t) r->sse.comments));
    json_object_set_new (row, "malformed_chunks", json_integer (r->malformed_chunks));
    json_object_set_new (row, "finish_reason", json_string (r->finish_reason));
    json_object_set_new (row, "template_leak", json_boolean (r->template_leak));
    json_object_set_new (row, "completion", json_string (r->completion ? r->completion : ""));
    if (r->reasoning)
        json_object_set_new (row, "reasoning", json_string (r->reasoning));
    if (r->timings) {
        json_object_set (row, "backend_timings", r->timings);
        json_t *t = r->timings;
        if (json_is_number (json_object_get (t, "prompt_ms")))
            s_set_num (row, "backend_prompt_ms", json_number_value (json_object_get (t, "prompt_ms")));
        if (json_is_number (json_object_get (t, "predicted_ms")))
            s_set_num (row, "backend_predicted_ms", json_number_value (json_object_get (t, "predicted_ms")));
        if (json_is_number (json_object_get (t, "predicted_per_second")))
            s_set_num (row, "backend_predicted_per_second",
                       json_number_value (json_object_get (t, "predicted_per_second")));
    }
    json_object_set_new (row, "peak_rss_kb", json_integer ((json_int_t) peak_rss_kb));
    /* The figure the decision uses, and the probe that measured it. */
    json_object_set_new (row, "memory_probe", json_string (eval_memprobe_name (mp)));
    json_object_set_new (row, "memory_kb", memory_kb ? json_integer ((json_int_t) memory_kb) : json_null ());
    s_set_num (row, "cpu_us", r->cpu_us);
    return row;
}

static void
s_progress_row (sweep_t *s, bool error)
{
    pthread_mutex_lock (&s->pr->lock);
    s->pr->done++;
    if (error)
        s->pr->errors++;
    double elapsed = (double) (eval_now_ns () - s->t_start) / 1e9;
    unsigned remaining = s->pr->total > s->pr->done ? s->pr->total - s->pr->done : 0;
    s->pr->eta_s = s->new_rows ? elapsed / s->new_rows * remaining : 0;
    pthread_mutex_unlock (&s->pr->lock);
}

static bool
s_stopping (sweep_t *s)
{
    return (s->o->stop && atomic_load (s->o->stop))
           || (s->o->max_rows > 0 && (long) s->new_rows >= s->o->max_rows);
}

/* Runs one cohort. Returns -1 when the sweep must stop. */
static int
s_cohort (sweep_t *s, const eval_cohort_t *c)
{
    /* Keys still to do: a cohort with none is not started at all. */
    unsigned todo = 0;
    char key[600];
    for (size_t b = 0; b < s->plan.nbuckets; b++)
        for (size_t i = 0; i < eval_pack_size (s->pack); i++) {
            const eval_scenario_t *sc = eval_pack_at (s->pack, i);
            if (!eval_bucket_has (&s->plan.buckets[b], sc->id, i))
                continue;
            for (long rep = 1; rep <= s->plan.buckets[b].repetitions; rep++) {
                eval_rows_key (key, sizeof key, c->name, s->plan.buckets[b].name, sc->id, rep);
                todo += !eval_rows_done (s->rows, key, s->o->retry_errors);
            }
        }
    pthread_mutex_lock (&s->pr->lock);
    snprintf (s->pr->cohort, sizeof s->pr->cohort, "%s", c->name);
    pthread_mutex_unlock (&s->pr->lock);
    if (!todo)
        return 0;
    s_publish_state (s, NULL);

    eval_backend_info_t info;
    char err[512];
    char ts[32];
    s_iso_now (ts, sizeof ts);
    if (eval_backends_start (s->o->backends, c->backend, s->plan.start_timeout_ms, &info, err, sizeof err)) {
        fprintf (stderr, "eval-runner: cohort %s skipped: %s\n", c->name, err);
        json_t *rec = json_pack ("{s:s, s:s, s:s, s:s, s:s}", "cohort", c->name, "backend", c->backend,
                                 "status", "skipped", "reason", err, "ts", ts);
        eval_rows_cohort (s->rows, rec);
        json_decref (rec);
        /* Its rows will not come in this sweep: progress counts what will. */
        pthread_mutex_lock (&s->pr->lock);
        s->pr->skipped++;
        s->pr->total -= todo < s->pr->total ? todo : s->pr->total;
        pthread_mutex_unlock (&s->pr->lock);
        return 0;
    }
    eval_server_t b;
    char api_key[512] = "";
    if (eval_backends_api_key (s->o->backends, c->backend, api_key, sizeof api_key, err, sizeof err))
        fprintf (stderr, "eval-runner: %s\n", err);
    eval_server_probe (&b, info.base_url, api_key);
    memset (api_key, 0, sizeof api_key);
    char model_check[700];
    bool right_model = eval_server_serves (&b, c->model, model_check, sizeof model_check);
    if (!right_model)
        fprintf (stderr, "eval-runner: cohort %s: %s\n", c->name, model_check);
    eval_memprobe_t mp;
    if (eval_backends_memprobe (s->o->backends, c->backend, &mp, err, sizeof err)) {
        fprintf (stderr, "eval-runner: %s: %s\n", c->backend, err);
        eval_memprobe_parse (&mp, NULL, EVAL_PROBE_NONE, err, sizeof err);
    }
    uint64_t mem_max = 0;
    char mem_why[200] = "";
    unsigned mem_samples = 0;
    eval_result_t r;
    eval_result_init (&r);
    unsigned attempts;
    /* Warm-up: discarded, so the first measured request does not pay for
     * lazy loading, cold caches or the connect (the handle keeps it). */
    if (eval_pack_size (s->pack) && right_model)
        for (long w = 0; w < s->plan.warmup && !s_stopping (s); w++)
            s_request (s, &b, c, eval_pack_at (s->pack, 0), "warmup", &r, &attempts);
    int rc = 0;
    for (size_t bi = 0; bi < s->plan.nbuckets && rc == 0; bi++) {
        const eval_bucket_t *bk = &s->plan.buckets[bi];
        for (size_t i = 0; i < eval_pack_size (s->pack) && rc == 0; i++) {
            const eval_scenario_t *sc = eval_pack_at (s->pack, i);
            if (!eval_bucket_has (bk, sc->id, i))
                continue;
            for (long rep = 1; rep <= bk->repetitions; rep++) {
                eval_rows_key (key, sizeof key, c->name, bk->name, sc->id, rep);
                if (eval_rows_done (s->rows, key, s->o->retry_errors))
                    continue;
                if (s_stopping (s)) {
                    rc = -1;
                    break;
                }
                if (right_model)
                    s_request (s, &b, c, sc, key, &r, &attempts);
                else {
                    /* Measuring another model than the plan's would be silent and wrong. */
                    eval_result_clear (&r);
                    r.completion = strdup ("");
                    snprintf (r.error_class, sizeof r.error_class, "wrong_model");
                    snprintf (r.error_message, sizeof r.error_message, "%.250s", model_check);
                    attempts = 0;
                }
                /* The backend's high-water mark so far (same host); the
                 * cohort's final figure comes from labd at stop. */
                /* /proc is cheap: every row; a GPU query or a remote
                 * command every tenth. The largest sample counts. */
                if (mp.kind == EVAL_PROBE_PROC || mem_samples++ % 10 == 0) {
                    uint64_t kb = eval_memprobe_sample (&mp, info.pid, mem_why, sizeof mem_why);
                    if (kb > mem_max)
                        mem_max = kb;
                }
                json_t *row = s_row (s, c, &b, bk, sc, rep, key, &r, attempts, eval_proc_vmhwm_kb (info.pid), &mp,
                                     mem_max);
                if (s->q)
                    evalq_score_row (s->q, row);
                if (eval_rows_append (s->rows, row, err, sizeof err)) {
                    fprintf (stderr, "eval-runner: %s\n", err);
                    json_decref (row);
                    rc = -1;
                    break;
                }
                s->new_rows++;
                s_progress_row (s, strcmp (s_str (row, "outcome"), "ok") != 0);
                s_publish_row (s, row);
                s_publish_state (s, NULL);
                json_decref (row);
            }
        }
    }
    eval_result_clear (&r);
    eval_timeline_free (&r.tl);
    eval_server_close (&b);
    if (mp.kind != EVAL_PROBE_PROC) {
        uint64_t kb = eval_memprobe_sample (&mp, info.pid, mem_why, sizeof mem_why);
        if (kb > mem_max)
            mem_max = kb;
    }
    eval_backend_info_t stopped = info;
    if (eval_backends_stop (s->o->backends, c->backend, &stopped, err, sizeof err))
        fprintf (stderr, "eval-runner: stopping %s: %s\n", c->backend, err);
    if (rc == 0) {
        s_iso_now (ts, sizeof ts);
        json_t *rec = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:f, s:s, s:s}", "cohort", c->name,
                                 "backend", c->backend, "status", "done", "backend_version", b.version,
                                 "backend_kind", b.kind, "model_check", model_check, "external", info.external,
                                 "peak_rss_kb", (json_int_t) stopped.peak_rss_kb, "health_wait_s",
                                 info.health_wait_s, "chat_template_hash", b.template_hash, "ts", ts);
        /* labd's VmHWM at stop is the proc probe's final figure. */
        if (mp.kind == EVAL_PROBE_PROC && stopped.peak_rss_kb > mem_max)
            mem_max = stopped.peak_rss_kb;
        json_object_set_new (rec, "memory_probe", json_string (eval_memprobe_name (&mp)));
        json_object_set_new (rec, "memory_kb", mem_max ? json_integer ((json_int_t) mem_max) : json_null ());
        if (!mem_max)
            json_object_set_new (rec, "memory_unknown", json_string (mem_why[0] ? mem_why : "no sample"));
        eval_rows_cohort (s->rows, rec);
        json_decref (rec);
    }
    return rc;
}

/* The judge, after every cohort's timed requests: each row still pending
 * (also from an earlier, interrupted run) is judged and written again (the
 * last row of a key wins). */
static void
s_judge_pending (sweep_t *s)
{
    if (!s->q)
        return;
    json_t *latest = eval_rows_latest (s->rows);
    size_t i;
    json_t *row;
    char err[256];
    json_array_foreach (latest, i, row) {
        if (s_stopping (s))
            break;
        json_t *copy = json_deep_copy (row);
        if (evalq_judge_row (s->q, copy) && eval_rows_append (s->rows, copy, err, sizeof err) == 0)
            s_publish_row (s, copy);
        json_decref (copy);
    }
    json_decref (latest);
}

int
eval_sweep_run (const eval_sweep_opts_t *o, eval_progress_t *pr, char *err, size_t errlen)
{
    sweep_t s;
    memset (&s, 0, sizeof s);
    s.o = o;
    s.pr = pr;
    int rc = -1;
    if (eval_plan_load (&s.plan, o->plan_path, err, errlen))
        goto done;
    const char *out = o->out_dir ? o->out_dir : s.plan.output;
    s.pack = eval_pack_load (o->scenarios_dir ? o->scenarios_dir : s.plan.scenarios, err, errlen);
    if (!s.pack)
        goto done;
    s.rows = eval_rows_open (out, err, errlen);
    if (!s.rows)
        goto done;
    char qerr[256] = "";
    s.q = evalq_new (o->scenarios_dir ? o->scenarios_dir : s.plan.scenarios, o->bus, NULL, qerr, sizeof qerr);
    if (!s.q)
        fprintf (stderr, "eval-runner: quality scoring unavailable: %s\n", qerr);
    else
        evalq_defer_judge (s.q, true);
    snprintf (s.topic_state, sizeof s.topic_state, "state.eval.%s", s.plan.name);
    snprintf (s.topic_rows, sizeof s.topic_rows, "evt.eval.%s", s.plan.name);
    unsigned total = 0, done_rows = 0;
    char key[600];
    for (size_t ci = 0; ci < s.plan.ncohorts; ci++)
        for (size_t b = 0; b < s.plan.nbuckets; b++)
            for (size_t i = 0; i < eval_pack_size (s.pack); i++) {
                const eval_scenario_t *sc = eval_pack_at (s.pack, i);
                if (!eval_bucket_has (&s.plan.buckets[b], sc->id, i))
                    continue;
                for (long rep = 1; rep <= s.plan.buckets[b].repetitions; rep++) {
                    total++;
                    eval_rows_key (key, sizeof key, s.plan.cohorts[ci].name, s.plan.buckets[b].name, sc->id, rep);
                    done_rows += eval_rows_done (s.rows, key, o->retry_errors);
                }
            }
    pthread_mutex_lock (&pr->lock);
    snprintf (pr->sweep, sizeof pr->sweep, "%s", s.plan.name);
    snprintf (pr->plan, sizeof pr->plan, "%s", o->plan_path);
    snprintf (pr->out, sizeof pr->out, "%s", out);
    snprintf (pr->state, sizeof pr->state, "running");
    pr->error[0] = 0;
    pr->total = total;
    pr->done = done_rows;
    pr->errors = pr->skipped = pr->retries = 0;
    pr->cohorts_total = (unsigned) s.plan.ncohorts;
    pr->cohorts_done = 0;
    pthread_mutex_unlock (&pr->lock);
    s.t_start = eval_now_ns ();
    rc = 0;
    for (size_t ci = 0; ci < s.plan.ncohorts && rc == 0; ci++) {
        rc = s_cohort (&s, &s.plan.cohorts[ci]);
        if (rc == 0) {
            pthread_mutex_lock (&pr->lock);
            pr->cohorts_done++;
            pthread_mutex_unlock (&pr->lock);
        }
    }
    if (rc == 0)
        s_judge_pending (&s);
    if (rc)
        snprintf (err, errlen, "sweep stopped before the end");
    char *md = eval_summary_write (out, s.plan.name, NULL);
    pthread_mutex_lock (&pr->lock);
    snprintf (pr->state, sizeof pr->state, "%s", rc ? "stopped" : "done");
    pr->eta_s = 0;
    pthread_mutex_unlock (&pr->lock);
    s_publish_state (&s, md);
    free (md);
done:
    if (rc && pr->state[0] && strcmp (pr->state, "stopped")) {
        pthread_mutex_lock (&pr->lock);
        snprintf (pr->state, sizeof pr->state, "failed");
        snprintf (pr->error, sizeof pr->error, "%s", err);
        pthread_mutex_unlock (&pr->lock);
    }
    evalq_destroy (&s.q);
    eval_rows_destroy (&s.rows);
    eval_pack_destroy (&s.pack);
    eval_plan_free (&s.plan);
    return rc;
}
