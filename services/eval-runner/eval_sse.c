/* eval_sse - incremental SSE parser; see eval_sse.h.
 *
 * State: `line` holds the bytes of the current unfinished line, `data` the
 * data lines of the current event so far. A CR ends a line at once; an LF
 * right after a CR is then skipped (`skip_lf`), so CRLF split across two
 * feeds is still one line end. */
#include "services/eval-runner/eval_sse.h"
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *buf;
    size_t len, cap;
} s_buf_t;

struct _eval_sse_t {
    size_t max_line;
    eval_sse_event_fn *fn;
    void *arg;
    s_buf_t line;
    s_buf_t data;
    bool has_data;         /* at least one data line in this event */
    bool line_overlong;    /* current line exceeded the limit: drop it */
    bool skip_lf;
    char event[64];
    eval_sse_counters_t counters;
};

static int
s_buf_append (s_buf_t *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *nb = (char *) realloc (b->buf, cap);
        if (!nb)
            return -1;
        b->buf = nb;
        b->cap = cap;
    }
    memcpy (b->buf + b->len, p, n);
    b->len += n;
    b->buf[b->len] = 0;
    return 0;
}

eval_sse_t *
eval_sse_new (size_t max_line, eval_sse_event_fn *fn, void *arg)
{
    eval_sse_t *self = (eval_sse_t *) calloc (1, sizeof (eval_sse_t));
    if (!self)
        return NULL;
    self->max_line = max_line ? max_line : (1u << 20);
    self->fn = fn;
    self->arg = arg;
    return self;
}

void
eval_sse_destroy (eval_sse_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    eval_sse_t *self = *self_p;
    free (self->line.buf);
    free (self->data.buf);
    free (self);
    *self_p = NULL;
}

static void
s_reset_event (eval_sse_t *self)
{
    self->data.len = 0;
    if (self->data.buf)
        self->data.buf[0] = 0;
    self->has_data = false;
    self->event[0] = 0;
}

static void
s_dispatch (eval_sse_t *self)
{
    if (self->has_data) {
        self->counters.events++;
        if (self->fn)
            self->fn (self->event[0] ? self->event : "message", self->data.buf ? self->data.buf : "",
                      self->data.len, self->arg);
    }
    s_reset_event (self);
}

/* One complete line (without its terminator). */
static void
s_line (eval_sse_t *self, const char *p, size_t n)
{
    self->counters.lines++;
    if (n == 0) {
        s_dispatch (self);
        return;
    }
    if (p[0] == ':') {
        self->counters.comments++;
        return;
    }
    const char *colon = memchr (p, ':', n);
    size_t name_len = colon ? (size_t) (colon - p) : n;
    const char *value = colon ? colon + 1 : p + n;
    size_t value_len = colon ? n - name_len - 1 : 0;
    if (value_len && *value == ' ') {
        value++;
        value_len--;
    }
    if (name_len == 4 && !memcmp (p, "data", 4)) {
        if (self->data.len + value_len + 1 > self->max_line) {
            self->counters.overlong++;
            return;
        }
        if (self->has_data)
            s_buf_append (&self->data, "\n", 1);
        s_buf_append (&self->data, value, value_len);
        if (!self->data.buf)
            s_buf_append (&self->data, "", 0);
        self->has_data = true;
    }
    else if (name_len == 5 && !memcmp (p, "event", 5)) {
        size_t k = value_len < sizeof self->event - 1 ? value_len : sizeof self->event - 1;
        memcpy (self->event, value, k);
        self->event[k] = 0;
    }
    else if (name_len == 5 && !memcmp (p, "error", 5)) {
        self->counters.errors++;
        if (self->fn) {
            /* A copy: VALUE points into the line buffer, and the callee
             * expects a NUL-terminated string. */
            char *copy = (char *) malloc (value_len + 1);
            if (copy) {
                memcpy (copy, value, value_len);
                copy[value_len] = 0;
                self->fn ("error", copy, value_len, self->arg);
                free (copy);
            }
        }
    }
    else if ((name_len == 2 && !memcmp (p, "id", 2)) || (name_len == 5 && !memcmp (p, "retry", 5))) {
        /* valid fields we have no use for */
    }
    else
        self->counters.unknown++;
}

static void
s_end_line (eval_sse_t *self)
{
    if (self->line_overlong) {
        self->line_overlong = false;
        self->line.len = 0;
        return;
    }
    s_line (self, self->line.buf ? self->line.buf : "", self->line.len);
    self->line.len = 0;
}

void
eval_sse_feed (eval_sse_t *self, const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (self->skip_lf) {
            self->skip_lf = false;
            if (buf[i] == '\n') {
                i++;
                continue;
            }
        }
        /* Take the run of bytes up to the next line end in one piece. */
        size_t j = i;
        while (j < len && buf[j] != '\n' && buf[j] != '\r')
            j++;
        if (j > i && !self->line_overlong) {
            if (self->line.len + (j - i) > self->max_line) {
                self->line_overlong = true;
                self->counters.overlong++;
            }
            else
                s_buf_append (&self->line, buf + i, j - i);
        }
        if (j == len)
            break;
        if (buf[j] == '\r')
            self->skip_lf = true;
        s_end_line (self);
        i = j + 1;
    }
}

int
eval_sse_finish (eval_sse_t *self)
{
    int pending = self->line.len > 0 || self->has_data;
    self->line.len = 0;
    self->line_overlong = false;
    self->skip_lf = false;
    s_reset_event (self);
    return pending;
}

void
eval_sse_counters (eval_sse_t *self, eval_sse_counters_t *out)
{
    *out = self->counters;
}
