/* eval_rows - append-only, resumable result files; see eval_rows.h. */
#include "services/eval-runner/eval_rows.h"
#include "services/eval-runner/eval_scenario.h"
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const eval_rows_columns[] = {
    "ts", "plan", "sweep", "cohort", "backend", "model", "backend_version", "pair", "bucket",
    "scenario", "kind", "rep", "attempts", "outcome", "error_class", "error_message",
    "http_status", "ttft_ms", "e2e_ms", "tpot_ms", "decode_tps", "completion_tokens", "n_source",
    "itl_p50_ms", "itl_p90_ms", "itl_p99_ms", "chunks", "sse_comments", "finish_reason",
    "template_leak", "backend_prompt_ms", "backend_predicted_ms", "backend_predicted_per_second",
    "peak_rss_kb", "cpu_us", "format_ok", "format_cause", "verifier_pass", "action_safe",
    "judge_outcome", "composite", "completion_file",
    /* Added later, so at the end: a script that reads columns by position
     * keeps working. What the decision and a reader of a spreadsheet need:
     * which server and model really answered, how fair the run was, the
     * memory figure and its probe, audio scores. The completion text, the
     * backend's timings object and the removed spans stay in rows.jsonl. */
    "backend_kind", "served_model", "pair_role", "chat_template_hash", "prompt_cache", "connection",
    "thinking", "connect_ms", "last_token_ms", "usage_completion_tokens", "usage_differs",
    "malformed_chunks", "truncated", "reasoning_source", "memory_probe", "memory_kb", "quality",
    "composite_version", "action_ok", "audio_api", "wer", "wer_sub", "wer_del", "wer_ins",
    "wer_ref_words", "wer_normalisation", "wer_jiwer_default", NULL
};

struct _eval_rows_t {
    char dir[1024];
    int jsonl_fd, csv_fd, cohorts_fd;
    json_t *rows;        /* array */
    json_t *by_key;      /* key -> last row */
    json_t *order;       /* keys in first-seen order */
    json_t *cohorts;     /* name -> last record */
};

