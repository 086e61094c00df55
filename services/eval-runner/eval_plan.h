/* eval_plan - an evaluation plan (ZPL):
 *   plan
 *       name = "demo"                sweep id: rows, state.eval.<name>
 *       scenarios = "eval/scenarios" the scenario pack
 *       output = "var/eval/demo"     rows.jsonl, rows.csv, summary.md/json
 *       warmup = 1                   requests per cohort, discarded
 *       max_tokens = 256   temperature = 0   seed = 42
 *       timeout = "30s"              idle limit: no byte for this long = hung
 *       deadline = "10m"             whole request, however steady
 *       thinking = "off"             chat_template_kwargs {enable_thinking: false} (default: the model's)
 *       retries = 2   backoff = "250ms"   (transport errors, doubled each time)
 *       start_timeout = "60s"        backend health wait
 *   backends                         names from the lab config's backends
 *       sim-llamacpp
 *           models = "qwen3-8b gemma3-4b"
 *           audio = "transcriptions"   audio scenarios as multipart uploads to
 *                                      /v1/audio/transcriptions (Whisper-class
 *                                      servers); default "chat" (input_audio)
 *   pairs                            matched pairs: same family, two backends,
 *       qwen3-8b = "sim-llamacpp/qwen3-8b sim-mlx/qwen3-8b"   current first, then the candidate
 *   buckets                          default: quality, 1 repetition
 *       quality
 *           repetitions = 1
 *       throughput
 *           repetitions = 3
 *           scenarios = "t01 t02"    optional subset
 *           limit = 2                or only the first N scenarios (by id)
 * Cohorts are backend x model, in file order, named "backend/model". */
#ifndef EVAL_PLAN_H
#define EVAL_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#define EVAL_NAME_MAX 96

typedef struct {
    char name[2 * EVAL_NAME_MAX];
    char backend[EVAL_NAME_MAX];
    char model[EVAL_NAME_MAX];
    char pair[EVAL_NAME_MAX];       /* "" when in no pair */
    int pair_role;                  /* 0: first of its pair (current), 1: candidate */
    bool audio_transcriptions;      /* audio scenarios through /v1/audio/transcriptions */
} eval_cohort_t;

typedef struct {
    char name[32];
    long repetitions;
    char scenarios[1024];           /* "" = all */
    long limit;                     /* 0 = no limit */
} eval_bucket_t;

typedef struct {
    char path[1024];
    char name[EVAL_NAME_MAX];
    char scenarios[1024];
    char output[1024];
    long warmup;
    long max_tokens;
    double temperature;
    long seed;
    long timeout_ms;                /* idle limit */
    long deadline_ms;               /* whole request */
    bool no_thinking;               /* thinking = "off": chat_template_kwargs enable_thinking false */
    long retries;
    long backoff_ms;
    long start_timeout_ms;
    eval_cohort_t *cohorts;
    size_t ncohorts;
    eval_bucket_t buckets[8];
    size_t nbuckets;
} eval_plan_t;

/* Loads PATH; errors are "file:line: ...". */
int eval_plan_load (eval_plan_t *plan, const char *path, char *err, size_t errlen);
void eval_plan_free (eval_plan_t *plan);
/* True when scenario ID, the INDEX-th of the pack (sorted by id), belongs to BUCKET. */
bool eval_bucket_has (const eval_bucket_t *bucket, const char *id, size_t index);

#endif
