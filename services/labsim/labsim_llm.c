/* labsim llm - a simulated OpenAI-compatible LLM server (libmicrohttpd).
 *
 *   POST /v1/chat/completions   streaming (SSE) and not; include_usage
 *   POST /v1/audio/transcriptions  multipart upload of a clip: {"text": ...}
 *   GET  /v1/models             the backend's models
 *   GET  /health                503 while "loading" (load_time), then 200
 *   GET  /props                 llama-server style: chat_template, build_info
 *   POST /sim/fault             {"model": M, "fault": F, "count": N}: the next
 *                               N requests (-1: until cleared) get fault F
 *   GET  /sim/stats             requests per model
 *
 * Timing is the point: the first content chunk leaves TTFT after the request
 * arrived and token i at TTFT + i / token_rate, so a client's measurements
 * can be checked against the configured truth. One thread per connection
 * lets a response sleep until its next token is due. */
#include "services/labsim/labsim.h"
#include "bus/bus_clock.h"
#include "services/labsim/labsim_llm.h"
#include <czmq.h>
#include <getopt.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT_T;
#else
typedef enum MHD_Result MHD_RESULT_T;
#endif

typedef struct {
    llm_sim_t sim;
    uint64_t start_ns;
    atomic_bool stopping;
    atomic_ullong served;
    atomic_ullong bad_requests;   /* 4xx answers: malformed bodies, unknown models/paths */
} server_t;

/* Per-connection state. */
typedef struct {
    char *body;
    size_t len, cap;
} upload_t;

/* A streamed response in progress. */
typedef struct {
    server_t *srv;
    llm_model_t *model;
    llm_plan_t plan;
    bool stream;
    bool include_usage;
    uint64_t t0_ns;           /* request received */
    size_t next;              /* next token to send */
    int phase;                /* 0 role chunk, 1 tokens, 2 finish, 3 usage, 4 done marker, 5 end */
    char id[40];
    long created;
    long prompt_tokens;
    char *pending;            /* bytes produced but not yet handed to MHD */
    size_t pending_len, pending_off;
    bool malformed_sent;
} stream_t;

/* Sleeps until monotonic time T (ns); false when the server is stopping. */
static bool
s_sleep_until (server_t *srv, uint64_t t)
{
    for (;;) {
        if (atomic_load (&srv->stopping))
            return false;
        uint64_t now = bus_mono_ns ();
        if (now >= t)
            return true;
        uint64_t d = t - now;
        if (d > 100000000ull)
            d = 100000000ull;
        struct timespec ts = { (time_t) (d / 1000000000ull), (long) (d % 1000000000ull) };
        nanosleep (&ts, NULL);
    }
}

