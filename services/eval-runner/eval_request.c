/* eval_request - a streamed chat completion through libcurl; see eval_request.h. */
#include "services/eval-runner/eval_request.h"
#include "bus/bus_clock.h"
#include "services/eval-runner/eval_openai.h"
#include "services/eval-runner/eval_http.h"
#include <czmq.h>
#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct _eval_stream_t {
    eval_result_t *r;
    eval_sse_t *sse;
    uint64_t now_ns;           /* time of the bytes being fed */
    size_t comp_cap;
    size_t reas_len, reas_cap;
    char first_error[200];
    char api_error[200];
    char body_head[256];       /* start of a non-SSE body (HTTP errors) */
    size_t body_head_len;
    uint64_t last_byte_ns;     /* for the idle limit */
    uint64_t idle_ns;          /* 0: none */
};
typedef struct _eval_stream_t s_ctx_t;

uint64_t
eval_now_ns (void)
{
    return bus_mono_ns ();     /* the lab's one monotonic clock */
}

static double
s_thread_cpu_us (void)
{
    struct rusage ru;
    getrusage (RUSAGE_THREAD, &ru);
    return (double) ru.ru_utime.tv_sec * 1e6 + (double) ru.ru_utime.tv_usec
           + (double) ru.ru_stime.tv_sec * 1e6 + (double) ru.ru_stime.tv_usec;
}

void
eval_result_init (eval_result_t *r)
{
    memset (r, 0, sizeof *r);
    r->prompt_tokens = -1;
    eval_timeline_init (&r->tl, 0);
}

void
eval_result_clear (eval_result_t *r)
{
    free (r->completion);
    free (r->reasoning);
    json_decref (r->timings);
    eval_timeline_free (&r->tl);
    eval_result_init (r);
}

static void
s_append (char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen (s);
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 1024;
        while (c < *len + n + 1)
            c *= 2;
        char *nb = (char *) realloc (*buf, c);
        if (!nb)
            return;
        *buf = nb;
        *cap = c;
    }
    memcpy (*buf + *len, s, n + 1);
    *len += n;
}

/* The message of a server's error object: {"message": ...}, {"error":
 * {"message": ...}}, {"error": "..."}; else the text itself. */
static void
s_error_message (const char *text, size_t len, char *out, size_t outlen)
{
    json_t *j = json_loadb (text, len, 0, NULL);
    json_t *e = json_object_get (j, "error");
    const char *m = json_string_value (json_object_get (e ? e : j, "message"));
    if (!m)
        m = json_string_value (e);
    if (m)
        snprintf (out, outlen, "%s", m);
    else
        snprintf (out, outlen, "%.*s", (int) (len < 180 ? len : 180), text);
    json_decref (j);
}

static void
s_on_event (const char *event, const char *data, size_t len, void *arg)
{
    s_ctx_t *ctx = (s_ctx_t *) arg;
    if (!strcmp (event, "error")) {
        /* llama-server's older mid-stream error line (eval_sse.h). */
        if (!ctx->api_error[0])
            s_error_message (data, len, ctx->api_error, sizeof ctx->api_error);
        return;
    }
    uint64_t now = ctx->now_ns;
    eval_result_t *r = ctx->r;
    if (len == 6 && !memcmp (data, "[DONE]", 6)) {
        r->done_seen = true;
        return;
    }
    r->chunks++;
    eval_chunk_t c;
    char err[200];
    if (eval_chunk_parse (data, len, &c, err, sizeof err)) {
        if (r->malformed_chunks++ == 0)
            snprintf (ctx->first_error, sizeof ctx->first_error, "chunk %u: %s", r->chunks, err);
        return;
    }
    if (c.error && !ctx->api_error[0])
        snprintf (ctx->api_error, sizeof ctx->api_error, "%s", c.error);
    if (eval_chunk_has_token (&c))
        eval_timeline_token (&r->tl, now);
    if (c.content && *c.content)
        s_append (&r->completion, &r->completion_len, &ctx->comp_cap, c.content);
    if (c.reasoning && *c.reasoning)
        s_append (&r->reasoning, &ctx->reas_len, &ctx->reas_cap, c.reasoning);
    if (c.finish_reason)
        snprintf (r->finish_reason, sizeof r->finish_reason, "%s", c.finish_reason);
    if (c.model && !r->served_model[0])
        snprintf (r->served_model, sizeof r->served_model, "%s", c.model);
    if (c.completion_tokens >= 0)
        r->tl.usage_tokens = c.completion_tokens;
    if (c.prompt_tokens >= 0)
        r->prompt_tokens = c.prompt_tokens;
    if (c.timings) {
        json_decref (r->timings);
        r->timings = json_incref (c.timings);
    }
    eval_chunk_clear (&c);
}

