/* labsim_llm - the simulated OpenAI-compatible LLM server's models: their
 * configuration (time to first token, token rate, answer profile, faults),
 * the scenario pack whose canned answers they give, and the deterministic
 * choices made per request. labsim_llm.c serves them over HTTP.
 *
 * Config (the lab config, section labsim-llm):
 *   labsim-llm
 *       scenarios = "eval/scenarios"
 *       <backend>
 *           load_time = "300ms"     /health says 503 this long after start
 *           style = "llamacpp"      llamacpp: usage + timings in the finish
 *                                   chunk, /props; openai: usage in a
 *                                   choices:[] chunk, no /props; litellm:
 *                                   openai plus /health/readiness; vllm:
 *                                   openai plus /version
 *           prefix_cache = "on"     a repeated prompt gets a tenth of the TTFT
 *                                   (default on for style vllm; off else)
 *           api_key = "sk-..."      a LiteLLM proxy's master key: every
 *                                   endpoint but /health/liveliness and
 *                                   /health/readiness answers 401 without
 *                                   "Authorization: Bearer <key>" (LiteLLM
 *                                   proxy/auth/user_api_key_auth.py; the
 *                                   error's code is a string)
 *           build = "b5000-sim"     chat_template = "chatml"
 *           memory = "16M"          touched at start (peak RSS differs)
 *           models
 *               <model>
 *                   ttft = "50ms"   token_rate = 100 (tokens/s)
 *                   answers = "good=8 bad=1 symptom=1"
 *                   answers_audio = "symptom=1"   per kind (audio, image)
 *                   fault = "none"  500|hang|stream_cut|malformed_json|
 *                                   ping|im_end|length|error_line|error_event|
 *                                   error_line_early|error_event_early|json_reply
 *                   fault_rate = 1  share of requests that get it
 *                   role = "judge"  answers with a rubric JSON
 *                   unparseable = 0.1   share of judge replies that are not JSON
 *                                   (none when a response_format constrains them)
 *                   response_format = "schema"  schema: json_schema and
 *                                   json_object honoured as grammars (llama-server,
 *                                   vLLM); object: json_object only, json_schema
 *                                   answers 400; ignored: the field is ignored
 *                                   (mlx_lm.server) */
#ifndef LABSIM_LLM_H
#define LABSIM_LLM_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "bus/lab_config.h"
#include "services/eval-runner/eval_scenario.h"

typedef enum {
    LLM_FAULT_NONE = 0,
    LLM_FAULT_500,
    LLM_FAULT_HANG,
    LLM_FAULT_STREAM_CUT,
    LLM_FAULT_MALFORMED,
    LLM_FAULT_PING,
    LLM_FAULT_IM_END,
    LLM_FAULT_LENGTH,
    /* llama-server's two mid-stream error forms (ANCHORS; sources below),
     * half-way through the answer or before its first token:
     *   error_line   older builds (b4xxx-b6xxx, examples/server/utils.hpp
     *                server_sent_event(sink, "error", error_data)): an SSE
     *                line `error: {"code":500,"message":...,"type":...}`,
     *                then `data: [DONE]`
     *   error_event  current builds (tools/server/server.cpp,
     *                format_oai_sse(json {{"error", res_json}})): `data:
     *                {"error": {...}}`, then the stream ends, no [DONE] */
    LLM_FAULT_ERROR_LINE,
    LLM_FAULT_ERROR_EVENT,
    LLM_FAULT_ERROR_LINE_EARLY,
    LLM_FAULT_ERROR_EVENT_EARLY,
    /* a server that ignores "stream": a whole application/json reply */
    LLM_FAULT_JSON_REPLY,
    LLM_FAULT_COUNT
} llm_fault_t;

/* "500", "hang", ... -> fault; -1 when unknown. */
int llm_fault_parse (const char *name);
const char *llm_fault_name (llm_fault_t f);

typedef struct {
    char name[96];
    /* The model its chunks and replies name: its own name, or (chunk_model)
     * another one, as a LiteLLM proxy reports the deployment an alias was
     * routed to, or a server that loaded something else than was asked. */
    char chunk_model[96];
    double ttft_ms;
    double token_rate;       /* tokens per second */
    double w_good, w_bad, w_symptom;
    /* per scenario kind (answers_audio, answers_image): a backend bug that
     * hits one modality, like every audio clip getting the same canned
     * hallucination; has_* false = use the general weights */
    bool has_audio, has_image;
    double wa_good, wa_bad, wa_symptom, wi_good, wi_bad, wi_symptom;
    llm_fault_t fault;       /* configured */
    double fault_rate;
    bool judge;
    double unparseable;
    int rf_support;          /* response_format: 2 json_schema + json_object, 1 json_object, 0 ignored */
    /* run-time fault (POST /sim/fault): applies to the next rt_count requests
     * (-1: until cleared); guarded by the server's lock */
    llm_fault_t rt_fault;
    long rt_count;
    uint64_t requests;
} llm_model_t;

typedef struct {
    char backend[64];
    bool llamacpp_style;
    bool litellm_style;      /* /health/readiness with litellm_version */
    bool vllm_style;         /* /version; prefix caching on by default */
    /* Prompt caching as servers do by default (vLLM's automatic prefix
     * caching, llama-server's cache_prompt, MLX's prompt cache): a request
     * whose messages were seen before gets a tenth of the TTFT. Whole
     * prompts only: partial prefix hits are not modelled. llama-server
     * style honours "cache_prompt": false. Guarded by LOCK. */
    bool prefix_cache;
    uint64_t seen[256];
    size_t nseen;
    uint64_t cache_hits;
    char api_key[128];       /* "": none; else a LiteLLM master key (401 without it) */
    char build[64];
    char chat_template[64];
    long load_time_ms;
    long memory_bytes;
    llm_model_t *models;
    size_t nmodels;
    eval_pack_t *pack;       /* may be NULL: every request gets filler text */
    pthread_mutex_t lock;
} llm_sim_t;

/* Loads the backend's section. Returns 0 or -1 with a file:line error. */
int llm_sim_load (llm_sim_t *sim, lab_config_t *cfg, const char *backend,
                  const char *scenarios_override, char *err, size_t errlen);
void llm_sim_free (llm_sim_t *sim);
llm_model_t *llm_sim_model (llm_sim_t *sim, const char *name);

/* What one request gets: the answer text split into tokens, the fault to
 * apply, and the finish reason. */
typedef struct {
    char **tokens;
    size_t ntokens;
    llm_fault_t fault;
    const char *finish_reason;   /* "stop" or "length" */
    const char *scenario;        /* matched scenario id or NULL */
    const char *answer_kind;     /* good, bad, symptom, judge, filler */
    bool cache_hit;              /* the prompt was cached: TTFT / 10 */
} llm_plan_t;

/* Decides the answer for REQUEST (the parsed body) to MODEL. Deterministic
 * in the request's content, except for run-time faults, which are consumed. */
int llm_sim_plan (llm_sim_t *sim, llm_model_t *model, json_t *request, llm_plan_t *out);
void llm_plan_free (llm_plan_t *p);

/* Whether MODEL takes REQUEST's response_format: 0 (and *CONSTRAINED when
 * it turns into a grammar), -1 when the server answers 400. */
int llm_response_format_check (const llm_model_t *m, json_t *request, bool *constrained);

/* FNV-1a 64 of a string, the seed of every deterministic choice. */
uint64_t llm_hash (const char *s, uint64_t h);

#endif