static MHD_RESULT_T
s_reply_json (struct MHD_Connection *c, unsigned status, json_t *j)
{
    char *s = json_dumps (j, JSON_COMPACT);
    json_decref (j);
    struct MHD_Response *r = MHD_create_response_from_buffer (strlen (s), s, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header (r, "Content-Type", "application/json");
    MHD_RESULT_T rc = MHD_queue_response (c, status, r);
    MHD_destroy_response (r);
    return rc;
}

static MHD_RESULT_T
s_error (struct MHD_Connection *c, unsigned status, const char *type, const char *msg)
{
    return s_reply_json (c, status, json_pack ("{s:{s:i, s:s, s:s}}", "error", "code", (int) status,
                                               "message", msg, "type", type));
}

static bool
s_loaded (server_t *srv)
{
    return bus_mono_ns () - srv->start_ns >= (uint64_t) srv->sim.load_time_ms * 1000000ull;
}

/* Time the token I is due (ns after t0). */
static uint64_t
s_token_due (stream_t *st, size_t i)
{
    double ttft = st->plan.cache_hit ? st->model->ttft_ms / 10 : st->model->ttft_ms;
    double ms = ttft + (double) i * 1000.0 / st->model->token_rate;
    return st->t0_ns + (uint64_t) (ms * 1e6);
}

static json_t *
s_usage (stream_t *st)
{
    return json_pack ("{s:I, s:I, s:I}", "prompt_tokens", (json_int_t) st->prompt_tokens,
                      "completion_tokens", (json_int_t) st->plan.ntokens, "total_tokens",
                      (json_int_t) (st->prompt_tokens + (long) st->plan.ntokens));
}

static json_t *
s_timings (stream_t *st)
{
    double predicted_ms = (double) (st->plan.ntokens > 1 ? st->plan.ntokens - 1 : 0) * 1000.0
                          / st->model->token_rate;
    return json_pack ("{s:I, s:f, s:I, s:f, s:f, s:I}", "prompt_n", (json_int_t) st->prompt_tokens,
                      "prompt_ms", st->model->ttft_ms, "predicted_n", (json_int_t) st->plan.ntokens,
                      "predicted_ms", predicted_ms, "predicted_per_second", st->model->token_rate,
                      "cache_n", (json_int_t) 0);
}

static json_t *
s_chunk (stream_t *st, json_t *delta, const char *finish)
{
    json_t *choice = json_pack ("{s:i, s:o, s:o}", "index", 0, "delta", delta, "finish_reason",
                                finish ? json_string (finish) : json_null ());
    return json_pack ("{s:s, s:s, s:I, s:s, s:[o]}", "id", st->id, "object",
                      "chat.completion.chunk", "created", (json_int_t) st->created, "model",
                      st->model->chunk_model, "choices", choice);
}

/* Sets the pending output to "data: <json>\n\n" (steals J). */
static void
s_emit (stream_t *st, json_t *j, const char *prefix)
{
    char *s = json_dumps (j, JSON_COMPACT);
    json_decref (j);
    free (st->pending);
    st->pending = zsys_sprintf ("%sdata: %s\n\n", prefix ? prefix : "", s);
    st->pending_len = strlen (st->pending);
    st->pending_off = 0;
    free (s);
}

static void
s_emit_raw (stream_t *st, const char *text)
{
    free (st->pending);
    st->pending = strdup (text);
    st->pending_len = strlen (text);
    st->pending_off = 0;
}

/* Whether one of llama-server's mid-stream errors is due now: half-way, or
 * before the first token for the _early variants. */
static bool
s_error_due (stream_t *st)
{
    llm_fault_t f = st->plan.fault;
    if (f == LLM_FAULT_ERROR_LINE_EARLY || f == LLM_FAULT_ERROR_EVENT_EARLY)
        return st->next == 0;
    if (f == LLM_FAULT_ERROR_LINE || f == LLM_FAULT_ERROR_EVENT)
        return st->next == st->plan.ntokens / 2;
    return false;
}

/* The error in the form of the build simulated (see labsim_llm.h), with the
 * message llama-server sends when a prompt outgrows the context. */
static int
s_stream_error (stream_t *st)
{
    json_t *err = json_pack ("{s:i, s:s, s:s}", "code", 400, "message",
                             "the request exceeds the available context size, try increasing it", "type",
                             "exceed_context_size_error");
    char *s = json_dumps (err, JSON_COMPACT);
    json_decref (err);
    llm_fault_t f = st->plan.fault;
    free (st->pending);
    if (f == LLM_FAULT_ERROR_LINE || f == LLM_FAULT_ERROR_LINE_EARLY)
        st->pending = zsys_sprintf ("error: %s\n\ndata: [DONE]\n\n", s);
    else
        st->pending = zsys_sprintf ("data: {\"error\":%s}\n\n", s);
    free (s);
    st->pending_len = strlen (st->pending);
    st->pending_off = 0;
    st->phase = 5;   /* nothing after it */
    return 1;
}

/* Produces the next piece of the stream into st->pending. Returns 1 when
 * something was produced, 0 at the end, -1 to cut the connection. */
static int
s_next_piece (stream_t *st)
{
    server_t *srv = st->srv;
    llm_fault_t fault = st->plan.fault;
    if (fault == LLM_FAULT_HANG) {
        /* Headers are out; nothing else ever comes (until shutdown). */
        s_sleep_until (srv, bus_mono_ns () + 3600ull * 1000000000ull);
        return -1;
    }
    switch (st->phase) {
    case 0:
        st->phase = 1;
        s_emit (st, s_chunk (st, json_pack ("{s:s, s:s}", "role", "assistant", "content", ""), NULL),
                NULL);
        return 1;
    case 1:
        if (st->next >= st->plan.ntokens) {
            st->phase = 2;
            return s_next_piece (st);
        }
        if (fault == LLM_FAULT_STREAM_CUT && st->next >= st->plan.ntokens / 2 && st->next > 0)
            return -1;
        if (s_error_due (st))
            return s_stream_error (st);
        if (!s_sleep_until (srv, s_token_due (st, st->next)))
            return -1;
        if (fault == LLM_FAULT_MALFORMED && !st->malformed_sent && st->next == st->plan.ntokens / 2) {
            st->malformed_sent = true;
            s_emit_raw (st, "data: {\"choices\":[{\"delta\":{\"content\":\"trunc\n\n");
            return 1;
        }
        s_emit (st, s_chunk (st, json_pack ("{s:s}", "content", st->plan.tokens[st->next]), NULL),
                fault == LLM_FAULT_PING ? ": ping\n\n" : NULL);
        st->next++;
        return 1;
    case 2: {
        st->phase = 3;
        json_t *j = s_chunk (st, json_object (), st->plan.finish_reason);
        if (srv->sim.llamacpp_style) {
            /* llama-server: usage and timings ride on the finish chunk. */
            json_object_set_new (j, "usage", s_usage (st));
            json_object_set_new (j, "timings", s_timings (st));
        }
        s_emit (st, j, NULL);
        return 1;
    }
    case 3:
        st->phase = 4;
        if (!srv->sim.llamacpp_style && st->include_usage) {
            json_t *j = json_pack ("{s:s, s:s, s:I, s:s, s:[], s:o}", "id", st->id, "object",
                                   "chat.completion.chunk", "created", (json_int_t) st->created,
                                   "model", st->model->chunk_model, "choices", "usage", s_usage (st));
            s_emit (st, j, NULL);
            return 1;
        }
        return s_next_piece (st);
    case 4:
        st->phase = 5;
        s_emit_raw (st, "data: [DONE]\n\n");
        return 1;
    default:
        return 0;
    }
}

static ssize_t
s_reader (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) pos;
    stream_t *st = (stream_t *) cls;
    if (st->pending_off >= st->pending_len) {
        int rc = s_next_piece (st);
        if (rc < 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (rc == 0)
            return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = st->pending_len - st->pending_off;
    if (n > max)
        n = max;
    memcpy (buf, st->pending + st->pending_off, n);
    st->pending_off += n;
    return (ssize_t) n;
}

static void
s_stream_free (void *cls)
{
    stream_t *st = (stream_t *) cls;
    llm_plan_free (&st->plan);
    free (st->pending);
    free (st);
}

/* A non-streamed reply: waits for the whole answer, then sends it. */
static MHD_RESULT_T
s_complete_whole (struct MHD_Connection *c, stream_t *st)
{
    server_t *srv = st->srv;
    if (st->plan.fault == LLM_FAULT_HANG) {
        s_sleep_until (srv, bus_mono_ns () + 3600ull * 1000000000ull);
        s_stream_free (st);
        return MHD_NO;
    }
    size_t n = st->plan.ntokens;
    if (!s_sleep_until (srv, s_token_due (st, n ? n - 1 : 0))) {
        s_stream_free (st);
        return MHD_NO;
    }
    if (st->plan.fault == LLM_FAULT_STREAM_CUT || st->plan.fault == LLM_FAULT_MALFORMED) {
        const char *bad = "{\"choices\":[{\"message\":{\"content\":\"cut";
        struct MHD_Response *r = MHD_create_response_from_buffer (strlen (bad), (void *) bad,
                                                                  MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header (r, "Content-Type", "application/json");
        MHD_RESULT_T rc = MHD_queue_response (c, 200, r);
        MHD_destroy_response (r);
        s_stream_free (st);
        return rc;
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen (st->plan.tokens[i]);
    char *text = (char *) malloc (total + 1), *p = text;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen (st->plan.tokens[i]);
        memcpy (p, st->plan.tokens[i], k);
        p += k;
    }
    *p = 0;
    json_t *msg = json_pack ("{s:s, s:s}", "role", "assistant", "content", text);
    free (text);
    json_t *j = json_pack ("{s:s, s:s, s:I, s:s, s:[{s:i, s:o, s:s}], s:o}", "id", st->id,
                           "object", "chat.completion", "created", (json_int_t) st->created,
                           "model", st->model->chunk_model, "choices", "index", 0, "message", msg,
                           "finish_reason", st->plan.finish_reason, "usage", s_usage (st));
    if (srv->sim.llamacpp_style)
        json_object_set_new (j, "timings", s_timings (st));
    s_stream_free (st);
    return s_reply_json (c, 200, j);
}

static MHD_RESULT_T
s_chat (server_t *srv, struct MHD_Connection *c, const char *body, size_t len)
{
    if (!s_loaded (srv))
        return s_error (c, 503, "unavailable_error", "Loading model");
    json_error_t jerr;
    json_t *req = json_loadb (body, len, 0, &jerr);
    if (!json_is_object (req)) {
        json_decref (req);
        atomic_fetch_add (&srv->bad_requests, 1);
        return s_error (c, 400, "invalid_request_error", "request body is not a JSON object");
    }
    const char *model_name = json_string_value (json_object_get (req, "model"));
    llm_model_t *model = llm_sim_model (&srv->sim, model_name);
    if (!model && srv->sim.nmodels == 1 && (!model_name || !*model_name))
        model = &srv->sim.models[0];
    if (!model) {
        json_decref (req);
        atomic_fetch_add (&srv->bad_requests, 1);
        return s_error (c, 404, "not_found_error", "model not found");
    }
    bool constrained;
    if (llm_response_format_check (model, req, &constrained)) {
        char msg[160];
        snprintf (msg, sizeof msg, "response_format type %s is not supported",
                  json_string_value (json_object_get (json_object_get (req, "response_format"), "type")));
        json_decref (req);
        atomic_fetch_add (&srv->bad_requests, 1);
        return s_error (c, 400, "invalid_request_error", msg);
    }
    stream_t *st = (stream_t *) calloc (1, sizeof (stream_t));
    st->srv = srv;
    st->model = model;
    st->t0_ns = bus_mono_ns ();
    st->created = (long) time (NULL);
    unsigned long long n = atomic_fetch_add (&srv->served, 1) + 1;
    snprintf (st->id, sizeof st->id, "chatcmpl-sim-%llu", n);
    st->stream = json_is_true (json_object_get (req, "stream"));
    st->include_usage = json_is_true (
        json_object_get (json_object_get (req, "stream_options"), "include_usage"));
    char *msgs = json_dumps (json_object_get (req, "messages"), JSON_COMPACT);
    st->prompt_tokens = msgs ? (long) strlen (msgs) / 4 + 1 : 1;
    free (msgs);
    llm_sim_plan (&srv->sim, model, req, &st->plan);
    json_decref (req);
    if (st->plan.fault == LLM_FAULT_500) {
        s_stream_free (st);
        return s_error (c, 500, "server_error", "simulated internal server error");
    }
    if (!st->stream || st->plan.fault == LLM_FAULT_JSON_REPLY)
        return s_complete_whole (c, st);
    struct MHD_Response *r = MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, 4096, s_reader, st,
                                                                s_stream_free);
    MHD_add_response_header (r, "Content-Type", "text/event-stream");
    MHD_add_response_header (r, "Cache-Control", "no-cache");
    MHD_RESULT_T rc = MHD_queue_response (c, 200, r);
    MHD_destroy_response (r);
    return rc;
}

static MHD_RESULT_T
s_sim_fault (server_t *srv, struct MHD_Connection *c, const char *body, size_t len)
{
    json_t *req = json_loadb (body, len, 0, NULL);
    const char *fname = json_string_value (json_object_get (req, "fault"));
    const char *mname = json_string_value (json_object_get (req, "model"));
    json_t *count = json_object_get (req, "count");
    int f = llm_fault_parse (fname);
    if (!req || !fname || f < 0) {
        json_decref (req);
        atomic_fetch_add (&srv->bad_requests, 1);
        return s_error (c, 400, "invalid_request_error",
                        "want {\"fault\": 500|hang|stream_cut|malformed_json|ping|im_end|length|error_line|"
                        "error_event|error_line_early|error_event_early|json_reply|none, "
                        "\"model\": M, \"count\": N}");
    }
    int changed = 0;
    pthread_mutex_lock (&srv->sim.lock);
    for (size_t i = 0; i < srv->sim.nmodels; i++) {
        llm_model_t *m = &srv->sim.models[i];
        if (mname && strcmp (mname, m->name))
            continue;
        m->rt_fault = (llm_fault_t) f;
        m->rt_count = f == LLM_FAULT_NONE ? 0 : json_is_integer (count) ? (long) json_integer_value (count) : -1;
        changed++;
    }
    pthread_mutex_unlock (&srv->sim.lock);
    json_decref (req);
    if (!changed)
        return s_error (c, 404, "not_found_error", "model not found");
    return s_reply_json (c, 200, json_pack ("{s:s, s:i}", "fault", llm_fault_name ((llm_fault_t) f),
                                            "models", changed));
}

/* LiteLLM's answer to a missing or wrong master key (proxy/_types.py
 * ProxyException: code as a string). */
static MHD_RESULT_T
s_auth_error (struct MHD_Connection *c)
{
    return s_reply_json (c, 401, json_pack ("{s:{s:s, s:s, s:s, s:s}}", "error", "message",
                                            "Authentication Error, No api key passed in.", "type", "auth_error",
                                            "param", "None", "code", "401"));
}

static bool
s_authorised (server_t *srv, struct MHD_Connection *c, const char *url)
{
    if (!srv->sim.api_key[0] || !strcmp (url, "/health/liveliness") || !strcmp (url, "/health/readiness"))
        return true;
    const char *h = MHD_lookup_connection_value (c, MHD_HEADER_KIND, "Authorization");
    return h && !strncmp (h, "Bearer ", 7) && !strcmp (h + 7, srv->sim.api_key);
}

static MHD_RESULT_T
s_get (server_t *srv, struct MHD_Connection *c, const char *url)
{
    if (srv->sim.vllm_style && !strcmp (url, "/version"))
        return s_reply_json (c, 200, json_pack ("{s:s}", "version", "0.11.0-labsim"));
    if (srv->sim.litellm_style && (!strcmp (url, "/health/readiness") || !strcmp (url, "/health/liveliness")))
        return s_reply_json (c, 200, json_pack ("{s:s, s:s, s:s}", "status", "healthy", "db", "Not connected",
                                                "litellm_version", "1.74.0-labsim"));
    if (!strcmp (url, "/health")) {
        if (!s_loaded (srv))
            return s_error (c, 503, "unavailable_error", "Loading model");
        return s_reply_json (c, 200, json_pack ("{s:s}", "status", "ok"));
    }
    if (!strcmp (url, "/v1/models") || !strcmp (url, "/models")) {
        json_t *data = json_array ();
        for (size_t i = 0; i < srv->sim.nmodels; i++)
            json_array_append_new (data, json_pack ("{s:s, s:s, s:s}", "id", srv->sim.models[i].name,
                                                    "object", "model", "owned_by", "labsim"));
        return s_reply_json (c, 200, json_pack ("{s:s, s:o}", "object", "list", "data", data));
    }
    if (!strcmp (url, "/props") && srv->sim.llamacpp_style)
        return s_reply_json (c, 200,
                             json_pack ("{s:s, s:s, s:s, s:i, s:{s:i}}", "chat_template",
                                        srv->sim.chat_template, "build_info", srv->sim.build,
                                        "model_path", srv->sim.models[0].name, "total_slots", 1,
                                        "default_generation_settings", "n_ctx", 4096));
    if (!strcmp (url, "/sim/stats")) {
        json_t *models = json_object ();
        pthread_mutex_lock (&srv->sim.lock);
        for (size_t i = 0; i < srv->sim.nmodels; i++)
            json_object_set_new (models, srv->sim.models[i].name,
                                 json_pack ("{s:I, s:s, s:I}", "requests",
                                            (json_int_t) srv->sim.models[i].requests, "rt_fault",
                                            llm_fault_name (srv->sim.models[i].rt_fault), "rt_count",
                                            (json_int_t) srv->sim.models[i].rt_count));
        pthread_mutex_unlock (&srv->sim.lock);
        pthread_mutex_lock (&srv->sim.lock);
        json_int_t hits = (json_int_t) srv->sim.cache_hits;
        pthread_mutex_unlock (&srv->sim.lock);
        return s_reply_json (c, 200, json_pack ("{s:s, s:o, s:I, s:I, s:I}", "backend", srv->sim.backend,
                                                "models", models, "served",
                                                (json_int_t) atomic_load (&srv->served), "bad_requests",
                                                (json_int_t) atomic_load (&srv->bad_requests), "cache_hits", hits));
    }
    return s_error (c, 404, "not_found_error", "no such endpoint");
}

/* --- /v1/audio/transcriptions ---------------------------------------
 * As OpenAI's API, vLLM (entrypoints/openai/serving_transcription.py) and
 * LiteLLM take it: multipart/form-data with `file` and `model` (and
 * `response_format`: json, the default, gives {"text": ...}; text gives
 * the transcript alone). The simulated model "hears" a clip by finding the
 * scenario whose audio file has the same bytes, and answers as it would in
 * chat (answers_audio weights), after its TTFT and token time. */

typedef struct {
    char model[96];
    char response_format[16];
    char *file;
    size_t file_len;
    bool too_big;
} form_t;

static MHD_RESULT_T
s_form_field (void *cls, enum MHD_ValueKind kind, const char *key, const char *filename, const char *content_type,
              const char *transfer_encoding, const char *data, uint64_t off, size_t size)
{
    (void) kind, (void) filename, (void) content_type, (void) transfer_encoding;
    form_t *f = (form_t *) cls;
    if (!strcmp (key, "file")) {
        if (off + size > (32u << 20)) {
            f->too_big = true;
            return MHD_NO;
        }
        char *nb = (char *) realloc (f->file, (size_t) off + size + 1);
        if (!nb)
            return MHD_NO;
        f->file = nb;
        memcpy (f->file + off, data, size);
        if (off + size > f->file_len)
            f->file_len = (size_t) (off + size);
    }
    else if (!strcmp (key, "model") && off + size < sizeof f->model) {
        memcpy (f->model + off, data, size);
        f->model[off + size] = 0;
    }
    else if (!strcmp (key, "response_format") && off + size < sizeof f->response_format) {
        memcpy (f->response_format + off, data, size);
        f->response_format[off + size] = 0;
    }
    return MHD_YES;
}

/* The scenario whose audio file is these bytes; NULL when none is. */
static const eval_scenario_t *
s_heard (server_t *srv, const char *bytes, size_t len)
{
    for (size_t i = 0; srv->sim.pack && i < eval_pack_size (srv->sim.pack); i++) {
        const eval_scenario_t *sc = eval_pack_at (srv->sim.pack, i);
        size_t n = 0;
        char *clip = sc->audio_file ? eval_read_file (sc->audio_file, &n) : NULL;
        bool same = clip && n == len && !memcmp (clip, bytes, len);
        free (clip);
        if (same)
            return sc;
    }
    return NULL;
}

static MHD_RESULT_T
s_transcribe (server_t *srv, struct MHD_Connection *c, const char *body, size_t len)
{
    if (!s_loaded (srv))
        return s_error (c, 503, "unavailable_error", "Loading model");
    form_t f;
    memset (&f, 0, sizeof f);
    snprintf (f.response_format, sizeof f.response_format, "json");
    struct MHD_PostProcessor *pp = MHD_create_post_processor (c, 64 * 1024, s_form_field, &f);
    if (!pp) {
        atomic_fetch_add (&srv->bad_requests, 1);
        return s_error (c, 400, "invalid_request_error", "expected multipart/form-data with a file");
    }
    MHD_RESULT_T ok = MHD_post_process (pp, body, len);
    MHD_destroy_post_processor (pp);
    if (ok != MHD_YES || !f.file || !f.file_len) {
        free (f.file);
        atomic_fetch_add (&srv->bad_requests, 1);
        return s_error (c, 400, "invalid_request_error", f.too_big ? "file too large" : "field 'file' is required");
    }
    llm_model_t *model = llm_sim_model (&srv->sim, f.model);
    if (!model) {
        free (f.file);
        atomic_fetch_add (&srv->bad_requests, 1);
        return s_error (c, 404, "not_found_error", "model not found");
    }
    const eval_scenario_t *sc = s_heard (srv, f.file, f.file_len);
    free (f.file);
    /* A clip is not a prompt: no prompt cache for transcriptions. */
    json_t *req = json_pack ("{s:s, s:b, s:[{s:s, s:s}]}", "model", model->name, "labsim_no_cache", 1, "messages",
                             "role", "user", "content", sc && sc->user ? sc->user : "");
    stream_t st;
    memset (&st, 0, sizeof st);
    st.srv = srv;
    st.model = model;
    st.t0_ns = bus_mono_ns ();
    llm_sim_plan (&srv->sim, model, req, &st.plan);
    json_decref (req);
    if (st.plan.fault == LLM_FAULT_500) {
        llm_plan_free (&st.plan);
        return s_error (c, 500, "server_error", "simulated internal server error");
    }
    size_t n = st.plan.ntokens, total = 0;
    if (!s_sleep_until (srv, s_token_due (&st, n ? n - 1 : 0))) {
        llm_plan_free (&st.plan);
        return MHD_NO;
    }
    for (size_t i = 0; i < n; i++)
        total += strlen (st.plan.tokens[i]);
    char *text = (char *) malloc (total + 1), *p = text;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen (st.plan.tokens[i]);
        memcpy (p, st.plan.tokens[i], k);
        p += k;
    }
    *p = 0;
    llm_plan_free (&st.plan);
    if (!strcmp (f.response_format, "text")) {
        struct MHD_Response *r = MHD_create_response_from_buffer (strlen (text), text, MHD_RESPMEM_MUST_FREE);
        MHD_add_response_header (r, "Content-Type", "text/plain; charset=utf-8");
        MHD_RESULT_T rc = MHD_queue_response (c, 200, r);
        MHD_destroy_response (r);
        return rc;
    }
    MHD_RESULT_T rc = s_reply_json (c, 200, json_pack ("{s:s}", "text", text));
    free (text);
    return rc;
}

static MHD_RESULT_T
s_handler (void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void) version;
    server_t *srv = (server_t *) cls;
    if (!s_authorised (srv, c, url)) {
        if (*con_cls == NULL && strcmp (method, "GET")) {
            /* Let the body come in first (MHD wants it read), then refuse. */
            *con_cls = calloc (1, sizeof (upload_t));
            return MHD_YES;
        }
        *upload_data_size = 0;
        return s_auth_error (c);
    }
    if (!strcmp (method, "GET"))
        return s_get (srv, c, url);
    if (strcmp (method, "POST"))
        return s_error (c, 405, "invalid_request_error", "method not allowed");
    upload_t *up = (upload_t *) *con_cls;
    if (!up) {
        *con_cls = calloc (1, sizeof (upload_t));
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (up->len + *upload_data_size > (64u << 20))
            return MHD_NO;   /* 64 MiB: audio and images included, nothing sane is larger */
        if (up->len + *upload_data_size + 1 > up->cap) {
            up->cap = (up->len + *upload_data_size + 1) * 2;
            up->body = (char *) realloc (up->body, up->cap);
        }
        memcpy (up->body + up->len, upload_data, *upload_data_size);
        up->len += *upload_data_size;
        *upload_data_size = 0;
        return MHD_YES;
    }
    const char *body = up->body ? up->body : "";
    if (!strcmp (url, "/v1/chat/completions") || !strcmp (url, "/chat/completions"))
        return s_chat (srv, c, body, up->len);
    if (!strcmp (url, "/v1/audio/transcriptions"))
        return s_transcribe (srv, c, body, up->len);
    if (!strcmp (url, "/sim/fault"))
        return s_sim_fault (srv, c, body, up->len);
    return s_error (c, 404, "not_found_error", "no such endpoint");
}

