/* labsim_llm_model - models of the simulated LLM server: config, answers and
 * faults; see labsim_llm.h. */
#include "services/labsim/labsim_llm.h"
#include <czmq.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const s_fault_names[] = { "none", "500", "hang", "stream_cut", "malformed_json",
                                             "ping", "im_end", "length", "error_line", "error_event",
                                             "error_line_early", "error_event_early", "json_reply", NULL };

int
llm_fault_parse (const char *name)
{
    if (!name || !*name)
        return LLM_FAULT_NONE;
    for (int i = 0; s_fault_names[i]; i++)
        if (!strcmp (name, s_fault_names[i]))
            return i;
    return -1;
}

const char *
llm_fault_name (llm_fault_t f)
{
    return (int) f >= 0 && f < LLM_FAULT_COUNT ? s_fault_names[f] : "?";
}

uint64_t
llm_hash (const char *s, uint64_t h)
{
    if (!h)
        h = 1469598103934665603ull;
    for (; s && *s; s++) {
        h ^= (unsigned char) *s;
        h *= 1099511628211ull;
    }
    return h;
}

/* "good=8 bad=1 symptom=1" into G, B, S */
static int
s_parse_weights (const char *spec, double *g, double *b, double *sy)
{
    *g = *b = *sy = 0;
    char *copy = strdup (spec), *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r (copy, " ,", &save); tok; tok = strtok_r (NULL, " ,", &save)) {
        char *eq = strchr (tok, '=');
        double w = eq ? atof (eq + 1) : 1;
        if (eq)
            *eq = 0;
        if (w < 0)
            rc = -1;
        else if (!strcmp (tok, "good"))
            *g = w;
        else if (!strcmp (tok, "bad"))
            *b = w;
        else if (!strcmp (tok, "symptom"))
            *sy = w;
        else
            rc = -1;
    }
    free (copy);
    if (*g + *b + *sy <= 0)
        rc = -1;
    return rc;
}

static int
s_load_model (lab_config_t *cfg, zconfig_t *node, llm_model_t *m, char *err, size_t errlen)
{
    static const char *const keys[] = { "ttft", "token_rate", "answers", "answers_audio",
                                        "answers_image", "fault", "fault_rate", "role",
                                        "unparseable", "response_format", "chunk_model", NULL };
    memset (m, 0, sizeof *m);
    snprintf (m->name, sizeof m->name, "%s", zconfig_name (node));
    snprintf (m->chunk_model, sizeof m->chunk_model, "%s", zconfig_get (node, "chunk_model", m->name));
    long ttft = 50;
    if (lab_config_known_keys (cfg, node, keys, err, errlen)
        || lab_config_duration_ms (cfg, node, "ttft", 50, &ttft, err, errlen)
        || lab_config_double (cfg, node, "token_rate", 100, 0.1, 1e6, &m->token_rate, err, errlen)
        || lab_config_double (cfg, node, "fault_rate", 1, 0, 1, &m->fault_rate, err, errlen)
        || lab_config_double (cfg, node, "unparseable", 0, 0, 1, &m->unparseable, err, errlen))
        return -1;
    m->ttft_ms = (double) ttft;
    const char *answers = zconfig_get (node, "answers", "good=1");
    if (s_parse_weights (answers, &m->w_good, &m->w_bad, &m->w_symptom))
        return lab_config_error (cfg, zconfig_locate (node, "answers"), err, errlen,
                                 "answers must look like \"good=8 bad=1 symptom=1\"");
    zconfig_t *aa = zconfig_locate (node, "answers_audio"), *ai = zconfig_locate (node, "answers_image");
    if (aa && (m->has_audio = true)
        && s_parse_weights (zconfig_value (aa), &m->wa_good, &m->wa_bad, &m->wa_symptom))
        return lab_config_error (cfg, aa, err, errlen, "answers_audio must look like \"symptom=1\"");
    if (ai && (m->has_image = true)
        && s_parse_weights (zconfig_value (ai), &m->wi_good, &m->wi_bad, &m->wi_symptom))
        return lab_config_error (cfg, ai, err, errlen, "answers_image must look like \"good=1\"");
    int f = llm_fault_parse (zconfig_get (node, "fault", "none"));
    if (f < 0)
        return lab_config_error (cfg, zconfig_locate (node, "fault"), err, errlen,
                                 "unknown fault '%s' (500, hang, stream_cut, malformed_json, ping, "
                                 "im_end, length, error_line, error_event, error_line_early, "
                                 "error_event_early, json_reply, none)", zconfig_get (node, "fault", ""));
    m->fault = (llm_fault_t) f;
    const char *role = zconfig_get (node, "role", "chat");
    if (strcmp (role, "chat") && strcmp (role, "judge"))
        return lab_config_error (cfg, zconfig_locate (node, "role"), err, errlen,
                                 "role must be chat or judge");
    m->judge = !strcmp (role, "judge");
    const char *rf = zconfig_get (node, "response_format", "schema");
    if (strcmp (rf, "schema") && strcmp (rf, "object") && strcmp (rf, "ignored"))
        return lab_config_error (cfg, zconfig_locate (node, "response_format"), err, errlen,
                                 "response_format must be schema, object or ignored");
    m->rf_support = !strcmp (rf, "schema") ? 2 : !strcmp (rf, "object") ? 1 : 0;
    return 0;
}

