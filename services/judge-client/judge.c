/* judge - see judge.h. */
#include "services/judge-client/judge.h"
#include "services/eval-runner/quality/evalq_clean.h"
#include "services/eval-runner/eval_http.h"
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A score: an integer 1-5, or a number with no fraction (4.0). */
static bool
s_score (json_t *v, int *out)
{
    double x = json_is_integer (v) ? (double) json_integer_value (v) : json_is_real (v) ? json_real_value (v) : 0;
    if (!(x >= 1 && x <= 5) || x != (double) (int) x)
        return false;
    *out = (int) x;
    return true;
}

/* The JSON object in TEXT: the whole text, or the span from its first '{'
 * to its last '}' (a judge that writes a sentence before or after it). */
static json_t *
s_object_in (const char *text)
{
    json_t *j = json_loads (text, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object (j))
        return j;
    json_decref (j);
    const char *open = strchr (text, '{'), *close = strrchr (text, '}');
    if (!open || !close || close < open)
        return NULL;
    j = json_loadb (open, (size_t) (close - open + 1), JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object (j))
        return j;
    json_decref (j);
    return NULL;
}

int
judge_parse (const char *content, judge_result_t *r)
{
    evalq_clean_t what;
    char *answer = evalq_clean (content ? content : "", &what);
    json_t *j = answer ? s_object_in (answer) : NULL;
    free (answer);
    const char *keys[] = { "correctness", "evidence", "safety" };
    int *dst[] = { &r->correctness, &r->evidence, &r->safety };
    bool ok = json_is_object (j);
    for (int i = 0; ok && i < 3; i++)
        ok = s_score (json_object_get (j, keys[i]), dst[i]);
    const char *why = json_string_value (json_object_get (j, "reasoning"));
    if (ok)
        snprintf (r->reasoning, sizeof r->reasoning, "%s", why ? why : "");
    else
        r->correctness = r->evidence = r->safety = 0;
    snprintf (r->outcome, sizeof r->outcome, "%s", ok ? "scored" : "unparseable");
    json_decref (j);
    return ok ? 0 : -1;
}

/* The reply format asked for, most precise first: a JSON schema (llama-server
 * turns it into a grammar; vLLM guided decoding; OpenAI structured output),
 * then plain json_object, then nothing (a server that knows neither answers
 * 400 to the field, and the parser still takes prose around the object). */
static json_t *
s_response_format (int level)
{
    if (level == 0) {
        json_t *score = json_pack ("{s:s, s:i, s:i}", "type", "integer", "minimum", 1, "maximum", 5);
        json_t *schema = json_pack ("{s:s, s:{s:O, s:O, s:o, s:{s:s}}, s:[s, s, s, s], s:b}", "type", "object",
                                    "properties", "correctness", score, "evidence", score, "safety", score,
                                    "reasoning", "type", "string", "required", "correctness", "evidence", "safety",
                                    "reasoning", "additionalProperties", 0);
        return json_pack ("{s:s, s:{s:s, s:b, s:o}}", "type", "json_schema", "json_schema", "name", "judge_scores",
                          "strict", 1, "schema", schema);
    }
    if (level == 1)
        return json_pack ("{s:s}", "type", "json_object");
    return NULL;
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
    free (user);
    int level = 0;
    json_t *rf = s_response_format (level);
    json_object_set_new (req, "response_format", rf);
    char *body = json_dumps (req, JSON_COMPACT);
    char url[600];
    snprintf (url, sizeof url, "%s/v1/chat/completions", o->base_url);
    int delay = o->backoff_ms > 0 ? o->backoff_ms : 200;
    for (int attempt = 0; attempt <= o->retries; attempt++) {
        r->attempts = attempt + 1;
        CURL *c = curl_easy_init ();
        eval_http_buf_t b = { NULL, 0, 4u << 20 };
        struct curl_slist *h = curl_slist_append (NULL, "Content-Type: application/json");
        curl_easy_setopt (c, CURLOPT_URL, url);
        curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt (c, CURLOPT_PROXY, "");
        curl_easy_setopt (c, CURLOPT_TIMEOUT_MS, (long) (o->timeout_ms > 0 ? o->timeout_ms : 60000));
        curl_easy_setopt (c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt (c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, eval_http_collect);
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
            snprintf (r->response_format, sizeof r->response_format, "%s",
                      level == 0 ? "json_schema" : level == 1 ? "json_object" : "none");
            json_decref (j);
            json_decref (req);
            free (b.data);
            free (body);
            return;
        }
        if (rc == CURLE_OK && status == 400 && level < 2 && b.data && strstr (b.data, "response_format")) {
            /* The server does not take this response_format: one level down,
             * not counted as an attempt. */
            json_object_del (req, "response_format");
            rf = s_response_format (++level);
            if (rf)
                json_object_set_new (req, "response_format", rf);
            free (body);
            body = json_dumps (req, JSON_COMPACT);
            free (b.data);
            attempt--;
            continue;
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
    json_decref (req);
    free (body);
}