static void
s_completed (void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void) cls;
    (void) c;
    (void) toe;
    upload_t *up = (upload_t *) *con_cls;
    if (up) {
        free (up->body);
        free (up);
        *con_cls = NULL;
    }
}

/* The port of BASE_URL ("http://127.0.0.1:18301/v1" -> 18301); -1 when none. */
static long
s_url_port (const char *url)
{
    const char *p = strstr (url, "://");
    p = p ? p + 3 : url;
    if (*p == '[')
        p = strchr (p, ']');
    p = p ? strchr (p, ':') : NULL;
    return p ? strtol (p + 1, NULL, 10) : -1;
}

static void
s_usage_text (FILE *out)
{
    fprintf (out, "usage: labsim llm -c CONFIG --backend NAME [--port N] [--port-file F] [--scenarios DIR]\n"
                  "Serves the models of labsim-llm/NAME on 127.0.0.1. The port comes from --port,\n"
                  "else from backends/NAME/base_url; 0 lets the kernel choose (see --port-file).\n");
}

int
labsim_llm_main (int argc, char **argv)
{
    const char *config = getenv ("LAB_CONFIG"), *backend = NULL, *port_file = NULL,
               *scenarios = NULL;
    long port = -1;
    static struct option opts[] = { { "config", required_argument, 0, 'c' },
                                    { "backend", required_argument, 0, 'b' },
                                    { "port", required_argument, 0, 'p' },
                                    { "port-file", required_argument, 0, 'f' },
                                    { "scenarios", required_argument, 0, 's' },
                                    { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    int o;
    optind = 1;
    while ((o = getopt_long (argc, argv, "c:b:p:f:s:h", opts, NULL)) != -1) {
        switch (o) {
        case 'c': config = optarg; break;
        case 'b': backend = optarg; break;
        case 'p': port = strtol (optarg, NULL, 10); break;
        case 'f': port_file = optarg; break;
        case 's': scenarios = optarg; break;
        case 'h': s_usage_text (stdout); return 0;
        default: s_usage_text (stderr); return 2;
        }
    }
    if (!config)
        config = "compose/lab.cfg";
    if (!backend) {
        s_usage_text (stderr);
        return 2;
    }
    char err[512];
    lab_config_t *cfg = lab_config_load (config, err, sizeof err);
    if (!cfg) {
        fprintf (stderr, "labsim llm: %s\n", err);
        return 1;
    }
    server_t *srv = (server_t *) calloc (1, sizeof (server_t));
    if (llm_sim_load (&srv->sim, cfg, backend, scenarios, err, sizeof err)) {
        fprintf (stderr, "labsim llm: %s\n", err);
        lab_config_destroy (&cfg);
        free (srv);
        return 1;
    }
    if (port < 0) {
        char key[200];
        snprintf (key, sizeof key, "backends/%s/base_url", backend);
        const char *url = lab_config_get (cfg, key, NULL);
        port = url ? s_url_port (url) : -1;
    }
    lab_config_destroy (&cfg);
    if (port < 0 || port > 65535) {
        fprintf (stderr, "labsim llm: no port (give --port or backends/%s/base_url)\n", backend);
        llm_sim_free (&srv->sim);
        free (srv);
        return 2;
    }
    /* Resident memory the way a loaded model has it, so peak RSS is real. */
    char *weights = NULL;
    if (srv->sim.memory_bytes > 0 && (weights = (char *) malloc ((size_t) srv->sim.memory_bytes)))
        memset (weights, 0x5a, (size_t) srv->sim.memory_bytes);
    srv->start_ns = bus_mono_ns ();
    /* Block the stop signals before any thread exists: every thread inherits
     * the mask and main takes them with sigwait. */
    sigset_t set;
    sigemptyset (&set);
    sigaddset (&set, SIGINT);
    sigaddset (&set, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &set, NULL);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons ((uint16_t) port);
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon (
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
        NULL, s_handler, srv, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_NOTIFY_COMPLETED, s_completed,
        srv, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 120, MHD_OPTION_LISTENING_ADDRESS_REUSE,
        (unsigned) 1, MHD_OPTION_END);
    if (!d) {
        fprintf (stderr, "labsim llm: cannot listen on 127.0.0.1:%ld\n", port);
        free (weights);
        llm_sim_free (&srv->sim);
        free (srv);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned bound = info ? info->port : (unsigned) port;
    if (port_file) {
        char tmp[1024];
        snprintf (tmp, sizeof tmp, "%s.tmp", port_file);
        FILE *f = fopen (tmp, "w");
        if (f) {
            fprintf (f, "%u\n", bound);
            fclose (f);
            rename (tmp, port_file);
        }
    }
    printf ("labsim llm: backend %s (%s style) on http://127.0.0.1:%u, %zu models, %zu scenarios, "
            "loading for %ld ms\n",
            srv->sim.backend, srv->sim.llamacpp_style ? "llama.cpp" : "openai", bound, srv->sim.nmodels,
            eval_pack_size (srv->sim.pack), srv->sim.load_time_ms);
    fflush (stdout);
    int sig = 0;
    sigwait (&set, &sig);
    atomic_store (&srv->stopping, true);
    MHD_stop_daemon (d);
    printf ("labsim llm: %s stopped (signal %d) after %llu requests\n", srv->sim.backend, sig,
            (unsigned long long) atomic_load (&srv->served));
    free (weights);
    llm_sim_free (&srv->sim);
    free (srv);
    return 0;
}
