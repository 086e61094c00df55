/* eval_sse - an incremental Server-Sent Events parser (WHATWG event-stream).
 *
 * Bytes arrive in arbitrary pieces (one event split across many reads, many
 * events in one read); the parser keeps the unfinished line and emits one
 * event per blank line. `data:` lines of one event are joined with "\n",
 * lines starting with ':' are comments (counted, e.g. keep-alive pings),
 * CR, LF and CRLF all end a line. A line longer than the limit is an error
 * the caller sees in the counters; the parser drops it and goes on.
 *
 * One field outside the spec is kept: older llama-server builds (b4xxx-b6xxx,
 * examples/server/utils.hpp server_sent_event(sink, "error", ...)) report a
 * mid-stream failure as a line `error: {json}`, which a spec reader ignores,
 * turning a failed request into a short "ok" answer. Such a line is handed
 * over at once as an event named "error" with the line's value as data. */
#ifndef EVAL_SSE_H
#define EVAL_SSE_H

#include <stddef.h>
#include <stdint.h>

typedef struct _eval_sse_t eval_sse_t;

/* Called once per complete event with its data (NUL-terminated, LEN bytes)
 * and event name ("message" when none was given). */
typedef void (eval_sse_event_fn) (const char *event, const char *data, size_t len, void *arg);

typedef struct {
    uint64_t events;      /* events emitted */
    uint64_t comments;    /* ':' lines */
    uint64_t lines;       /* lines seen */
    uint64_t overlong;    /* lines dropped for exceeding the limit */
    uint64_t unknown;     /* field lines with a name we ignore */
    uint64_t errors;      /* `error:` lines (llama-server's older error form) */
} eval_sse_counters_t;

/* MAX_LINE bounds one line and one event's data (0: 1 MiB). */
eval_sse_t *eval_sse_new (size_t max_line, eval_sse_event_fn *fn, void *arg);
void eval_sse_destroy (eval_sse_t **self_p);

/* Feeds LEN bytes; emits the events they complete. */
void eval_sse_feed (eval_sse_t *self, const char *buf, size_t len);
/* End of stream: an event still open without its blank line is discarded
 * (the spec says so); returns 1 when something was pending, else 0. */
int eval_sse_finish (eval_sse_t *self);
void eval_sse_counters (eval_sse_t *self, eval_sse_counters_t *out);

#endif