eval_stream_t *
eval_stream_new (eval_result_t *r, uint64_t t0_ns)
{
    eval_stream_t *ctx = (eval_stream_t *) calloc (1, sizeof (eval_stream_t));
    eval_result_clear (r);
    ctx->r = r;
    ctx->sse = eval_sse_new (0, s_on_event, ctx);
    r->tl.t0_ns = t0_ns;
    return ctx;
}

void
eval_stream_destroy (eval_stream_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    eval_sse_destroy (&(*self_p)->sse);
    free (*self_p);
    *self_p = NULL;
}

void
eval_stream_feed (eval_stream_t *ctx, const char *ptr, size_t n, uint64_t now_ns)
{
    ctx->now_ns = now_ns;
    if (ctx->body_head_len < sizeof ctx->body_head - 1) {
        size_t k = sizeof ctx->body_head - 1 - ctx->body_head_len;
        if (k > n)
            k = n;
        memcpy (ctx->body_head + ctx->body_head_len, ptr, k);
        ctx->body_head_len += k;
        ctx->body_head[ctx->body_head_len] = 0;
    }
    eval_sse_feed (ctx->sse, ptr, n);
}

static size_t
s_write (char *ptr, size_t size, size_t nmemb, void *arg)
{
    eval_stream_t *ctx = (eval_stream_t *) arg;
    uint64_t now = eval_now_ns ();
    ctx->last_byte_ns = now;
    eval_stream_feed (ctx, ptr, size * nmemb, now);
    return size * nmemb;
}

/* libcurl's progress callback (at least once a second): the idle limit. */
static int
s_progress (void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void) dltotal, (void) dlnow, (void) ultotal, (void) ulnow;
    eval_stream_t *ctx = (eval_stream_t *) arg;
    if (ctx->idle_ns && eval_now_ns () - ctx->last_byte_ns > ctx->idle_ns) {
        ctx->r->idle_timeout = true;
        return 1;   /* CURLE_ABORTED_BY_CALLBACK */
    }
    return 0;
}

/* Whether a body starts like a JSON object (after white space). */
static bool
s_json_body (const char *head)
{
    while (*head == ' ' || *head == '\t' || *head == '\r' || *head == '\n')
        head++;
    return *head == '{';
}

static void
s_fail (eval_result_t *r, bool transport, const char *cls, const char *fmt, const char *msg)
{
    r->ok = false;
    r->transport_error = transport;
    snprintf (r->error_class, sizeof r->error_class, "%s", cls);
    snprintf (r->error_message, sizeof r->error_message, fmt, msg);
}

void
eval_stream_end (eval_stream_t *ctx, long http_status, int curl_code)
{
    eval_result_t *r = ctx->r;
    CURLcode cc = (CURLcode) curl_code;
    eval_sse_finish (ctx->sse);
    r->http_status = http_status;
    eval_sse_counters (ctx->sse, &r->sse);
    if (!r->completion)
        r->completion = strdup ("");
    r->template_leak = eval_text_has_template_leak (r->completion);
    eval_metrics_compute (&r->tl, &r->m);
    r->ok = true;
    if (cc == CURLE_ABORTED_BY_CALLBACK && r->idle_timeout)
        s_fail (r, true, "timeout", "%s", "no byte from the backend within the idle limit (plan/timeout): hung");
    else if (cc == CURLE_OPERATION_TIMEDOUT)
        s_fail (r, true, "timeout", "%s", "no complete answer before the deadline (plan/deadline)");
    else if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST)
        s_fail (r, true, "connect", "%s", curl_easy_strerror (cc));
    else if (r->http_status >= 400) {
        /* llama-server, vLLM and LiteLLM all answer {"error": {...}}: keep
         * the server's message, not the JSON around it. */
        char msg[220], text[200];
        s_error_message (ctx->body_head, ctx->body_head_len, text, sizeof text);
        snprintf (msg, sizeof msg, "HTTP %ld: %s", r->http_status, text);
        s_fail (r, false, "http", "%s", msg);
    }
    else if (r->chunks == 0 && !ctx->api_error[0] && s_json_body (ctx->body_head)) {
        /* A server that ignored "stream": say so rather than "stream cut". */
        s_fail (r, false, "not_sse", "%s", "the server replied with one JSON body, not an SSE stream "
                                           "(does it ignore \"stream\": true?)");
    }
    else if (r->malformed_chunks)
        s_fail (r, false, "malformed_json", "%s", ctx->first_error);
    else if (ctx->api_error[0])
        s_fail (r, false, "api_error", "%s", ctx->api_error);
    else if (cc != CURLE_OK || (!r->done_seen && !r->finish_reason[0])) {
        char msg[200];
        snprintf (msg, sizeof msg, "stream ended after %u chunks without [DONE]%s%s", r->chunks,
                  cc != CURLE_OK ? ": " : "", cc != CURLE_OK ? curl_easy_strerror (cc) : "");
        s_fail (r, true, "stream_cut", "%s", msg);
    }
}

