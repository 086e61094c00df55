/* eval_server - what eval-runner learns about a running backend server
 * before it measures it: which kind of server it is and its version, the
 * models it says it serves, and the keep-alive connection the cohort's
 * requests share.
 *
 * Kind and version, tried in this order (each answered with the API key):
 *   llama-server   GET /props: build_info, chat_template, model_path
 *   vLLM           GET /version: {"version": "0.x"}
 *   LiteLLM proxy  GET /health/readiness: litellm_version
 *   otherwise      "openai-compatible", version "unknown" (mlx_lm.server
 *                  and most MLX servers expose none; the HTTP Server
 *                  header is kept when there is one)
 * Served models: GET /v1/models ids. A plan's model matches an id when one
 * contains the other, ignoring case (llama-server lists its GGUF file name
 * or --alias, LiteLLM "provider/name"). */
#ifndef EVAL_SERVER_H
#define EVAL_SERVER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char root[256];            /* base URL without /v1 */
    char key[512];             /* API key, "" for none; never logged */
    char kind[32];             /* llama-server, vllm, litellm, openai-compatible */
    char version[128];
    char template_hash[32];
    char models[512];          /* /v1/models ids, space-separated; "" when not listed */
    bool supports_cache_prompt;
    void *curl;                /* keep-alive handle for the cohort's requests */
} eval_server_t;

/* Probes ROOT (with KEY, may be NULL): fills S. Never fails: what cannot be
 * learnt stays "unknown" / "". */
void eval_server_probe (eval_server_t *s, const char *root, const char *key);
/* Frees the connection and wipes the key. */
void eval_server_close (eval_server_t *s);

/* Whether MODEL is among the listed models (true when none were listed:
 * nothing to check against). Writes what was seen into WHY. */
bool eval_server_serves (const eval_server_t *s, const char *model, char *why, size_t whylen);
/* Whether a chunk's NAME matches MODEL by the same rule. */
bool eval_model_matches (const char *model, const char *name);

#endif
