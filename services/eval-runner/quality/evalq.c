/* evalq - quality of one answer: format gate, deterministic verifier, action
 * safety, the LLM judge (judge-client on the bus), and the composite.
 *
 * Composite, version "v1" (written into every row):
 *   format failure (unparseable, leaked template token, truncated) -> 0
 *   otherwise the mean of the parts present:
 *     verifier   1 when every fact of the scenario is named, else 0
 *     action     1 when the action names a listed fix and no unsafe move, else 0
 *     judge      mean of (score - 1) / 4 over correctness, evidence, safety,
 *                only when the judge scored; "unparseable" and
 *                "judge_unavailable" leave it out (never a low score). */
#include "services/eval-runner/quality/evalq.h"
#include "services/eval-runner/quality/evalq_wer.h"
#include "services/eval-runner/quality/evalq_clean.h"
#include "bus/lab_config.h"
#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#define FACTS_MAX 8

typedef struct {
    char id[128];
    bool has_verify;
    char facts[FACTS_MAX][256];
    int nfacts;
    char action[512];
    char unsafe[512];
    bool audio;             /* scored by WER against REFERENCE */
    char *reference;
    double max_wer;
} s_scn_t;

static void
s_scn_destroy (s_scn_t **self_p)
{
    if (*self_p) {
        free ((*self_p)->reference);
        free (*self_p);
        *self_p = NULL;
    }
}

/* The whole of a small text file, trailing white space cut; NULL when it
 * cannot be read. */
static char *
s_slurp (const char *path)
{
    zchunk_t *chunk = zchunk_slurp (path, 65536);
    char *text = chunk ? zchunk_strdup (chunk) : NULL;
    zchunk_destroy (&chunk);
    size_t n = text ? strlen (text) : 0;
    while (n && (text[n - 1] == '\n' || text[n - 1] == ' ' || text[n - 1] == '\r'))
        text[--n] = 0;
    return text;
}

struct _evalq_t {
    zhashx_t *scenarios;       /* id -> s_scn_t* */
    bus_client_t *bus;
    char judge[64];
    bool defer_judge;          /* judge later (evalq_judge_row), not inside the timed loop */
};

static const char *const s_leaks[] = { "<|im_end|>", "<|im_start|>", "<|eot_id|>", "<|endoftext|>",
                                       "</s>", "[/INST]", "<end_of_turn>", NULL };

/* Case-insensitive: does TEXT contain one of the |-separated ALTERNATIVES? */
static bool
s_any (const char *text, const char *alternatives)
{
    char alt[512];
    snprintf (alt, sizeof alt, "%s", alternatives);
    for (char *save = NULL, *a = strtok_r (alt, "|", &save); a; a = strtok_r (NULL, "|", &save))
        if (*a && strcasestr (text, a))
            return true;
    return false;
}

static s_scn_t *
s_load_one (const char *dir, const char *name, char *err, size_t errlen)
{
    char path[1200];
    snprintf (path, sizeof path, "%s/%s/scenario.cfg", dir, name);
    lab_config_t *cfg = lab_config_load (path, err, errlen);
    if (!cfg)
        return NULL;
    s_scn_t *s = (s_scn_t *) calloc (1, sizeof (s_scn_t));
    snprintf (s->id, sizeof s->id, "%s", lab_config_get (cfg, "scenario/id", name));
    s->audio = !strcmp (lab_config_get (cfg, "scenario/kind", "triage"), "audio");
    zconfig_t *v = zconfig_locate (lab_config_root (cfg), "verify");
    if (v && s->audio) {
        const char *ref = zconfig_get (v, "reference", NULL), *ref_file = zconfig_get (v, "reference_file", NULL);
        char ref_path[1400];
        snprintf (ref_path, sizeof ref_path, "%s/%s/%s", dir, name, ref_file ? ref_file : "");
        s->reference = ref ? strdup (ref) : ref_file ? s_slurp (ref_path) : NULL;
        char *end = NULL;
        const char *mw = zconfig_get (v, "max_wer", "0.15");
        s->max_wer = strtod (mw, &end);
        if (!s->reference || !*s->reference || end == mw || *end || s->max_wer < 0 || s->max_wer > 1) {
            lab_config_error (cfg, v, err, errlen, !s->reference || !*s->reference
                ? "an audio scenario needs verify/reference or a readable, non-empty verify/reference_file"
                : "verify/max_wer must be a number from 0 to 1");
            lab_config_destroy (&cfg);
            s_scn_destroy (&s);
            return NULL;
        }
        s->has_verify = true;
    }
    else if (v) {
        s->has_verify = true;
        for (zconfig_t *c = zconfig_child (v); c; c = zconfig_next (c)) {
            const char *key = zconfig_name (c), *val = zconfig_value (c) ? zconfig_value (c) : "";
            if (!strncmp (key, "fact", 4) && s->nfacts < FACTS_MAX)
                snprintf (s->facts[s->nfacts++], 256, "%s", val);
            else if (!strcmp (key, "action"))
                snprintf (s->action, sizeof s->action, "%s", val);
            else if (!strcmp (key, "unsafe"))
                snprintf (s->unsafe, sizeof s->unsafe, "%s", val);
        }
    }
    lab_config_destroy (&cfg);
    return s;
}

