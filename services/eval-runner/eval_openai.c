/* eval_openai - request bodies and chunk parsing; see eval_openai.h. */
#include "services/eval-runner/eval_openai.h"
#include <string.h>

char *
eval_openai_request_body (const eval_openai_req_t *req)
{
    json_t *body = json_object ();
    json_object_set_new (body, "model", json_string (req->model ? req->model : ""));
    json_object_set (body, "messages", req->messages ? req->messages : json_array ());
    if (req->max_tokens > 0)
        json_object_set_new (body, "max_tokens", json_integer (req->max_tokens));
    if (req->temperature >= 0)
        json_object_set_new (body, "temperature", json_real (req->temperature));
    if (req->seed >= 0)
        json_object_set_new (body, "seed", json_integer (req->seed));
    json_object_set_new (body, "stream", json_boolean (req->stream));
    if (req->stream)
        json_object_set_new (body, "stream_options", json_pack ("{s:b}", "include_usage", 1));
    if (req->no_cache_prompt)
        json_object_set_new (body, "cache_prompt", json_false ());
    /* Qwen3-style templates read it (llama-server --jinja, vLLM; LiteLLM
     * passes it on): no thinking, so the token budget is the answer's. */
    if (req->no_thinking)
        json_object_set_new (body, "chat_template_kwargs", json_pack ("{s:b}", "enable_thinking", 0));
    char *s = json_dumps (body, JSON_COMPACT);
    json_decref (body);
    return s;
}

static long
s_int (json_t *obj, const char *key)
{
    json_t *v = json_object_get (obj, key);
    if (json_is_integer (v))
        return (long) json_integer_value (v);
    if (json_is_real (v))
        return (long) json_real_value (v);
    return -1;
}

int
eval_chunk_parse (const char *data, size_t len, eval_chunk_t *out, char *err, size_t errlen)
{
    memset (out, 0, sizeof *out);
    out->completion_tokens = out->prompt_tokens = -1;
    json_error_t jerr;
    out->root = json_loadb (data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!out->root) {
        snprintf (err, errlen, "invalid JSON at %d: %s", jerr.position, jerr.text);
        return -1;
    }
    if (!json_is_object (out->root)) {
        snprintf (err, errlen, "chunk is not a JSON object");
        eval_chunk_clear (out);
        return -1;
    }
    json_t *error = json_object_get (out->root, "error");
    if (error) {
        const char *m = json_string_value (json_object_get (error, "message"));
        out->error = m ? m : json_is_string (error) ? json_string_value (error) : "error";
        return 0;
    }
    out->model = json_string_value (json_object_get (out->root, "model"));
    json_t *choices = json_object_get (out->root, "choices");
    if (choices && !json_is_array (choices)) {
        snprintf (err, errlen, "choices is not an array");
        eval_chunk_clear (out);
        return -1;
    }
    json_t *c0 = json_array_get (choices, 0);
    if (c0) {
        if (!json_is_object (c0)) {
            snprintf (err, errlen, "choices[0] is not an object");
            eval_chunk_clear (out);
            return -1;
        }
        json_t *delta = json_object_get (c0, "delta");
        if (!delta)
            delta = json_object_get (c0, "message");
        if (delta && json_is_object (delta)) {
            out->content = json_string_value (json_object_get (delta, "content"));
            out->reasoning = json_string_value (json_object_get (delta, "reasoning_content"));
            if (!out->reasoning)
                out->reasoning = json_string_value (json_object_get (delta, "reasoning"));
            json_t *tc = json_object_get (delta, "tool_calls");
            out->tool_call = json_is_array (tc) && json_array_size (tc) > 0;
        }
        out->finish_reason = json_string_value (json_object_get (c0, "finish_reason"));
    }
    json_t *usage = json_object_get (out->root, "usage");
    if (json_is_object (usage)) {
        out->completion_tokens = s_int (usage, "completion_tokens");
        out->prompt_tokens = s_int (usage, "prompt_tokens");
    }
    json_t *timings = json_object_get (out->root, "timings");
    if (json_is_object (timings))
        out->timings = timings;
    return 0;
}

void
eval_chunk_clear (eval_chunk_t *c)
{
    json_decref (c->root);
    memset (c, 0, sizeof *c);
    c->completion_tokens = c->prompt_tokens = -1;
}

bool
eval_chunk_has_token (const eval_chunk_t *c)
{
    return (c->content && *c->content) || (c->reasoning && *c->reasoning) || c->tool_call;
}

bool
eval_text_has_template_leak (const char *text)
{
    static const char *const tokens[] = { "<|im_end|>", "<|im_start|>", "<|eot_id|>",
                                          "<|channel|>", "<|end|>", "<|endoftext|>",
                                          "<end_of_turn>", NULL };
    if (!text)
        return false;
    for (int i = 0; tokens[i]; i++)
        if (strstr (text, tokens[i]))
            return true;
    return false;
}