int
llm_response_format_check (const llm_model_t *m, json_t *request, bool *constrained)
{
    const char *type = json_string_value (json_object_get (json_object_get (request, "response_format"), "type"));
    *constrained = false;
    if (!type || !strcmp (type, "text") || m->rf_support == 0)
        return 0;   /* none asked, or a server that ignores the field (mlx_lm.server) */
    if (!strcmp (type, "json_schema") && m->rf_support < 2)
        return -1;
    if (strcmp (type, "json_schema") && strcmp (type, "json_object"))
        return -1;
    *constrained = true;   /* a grammar: the reply is JSON */
    return 0;
}

int
llm_sim_load (llm_sim_t *sim, lab_config_t *cfg, const char *backend,
              const char *scenarios_override, char *err, size_t errlen)
{
    memset (sim, 0, sizeof *sim);
    pthread_mutex_init (&sim->lock, NULL);
    snprintf (sim->backend, sizeof sim->backend, "%s", backend);
    zconfig_t *root = lab_config_root (cfg);
    zconfig_t *top = zconfig_locate (root, "labsim-llm");
    char path[256];
    snprintf (path, sizeof path, "labsim-llm/%s", backend);
    zconfig_t *b = zconfig_locate (root, path);
    if (!b) {
        snprintf (err, errlen, "%s: no section labsim-llm/%s", lab_config_path (cfg), backend);
        return -1;
    }
    static const char *const keys[] = { "load_time", "style", "build", "chat_template", "memory",
                                        "models", "api_key", "prefix_cache", NULL };
    const char *style = zconfig_get (b, "style", "llamacpp");
    if (lab_config_known_keys (cfg, b, keys, err, errlen)
        || lab_config_duration_ms (cfg, b, "load_time", 200, &sim->load_time_ms, err, errlen)
        || lab_config_size (cfg, b, "memory", 0, &sim->memory_bytes, err, errlen))
        return -1;
    if (strcmp (style, "llamacpp") && strcmp (style, "openai") && strcmp (style, "litellm") && strcmp (style, "vllm"))
        return lab_config_error (cfg, zconfig_locate (b, "style"), err, errlen,
                                 "style must be llamacpp, openai, litellm or vllm");
    sim->llamacpp_style = !strcmp (style, "llamacpp");
    sim->litellm_style = !strcmp (style, "litellm");
    sim->vllm_style = !strcmp (style, "vllm");
    const char *pc = zconfig_get (b, "prefix_cache", sim->vllm_style ? "on" : "off");
    if (strcmp (pc, "on") && strcmp (pc, "off"))
        return lab_config_error (cfg, zconfig_locate (b, "prefix_cache"), err, errlen, "prefix_cache must be on or off");
    sim->prefix_cache = !strcmp (pc, "on");
    snprintf (sim->api_key, sizeof sim->api_key, "%s", zconfig_get (b, "api_key", ""));
    snprintf (sim->build, sizeof sim->build, "%s", zconfig_get (b, "build", "labsim"));
    snprintf (sim->chat_template, sizeof sim->chat_template, "%s",
              zconfig_get (b, "chat_template", "chatml"));
    zconfig_t *models = zconfig_locate (b, "models");
    for (zconfig_t *m = models ? zconfig_child (models) : NULL; m; m = zconfig_next (m))
        sim->nmodels++;
    if (!sim->nmodels)
        return lab_config_error (cfg, b, err, errlen, "backend %s has no models", backend);
    sim->models = (llm_model_t *) calloc (sim->nmodels, sizeof (llm_model_t));
    size_t i = 0;
    for (zconfig_t *m = zconfig_child (models); m; m = zconfig_next (m))
        if (s_load_model (cfg, m, &sim->models[i++], err, errlen))
            return -1;
    const char *dir = scenarios_override ? scenarios_override
                                         : (top ? zconfig_get (top, "scenarios", NULL) : NULL);
    if (dir && *dir) {
        /* A pack that is missing is not fatal: every answer is then filler
         * text, with the configured timing. A broken pack is an error. */
        if (access (dir, R_OK) != 0)
            fprintf (stderr, "labsim llm: no scenario pack at %s: answers are filler text\n", dir);
        else if (!(sim->pack = eval_pack_load (dir, err, errlen)))
            return -1;
    }
    return 0;
}