evalq_t *
evalq_new (const char *scenarios_dir, bus_client_t *bus, const char *judge_service, char *err, size_t errlen)
{
    evalq_t *self = (evalq_t *) calloc (1, sizeof (evalq_t));
    self->scenarios = zhashx_new ();
    zhashx_set_destructor (self->scenarios, (zhashx_destructor_fn *) s_scn_destroy);
    self->bus = bus;
    snprintf (self->judge, sizeof self->judge, "%s", judge_service ? judge_service : "judge-client");
    DIR *d = scenarios_dir ? opendir (scenarios_dir) : NULL;
    struct dirent *e;
    while (d && (e = readdir (d))) {
        if (e->d_name[0] == '.')
            continue;
        char probe[1200];
        snprintf (probe, sizeof probe, "%s/%s/scenario.cfg", scenarios_dir, e->d_name);
        FILE *f = fopen (probe, "r");
        if (!f)
            continue;
        fclose (f);
        s_scn_t *s = s_load_one (scenarios_dir, e->d_name, err, errlen);
        if (!s) {
            closedir (d);
            evalq_destroy (&self);
            return NULL;
        }
        zhashx_update (self->scenarios, s->id, s);
    }
    if (d)
        closedir (d);
    return self;
}

void
evalq_destroy (evalq_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy (&(*self_p)->scenarios);
    free (*self_p);
    *self_p = NULL;
}

/* What every answer must pass, whatever its kind: no leaked template token,
 * not truncated. */
static int
s_gate (const char *completion, const char *finish_reason, char *cause, size_t causelen)
{
    for (int i = 0; s_leaks[i]; i++)
        if (completion && strstr (completion, s_leaks[i])) {
            snprintf (cause, causelen, "leaked template token %s", s_leaks[i]);
            return -1;
        }
    if (finish_reason && !strcmp (finish_reason, "length")) {
        snprintf (cause, causelen, "truncated (finish_reason=length)");
        return -1;
    }
    return 0;
}

int
evalq_format (const char *completion, const char *finish_reason, json_t **parsed, char *cause, size_t causelen)
{
    *parsed = NULL;
    if (s_gate (completion, finish_reason, cause, causelen))
        return -1;
    json_error_t e;
    json_t *j = completion ? json_loads (completion, JSON_REJECT_DUPLICATES, &e) : NULL;
    if (!json_is_object (j)) {
        snprintf (cause, causelen, "not a single JSON object");
        json_decref (j);
        return -1;
    }
    static const char *const keys[] = { "fault", "evidence", "action", "risk", NULL };
    for (int i = 0; keys[i]; i++) {
        json_t *v = json_object_get (j, keys[i]);
        if (!json_is_string (v) || !json_string_length (v)) {
            snprintf (cause, causelen, "missing or empty \"%s\"", keys[i]);
            json_decref (j);
            return -1;
        }
    }
    const char *risk = json_string_value (json_object_get (j, "risk"));
    if (strcmp (risk, "low") && strcmp (risk, "medium") && strcmp (risk, "high")) {
        snprintf (cause, causelen, "risk must be low, medium or high");
        json_decref (j);
        return -1;
    }
    *parsed = j;
    return 0;
}

/* Asks judge-client; fills the judge fields of ROW. Returns the normalised
 * score (0..1), or -1 when there is none (unparseable / unavailable). */
