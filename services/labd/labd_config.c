/* labd_config - services and backends from the lab config. */
#include "services/labd/labd_unit.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char *
labd_state_name (labd_state_t state)
{
    static const char *names[] = { "stopped", "starting", "up", "backoff",
                                   "stopping", "failed", "exited" };
    return (unsigned) state < sizeof names / sizeof *names ? names[state] : "?";
}

char **
labd_argv_split (const char *line)
{
    size_t cap = 8, n = 0;
    char **argv = (char **) calloc (cap, sizeof (char *));
    char word[1024];
    const char *p = line;
    while (argv) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        size_t w = 0;
        bool quoted = false;
        while (*p && (quoted || (*p != ' ' && *p != '\t'))) {
            if (*p == '"')
                quoted = !quoted;
            else if (w + 1 < sizeof word)
                word[w++] = *p;
            p++;
        }
        if (quoted) {
            labd_argv_free (argv);
            return NULL;
        }
        word[w] = 0;
        if (n + 2 > cap) {
            cap *= 2;
            char **bigger = (char **) realloc (argv, cap * sizeof (char *));
            if (!bigger) {
                labd_argv_free (argv);
                return NULL;
            }
            argv = bigger;
        }
        argv[n++] = strdup (word);
        argv[n] = NULL;
    }
    return argv;
}

void
labd_argv_free (char **argv)
{
    for (char **a = argv; a && *a; a++)
        free (*a);
    free (argv);
}

/* ${config} ${runtime} ${state} ${logs}; anything else in ${} is an error,
 * so a typo does not turn into an empty argument. */
static int
s_expand (const char *in, const char *const vars[][2], char *out, size_t outlen, char *bad,
          size_t badlen)
{
    size_t o = 0;
    for (const char *p = in; *p;) {
        if (p[0] == '$' && p[1] == '{') {
            const char *end = strchr (p, '}');
            if (!end)
                return snprintf (bad, badlen, "unterminated ${"), -1;
            size_t klen = (size_t) (end - p - 2);
            const char *val = NULL;
            for (int i = 0; vars[i][0]; i++)
                if (strlen (vars[i][0]) == klen && !strncmp (vars[i][0], p + 2, klen))
                    val = vars[i][1];
            if (!val)
                return snprintf (bad, badlen, "unknown variable ${%.*s}", (int) klen, p + 2), -1;
            size_t vlen = strlen (val);
            if (o + vlen >= outlen)
                return snprintf (bad, badlen, "command too long"), -1;
            memcpy (out + o, val, vlen);
            o += vlen;
            p = end + 1;
        }
        else {
            if (o + 1 >= outlen)
                return snprintf (bad, badlen, "command too long"), -1;
            out[o++] = *p++;
        }
    }
    out[o] = 0;
    return 0;
}

typedef struct {
    lab_config_t *cfg;
    const char *const (*vars)[2];
    char *err;
    size_t errlen;
} s_ctx_t;

static int
s_ms (s_ctx_t *c, zconfig_t *node, const char *key, long dflt, int *out)
{
    long v;
    if (lab_config_duration_ms (c->cfg, node, key, dflt, &v, c->err, c->errlen))
        return -1;
    if (v < 0 || v > 24L * 3600 * 1000)
        return lab_config_error (c->cfg, zconfig_locate (node, key), c->err, c->errlen,
                                 "%s: out of range", key);
    *out = (int) v;
    return 0;
}