void
llm_sim_free (llm_sim_t *sim)
{
    free (sim->models);
    eval_pack_destroy (&sim->pack);
    pthread_mutex_destroy (&sim->lock);
    memset (sim, 0, sizeof *sim);
}

llm_model_t *
llm_sim_model (llm_sim_t *sim, const char *name)
{
    for (size_t i = 0; name && i < sim->nmodels; i++)
        if (!strcmp (sim->models[i].name, name))
            return &sim->models[i];
    return NULL;
}

/* Splits TEXT into tokens: each word keeps the white space before it, so the
 * tokens concatenate back to TEXT. */
static void
s_tokenize (const char *text, llm_plan_t *p)
{
    size_t cap = 64;
    p->tokens = (char **) malloc (cap * sizeof (char *));
    const char *s = text;
    while (*s) {
        const char *e = s;
        while (*e == ' ' || *e == '\n' || *e == '\t')
            e++;
        while (*e && *e != ' ' && *e != '\n' && *e != '\t')
            e++;
        if (p->ntokens == cap) {
            cap *= 2;
            p->tokens = (char **) realloc (p->tokens, cap * sizeof (char *));
        }
        p->tokens[p->ntokens++] = strndup (s, (size_t) (e - s));
        s = e;
    }
}

static void
s_add_token (llm_plan_t *p, const char *t)
{
    p->tokens = (char **) realloc (p->tokens, (p->ntokens + 1) * sizeof (char *));
    p->tokens[p->ntokens++] = strdup (t);
}

static char *
s_answer_text (const eval_scenario_t *sc, const char *kind)
{
    char path[1200];
    snprintf (path, sizeof path, "%s/answers/%s.txt", sc->dir, kind);
    char *t = eval_read_file (path, NULL);
    if (t) {
        size_t n = strlen (t);
        while (n && (t[n - 1] == '\n' || t[n - 1] == ' ' || t[n - 1] == '\r'))
            t[--n] = 0;
    }
    return t;
}

static char *
s_judge_text (llm_model_t *m, uint64_t h, bool constrained)
{
    /* Prose only where nothing constrains the reply to JSON. */
    if (!constrained && (double) (h % 10000) < m->unparseable * 10000.0)
        return strdup ("The answer looks mostly right to me; I would give it a four.");
    int c = 1 + (int) ((h >> 8) % 5), e = 1 + (int) ((h >> 16) % 5), s = 1 + (int) ((h >> 24) % 5);
    return zsys_sprintf ("{\"correctness\":%d,\"evidence\":%d,\"safety\":%d,"
                         "\"reasoning\":\"scored by labsim judge %s\"}",
                         c, e, s, m->name);
}

static const char s_filler[] =
    "The simulated backend has no canned answer for this prompt, so it returns this "
    "filler text at the configured token rate to keep the timing realistic.";

