/* eval_plan - loads evaluation plans; see eval_plan.h. */
#include "services/eval-runner/eval_plan.h"
#include "bus/lab_config.h"
#include <stdlib.h>
#include <string.h>

static int
s_load_cohorts (eval_plan_t *plan, lab_config_t *cfg, char *err, size_t errlen)
{
    zconfig_t *backends = zconfig_locate (lab_config_root (cfg), "backends");
    if (!backends || !zconfig_child (backends))
        return lab_config_error (cfg, backends, err, errlen, "the plan names no backends");
    size_t cap = 0;
    for (zconfig_t *b = zconfig_child (backends); b; b = zconfig_next (b)) {
        static const char *const keys[] = { "models", "audio", NULL };
        if (lab_config_known_keys (cfg, b, keys, err, errlen))
            return -1;
        const char *audio = zconfig_get (b, "audio", "chat");
        if (strcmp (audio, "chat") && strcmp (audio, "transcriptions"))
            return lab_config_error (cfg, zconfig_locate (b, "audio"), err, errlen,
                                     "backend %s: audio must be chat or transcriptions", zconfig_name (b));
        char *models = strdup (zconfig_get (b, "models", ""));
        char *save = NULL;
        int n = 0;
        for (char *m = strtok_r (models, " ,", &save); m; m = strtok_r (NULL, " ,", &save), n++) {
            if (plan->ncohorts == cap) {
                cap = cap ? cap * 2 : 8;
                plan->cohorts = (eval_cohort_t *) realloc (plan->cohorts, cap * sizeof (eval_cohort_t));
            }
            eval_cohort_t *c = &plan->cohorts[plan->ncohorts++];
            memset (c, 0, sizeof *c);
            snprintf (c->backend, sizeof c->backend, "%s", zconfig_name (b));
            snprintf (c->model, sizeof c->model, "%s", m);
            snprintf (c->name, sizeof c->name, "%s/%s", c->backend, c->model);
            c->audio_transcriptions = !strcmp (audio, "transcriptions");
        }
        free (models);
        if (!n)
            return lab_config_error (cfg, b, err, errlen, "backend %s lists no models", zconfig_name (b));
    }
    zconfig_t *pairs = zconfig_locate (lab_config_root (cfg), "pairs");
    for (zconfig_t *p = pairs ? zconfig_child (pairs) : NULL; p; p = zconfig_next (p)) {
        char *members = strdup (zconfig_value (p)), *save = NULL;
        int role = 0;
        for (char *m = strtok_r (members, " ,", &save); m; m = strtok_r (NULL, " ,", &save)) {
            size_t i;
            for (i = 0; i < plan->ncohorts && strcmp (plan->cohorts[i].name, m); i++)
                ;
            if (i == plan->ncohorts) {
                free (members);
                return lab_config_error (cfg, p, err, errlen, "pair %s: no cohort %s (want backend/model)",
                                         zconfig_name (p), m);
            }
            snprintf (plan->cohorts[i].pair, sizeof plan->cohorts[i].pair, "%s", zconfig_name (p));
            plan->cohorts[i].pair_role = role++;
        }
        free (members);
    }
    return 0;
}

static int
s_load_buckets (eval_plan_t *plan, lab_config_t *cfg, char *err, size_t errlen)
{
    zconfig_t *buckets = zconfig_locate (lab_config_root (cfg), "buckets");
    for (zconfig_t *b = buckets ? zconfig_child (buckets) : NULL; b; b = zconfig_next (b)) {
        static const char *const keys[] = { "repetitions", "scenarios", "limit", NULL };
        if (plan->nbuckets == sizeof plan->buckets / sizeof plan->buckets[0])
            return lab_config_error (cfg, b, err, errlen, "too many buckets");
        eval_bucket_t *k = &plan->buckets[plan->nbuckets];
        snprintf (k->name, sizeof k->name, "%s", zconfig_name (b));
        snprintf (k->scenarios, sizeof k->scenarios, "%s", zconfig_get (b, "scenarios", ""));
        long dflt = strcmp (k->name, "quality") ? 3 : 1;
        if (lab_config_known_keys (cfg, b, keys, err, errlen)
            || lab_config_int (cfg, b, "repetitions", dflt, 1, 10000, &k->repetitions, err, errlen)
            || lab_config_int (cfg, b, "limit", 0, 0, 100000, &k->limit, err, errlen))
            return -1;
        plan->nbuckets++;
    }
    if (!plan->nbuckets) {
        snprintf (plan->buckets[0].name, sizeof plan->buckets[0].name, "quality");
        plan->buckets[0].repetitions = 1;
        plan->nbuckets = 1;
    }
    return 0;
}