static int
s_load_unit (s_ctx_t *c, zconfig_t *node, bool backend, labd_unit_t *u)
{
    static const char *const svc_keys[]
        = { "command", "after", "restart", "env", "grace", "heartbeat", "misses", "start_timeout",
            "backoff_min", "backoff_max", "intensity", "period", "reset_after", NULL };
    /* api_key_*, memory_probe: read by eval-runner (docs/eval.md). */
    static const char *const be_keys[] = { "command", "after", "env", "base_url", "health_url",
                                           "group", "start_timeout", "stop_grace", "api_key_file",
                                           "api_key_env", "memory_probe", NULL };
    lab_config_t *cfg = c->cfg;
    if (lab_config_known_keys (cfg, node, backend ? be_keys : svc_keys, c->err, c->errlen))
        return -1;
    const char *name = zconfig_name (node);
    if (strlen (name) >= LABD_NAME_MAX || strspn (name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != strlen (name))
        return lab_config_error (cfg, node, c->err, c->errlen,
                                 "'%s': names are lower-case letters, digits, - _ .", name);
    snprintf (u->name, sizeof u->name, "%s", name);
    u->backend = backend;
    u->config_line = lab_config_line (cfg, node);
    char *cmd = zconfig_get (node, "command", NULL);
    if (backend && (!cmd || !*cmd) && *zconfig_get (node, "base_url", "")) {
        /* A server that runs elsewhere (or already): eval-runner uses its
         * base_url directly; labd has nothing to start or stop. */
        u->external = true;
        cmd = "true";
    }
    if (!cmd || !*cmd)
        return lab_config_error (cfg, node, c->err, c->errlen, "%s: command is missing", name);
    char expanded[4096], bad[128];
    if (s_expand (cmd, c->vars, expanded, sizeof expanded, bad, sizeof bad))
        return lab_config_error (cfg, zconfig_locate (node, "command"), c->err, c->errlen,
                                 "%s: %s", name, bad);
    u->argv = labd_argv_split (expanded);
    if (!u->argv || !u->argv[0])
        return lab_config_error (cfg, zconfig_locate (node, "command"), c->err, c->errlen,
                                 "%s: command has an unterminated quote or is empty", name);
    char *after = zconfig_get (node, "after", "");
    char **deps = labd_argv_split (after);
    for (char **d = deps; d && *d; d++) {
        if (u->nafter == LABD_AFTER_MAX || strlen (*d) >= LABD_NAME_MAX) {
            labd_argv_free (deps);
            return lab_config_error (cfg, zconfig_locate (node, "after"), c->err, c->errlen,
                                     "%s: too many or too long dependencies", name);
        }
        snprintf (u->after[u->nafter++], LABD_NAME_MAX, "%s", *d);
    }
    labd_argv_free (deps);
    /* env: one child per variable */
    zconfig_t *env = zconfig_locate (node, "env");
    size_t nenv = 0;
    for (zconfig_t *e = env ? zconfig_child (env) : NULL; e; e = zconfig_next (e))
        nenv++;
    u->env = (char **) calloc (nenv + 1, sizeof (char *));
    nenv = 0;
    for (zconfig_t *e = env ? zconfig_child (env) : NULL; e; e = zconfig_next (e)) {
        if (s_expand (zconfig_value (e) ? zconfig_value (e) : "", c->vars, expanded,
                      sizeof expanded, bad, sizeof bad))
            return lab_config_error (cfg, e, c->err, c->errlen, "%s: %s", name, bad);
        char *kv = (char *) malloc (strlen (zconfig_name (e)) + strlen (expanded) + 2);
        sprintf (kv, "%s=%s", zconfig_name (e), expanded);
        u->env[nenv++] = kv;
    }
    const char *restart = zconfig_get (node, "restart", backend ? "never" : "always");
    if (!strcmp (restart, "always"))
        u->restart = LABD_RESTART_ALWAYS;
    else if (!strcmp (restart, "on-failure"))
        u->restart = LABD_RESTART_ON_FAILURE;
    else if (!strcmp (restart, "never"))
        u->restart = LABD_RESTART_NEVER;
    else
        return lab_config_error (cfg, zconfig_locate (node, "restart"), c->err, c->errlen,
                                 "%s: restart must be always, on-failure or never, not '%s'", name,
                                 restart);
    long v;
    if (s_ms (c, node, backend ? "stop_grace" : "grace", backend ? 10000 : 3000, &u->grace_ms)
        || s_ms (c, node, "start_timeout", backend ? 120000 : 15000, &u->start_timeout_ms))
        return -1;
    if (!backend) {
        if (s_ms (c, node, "heartbeat", 1000, &u->heartbeat_ms)
            || s_ms (c, node, "backoff_min", 100, &u->backoff_min_ms)
            || s_ms (c, node, "backoff_max", 30000, &u->backoff_max_ms)
            || s_ms (c, node, "period", 60000, &u->period_ms)
            || s_ms (c, node, "reset_after", 10000, &u->reset_after_ms))
            return -1;
        if (lab_config_int (cfg, node, "misses", 3, 1, 100, &v, c->err, c->errlen))
            return -1;
        u->misses = (int) v;
        if (lab_config_int (cfg, node, "intensity", 5, 0, LABD_HISTORY - 1, &v, c->err, c->errlen))
            return -1;
        u->intensity = (int) v;
        if (u->backoff_min_ms < 1)
            u->backoff_min_ms = 1;
        if (u->backoff_max_ms < u->backoff_min_ms)
            u->backoff_max_ms = u->backoff_min_ms;
    }
    else {
        const char *base = zconfig_get (node, "base_url", "");
        const char *health = zconfig_get (node, "health_url", "");
        if (strncmp (base, "http://", 7))
            return lab_config_error (cfg, node, c->err, c->errlen,
                                     "%s: base_url must be an http:// URL", name);
        snprintf (u->base_url, sizeof u->base_url, "%s", base);
        if (*health)
            snprintf (u->health_url, sizeof u->health_url, "%s", health);
        else
            snprintf (u->health_url, sizeof u->health_url, "%s/health", base);
        snprintf (u->group, sizeof u->group, "%s", zconfig_get (node, "group", ""));
    }
    u->backoff_ms = u->backoff_min_ms;
    u->wanted = !backend;         /* backends run only on request */
    u->out.fd = u->err.fd = -1;
    return 0;
}

static int
s_find (labd_unit_t *units, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp (units[i].name, name))
            return i;
    return -1;
}