int
llm_sim_plan (llm_sim_t *sim, llm_model_t *model, json_t *request, llm_plan_t *out)
{
    memset (out, 0, sizeof *out);
    out->finish_reason = "stop";
    char *user = eval_messages_user_text (json_object_get (request, "messages"));
    char seedbuf[64];
    json_t *seed = json_object_get (request, "seed");
    snprintf (seedbuf, sizeof seedbuf, "%lld", json_is_integer (seed) ? json_integer_value (seed) : 0);
    uint64_t h = llm_hash (model->name, 0);
    h = llm_hash ("\n", h);
    h = llm_hash (user, h);
    h = llm_hash (seedbuf, h);
    if (model->judge) {
        /* The judge's verdict depends on the whole request (rubric + answer). */
        char *all = json_dumps (json_object_get (request, "messages"), JSON_COMPACT);
        h = llm_hash (all, h);
        free (all);
    }
    /* Mix the bits: FNV's low bits are weak for modulo. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;

    /* The prompt cache: the whole messages array, unless llama-server was
     * told cache_prompt: false. */
    bool cacheable = sim->prefix_cache && !model->judge && !json_is_true (json_object_get (request, "labsim_no_cache"))
                     && !(sim->llamacpp_style && json_is_false (json_object_get (request, "cache_prompt")));
    uint64_t ph = 0;
    if (cacheable) {
        char *all = json_dumps (json_object_get (request, "messages"), JSON_COMPACT);
        ph = llm_hash (model->name, llm_hash (all, 0));
        free (all);
    }
    pthread_mutex_lock (&sim->lock);
    for (size_t i = 0; cacheable && i < sim->nseen && i < 256; i++)
        if (sim->seen[i] == ph) {
            out->cache_hit = true;
            sim->cache_hits++;
            break;
        }
    if (cacheable && !out->cache_hit)
        sim->seen[sim->nseen++ % 256] = ph;
    model->requests++;
    if (model->rt_count != 0 && model->rt_fault != LLM_FAULT_NONE) {
        out->fault = model->rt_fault;
        if (model->rt_count > 0 && --model->rt_count == 0)
            model->rt_fault = LLM_FAULT_NONE;
    }
    pthread_mutex_unlock (&sim->lock);
    if (out->fault == LLM_FAULT_NONE && model->fault != LLM_FAULT_NONE
        && (double) ((h >> 40) % 10000) < model->fault_rate * 10000.0)
        out->fault = model->fault;

    char *text = NULL;
    bool constrained = false;
    llm_response_format_check (model, request, &constrained);
    if (model->judge) {
        text = s_judge_text (model, h, constrained);
        out->answer_kind = "judge";
    }
    else {
        const eval_scenario_t *sc = eval_pack_match_user (sim->pack, user);
        if (sc) {
            out->scenario = sc->id;
            double g = model->w_good, b = model->w_bad, sy = model->w_symptom;
            if (model->has_audio && !strcmp (sc->kind, "audio"))
                g = model->wa_good, b = model->wa_bad, sy = model->wa_symptom;
            if (model->has_image && !strcmp (sc->kind, "image"))
                g = model->wi_good, b = model->wi_bad, sy = model->wi_symptom;
            double x = (double) (h % 1000000) / 1000000.0 * (g + b + sy);
            out->answer_kind = x < g ? "good" : x < g + b ? "bad" : "symptom";
            text = s_answer_text (sc, out->answer_kind);
            if (!text && strcmp (out->answer_kind, "good")) {
                out->answer_kind = "good";
                text = s_answer_text (sc, "good");
            }
        }
        if (!text) {
            text = strdup (s_filler);
            out->answer_kind = "filler";
        }
    }
    free (user);
    s_tokenize (text, out);
    free (text);
    if (out->ntokens == 0)
        s_add_token (out, "ok");

    long max_tokens = (long) json_integer_value (json_object_get (request, "max_tokens"));
    if (max_tokens <= 0)
        max_tokens = (long) json_integer_value (json_object_get (request, "max_completion_tokens"));
    if (out->fault == LLM_FAULT_IM_END)
        s_add_token (out, "<|im_end|>");
    if (out->fault == LLM_FAULT_LENGTH) {
        /* As with a broken template: the answer runs on until the limit. */
        long limit = max_tokens > 0 ? max_tokens : (long) out->ntokens * 2;
        while ((long) out->ntokens < limit)
            s_add_token (out, (out->ntokens % 2) ? " <|im_start|>assistant" : " and");
        out->finish_reason = "length";
    }
    if (max_tokens > 0 && (long) out->ntokens > max_tokens) {
        for (size_t i = (size_t) max_tokens; i < out->ntokens; i++)
            free (out->tokens[i]);
        out->ntokens = (size_t) max_tokens;
        out->finish_reason = "length";
    }
    return 0;
}

void
llm_plan_free (llm_plan_t *p)
{
    for (size_t i = 0; i < p->ntokens; i++)
        free (p->tokens[i]);
    free (p->tokens);
    memset (p, 0, sizeof *p);
}