static double
s_judge (evalq_t *self, json_t *row, const char *scenario, const char *answer)
{
    if (!self->bus) {
        json_object_set_new (row, "judge_outcome", json_string ("judge_unavailable"));
        return -1;
    }
    Lab__JudgeRequest jr = LAB__JUDGE_REQUEST__INIT;
    jr.scenario = (char *) scenario;
    jr.answer = (char *) answer;
    jr.rubric = "correctness, evidence, safety of the proposed action; each 1-5";
    jr.row_id = (char *) json_string_value (json_object_get (row, "id"));
    if (!jr.row_id)
        jr.row_id = "";
    Lab__Envelope req = LAB__ENVELOPE__INIT;
    req.body_case = LAB__ENVELOPE__BODY_JUDGE_REQUEST;
    req.judge_request = &jr;
    Lab__Envelope *rep = NULL;
    int rc = bus_client_call_envelope (self->bus, self->judge, &req, 60000, &rep);
    double score = -1;
    if (rc != BUS_OK || !rep || rep->body_case != LAB__ENVELOPE__BODY_JUDGE_RESULT)
        json_object_set_new (row, "judge_outcome", json_string ("judge_unavailable"));
    else {
        Lab__JudgeResult *r = rep->judge_result;
        json_object_set_new (row, "judge_outcome", json_string (r->outcome));
        json_object_set_new (row, "judge_model", json_string (r->judge_model ? r->judge_model : ""));
        /* A judge grading its own model's answer is biased towards it: say so
         * in the row, so a summary can leave those scores out. */
        const char *model = json_string_value (json_object_get (row, "model"));
        json_object_set_new (row, "judge_self", json_boolean (model && r->judge_model && *r->judge_model
                                                              && !strcmp (model, r->judge_model)));
        if (!strcmp (r->outcome, "scored")) {
            json_object_set_new (row, "judge_correctness", json_real (r->correctness));
            json_object_set_new (row, "judge_evidence", json_real (r->evidence));
            json_object_set_new (row, "judge_safety", json_real (r->safety));
            json_object_set_new (row, "judge_reasoning", json_string (r->reasoning ? r->reasoning : ""));
            score = ((r->correctness - 1) + (r->evidence - 1) + (r->safety - 1)) / 12.0;
        }
    }
    if (rep)
        lab__envelope__free_unpacked (rep, NULL);
    return score;
}

/* The audio gate: the common one, then a transcript with at least one word. */
static int
s_audio_gate (const char *completion, const char *finish, char *cause, size_t causelen)
{
    if (s_gate (completion, finish, cause, causelen))
        return -1;
    char w[8];
    if (!completion || !evalq_wer_normalise (completion, w, sizeof w)) {
        snprintf (cause, causelen, "empty transcript");
        return -1;
    }
    return 0;
}

static int
s_score_audio (s_scn_t *s, json_t *row, const char *completion, const char *finish)
{
    char cause[160] = "";
    bool format_ok = s_audio_gate (completion, finish, cause, sizeof cause) == 0;
    json_object_set_new (row, "format_ok", json_boolean (format_ok));
    json_object_set_new (row, "format_cause", json_string (cause));
    json_object_set_new (row, "judge_outcome", json_string ("not_asked"));
    if (!format_ok) {
        json_object_set_new (row, "composite", json_real (0));
        json_object_set_new (row, "quality", json_sprintf ("format failure: %s", cause));
        return 0;
    }
    evalq_wer_t c = { 0 };
    if (evalq_wer_add (&c, s->reference, completion)) {
        json_object_set_new (row, "quality_error", json_string ("transcript too long to align"));
        return -1;
    }
    double wer = evalq_wer_rate (&c);
    json_object_set_new (row, "wer", json_real (wer));
    json_object_set_new (row, "wer_sub", json_integer ((json_int_t) c.sub));
    json_object_set_new (row, "wer_del", json_integer ((json_int_t) c.del));
    json_object_set_new (row, "wer_ins", json_integer ((json_int_t) c.ins));
    json_object_set_new (row, "wer_ref_words", json_integer ((json_int_t) c.ref_words));
    json_object_set_new (row, "wer_normalisation", json_string ("lower case, punctuation to spaces (evalq_wer.h)"));
    evalq_wer_t jd = { 0 };
    if (evalq_wer_add_mode (&jd, s->reference, completion, EVALQ_WER_JIWER_DEFAULT) == 0)
        json_object_set_new (row, "wer_jiwer_default", json_real (evalq_wer_rate (&jd)));
    json_object_set_new (row, "verifier_pass", json_boolean (wer <= s->max_wer));
    json_object_set_new (row, "composite", json_real (wer < 1 ? 1 - wer : 0));
    json_object_set_new (row, "quality", json_string ("scored by WER"));
    return 0;
}

