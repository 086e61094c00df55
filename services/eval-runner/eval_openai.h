/* eval_openai - the OpenAI-compatible chat completion wire format, client
 * side: building the request body and reading one streamed chunk (or a whole
 * non-streamed reply) with jansson. Usage may come in a `choices: []` chunk
 * (OpenAI, MLX with include_usage) or in the chunk that carries
 * finish_reason and still has choices (llama-server); both are read. */
#ifndef EVAL_OPENAI_H
#define EVAL_OPENAI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *model;
    json_t *messages;        /* borrowed */
    long max_tokens;         /* 0: leave out */
    double temperature;      /* < 0: leave out */
    long seed;               /* < 0: leave out */
    bool stream;
    bool no_cache_prompt;    /* send "cache_prompt": false (llama-server) */
    bool no_thinking;        /* send "chat_template_kwargs": {"enable_thinking": false} */
} eval_openai_req_t;

/* The request body as a compact JSON string; free() it. */
char *eval_openai_request_body (const eval_openai_req_t *req);

typedef struct {
    json_t *root;            /* owned; the strings below point into it */
    const char *content;     /* delta.content (or message.content), NULL when absent */
    const char *reasoning;   /* delta.reasoning_content / delta.reasoning */
    bool tool_call;          /* delta.tool_calls with at least one element */
    const char *finish_reason;
    long completion_tokens;  /* usage, -1 when the chunk has none */
    long prompt_tokens;
    json_t *timings;         /* llama-server timings, borrowed from root */
    const char *error;       /* an {"error": ...} object's message */
    const char *model;       /* the chunk's "model", NULL when absent */
} eval_chunk_t;

/* Parses DATA (one SSE event's data, or a whole reply). Returns 0, or -1 with
 * ERR when it is not a JSON object of the expected shape. */
int eval_chunk_parse (const char *data, size_t len, eval_chunk_t *out, char *err, size_t errlen);
void eval_chunk_clear (eval_chunk_t *c);
/* True when the chunk carries a token (non-empty content, reasoning or a tool call). */
bool eval_chunk_has_token (const eval_chunk_t *c);

/* Chat-template tokens that must never reach an answer. */
bool eval_text_has_template_leak (const char *text);

#endif
