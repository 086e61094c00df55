/* eval_server - kind, version and models of a running backend; see the header. */
#include "services/eval-runner/eval_server.h"
#include "services/eval-runner/eval_backend.h"
#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a 64: the chat template's fingerprint (the same value rows always had). */
static uint64_t
s_fnv (const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; s && *s; s++) {
        h ^= (unsigned char) *s;
        h *= 1099511628211ull;
    }
    return h;
}

/* GET ROOT PATH as JSON (NULL when not 200 or not JSON). */
static json_t *
s_get (eval_server_t *s, const char *path)
{
    char url[400], *body = NULL;
    snprintf (url, sizeof url, "%s%s", s->root, path);
    long code = eval_http_get_auth (url, s->key, 2000, &body);
    json_t *j = code == 200 ? json_loads (body ? body : "", 0, NULL) : NULL;
    free (body);
    if (j && !json_is_object (j)) {
        json_decref (j);
        j = NULL;
    }
    return j;
}

static void
s_kind (eval_server_t *s)
{
    json_t *j = s_get (s, "/props");
    if (j) {
        const char *tmpl = json_string_value (json_object_get (j, "chat_template"));
        const char *build = json_string_value (json_object_get (j, "build_info"));
        snprintf (s->kind, sizeof s->kind, "llama-server");
        snprintf (s->version, sizeof s->version, "%s", build ? build : "unknown (no build_info in /props)");
        if (tmpl)
            snprintf (s->template_hash, sizeof s->template_hash, "%016llx", (unsigned long long) s_fnv (tmpl));
        s->supports_cache_prompt = true;
        json_decref (j);
        return;
    }
    if ((j = s_get (s, "/version")) && json_string_value (json_object_get (j, "version"))) {
        snprintf (s->kind, sizeof s->kind, "vllm");
        snprintf (s->version, sizeof s->version, "%s", json_string_value (json_object_get (j, "version")));
        json_decref (j);
        return;
    }
    json_decref (j);
    if ((j = s_get (s, "/health/readiness")) && json_string_value (json_object_get (j, "litellm_version"))) {
        snprintf (s->kind, sizeof s->kind, "litellm");
        snprintf (s->version, sizeof s->version, "%s",
                  json_string_value (json_object_get (j, "litellm_version")));
        json_decref (j);
        return;
    }
    json_decref (j);
    snprintf (s->kind, sizeof s->kind, "openai-compatible");
    snprintf (s->version, sizeof s->version, "unknown (no version endpoint)");
}

static void
s_models (eval_server_t *s)
{
    json_t *j = s_get (s, "/v1/models");
    size_t i;
    json_t *m;
    json_array_foreach (json_object_get (j, "data"), i, m) {
        const char *id = json_string_value (json_object_get (m, "id"));
        size_t len = strlen (s->models);
        if (id && len + strlen (id) + 2 < sizeof s->models)
            snprintf (s->models + len, sizeof s->models - len, "%s%s", len ? " " : "", id);
    }
    json_decref (j);
}

void
eval_server_probe (eval_server_t *s, const char *root, const char *key)
{
    memset (s, 0, sizeof *s);
    snprintf (s->root, sizeof s->root, "%s", root);
    snprintf (s->key, sizeof s->key, "%s", key ? key : "");
    s_kind (s);
    s_models (s);
    s->curl = curl_easy_init ();
}

void
eval_server_close (eval_server_t *s)
{
    if (s->curl)
        curl_easy_cleanup ((CURL *) s->curl);
    s->curl = NULL;
    memset (s->key, 0, sizeof s->key);
}

/* Case-insensitive: does HAY contain NEEDLE? */
static bool
s_contains (const char *hay, const char *needle)
{
    size_t n = strlen (needle);
    if (!n)
        return false;
    for (; *hay; hay++)
        if (!strncasecmp (hay, needle, n))
            return true;
    return false;
}

bool
eval_model_matches (const char *model, const char *name)
{
    return model && name && (s_contains (name, model) || s_contains (model, name));
}

bool
eval_server_serves (const eval_server_t *s, const char *model, char *why, size_t whylen)
{
    if (!s->models[0]) {
        snprintf (why, whylen, "not checked (no /v1/models)");
        return true;
    }
    char list[512];
    snprintf (list, sizeof list, "%s", s->models);
    for (char *save = NULL, *id = strtok_r (list, " ", &save); id; id = strtok_r (NULL, " ", &save))
        if (eval_model_matches (model, id)) {
            snprintf (why, whylen, "served: %s", id);
            return true;
        }
    snprintf (why, whylen, "wrong model served: the backend lists %s, the plan wants %s", s->models, model);
    return false;
}
