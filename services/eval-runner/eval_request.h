/* eval_request - one streamed chat completion over HTTP (libcurl), measured.
 *
 * The monotonic clock is read just before the transfer starts (t0) and as
 * each SSE event is parsed; TTFT counts from the moment the request could
 * be sent (t0 plus libcurl's pre-transfer time), so the connect time is its
 * own figure, and a handle reused across requests keeps its connection
 * alive (the warm-up pays for the connect). `timeout_ms` is an idle limit —
 * a slow but steady backend is not hung — and `deadline_ms` bounds the whole
 * request; token-carrying events go into the timeline that
 * eval_metrics turns into TTFT/TPOT/ITL. The outcome is "ok" or "error" with
 * a class:
 *   connect, timeout, stream_cut   transport errors (the caller may retry)
 *   http                           HTTP status >= 400 (status and the server's message)
 *   malformed_json                 a chunk that is not valid JSON
 *   api_error                      an error in the stream, in either of
 *                                  llama-server's forms: `data: {"error": ...}`
 *                                  or an `error: {...}` line (older builds),
 *                                  before or after the first token
 *   not_sse                        a 2xx reply that is one JSON body
 * A finish_reason of "length" or a leaked template token is not a transport
 * error: the request is "ok" and the row says so (the quality gate judges it). */
#ifndef EVAL_REQUEST_H
#define EVAL_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include "services/eval-runner/eval_metrics.h"
#include "services/eval-runner/eval_sse.h"

typedef struct {
    const char *url;           /* .../v1/chat/completions */
    const char *body;          /* JSON request body */
    long timeout_ms;           /* idle limit: no byte for this long = hung (0: 60 s) */
    long deadline_ms;          /* whole request (0: no deadline beyond the idle limit) */
    long connect_timeout_ms;
    void *curl;                /* a CURL easy handle to reuse (keep-alive), NULL: a fresh one */
    const char *api_key;       /* sent as "Authorization: Bearer"; never logged */
} eval_request_opts_t;

typedef struct {
    bool ok;
    bool transport_error;      /* worth a retry */
    char error_class[32];
    char error_message[256];
    long http_status;
    char *completion;          /* concatenated content deltas (owned) */
    size_t completion_len;
    char *reasoning;           /* concatenated reasoning deltas (owned, may be NULL) */
    char finish_reason[32];
    long prompt_tokens;        /* -1 when no usage */
    json_t *timings;           /* backend's own timings (owned ref) or NULL */
    eval_timeline_t tl;
    eval_metrics_t m;
    eval_sse_counters_t sse;
    unsigned chunks;           /* data events parsed */
    unsigned malformed_chunks;
    bool done_seen;            /* data: [DONE] */
    bool template_leak;
    double cpu_us;             /* this thread's CPU time for the request */
    double wall_ms;            /* the request's wall time, t0 to the end of the transfer */
    double connect_ms;         /* TCP (and TLS) connect; 0 on a reused connection */
    bool new_connection;       /* false: a kept-alive connection was reused */
    bool idle_timeout;         /* the idle limit ended it (class timeout) */
    char served_model[96];     /* the "model" of the chunks, "" when none said */
} eval_result_t;

void eval_result_init (eval_result_t *r);
void eval_result_clear (eval_result_t *r);

/* Runs the request; always fills R (outcome included). Returns 0 when ok. */
int eval_request_run (const eval_request_opts_t *o, eval_result_t *r);

/* An audio file through /v1/audio/transcriptions: a multipart upload
 * (file, model, response_format=json), answered with {"text": ...} in one
 * body (or plain text). The transcript becomes R's completion; there is no
 * token stream, so TTFT is the first byte of the answer and the decode
 * figures stay empty. Errors as for a chat request (http with the server's
 * message, connect, timeout). */
typedef struct {
    const char *url;           /* .../v1/audio/transcriptions */
    const char *model;
    const char *file;          /* the audio file to upload */
    long timeout_ms, deadline_ms;
    void *curl;
    const char *api_key;
} eval_transcribe_opts_t;
int eval_transcribe_run (const eval_transcribe_opts_t *o, eval_result_t *r);

/* The stream consumer under eval_request_run, open for tests and fuzzing:
 * feed the response body as it arrives with the time it arrived, then end
 * it with the HTTP status and the transfer's CURLcode (0: complete). */
typedef struct _eval_stream_t eval_stream_t;
eval_stream_t *eval_stream_new (eval_result_t *r, uint64_t t0_ns);
void eval_stream_feed (eval_stream_t *self, const char *buf, size_t len, uint64_t now_ns);
void eval_stream_end (eval_stream_t *self, long http_status, int curl_code);
void eval_stream_destroy (eval_stream_t **self_p);

/* Monotonic clock in ns. */
uint64_t eval_now_ns (void);

#endif
