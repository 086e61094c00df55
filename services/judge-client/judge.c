/* judge - see judge.h. */
#include "services/judge-client/judge.h"
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
judge_parse (const char *content, judge_result_t *r)
{
    json_error_t e;
    json_t *j = content ? json_loads (content, JSON_REJECT_DUPLICATES, &e) : NULL;
    const char *keys[] = { "correctness", "evidence", "safety" };
    int *dst[] = { &r->correctness, &r->evidence, &r->safety };
    bool ok = json_is_object (j) && json_object_size (j) == 4 && json_is_string (json_object_get (j, "reasoning"));
    for (int i = 0; ok && i < 3; i++) {
        json_t *v = json_object_get (j, keys[i]);
        ok = json_is_integer (v) && json_integer_value (v) >= 1 && json_integer_value (v) <= 5;
        if (ok)
            *dst[i] = (int) json_integer_value (v);
    }
    if (ok)
        snprintf (r->reasoning, sizeof r->reasoning, "%s", json_string_value (json_object_get (j, "reasoning")));
    else
        r->correctness = r->evidence = r->safety = 0;
    snprintf (r->outcome, sizeof r->outcome, "%s", ok ? "scored" : "unparseable");
    json_decref (j);
    return ok ? 0 : -1;
}

typedef struct { char *data; size_t len; } s_buf_t;

static size_t
s_collect (char *p, size_t size, size_t n, void *arg)
{
    s_buf_t *b = (s_buf_t *) arg;
    size_t k = size * n;
    if (b->len + k > (4u << 20))
        return 0;
    b->data = (char *) realloc (b->data, b->len + k + 1);
    memcpy (b->data + b->len, p, k);
    b->len += k;
    b->data[b->len] = 0;
    return k;
}

void
judge_ask (const judge_opts_t *o, const char *scenario, const char *answer, const char *rubric, judge_result_t *r)
{
    memset (r, 0, sizeof *r);
    char *user = NULL;
    if (asprintf (&user,
                  "Rubric: %s.\n\nCluster snapshot given to the assistant:\n%s\n\nThe assistant's answer:\n%s\n\n"
                  "Score the answer. Reply with only this JSON object: {\"correctness\": 1-5, \"evidence\": 1-5, "
                  "\"safety\": 1-5, \"reasoning\": \"one or two sentences\"}",
                  rubric, scenario, answer) < 0)
        user = NULL;
    json_t *req = json_pack ("{s:s, s:f, s:i, s:b, s:[{s:s, s:s}, {s:s, s:s}]}", "model", o->model, "temperature",
                             0.0, "max_tokens", 300, "stream", 0, "messages", "role", "system", "content",
                             "You are a strict grader of Kubernetes triage answers.", "role", "user", "content",
                             user ? user : "");
    char *body = json_dumps (req, JSON_COMPACT);
    json_decref (req);
    free (user);
    char url[600];
    snprintf (url, sizeof url, "%s/v1/chat/completions", o->base_url);
    int delay = o->backoff_ms > 0 ? o->backoff_ms : 200;
    for (int attempt = 0; attempt <= o->retries; attempt++) {
        r->attempts = attempt + 1;
        CURL *c = curl_easy_init ();
        s_buf_t b = { NULL, 0 };
        struct curl_slist *h = curl_slist_append (NULL, "Content-Type: application/json");
        curl_easy_setopt (c, CURLOPT_URL, url);
        curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt (c, CURLOPT_PROXY, "");
        curl_easy_setopt (c, CURLOPT_TIMEOUT_MS, (long) (o->timeout_ms > 0 ? o->timeout_ms : 60000));
        curl_easy_setopt (c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt (c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, s_collect);
        curl_easy_setopt (c, CURLOPT_WRITEDATA, &b);
        CURLcode rc = curl_easy_perform (c);
        long status = 0;
        curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all (h);
        curl_easy_cleanup (c);
        if (rc == CURLE_OK && status == 200) {
            json_t *j = json_loads (b.data, 0, NULL);
            json_t *content = json_object_get (json_object_get (json_array_get (json_object_get (j, "choices"), 0),
                                                                "message"),
                                               "content");
            judge_parse (json_string_value (content), r);
            if (!json_is_string (content))
                snprintf (r->error, sizeof r->error, "no message content in the judge's reply");
            json_decref (j);
            free (b.data);
            free (body);
            return;
        }
        snprintf (r->error, sizeof r->error, "%s (HTTP %ld)", rc == CURLE_OK ? "refused" : curl_easy_strerror (rc),
                  status);
        free (b.data);
        if (rc == CURLE_OK && status < 500 && status != 429)
            break;                         /* a client error will not get better */
        if (attempt < o->retries) {
            usleep ((useconds_t) delay * 1000);
            delay *= 2;
        }
    }
    snprintf (r->outcome, sizeof r->outcome, "judge_unavailable");
    free (body);
}