static int s_score_answer (evalq_t *self, s_scn_t *s, json_t *row, const char *id, const char *completion,
                           const char *finish);
static void s_composite (json_t *row, bool facts, bool action, double judge);

/* What evalq_clean removed, into the row (the same rule on every backend). */
static void
s_record_clean (json_t *row, const evalq_clean_t *what)
{
    json_t *removed = json_array ();
    if (what->think)
        json_array_append_new (removed, json_string (what->think_unclosed ? "unclosed think block"
                                                                           : "think block"));
    if (what->fence)
        json_array_append_new (removed, json_string ("code fence"));
    json_object_set_new (row, "answer_removed", removed);
    const char *src = json_string_value (json_object_get (row, "reasoning")) ? "reasoning field"
                      : what->think                                         ? "think block in content"
                                                                            : "none";
    json_object_set_new (row, "reasoning_source", json_string (src));
}

int
evalq_score_row (evalq_t *self, json_t *row)
{
    json_object_set_new (row, "composite_version", json_string (EVALQ_COMPOSITE_VERSION));
    const char *outcome = json_string_value (json_object_get (row, "outcome"));
    if (!outcome || strcmp (outcome, "ok")) {
        json_object_set_new (row, "quality", json_string ("unscored: the request failed"));
        return 0;
    }
    const char *id = json_string_value (json_object_get (row, "scenario"));
    const char *raw = json_string_value (json_object_get (row, "completion"));
    const char *finish = json_string_value (json_object_get (row, "finish_reason"));
    s_scn_t *s = id ? (s_scn_t *) zhashx_lookup (self->scenarios, id) : NULL;
    if (!s || !s->has_verify) {
        json_object_set_new (row, "quality", json_string ("unscored: the scenario has no verify section"));
        return 0;
    }
    /* Template leaks are looked for in what the server sent; everything
     * else is judged on the answer inside it. */
    for (int i = 0; s_leaks[i]; i++)
        if (raw && strstr (raw, s_leaks[i])) {
            json_object_set_new (row, "format_ok", json_false ());
            json_object_set_new (row, "format_cause", json_sprintf ("leaked template token %s", s_leaks[i]));
            json_object_set_new (row, "composite", json_real (0));
            json_object_set_new (row, "quality", json_sprintf ("format failure: leaked template token %s", s_leaks[i]));
            json_object_set_new (row, "judge_outcome", json_string ("not_asked"));
            return 0;
        }
    evalq_clean_t what;
    char *completion = evalq_clean (raw, &what);
    s_record_clean (row, &what);
    json_object_set_new (row, "truncated", json_boolean (finish && !strcmp (finish, "length")));
    int rc = s_score_answer (self, s, row, id, completion, finish);
    free (completion);
    return rc;
}

static int
s_score_answer (evalq_t *self, s_scn_t *s, json_t *row, const char *id, const char *completion,
                const char *finish)
{
    if (s->audio)
        return s_score_audio (s, row, completion, finish);
    char cause[160] = "";
    json_t *ans = NULL;
    bool format_ok = evalq_format (completion, finish, &ans, cause, sizeof cause) == 0;
    json_object_set_new (row, "format_ok", json_boolean (format_ok));
    json_object_set_new (row, "format_cause", json_string (cause));
    if (!format_ok) {
        json_object_set_new (row, "composite", json_real (0));
        json_object_set_new (row, "quality", json_sprintf ("format failure: %s", cause));
        json_object_set_new (row, "judge_outcome", json_string ("not_asked"));
        return 0;
    }
    evalq_verdict_t v;
    evalq_verify_parsed (self, id, ans, &v);
    json_object_set_new (row, "verifier_pass", json_boolean (v.facts_ok));
    json_object_set_new (row, "action_ok", json_boolean (v.action_ok));
    json_object_set_new (row, "action_safe", json_boolean (v.action_safe));
    double judge = -1;
    if (self->defer_judge)
        json_object_set_new (row, "judge_outcome", json_string ("pending"));
    else
        judge = s_judge (self, row, id, completion);
    s_composite (row, v.facts_ok, v.action_ok && v.action_safe, judge);
    json_decref (ans);
    return 0;
}

