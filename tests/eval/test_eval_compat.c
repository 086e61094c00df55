/* test_eval_compat - eval_request against the wire transcripts of real
 * servers (tests/eval/wire: llama-server current and older, vLLM 0.10 and
 * 0.11, a LiteLLM proxy, mlx_lm.server old and new; each cites its source
 * and version), replayed by a local libmicrohttpd server a few bytes at a
 * time: clean streams, usage chunks with and without choices, reasoning in
 * every field it travels in, errors in both llama-server forms and as HTTP
 * errors, an auth failure, SSE comments, HTTP/1.0 close-delimited bodies
 * and keep-alive. Every transcript's `# expect:` line is checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <dirent.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "services/eval-runner/eval_request.h"
#include "services/eval-runner/eval_scenario.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT_T;
#else
typedef enum MHD_Result MHD_RESULT_T;
#endif

#define WIRE "tests/eval/wire"

typedef struct {
    char name[128];
    char source[1024];
    unsigned status;
    char content_type[96];
    bool http10;
    char expect[1024];
    char *body;
    size_t body_len;
} wire_t;

/* Reads a transcript: header lines, a blank line, the body. */
static int
s_wire_load (const char *name, wire_t *w)
{
    memset (w, 0, sizeof *w);
    snprintf (w->name, sizeof w->name, "%s", name);
    char path[300];
    snprintf (path, sizeof path, "%s/%s", WIRE, name);
    size_t len = 0;
    char *text = eval_read_file (path, &len);
    if (!text)
        return -1;
    char *p = text;
    while (*p == '#') {
        char *nl = strchr (p, '\n');
        if (!nl)
            break;
        *nl = 0;
        if (!strncmp (p, "# source: ", 10))
            snprintf (w->source, sizeof w->source, "%s", p + 10);
        else if (!strncmp (p, "# status: ", 10))
            w->status = (unsigned) atoi (p + 10);
        else if (!strncmp (p, "# content-type: ", 16))
            snprintf (w->content_type, sizeof w->content_type, "%s", p + 16);
        else if (!strncmp (p, "# http10: yes", 13))
            w->http10 = true;
        else if (!strncmp (p, "# expect: ", 10))
            snprintf (w->expect, sizeof w->expect, "%s", p + 10);
        p = nl + 1;
    }
    if (*p == '\n')
        p++;
    w->body_len = len - (size_t) (p - text);
    w->body = (char *) malloc (w->body_len + 1);
    memcpy (w->body, p, w->body_len);
    w->body[w->body_len] = 0;
    free (text);
    return 0;
}

/* --- the replay server ---------------------------------------------- */

typedef struct {
    const wire_t *w;
    size_t off;
} replay_t;

/* A few bytes at a time, so events arrive split like on a real network. */
static ssize_t
s_reader (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) pos;
    replay_t *r = (replay_t *) cls;
    if (r->off >= r->w->body_len)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = r->w->body_len - r->off;
    if (n > 7)
        n = 7;
    if (n > max)
        n = max;
    memcpy (buf, r->w->body + r->off, n);
    r->off += n;
    return (ssize_t) n;
}

static MHD_RESULT_T
s_serve (void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
         const char *upload, size_t *upload_size, void **con_cls)
{
    (void) version, (void) upload, (void) method;
    const wire_t *wires = (const wire_t *) cls;
    if (!*con_cls) {
        *con_cls = (void *) 1;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    /* URL: /<transcript>/v1/chat/completions */
    const wire_t *w = NULL;
    for (size_t i = 0; wires[i].name[0]; i++)
        if (!strncmp (url + 1, wires[i].name, strlen (wires[i].name)) && url[1 + strlen (wires[i].name)] == '/')
            w = &wires[i];
    if (!w)
        return MHD_NO;
    replay_t *r = (replay_t *) calloc (1, sizeof *r);
    r->w = w;
    struct MHD_Response *resp = MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, 64, s_reader, r, free);
    MHD_add_response_header (resp, "Content-Type", w->content_type);
    if (w->http10)
        /* BaseHTTPRequestHandler: HTTP/1.0, the body ends with the connection. */
        MHD_set_response_options (resp, MHD_RF_HTTP_1_0_SERVER, MHD_RO_END);
    MHD_RESULT_T rc = MHD_queue_response (c, w->status, resp);
    MHD_destroy_response (resp);
    return rc;
}

/* --- expectations ---------------------------------------------------- */

static const char *const s_keys[] = { "outcome",  "class",       "message~", "completion",    "reasoning",
                                      "n",        "usage",       "usage_differs", "finish", "served_model",
                                      "timings",  "sse_errors",  "comments", NULL };

/* The value of KEY in the expect line (up to the next known key), or NULL. */
static bool
s_expect (const char *line, const char *key, char *out, size_t outlen)
{
    char pat[40];
    snprintf (pat, sizeof pat, "%s=", key);
    const char *p = line;
    while ((p = strstr (p, pat)) && p != line && p[-1] != ' ')
        p++;
    if (!p)
        return false;
    p += strlen (pat);
    const char *end = p + strlen (p);
    for (int i = 0; s_keys[i]; i++) {
        char k[40];
        snprintf (k, sizeof k, " %s=", s_keys[i]);
        const char *q = strstr (p, k);
        if (q && q < end)
            end = q;
    }
    snprintf (out, outlen, "%.*s", (int) (end - p), p);
    return true;
}

