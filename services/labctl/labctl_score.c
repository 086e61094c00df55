/* labctl eval score - blind human scoring of a sweep's completions.
 *
 * Completions are shown one at a time in an order shuffled once per sweep,
 * each under a blind id (B1, B2 ...), with the backend and model hidden:
 * the row's cohort is never printed, and every backend, model and cohort
 * name of the sweep is masked in the text itself. The identity is revealed
 * only after the score has been written and synced to disk, so a score can
 * never be given knowing whose answer it was. Stopping (q or end of input)
 * loses nothing: the next run goes on with what this rater has not scored.
 *
 * Files, under DIR/blind/:
 *   order.json    {"seed": S, "keys": [...]}: the shuffled order; keys of
 *                 rows added later are shuffled and appended, so blind ids
 *                 never change
 *   scores.jsonl  one line per stored score: key, blind_id, rater, score,
 *                 ts (the report reads it) */
#include "services/labctl/labctl.h"
#include "services/labctl/labctl_evaldata.h"
#include "services/eval-runner/analysis/evala_sweep.h"
#include "bus/lab_config.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t
s_splitmix (uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t
s_random_seed (void)
{
    uint64_t seed = 0;
    int fd = open ("/dev/urandom", O_RDONLY);
    if (fd < 0 || read (fd, &seed, sizeof seed) != sizeof seed)
        seed = (uint64_t) time (NULL) ^ ((uint64_t) getpid () << 32);
    if (fd >= 0)
        close (fd);
    return seed;
}

/* The rows a human scores: successful rows of the quality bucket (all
 * successful rows when the sweep has no quality bucket), by key. */
static json_t *
s_candidates (json_t *rows)
{
    json_t *by_key = json_object ();
    bool has_quality = evala_rows_have_quality (rows);
    size_t i;
    json_t *r;
    json_array_foreach (rows, i, r) {
        const char *outcome = json_string_value (json_object_get (r, "outcome"));
        const char *b = json_string_value (json_object_get (r, "bucket"));
        if (!outcome || strcmp (outcome, "ok"))
            continue;
        if (has_quality && (!b || strcmp (b, "quality")))
            continue;
        json_object_set (by_key, json_string_value (json_object_get (r, "key")), r);
    }
    return by_key;
}

static int
s_write_atomic (const char *path, json_t *j)
{
    char tmp[4300];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    if (json_dump_file (j, tmp, JSON_INDENT (1)) || rename (tmp, path)) {
        fprintf (stderr, "labctl: cannot write %s: %s\n", path, strerror (errno));
        return -1;
    }
    return 0;
}

/* Loads DIR/blind/order.json (or starts it) and appends, shuffled, every
 * candidate key it does not list yet. */
static json_t *
s_order (const char *blind_dir, json_t *cands)
{
    char path[4200];
    snprintf (path, sizeof path, "%s/order.json", blind_dir);
    json_t *order = json_load_file (path, 0, NULL);
    if (!json_is_object (order) || !json_is_array (json_object_get (order, "keys"))) {
        json_decref (order);
        order = json_pack ("{s:I, s:[]}", "seed", (json_int_t) (s_random_seed () >> 1), "keys");
    }
    json_t *keys = json_object_get (order, "keys");
    json_t *known = json_object ();
    size_t i;
    json_t *k;
    json_array_foreach (keys, i, k)
        json_object_set (known, json_string_value (k), json_true ());
    json_t *fresh = json_array ();
    const char *key;
    json_t *r;
    json_object_foreach (cands, key, r)
        if (!json_object_get (known, key))
            json_array_append_new (fresh, json_string (key));
    json_decref (known);
    size_t n = json_array_size (fresh);
    if (n) {
        /* Fisher-Yates, seeded by the sweep's seed and how many keys came
         * before: the same rows always get the same order. */
        uint64_t x = (uint64_t) json_integer_value (json_object_get (order, "seed")) + json_array_size (keys);
        for (size_t j = n - 1; j > 0; j--) {
            size_t m = (size_t) (s_splitmix (&x) % (j + 1));
            json_t *a = json_incref (json_array_get (fresh, j)), *b = json_incref (json_array_get (fresh, m));
            json_array_set_new (fresh, j, b);
            json_array_set_new (fresh, m, a);
        }
        json_array_extend (keys, fresh);
        if (s_write_atomic (path, order)) {
            json_decref (fresh);
            json_decref (order);
            return NULL;
        }
    }
    json_decref (fresh);
    return order;
}

/* Keys RATER has scored already. */
static json_t *
s_scored (const char *scores_path, const char *rater)
{
    json_t *done = json_object ();
    FILE *f = fopen (scores_path, "r");
    char *line = NULL;
    size_t cap = 0;
    while (f && getline (&line, &cap, f) > 0) {
        json_t *s = json_loads (line, 0, NULL);
        const char *key = json_string_value (json_object_get (s, "key"));
        const char *who = json_string_value (json_object_get (s, "rater"));
        if (key && who && !strcmp (who, rater))
            json_object_set (done, key, json_true ());
        json_decref (s);
    }
    free (line);
    if (f)
        fclose (f);
    return done;
}

/* Replaces, case-insensitively, every occurrence of NAME in TEXT by
 * "[hidden]"; returns the new text (TEXT is freed). The scan goes on after
 * each replacement, so a name inside "[hidden]" cannot loop. */
static char *
s_mask (char *text, const char *name)
{
    size_t nl = strlen (name);
    if (nl < 2)
        return text;
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream (&out, &len);
    const char *p = text, *hit;
    while ((hit = strcasestr (p, name))) {
        fwrite (p, 1, (size_t) (hit - p), mem);
        fputs ("[hidden]", mem);
        p = hit + nl;
    }
    fputs (p, mem);
    fclose (mem);
    free (text);
    return out;
}

static char *
s_masked_completion (const char *dir, json_t *row, json_t *rows)
{
    char *text = labctl_eval_completion (dir, row);
    size_t i;
    json_t *r;
    json_array_foreach (rows, i, r) {
        static const char *const fields[] = { "cohort", "backend", "model", NULL };
        for (int f = 0; fields[f]; f++) {
            const char *name = json_string_value (json_object_get (r, fields[f]));
            if (name)
                text = s_mask (text, name);
        }
    }
    return text;
}

/* Appends one score line and syncs it; 0 when it is on disk. */
static int
s_store (const char *path, const char *key, const char *blind, const char *rater, int score)
{
    char ts[32];
    time_t now = time (NULL);
    strftime (ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime (&now));
    json_t *j = json_pack ("{s:s, s:s, s:s, s:i, s:s}", "key", key, "blind_id", blind, "rater", rater, "score",
                           score, "ts", ts);
    char *text = json_dumps (j, JSON_COMPACT);
    json_decref (j);
    int fd = open (path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    size_t len = strlen (text);
    text = (char *) realloc (text, len + 2);
    text[len++] = '\n';
    int rc = fd >= 0 && write (fd, text, len) == (ssize_t) len && fsync (fd) == 0 ? 0 : -1;
    if (rc)
        fprintf (stderr, "labctl: cannot store the score in %s: %s\n", path, strerror (errno));
    if (fd >= 0)
        close (fd);
    free (text);
    return rc;
}

/* The title and the user prompt of scenario ID in PACK (either may be
 * NULL when the pack does not have it). Caller frees both. */
static void
s_scenario_text (const char *pack, const char *id, char **title, char **prompt)
{
    *title = *prompt = NULL;
    char path[4400], err[256];
    snprintf (path, sizeof path, "%s/%s/scenario.cfg", pack, id ? id : "");
    lab_config_t *cfg = id && !strstr (id, "..") ? lab_config_load (path, err, sizeof err) : NULL;
    if (!cfg)
        return;
    const char *t = lab_config_get (cfg, "scenario/title", NULL);
    *title = t ? strdup (t) : NULL;
    const char *user = lab_config_get (cfg, "prompt/user", NULL);
    const char *file = lab_config_get (cfg, "prompt/user_file", NULL);
    if (user)
        *prompt = strdup (user);
    else if (file && !strstr (file, "..")) {
        snprintf (path, sizeof path, "%s/%s/%s", pack, id, file);
        zchunk_t *chunk = zchunk_slurp (path, 0);
        *prompt = chunk ? zchunk_strdup (chunk) : NULL;
        zchunk_destroy (&chunk);
    }
    lab_config_destroy (&cfg);
}

/* One answer from the rater: 1..5, 0 to skip, -1 to stop; p prints the
 * scenario's prompt (PROMPT) and asks again. */
static int
s_ask (const char *prompt)
{
    char line[64];
    while (true) {
        printf ("score 1-5 (p prompt, s skip, q stop): ");
        fflush (stdout);
        bool got = fgets (line, sizeof line, stdin) != NULL;
        /* A terminal echoed the rater's newline; piped input did not. */
        if (!got || !isatty (STDIN_FILENO))
            printf ("\n");
        if (!got)
            return -1;
        char *p = line;
        while (isspace ((unsigned char) *p))
            p++;
        char *end = p + strlen (p);
        while (end > p && isspace ((unsigned char) end[-1]))
            *--end = 0;
        if (!strcmp (p, "q") || !strcmp (p, "quit"))
            return -1;
        if (!strcmp (p, "s") || !strcmp (p, "skip"))
            return 0;
        if (!strcmp (p, "p") || !strcmp (p, "prompt")) {
            printf ("---- prompt ----\n%s\n----------------\n", prompt ? prompt : "(not found in the scenario pack)");
            continue;
        }
        if (strlen (p) == 1 && *p >= '1' && *p <= '5')
            return *p - '0';
        printf ("  \"%s\" is not a score: type 1 to 5, p, s or q\n", p);
    }
}

int
labctl_eval_score (labctl_t *ctx, int argc, char **argv)
{
    (void) ctx;
    const char *values[2] = { getenv ("USER"), NULL };
    static const char *const opts[] = { "--rater", "--scenarios", NULL };
    const char *arg = labctl_eval_args (argc, argv, opts, values);
    const char *rater = values[0];
    char pack[4096];
    if (arg)
        labctl_eval_pack (arg, pack, sizeof pack);
    if (values[1])
        snprintf (pack, sizeof pack, "%s", values[1]);
    if (!arg) {
        fprintf (stderr, "usage: labctl eval score DIR|PLAN [--rater NAME] [--scenarios PACK]\n"
                         "  Blind scoring: completions one at a time, backend and model hidden and the\n"
                         "  order shuffled; the identity is shown only after the score is stored.\n"
                         "  Resumable: q (or end of input) stops, the next run goes on. p shows the\n"
                         "  scenario's prompt, from the plan's scenario pack (default eval/scenarios).\n");
        return BUS_EUSAGE;
    }
    if (!rater || !*rater)
        rater = "me";
    char dir[4096], blind[4200], scores_path[4300];
    if (labctl_eval_dir (arg, dir, sizeof dir))
        return BUS_ERROR;
    json_t *rows = evala_rows_load (dir, NULL);
    if (!rows) {
        fprintf (stderr, "labctl: no rows at %s/rows.jsonl\n", dir);
        return BUS_ENOTFOUND;
    }
    snprintf (blind, sizeof blind, "%s/blind", dir);
    snprintf (scores_path, sizeof scores_path, "%s/scores.jsonl", blind);
    if (mkdir (blind, 0755) && errno != EEXIST) {
        fprintf (stderr, "labctl: cannot create %s: %s\n", blind, strerror (errno));
        json_decref (rows);
        return BUS_ERROR;
    }
    json_t *cands = s_candidates (rows);
    json_t *order = s_order (blind, cands);
    json_t *done = s_scored (scores_path, rater);
    int rc = order ? BUS_OK : BUS_ERROR;
    json_t *keys = order ? json_object_get (order, "keys") : NULL;
    size_t left = 0, i;
    json_t *k;
    json_array_foreach (keys, i, k)
        left += json_object_get (cands, json_string_value (k)) && !json_object_get (done, json_string_value (k));
    if (order)
        printf ("%zu completions to score, %zu already scored by %s. Backend and model stay hidden until a score is "
                "stored.\nRubric: 1 wrong or unsafe, 3 right cause but weak evidence or fix, 5 right cause, evidence "
                "and a safe fix.\n",
                left, json_object_size (done), rater);
    size_t stored = 0;
    json_array_foreach (keys, i, k) {
        const char *key = json_string_value (k);
        json_t *row = json_object_get (cands, key);
        if (!row || json_object_get (done, key))
            continue;
        char id[32];
        snprintf (id, sizeof id, "B%zu", i + 1);
        char *text = s_masked_completion (dir, row, rows);
        const char *finish = json_string_value (json_object_get (row, "finish_reason"));
        char *title, *prompt;
        s_scenario_text (pack, json_string_value (json_object_get (row, "scenario")), &title, &prompt);
        printf ("\n── %s · %zu left ──────────────────────────────\nscenario: %s%s%s%s%s\n\n%s\n\n", id, left,
                json_string_value (json_object_get (row, "scenario")), title ? " — " : "", title ? title : "",
                finish && strcmp (finish, "stop") ? "  finish: " : "", finish && strcmp (finish, "stop") ? finish : "",
                text);
        free (text);
        free (title);
        int score = s_ask (prompt);
        free (prompt);
        if (score < 0)
            break;
        if (score == 0) {
            printf ("skipped %s (it comes back next time)\n", id);
            continue;
        }
        if (s_store (scores_path, key, id, rater, score)) {
            rc = BUS_ERROR;
            break;
        }
        stored++;
        left--;
        printf ("stored %s = %d; it was %s (bucket %s, rep %lld)\n", id, score,
                json_string_value (json_object_get (row, "cohort")),
                json_string_value (json_object_get (row, "bucket")),
                (long long) json_integer_value (json_object_get (row, "rep")));
    }
    if (order)
        printf ("\n%zu stored this time; %zu left%s\n", stored, left, left ? " (run again to go on)" : ": all scored");
    json_decref (done);
    json_decref (order);
    json_decref (cands);
    json_decref (rows);
    return rc;
}
