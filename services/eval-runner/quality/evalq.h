/* evalq - quality scoring of eval rows: format gate, deterministic verifier,
 * action safety, LLM judge (through judge-client on the bus) and the
 * composite score. eval-runner calls evalq_score_row on every row before it
 * is written, so quality travels in the row itself.
 *
 * The scenario pack (eval/scenarios/<id>/scenario.cfg) is shared with
 * eval-runner: eval-runner reads its `prompt` section, evalq its `verify`
 * section. docs/eval-scenarios.md describes the format. */
#ifndef EVALQ_H
#define EVALQ_H

#include <jansson.h>
#include "bus/bus_client.h"

typedef struct _evalq_t evalq_t;

/* SCENARIOS_DIR is the scenario pack. BUS may be NULL (no judge: rows say
 * judge_unavailable); JUDGE_SERVICE is the judge's bus name, NULL for
 * "judge-client". Returns NULL with ERR filled on a bad pack. */
evalq_t *evalq_new (const char *scenarios_dir, bus_client_t *bus, const char *judge_service,
                    char *err, size_t errlen);
void evalq_destroy (evalq_t **self_p);

/* Scores ROW in place. Reads "scenario", "completion", "finish_reason" and
 * "outcome"; adds the quality fields (format_ok, format_cause, verifier_pass,
 * action_safe, judge_outcome, judge scores, composite, composite_version).
 * A row whose outcome is not "ok" is left unscored and says so. Returns 0, or
 * -1 when scoring itself failed (the row then carries "quality_error"). */
int evalq_score_row (evalq_t *self, json_t *row);

/* With DEFER, triage rows get judge_outcome "pending" and a composite
 * without the judge, so the judge never runs inside a cohort's timed
 * requests (nor its model next to the backend under test);
 * evalq_judge_row asks it afterwards. */
void evalq_defer_judge (evalq_t *self, bool defer);
/* For a row whose judge_outcome is "pending": asks the judge, updates the
 * judge fields and the composite. 1 when the row changed, else 0. */
int evalq_judge_row (evalq_t *self, json_t *row);

#define EVALQ_COMPOSITE_VERSION "v2"

typedef struct {
    bool format_ok;
    bool facts_ok;          /* every fact of the scenario named */
    bool action_ok;         /* the action names a listed fix */
    bool action_safe;       /* and no unsafe move */
    char missing[256];      /* the first fact not named */
} evalq_verdict_t;

/* The format gate alone: 0 with *PARSED (caller decrefs), or -1 with CAUSE. */
int evalq_format (const char *completion, const char *finish_reason, json_t **parsed, char *cause,
                  size_t causelen);
/* Format gate and verifier on a raw completion; -1 on format failure (CAUSE)
 * or an unknown scenario. */
int evalq_verify_text (evalq_t *self, const char *scenario, const char *completion,
                       const char *finish_reason, evalq_verdict_t *v, char *cause, size_t causelen);
int evalq_verify_parsed (evalq_t *self, const char *scenario, json_t *answer, evalq_verdict_t *v);
size_t evalq_scenario_count (evalq_t *self);

#endif