/* The composite of the parts present (the judge's only when it scored). */
static void
s_composite (json_t *row, bool facts, bool action, double judge)
{
    double sum = (facts ? 1 : 0) + (action ? 1 : 0);
    int parts = 2;
    if (judge >= 0) {
        sum += judge;
        parts++;
    }
    const char *jo = json_string_value (json_object_get (row, "judge_outcome"));
    json_object_set_new (row, "composite", json_real (sum / parts));
    json_object_set_new (row, "quality", json_string (judge >= 0                     ? "scored"
                                                      : jo && !strcmp (jo, "pending") ? "scored; judge pending"
                                                                                      : "scored without the judge"));
}

void
evalq_defer_judge (evalq_t *self, bool defer)
{
    self->defer_judge = defer;
}

int
evalq_judge_row (evalq_t *self, json_t *row)
{
    const char *jo = json_string_value (json_object_get (row, "judge_outcome"));
    const char *id = json_string_value (json_object_get (row, "scenario"));
    if (!jo || strcmp (jo, "pending") || !id)
        return 0;
    evalq_clean_t what;
    char *answer = evalq_clean (json_string_value (json_object_get (row, "completion")), &what);
    double judge = s_judge (self, row, id, answer ? answer : "");
    free (answer);
    s_composite (row, json_is_true (json_object_get (row, "verifier_pass")),
                 json_is_true (json_object_get (row, "action_ok")) && json_is_true (json_object_get (row, "action_safe")),
                 judge);
    return 1;
}

int
evalq_verify_parsed (evalq_t *self, const char *scenario, json_t *ans, evalq_verdict_t *v)
{
    memset (v, 0, sizeof *v);
    s_scn_t *s = scenario ? (s_scn_t *) zhashx_lookup (self->scenarios, scenario) : NULL;
    if (!s || !s->has_verify)
        return -1;
    char text[8192];
    snprintf (text, sizeof text, "%s\n%s", json_string_value (json_object_get (ans, "fault")),
              json_string_value (json_object_get (ans, "evidence")));
    v->facts_ok = true;
    for (int i = 0; i < s->nfacts; i++)
        if (!s_any (text, s->facts[i])) {
            v->facts_ok = false;
            snprintf (v->missing, sizeof v->missing, "%s", s->facts[i]);
            break;
        }
    const char *action = json_string_value (json_object_get (ans, "action"));
    v->action_ok = s->action[0] ? s_any (action, s->action) : true;
    v->action_safe = !(s->unsafe[0] && s_any (action, s->unsafe));
    return 0;
}

int
evalq_verify_text (evalq_t *self, const char *scenario, const char *completion, const char *finish_reason,
                   evalq_verdict_t *v, char *cause, size_t causelen)
{
    json_t *ans = NULL;
    memset (v, 0, sizeof *v);
    s_scn_t *s = scenario ? (s_scn_t *) zhashx_lookup (self->scenarios, scenario) : NULL;
    if (s && s->audio) {
        if (s_audio_gate (completion, finish_reason, cause, causelen))
            return -1;
        evalq_wer_t c = { 0 };
        if (evalq_wer_add (&c, s->reference, completion)) {
            snprintf (cause, causelen, "transcript too long to align");
            return -1;
        }
        v->format_ok = true;
        v->facts_ok = evalq_wer_rate (&c) <= s->max_wer;
        if (!v->facts_ok)
            snprintf (v->missing, sizeof v->missing, "WER %.3f above %.3f", evalq_wer_rate (&c), s->max_wer);
        v->action_ok = v->action_safe = true;
        return 0;
    }
    if (evalq_format (completion, finish_reason, &ans, cause, causelen))
        return -1;
    v->format_ok = true;
    int rc = evalq_verify_parsed (self, scenario, ans, v);
    v->format_ok = true;
    json_decref (ans);
    return rc;
}

size_t
evalq_scenario_count (evalq_t *self)
{
    return zhashx_size (self->scenarios);
}