static void
s_check (const wire_t *w, const eval_result_t *r)
{
    char v[512];
    bool ok = r->ok && !r->error_class[0];
    if (s_expect (w->expect, "outcome", v, sizeof v) && strcmp (v, ok ? "ok" : "error"))
        fail_msg ("%s: outcome %s (%s: %s), want %s", w->name, ok ? "ok" : "error", r->error_class, r->error_message, v);
    if (s_expect (w->expect, "class", v, sizeof v) && strcmp (v, r->error_class))
        fail_msg ("%s: class '%s', want '%s'", w->name, r->error_class, v);
    if (s_expect (w->expect, "message~", v, sizeof v) && !strstr (r->error_message, v))
        fail_msg ("%s: message '%s' lacks '%s'", w->name, r->error_message, v);
    if (s_expect (w->expect, "completion", v, sizeof v) && strcmp (v, r->completion ? r->completion : ""))
        fail_msg ("%s: completion '%s', want '%s'", w->name, r->completion, v);
    if (s_expect (w->expect, "reasoning", v, sizeof v) && strcmp (v, r->reasoning ? r->reasoning : ""))
        fail_msg ("%s: reasoning '%s', want '%s'", w->name, r->reasoning ? r->reasoning : "", v);
    if (s_expect (w->expect, "n", v, sizeof v) && atol (v) != r->m.n)
        fail_msg ("%s: N %ld, want %s", w->name, r->m.n, v);
    if (s_expect (w->expect, "usage", v, sizeof v) && atol (v) != r->m.usage_n)
        fail_msg ("%s: usage %ld, want %s", w->name, r->m.usage_n, v);
    if (s_expect (w->expect, "usage_differs", v, sizeof v) && (!strcmp (v, "yes")) != r->m.usage_differs)
        fail_msg ("%s: usage_differs %d, want %s", w->name, r->m.usage_differs, v);
    if (s_expect (w->expect, "finish", v, sizeof v) && strcmp (v, r->finish_reason))
        fail_msg ("%s: finish '%s', want '%s'", w->name, r->finish_reason, v);
    if (s_expect (w->expect, "served_model", v, sizeof v) && strcmp (v, r->served_model))
        fail_msg ("%s: model '%s', want '%s'", w->name, r->served_model, v);
    if (s_expect (w->expect, "timings", v, sizeof v) && (!strcmp (v, "yes")) != (r->timings != NULL))
        fail_msg ("%s: timings %s, want %s", w->name, r->timings ? "yes" : "no", v);
    if (s_expect (w->expect, "sse_errors", v, sizeof v) && (uint64_t) atol (v) != r->sse.errors)
        fail_msg ("%s: error lines %llu, want %s", w->name, (unsigned long long) r->sse.errors, v);
    if (s_expect (w->expect, "comments", v, sizeof v) && (uint64_t) atol (v) != r->sse.comments)
        fail_msg ("%s: comments %llu, want %s", w->name, (unsigned long long) r->sse.comments, v);
}

static void
test_every_recorded_server_is_read_as_it_means (void **state)
{
    (void) state;
    wire_t wires[32];
    size_t n = 0;
    DIR *d = opendir (WIRE);
    assert_non_null (d);
    struct dirent *e;
    while ((e = readdir (d)) && n < 31) {
        size_t l = strlen (e->d_name);
        if (l < 5 || strcmp (e->d_name + l - 4, ".txt"))
            continue;
        assert_int_equal (s_wire_load (e->d_name, &wires[n]), 0);
        /* Every transcript names where it comes from and what it must give. */
        if (!wires[n].source[0] || !wires[n].expect[0] || !wires[n].status)
            fail_msg ("%s: no source, status or expect line", e->d_name);
        n++;
    }
    closedir (d);
    wires[n].name[0] = 0;
    assert_true (n >= 10);
    struct MHD_Daemon *mhd = MHD_start_daemon (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                                               NULL, NULL, s_serve, wires, MHD_OPTION_END);
    assert_non_null (mhd);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (mhd, MHD_DAEMON_INFO_BIND_PORT);
    int port = info->port;
    const char *body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,"
                       "\"stream_options\":{\"include_usage\":true}}";
    CURL *curl = curl_easy_init ();
    eval_result_t r;
    eval_result_init (&r);
    for (size_t i = 0; i < n; i++) {
        char url[300];
        snprintf (url, sizeof url, "http://127.0.0.1:%d/%s/v1/chat/completions", port, wires[i].name);
        eval_request_opts_t o = { .url = url, .body = body, .timeout_ms = 5000, .deadline_ms = 10000, .curl = curl };
        for (int round = 0; round < 2; round++) {
            eval_request_run (&o, &r);
            s_check (&wires[i], &r);
            /* Keep-alive: the second request rides the first one's
             * connection, unless the server closes after every answer. */
            if (round == 1 && r.new_connection != wires[i].http10)
                fail_msg ("%s: second request on a %s connection", wires[i].name,
                          r.new_connection ? "new" : "reused");
        }
    }
    eval_result_clear (&r);
    eval_timeline_free (&r.tl);
    curl_easy_cleanup (curl);
    MHD_stop_daemon (mhd);
    for (size_t i = 0; i < n; i++)
        free (wires[i].body);
}

int
main (void)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_recorded_server_is_read_as_it_means),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    curl_global_cleanup ();
    return rc;
}
