/* judge - LLM-as-judge over an OpenAI-compatible endpoint: the rubric in,
 * three 1-5 scores and the judge's reasoning out, at temperature 0. The
 * request asks for JSON through response_format (a json_schema, else
 * json_object, else nothing, stepping down when the server answers 400 to
 * the field). The reply is read tolerantly: <think> blocks and a code fence
 * are removed, prose before or after the object is skipped, extra keys are
 * ignored, a score may be 4 or 4.0. A reply with no such object is
 * "unparseable", and an endpoint that does not answer (after retries with
 * backoff) is "judge_unavailable". Neither is ever a low score. */
#ifndef JUDGE_H
#define JUDGE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char outcome[24];          /* scored, unparseable, judge_unavailable */
    int correctness, evidence, safety;
    char reasoning[1024];
    char error[256];
    int attempts;
    char response_format[16];  /* what the server took: json_schema, json_object, none */
} judge_result_t;

typedef struct {
    const char *base_url;      /* e.g. http://127.0.0.1:28433 */
    const char *model;
    int timeout_ms;
    int retries;               /* transport errors and 5xx are retried */
    int backoff_ms;            /* first delay, doubled each time */
} judge_opts_t;

/* {"correctness":1-5,"evidence":1-5,"safety":1-5,"reasoning":"..."} inside
 * CONTENT (see above); 0 when scored, -1 when unparseable. */
int judge_parse (const char *content, judge_result_t *r);
void judge_ask (const judge_opts_t *o, const char *scenario_text, const char *answer, const char *rubric,
                judge_result_t *r);

#endif