int
eval_plan_load (eval_plan_t *plan, const char *path, char *err, size_t errlen)
{
    memset (plan, 0, sizeof *plan);
    lab_config_t *cfg = lab_config_load (path, err, errlen);
    if (!cfg)
        return -1;
    snprintf (plan->path, sizeof plan->path, "%s", path);
    int rc = -1;
    zconfig_t *p = zconfig_locate (lab_config_root (cfg), "plan");
    static const char *const keys[] = { "name", "scenarios", "output", "warmup", "max_tokens",
                                        "temperature", "seed", "timeout", "retries", "backoff",
                                        "start_timeout", "deadline", "thinking", NULL };
    if (!p) {
        snprintf (err, errlen, "%s: the plan section is missing", path);
        goto done;
    }
    if (lab_config_known_keys (cfg, p, keys, err, errlen))
        goto done;
    const char *name = zconfig_get (p, "name", "");
    if (!*name || strchr (name, '/') || strchr (name, ' ') || strchr (name, '.')) {
        lab_config_error (cfg, p, err, errlen, "plan/name must be a word (no '/', '.' or space)");
        goto done;
    }
    snprintf (plan->name, sizeof plan->name, "%s", name);
    snprintf (plan->scenarios, sizeof plan->scenarios, "%s", zconfig_get (p, "scenarios", "eval/scenarios"));
    const char *out = zconfig_get (p, "output", "");
    if (*out)
        snprintf (plan->output, sizeof plan->output, "%s", out);
    else
        snprintf (plan->output, sizeof plan->output, "var/eval/%s", plan->name);
    const char *thinking = zconfig_get (p, "thinking", "default");
    if (strcmp (thinking, "default") && strcmp (thinking, "off")) {
        lab_config_error (cfg, zconfig_locate (p, "thinking"), err, errlen, "plan/thinking must be default or off");
        goto done;
    }
    plan->no_thinking = !strcmp (thinking, "off");
    if (lab_config_int (cfg, p, "warmup", 1, 0, 1000, &plan->warmup, err, errlen)
        || lab_config_int (cfg, p, "max_tokens", 256, 1, 1000000, &plan->max_tokens, err, errlen)
        || lab_config_double (cfg, p, "temperature", 0, 0, 2, &plan->temperature, err, errlen)
        || lab_config_int (cfg, p, "seed", 42, -1, 1L << 31, &plan->seed, err, errlen)
        || lab_config_duration_ms (cfg, p, "timeout", 60000, &plan->timeout_ms, err, errlen)
        || lab_config_duration_ms (cfg, p, "deadline", 600000, &plan->deadline_ms, err, errlen)
        || lab_config_int (cfg, p, "retries", 2, 0, 20, &plan->retries, err, errlen)
        || lab_config_duration_ms (cfg, p, "backoff", 250, &plan->backoff_ms, err, errlen)
        || lab_config_duration_ms (cfg, p, "start_timeout", 60000, &plan->start_timeout_ms, err, errlen)
        || s_load_cohorts (plan, cfg, err, errlen) || s_load_buckets (plan, cfg, err, errlen))
        goto done;
    rc = 0;
done:
    lab_config_destroy (&cfg);
    if (rc)
        eval_plan_free (plan);
    return rc;
}

void
eval_plan_free (eval_plan_t *plan)
{
    free (plan->cohorts);
    plan->cohorts = NULL;
    plan->ncohorts = 0;
}

bool
eval_bucket_has (const eval_bucket_t *bucket, const char *id, size_t index)
{
    if (bucket->limit > 0 && (long) index >= bucket->limit)
        return false;
    if (!bucket->scenarios[0])
        return true;
    size_t n = strlen (id);
    const char *s = bucket->scenarios;
    while ((s = strstr (s, id))) {
        bool start = s == bucket->scenarios || s[-1] == ' ' || s[-1] == ',';
        bool end = s[n] == 0 || s[n] == ' ' || s[n] == ',';
        if (start && end)
            return true;
        s += n;
    }
    return false;
}