/* Orders units so every unit comes after what it names in `after`; a cycle
 * or an unknown name is an error. */
static int
s_order (s_ctx_t *c, labd_unit_t *units, int n)
{
    labd_unit_t *sorted = (labd_unit_t *) calloc ((size_t) n + 1, sizeof (labd_unit_t));
    bool *done = (bool *) calloc ((size_t) n + 1, sizeof (bool));
    for (int i = 0; i < n; i++)
        for (int d = 0; d < units[i].nafter; d++)
            if (s_find (units, n, units[i].after[d]) < 0) {
                snprintf (c->err, c->errlen, "%s:%d: %s: after names '%s', which is not configured",
                          lab_config_path (c->cfg), units[i].config_line, units[i].name,
                          units[i].after[d]);
                free (sorted);
                free (done);
                return -1;
            }
    int placed = 0;
    while (placed < n) {
        int before = placed;
        for (int i = 0; i < n; i++) {
            if (done[i])
                continue;
            bool ready = true;
            for (int d = 0; d < units[i].nafter && ready; d++)
                ready = done[s_find (units, n, units[i].after[d])];
            if (ready) {
                sorted[placed++] = units[i];
                done[i] = true;
            }
        }
        if (placed == before) {
            for (int i = 0; i < n; i++)
                if (!done[i]) {
                    snprintf (c->err, c->errlen, "%s:%d: %s: dependency cycle through 'after'",
                              lab_config_path (c->cfg), units[i].config_line, units[i].name);
                    break;
                }
            free (sorted);
            free (done);
            return -1;
        }
    }
    memcpy (units, sorted, (size_t) n * sizeof (labd_unit_t));
    free (sorted);
    free (done);
    return 0;
}

int
labd_units_load (lab_config_t *cfg, const char *config_abs, const char *runtime,
                 labd_unit_t **units_p, char *err, size_t errlen)
{
    const char *state = lab_config_get (cfg, "lab/state", "var/state");
    const char *logs = lab_config_get (cfg, "lab/logs", "var/log");
    const char *const vars[][2] = { { "config", config_abs }, { "runtime", runtime },
                                    { "state", state }, { "logs", logs }, { NULL, NULL } };
    s_ctx_t c = { cfg, vars, err, errlen };
    int n = 0, cap = 16;
    labd_unit_t *units = (labd_unit_t *) calloc ((size_t) cap, sizeof (labd_unit_t));
    for (zconfig_t *sec = zconfig_child (lab_config_root (cfg)); sec; sec = zconfig_next (sec)) {
        bool backend = !strcmp (zconfig_name (sec), "backends");
        if (!backend && strcmp (zconfig_name (sec), "services"))
            continue;
        for (zconfig_t *node = zconfig_child (sec); node; node = zconfig_next (node)) {
            if (n == cap) {
                cap *= 2;
                units = (labd_unit_t *) realloc (units, (size_t) cap * sizeof (labd_unit_t));
                memset (units + n, 0, (size_t) (cap - n) * sizeof (labd_unit_t));
            }
            if (s_find (units, n, zconfig_name (node)) >= 0) {
                lab_config_error (cfg, node, err, errlen, "'%s' is declared twice",
                                  zconfig_name (node));
                labd_units_free (units, n);
                return -1;
            }
            if (s_load_unit (&c, node, backend, &units[n])) {
                labd_units_free (units, n + 1);
                return -1;
            }
            n++;
        }
    }
    if (s_order (&c, units, n)) {
        labd_units_free (units, n);
        return -1;
    }
    *units_p = units;
    return n;
}

void
labd_units_free (labd_unit_t *units, int n)
{
    for (int i = 0; units && i < n; i++) {
        labd_argv_free (units[i].argv);
        labd_argv_free (units[i].env);
        if (units[i].log)
            fclose (units[i].log);
    }
    free (units);
}