static int
s_mkdirs (const char *path)
{
    char tmp[1024];
    snprintf (tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir (tmp, 0755) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir (tmp, 0755) && errno != EEXIST ? -1 : 0;
}

/* Cuts PATH back to its last complete line (a write torn by a kill). */
static void
s_cut_torn (const char *path)
{
    size_t len = 0;
    char *text = eval_read_file (path, &len);
    if (!text)
        return;
    size_t keep = len;
    while (keep && text[keep - 1] != '\n')
        keep--;
    if (keep != len && truncate (path, (off_t) keep) != 0)
        fprintf (stderr, "eval-runner: cannot truncate %s: %s\n", path, strerror (errno));
    free (text);
}

static void
s_index (eval_rows_t *self, json_t *row)
{
    const char *key = json_string_value (json_object_get (row, "key"));
    if (!key)
        return;
    if (!json_object_get (self->by_key, key))
        json_array_append_new (self->order, json_string (key));
    json_object_set (self->by_key, key, row);
}

static void
s_csv_field (char **buf, size_t *len, size_t *cap, json_t *v)
{
    char tmp[64];
    const char *s = "";
    char *dumped = NULL;
    if (json_is_string (v))
        s = json_string_value (v);
    else if (json_is_integer (v)) {
        snprintf (tmp, sizeof tmp, "%lld", (long long) json_integer_value (v));
        s = tmp;
    }
    else if (json_is_real (v)) {
        snprintf (tmp, sizeof tmp, "%.6g", json_real_value (v));
        s = tmp;
    }
    else if (json_is_boolean (v))
        s = json_is_true (v) ? "true" : "false";
    else if (v && !json_is_null (v))
        s = dumped = json_dumps (v, JSON_COMPACT | JSON_ENCODE_ANY);
    bool quote = strpbrk (s, ",\"\n\r") != NULL;
    size_t need = *len + 2 * strlen (s) + 4;
    if (need > *cap) {
        *cap = need * 2;
        *buf = (char *) realloc (*buf, *cap);
    }
    char *p = *buf + *len;
    if (quote)
        *p++ = '"';
    for (; *s; s++) {
        if (*s == '"')
            *p++ = '"';
        *p++ = (*s == '\n' || *s == '\r') ? ' ' : *s;
    }
    if (quote)
        *p++ = '"';
    *len = (size_t) (p - *buf);
    free (dumped);
}

/* One CSV line for ROW (with its newline); free() it. */
static char *
s_csv_line (json_t *row, bool header)
{
    size_t len = 0, cap = 1024;
    char *buf = (char *) malloc (cap);
    for (int i = 0; eval_rows_columns[i]; i++) {
        if (i) {
            if (len + 2 > cap)
                buf = (char *) realloc (buf, cap *= 2);
            buf[len++] = ',';
        }
        json_t *v = header ? json_string (eval_rows_columns[i]) : json_object_get (row, eval_rows_columns[i]);
        s_csv_field (&buf, &len, &cap, v);
        if (header)
            json_decref (v);
    }
    if (len + 2 > cap)
        buf = (char *) realloc (buf, cap + 2);
    buf[len++] = '\n';
    buf[len] = 0;
    return buf;
}

static int
s_write_all (int fd, const char *s)
{
    size_t n = strlen (s), off = 0;
    while (off < n) {
        ssize_t w = write (fd, s + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        off += (size_t) w;
    }
    return 0;
}

static size_t
s_count_lines (const char *path)
{
    char *t = eval_read_file (path, NULL);
    size_t n = 0;
    for (char *p = t; p && *p; p++)
        n += *p == '\n';
    free (t);
    return n;
}

/* True when PATH's first line is not today's header: a file written by an
 * older version (other columns) is rebuilt rather than appended to. */
static bool
s_csv_header_differs (const char *path)
{
    FILE *f = fopen (path, "r");
    if (!f)
        return true;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline (&line, &cap, f);
    fclose (f);
    char *want = s_csv_line (NULL, true);
    bool differs = n < 0 || strcmp (line, want);
    free (want);
    free (line);
    return differs;
}

/* Rewrites rows.csv from the rows held in memory. */
static int
s_rebuild_csv (eval_rows_t *self, const char *path)
{
    char tmp[1100];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    char *h = s_csv_line (NULL, true);
    int rc = s_write_all (fd, h);
    free (h);
    size_t i;
    json_t *row;
    json_array_foreach (self->rows, i, row) {
        char *l = s_csv_line (row, false);
        rc |= s_write_all (fd, l);
        free (l);
    }
    close (fd);
    return rc ? -1 : rename (tmp, path);
}

static int
s_load_jsonl (const char *path, json_t *into_array)
{
    char *text = eval_read_file (path, NULL);
    if (!text)
        return 0;
    char *save = NULL;
    int bad = 0;
    for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        json_t *j = json_loads (line, 0, NULL);
        if (json_is_object (j))
            json_array_append_new (into_array, j);
        else {
            json_decref (j);
            bad++;
        }
    }
    free (text);
    return bad;
}

eval_rows_t *
eval_rows_open (const char *dir, char *err, size_t errlen)
{
    char path[1100], comp[1100];
    snprintf (comp, sizeof comp, "%s/completions", dir);
    if (s_mkdirs (comp)) {
        snprintf (err, errlen, "cannot create %s: %s", comp, strerror (errno));
        return NULL;
    }
    eval_rows_t *self = (eval_rows_t *) calloc (1, sizeof (eval_rows_t));
    snprintf (self->dir, sizeof self->dir, "%s", dir);
    self->rows = json_array ();
    self->by_key = json_object ();
    self->order = json_array ();
    self->cohorts = json_object ();

    snprintf (path, sizeof path, "%s/rows.jsonl", dir);
    s_cut_torn (path);
    int bad = s_load_jsonl (path, self->rows);
    if (bad)
        fprintf (stderr, "eval-runner: %s: %d unreadable lines ignored\n", path, bad);
    size_t i;
    json_t *row;
    json_array_foreach (self->rows, i, row)
        s_index (self, row);
    self->jsonl_fd = open (path, O_WRONLY | O_CREAT | O_APPEND, 0644);

    snprintf (path, sizeof path, "%s/rows.csv", dir);
    s_cut_torn (path);
    if (s_count_lines (path) != json_array_size (self->rows) + 1 || s_csv_header_differs (path))
        s_rebuild_csv (self, path);
    self->csv_fd = open (path, O_WRONLY | O_CREAT | O_APPEND, 0644);

    snprintf (path, sizeof path, "%s/cohorts.jsonl", dir);
    s_cut_torn (path);
    json_t *recs = json_array ();
    s_load_jsonl (path, recs);
    json_array_foreach (recs, i, row) {
        const char *name = json_string_value (json_object_get (row, "cohort"));
        if (name)
            json_object_set (self->cohorts, name, row);
    }
    json_decref (recs);
    self->cohorts_fd = open (path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (self->jsonl_fd < 0 || self->csv_fd < 0 || self->cohorts_fd < 0) {
        snprintf (err, errlen, "cannot open the row files in %s: %s", dir, strerror (errno));
        eval_rows_destroy (&self);
        return NULL;
    }
    return self;
}

void
eval_rows_destroy (eval_rows_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    eval_rows_t *self = *self_p;
    if (self->jsonl_fd > 0)
        close (self->jsonl_fd);
    if (self->csv_fd > 0)
        close (self->csv_fd);
    if (self->cohorts_fd > 0)
        close (self->cohorts_fd);
    json_decref (self->rows);
    json_decref (self->by_key);
    json_decref (self->order);
    json_decref (self->cohorts);
    free (self);
    *self_p = NULL;
}

const char *
eval_rows_dir (eval_rows_t *self)
{
    return self->dir;
}

void
eval_rows_key (char *out, size_t outlen, const char *cohort, const char *bucket,
               const char *scenario, long rep)
{
    snprintf (out, outlen, "%s|%s|%s|%ld", cohort, bucket, scenario, rep);
}

bool
eval_rows_done (eval_rows_t *self, const char *key, bool retry_errors)
{
    json_t *row = json_object_get (self->by_key, key);
    if (!row)
        return false;
    const char *outcome = json_string_value (json_object_get (row, "outcome"));
    return (outcome && !strcmp (outcome, "ok")) || !retry_errors;
}

int
eval_rows_append (eval_rows_t *self, json_t *row, char *err, size_t errlen)
{
    const char *key = json_string_value (json_object_get (row, "key"));
    if (!key) {
        snprintf (err, errlen, "row without key");
        return -1;
    }
    /* The completion first: a row never points at a file that is not there. */
    const char *completion = json_string_value (json_object_get (row, "completion"));
    char name[600], path[1800];
    snprintf (name, sizeof name, "%s", key);
    for (char *p = name; *p; p++)
        if (*p == '/' || *p == '|' || *p == ' ')
            *p = '_';
    snprintf (path, sizeof path, "%s/completions/%s.txt", self->dir, name);
    FILE *f = fopen (path, "w");
    if (f) {
        fputs (completion ? completion : "", f);
        fclose (f);
        char rel[700];
        snprintf (rel, sizeof rel, "completions/%s.txt", name);
        json_object_set_new (row, "completion_file", json_string (rel));
    }
    char *line = json_dumps (row, JSON_COMPACT);
    char *jl = (char *) malloc (strlen (line) + 2);
    sprintf (jl, "%s\n", line);
    free (line);
    int rc = s_write_all (self->jsonl_fd, jl);
    free (jl);
    char *csv = s_csv_line (row, false);
    rc |= s_write_all (self->csv_fd, csv);
    free (csv);
    if (rc) {
        snprintf (err, errlen, "cannot write rows in %s: %s", self->dir, strerror (errno));
        return -1;
    }
    json_array_append (self->rows, row);
    s_index (self, row);
    return 0;
}

int
eval_rows_cohort (eval_rows_t *self, json_t *rec)
{
    char *line = json_dumps (rec, JSON_COMPACT);
    char *jl = (char *) malloc (strlen (line) + 2);
    sprintf (jl, "%s\n", line);
    free (line);
    int rc = s_write_all (self->cohorts_fd, jl);
    free (jl);
    const char *name = json_string_value (json_object_get (rec, "cohort"));
    if (name)
        json_object_set (self->cohorts, name, rec);
    return rc;
}

json_t *
eval_rows_all (eval_rows_t *self)
{
    return self->rows;
}

json_t *
eval_rows_latest (eval_rows_t *self)
{
    json_t *out = json_array ();
    size_t i;
    json_t *k;
    json_array_foreach (self->order, i, k)
        json_array_append (out, json_object_get (self->by_key, json_string_value (k)));
    return out;
}

json_t *
eval_rows_cohorts (eval_rows_t *self)
{
    return self->cohorts;
}

size_t
eval_rows_count (eval_rows_t *self)
{
    return json_array_size (self->rows);
}