int
eval_request_run (const eval_request_opts_t *o, eval_result_t *r)
{
    CURL *curl = o->curl ? (CURL *) o->curl : curl_easy_init ();
    if (o->curl)
        curl_easy_reset (curl);   /* options go; the connection cache stays */
    struct curl_slist *hdr = NULL;
    hdr = curl_slist_append (hdr, "Content-Type: application/json");
    hdr = curl_slist_append (hdr, "Accept: text/event-stream");
    if (o->api_key && *o->api_key) {
        /* The key lives in this header only: never in a log, argv or the bus. */
        char *auth = zsys_sprintf ("Authorization: Bearer %s", o->api_key);
        hdr = curl_slist_append (hdr, auth);
        memset (auth, 0, strlen (auth));
        free (auth);
    }
    eval_stream_t *ctx = eval_stream_new (r, 0);
    long idle_ms = o->timeout_ms > 0 ? o->timeout_ms : 60000L;
    ctx->idle_ns = (uint64_t) idle_ms * 1000000ull;
    curl_easy_setopt (curl, CURLOPT_URL, o->url);
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt (curl, CURLOPT_POSTFIELDS, o->body);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, ctx);
    curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, s_progress);
    curl_easy_setopt (curl, CURLOPT_XFERINFODATA, ctx);
    curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);
    if (o->deadline_ms > 0)
        curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, o->deadline_ms);
    curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS,
                      o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 5000L);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_TCP_NODELAY, 1L);
    /* No proxies for a lab backend: an environment proxy would distort timing. */
    curl_easy_setopt (curl, CURLOPT_NOPROXY, "*");

    double cpu0 = s_thread_cpu_us ();
    uint64_t t0 = eval_now_ns ();
    r->tl.t0_ns = t0;
    ctx->last_byte_ns = t0;
    CURLcode cc = curl_easy_perform (curl);
    uint64_t t_end = eval_now_ns ();
    long status = 0, connects = 0;
    curl_off_t connect_us = 0, pretransfer_us = 0;
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo (curl, CURLINFO_NUM_CONNECTS, &connects);
    curl_easy_getinfo (curl, CURLINFO_CONNECT_TIME_T, &connect_us);
    curl_easy_getinfo (curl, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
    /* TTFT and TPOT count from when the request could leave: the connect
     * (and TLS) time is its own column, so a remote backend's new
     * connection does not count against its first token. */
    r->tl.t0_ns = t0 + (uint64_t) pretransfer_us * 1000ull;
    eval_stream_end (ctx, status, (int) cc);
    r->wall_ms = (double) (t_end - t0) / 1e6;
    r->new_connection = connects > 0;
    r->connect_ms = connects > 0 ? (double) connect_us / 1e3 : 0;
    r->cpu_us = s_thread_cpu_us () - cpu0;
    curl_slist_free_all (hdr);
    if (!o->curl)
        curl_easy_cleanup (curl);
    eval_stream_destroy (&ctx);
    return r->ok ? 0 : -1;
}

/* The body of a transcription reply, kept whole (4 MiB at most), with the
 * times the idle limit and TTFT need. */
typedef struct {
    eval_http_buf_t buf;
    uint64_t first_ns, last_byte_ns, idle_ns;
    curl_off_t last_ul;
    eval_result_t *r;
} s_body_t;

static size_t
s_body_write (char *ptr, size_t size, size_t nmemb, void *arg)
{
    s_body_t *b = (s_body_t *) arg;
    uint64_t now = eval_now_ns ();
    if (!b->first_ns)
        b->first_ns = now;
    b->last_byte_ns = now;
    return eval_http_collect (ptr, size, nmemb, &b->buf);
}

static int
s_body_progress (void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void) dltotal, (void) dlnow, (void) ultotal;
    s_body_t *b = (s_body_t *) arg;
    /* While the upload goes on, bytes are moving: the idle limit counts
     * from the last byte either way. */
    uint64_t now = eval_now_ns ();
    if (ulnow != b->last_ul) {
        b->last_ul = ulnow;
        b->last_byte_ns = now;
    }
    if (b->idle_ns && now - b->last_byte_ns > b->idle_ns) {
        b->r->idle_timeout = true;
        return 1;
    }
    return 0;
}

int
eval_transcribe_run (const eval_transcribe_opts_t *o, eval_result_t *r)
{
    eval_result_clear (r);
    CURL *curl = o->curl ? (CURL *) o->curl : curl_easy_init ();
    if (o->curl)
        curl_easy_reset (curl);
    struct curl_slist *hdr = NULL;
    if (o->api_key && *o->api_key) {
        char *auth = zsys_sprintf ("Authorization: Bearer %s", o->api_key);
        hdr = curl_slist_append (hdr, auth);
        memset (auth, 0, strlen (auth));
        free (auth);
    }
    curl_mime *mime = curl_mime_init (curl);
    curl_mimepart *part = curl_mime_addpart (mime);
    curl_mime_name (part, "file");
    curl_mime_filedata (part, o->file);
    part = curl_mime_addpart (mime);
    curl_mime_name (part, "model");
    curl_mime_data (part, o->model ? o->model : "", CURL_ZERO_TERMINATED);
    part = curl_mime_addpart (mime);
    curl_mime_name (part, "response_format");
    curl_mime_data (part, "json", CURL_ZERO_TERMINATED);
    s_body_t b = { .buf = { .max = 4u << 20 }, .r = r };
    b.idle_ns = (uint64_t) (o->timeout_ms > 0 ? o->timeout_ms : 60000L) * 1000000ull;
    curl_easy_setopt (curl, CURLOPT_URL, o->url);
    curl_easy_setopt (curl, CURLOPT_MIMEPOST, mime);
    if (hdr)
        curl_easy_setopt (curl, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_body_write);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, s_body_progress);
    curl_easy_setopt (curl, CURLOPT_XFERINFODATA, &b);
    curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);
    if (o->deadline_ms > 0)
        curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, o->deadline_ms);
    curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_NOPROXY, "*");
    double cpu0 = s_thread_cpu_us ();
    uint64_t t0 = eval_now_ns ();
    b.last_byte_ns = t0;
    CURLcode cc = curl_easy_perform (curl);
    uint64_t t_end = eval_now_ns ();
    long status = 0, connects = 0;
    curl_off_t connect_us = 0, pretransfer_us = 0;
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo (curl, CURLINFO_NUM_CONNECTS, &connects);
    curl_easy_getinfo (curl, CURLINFO_CONNECT_TIME_T, &connect_us);
    curl_easy_getinfo (curl, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
    r->http_status = status;
    r->wall_ms = (double) (t_end - t0) / 1e6;
    r->new_connection = connects > 0;
    r->connect_ms = connects > 0 ? (double) connect_us / 1e3 : 0;
    r->ok = true;
    if (cc == CURLE_ABORTED_BY_CALLBACK && r->idle_timeout)
        s_fail (r, true, "timeout", "%s", "no byte from the backend within the idle limit (plan/timeout): hung");
    else if (cc == CURLE_OPERATION_TIMEDOUT)
        s_fail (r, true, "timeout", "%s", "no complete answer before the deadline (plan/deadline)");
    else if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST)
        s_fail (r, true, "connect", "%s", curl_easy_strerror (cc));
    else if (cc == CURLE_READ_ERROR || cc == CURLE_FILE_COULDNT_READ_FILE)
        s_fail (r, false, "scenario", "cannot read %s", o->file);
    else if (cc != CURLE_OK)
        s_fail (r, true, "stream_cut", "%s", curl_easy_strerror (cc));
    else if (status >= 400) {
        char msg[220], text[200];
        s_error_message (b.buf.data ? b.buf.data : "", b.buf.len, text, sizeof text);
        snprintf (msg, sizeof msg, "HTTP %ld: %s", status, text);
        s_fail (r, false, "http", "%s", msg);
    }
    else {
        json_t *j = json_loadb (b.buf.data ? b.buf.data : "", b.buf.len, 0, NULL);
        const char *text = json_string_value (json_object_get (j, "text"));
        if (json_is_object (j) && !text)
            s_fail (r, false, "malformed_json", "%s", "a transcription reply without \"text\"");
        else {
            /* response_format=json gives {"text"}; a server that answers
             * text/plain anyway gives the transcript itself. */
            r->completion = strdup (text ? text : (b.buf.data ? b.buf.data : ""));
            snprintf (r->finish_reason, sizeof r->finish_reason, "stop");
            uint64_t start = t0 + (uint64_t) pretransfer_us * 1000ull;
            r->m.have_ttft = b.first_ns > start;
            r->m.ttft_ms = r->m.have_ttft ? (double) (b.first_ns - start) / 1e6 : 0;
            r->m.e2e_ms = r->m.ttft_ms;
            r->m.tpot_ms = r->m.decode_tps = NAN;
            r->m.itl_p50_ms = r->m.itl_p90_ms = r->m.itl_p99_ms = NAN;
            r->m.usage_n = -1;
        }
        json_decref (j);
    }
    if (!r->completion)
        r->completion = strdup ("");
    r->template_leak = eval_text_has_template_leak (r->completion);
    r->cpu_us = s_thread_cpu_us () - cpu0;
    free (b.buf.data);
    curl_mime_free (mime);
    curl_slist_free_all (hdr);
    if (!o->curl)
        curl_easy_cleanup (curl);
    return r->ok ? 0 : -1;
}
