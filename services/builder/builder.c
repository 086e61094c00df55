/* builder - see builder.h. */
#include "services/builder/builder.h"
#include "services/builder/fw_history.h"
#include "services/builder/fw_image.h"
#include "services/builder/fw_job.h"
#include "services/builder/fw_recipe.h"
#include "services/builder/fw_store.h"
#include "services/labd/labd_proc.h"
#include "services/labd/labd_unit.h"
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JOBS_MAX 16
#define HISTORY_SHOWN 10

typedef struct {
    fw_job_args_t args;
    zactor_t *actor;
    uint64_t started_ms;
    bool over;
    char final[1024];       /* the job's last word (JSON) */
} job_rec_t;

struct _builder_t {
    lab_config_t *cfg;
    bus_client_t *bus;
    bus_endpoints_t ep;
    fw_recipes_t recipes;
    fw_store_t *store;
    fw_history_t *history;
    char dir[PATH_MAX];             /* <state>/builder */
    char images_dir[PATH_MAX];
    char piddir[PATH_MAX];          /* <runtime>/builder: running builds */
    char **power;                   /* power-cycle argv template, or NULL */
    job_rec_t *jobs[JOBS_MAX];
    unsigned next_job;
    zhashx_t *alerted;              /* board -> version already alerted about */
    zhashx_t *board_version;        /* board -> last version reported */
    zhashx_t *own_ota;              /* OTA job ids our jobs started */
    zlist_t *boards;                /* names from the config */
};

static uint64_t s_ms (void) { return bus_mono_ns () / 1000000ull; }

/* ------------------------------------------------------------------ */
/* Job ids survive restarts: "b" + a counter kept in <dir>/next_job. */

static void
s_load_counter (builder_t *self)
{
    char path[PATH_MAX + 16];
    snprintf (path, sizeof path, "%s/next_job", self->dir);
    FILE *f = fopen (path, "r");
    unsigned v = 1;
    if (f) {
        if (fscanf (f, "%u", &v) != 1 || v == 0)
            v = 1;
        fclose (f);
    }
    self->next_job = v;
}

static void
s_next_id (builder_t *self, char *out, size_t outlen)
{
    snprintf (out, outlen, "b%u", self->next_job++);
    char path[PATH_MAX + 16], tmp[PATH_MAX + 24];
    snprintf (path, sizeof path, "%s/next_job", self->dir);
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen (tmp, "w");
    if (f) {
        fprintf (f, "%u\n", self->next_job);
        if (!fclose (f))
            rename (tmp, path);
    }
}

/* ------------------------------------------------------------------ */
/* History */

static void
s_publish_history (builder_t *self, const char *board)
{
    Lab__FirmwareHistory *h = fw_history_msg (self->history, board, HISTORY_SHOWN);
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_FW_HISTORY;
    env.fw_history = h;
    char topic[128];
    snprintf (topic, sizeof topic, "state.fwhistory.%s", board);
    bus_client_publish (self->bus, topic, &env);
    fw_history_msg_free (h);
}

static job_rec_t *
s_job_on_board (builder_t *self, const char *board)
{
    for (int i = 0; i < JOBS_MAX; i++)
        if (self->jobs[i] && !self->jobs[i]->over && !strcmp (self->jobs[i]->args.board, board))
            return self->jobs[i];
    return NULL;
}

/* A board reporting a version other than the one last put on it. Jobs that
 * are flashing it check for themselves; this catches the later surprises
 * (a rollback after a reset, a flash behind the lab's back). */
static void
s_on_board_state (builder_t *self, const Lab__BoardState *b)
{
    /* A silent or unplugged board's version is the last one it reported,
     * not what it runs now. */
    if (!b->board || !fw_name_ok (b->board) || !b->firmware_version || !*b->firmware_version || b->silent
        || !b->connected)
        return;
    const char *last = (const char *) zhashx_lookup (self->board_version, b->board);
    if (last && !strcmp (last, b->firmware_version))
        return;
    zhashx_update (self->board_version, b->board, strdup (b->firmware_version));
    const char *expected = fw_history_expected (self->history, b->board);
    if (!*expected || !strcmp (expected, b->firmware_version) || s_job_on_board (self, b->board)) {
        zhashx_delete (self->alerted, b->board);
        return;
    }
    const char *done = (const char *) zhashx_lookup (self->alerted, b->board);
    if (done && !strcmp (done, b->firmware_version))
        return;
    zhashx_update (self->alerted, b->board, strdup (b->firmware_version));
    char text[300];
    snprintf (text, sizeof text, "%s is running %s, but the last flash/OTA put %s there", b->board,
              b->firmware_version, expected);
    Lab__Alert a = LAB__ALERT__INIT;
    a.severity = "error";
    a.kind = "fw_mismatch";
    a.subject = b->board;
    a.text = text;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_ALERT;
    env.alert = &a;
    char topic[128];
    snprintf (topic, sizeof topic, "evt.alert.fw_mismatch.%s", b->board);
    bus_client_publish (self->bus, topic, &env);
    zsys_warning ("builder: %s", text);
}

/* ------------------------------------------------------------------ */
/* What jobs tell us */

/* Copies of RECIPE's images staged for ota-initiator (<recipe>-<sha12>.bin
 * in its image directory) go when the store lets the image itself go. */
static void
s_prune_staged (builder_t *self, const char *recipe)
{
    zdir_t *d = zdir_new (self->images_dir, "-");
    zlist_t *files = d ? zdir_list (d) : NULL;
    size_t rl = strlen (recipe);
    for (zfile_t *f = files ? (zfile_t *) zlist_first (files) : NULL; f; f = (zfile_t *) zlist_next (files)) {
        const char *path = zfile_filename (f, NULL);
        const char *base = strrchr (path, '/') ? strrchr (path, '/') + 1 : path;
        char sha[13] = "", err[256];
        if (strncmp (base, recipe, rl) || base[rl] != '-' || strlen (base + rl + 1) != 16
            || strcmp (base + rl + 13, ".bin"))
            continue;
        memcpy (sha, base + rl + 1, 12);
        if (!fw_store_find (self->store, recipe, sha, err, sizeof err))
            zfile_remove (f);
    }
    zlist_destroy (&files);
    zdir_destroy (&d);
}

static void
s_on_built (builder_t *self, job_rec_t *j, const char *row_text)
{
    char err[512] = "", path[PATH_MAX + 200] = "";
    json_t *row = fw_store_parse_row (row_text, strlen (row_text));
    const fw_recipe_t *r = row ? fw_recipes_find (&self->recipes, json_string_value (json_object_get (row, "recipe"))) : NULL;
    if (!row || !r)
        snprintf (err, sizeof err, "malformed build row from job %s", j->args.id);
    else {
        const char *sha = json_string_value (json_object_get (row, "sha256"));
        if (!strcmp (json_string_value (json_object_get (row, "result")), "ok")
            && !fw_store_keep (self->store, r->name, sha, r->artefact, path, sizeof path, err, sizeof err))
            json_object_set_new (row, "path", json_string (path));
        else if (!strcmp (json_string_value (json_object_get (row, "result")), "ok")) {
            json_object_set_new (row, "result", json_string ("failed"));
            json_object_set_new (row, "error", json_string (err));
            path[0] = 0;
        }
        char err2[512];
        if (fw_store_add (self->store, row, r->keep, err2, sizeof err2))
            zsys_error ("builder: %s", err2);
        s_prune_staged (self, r->name);
    }
    json_decref (row);
    zmsg_t *m = zmsg_new ();
    zmsg_addstr (m, "stored");
    zmsg_addstr (m, path);
    zmsg_addstr (m, err);
    zmsg_send (&m, zactor_sock (j->actor));
}

static void
s_on_history (builder_t *self, const char *text)
{
    json_t *ev = fw_history_parse_event (text, strlen (text));
    char err[512];
    if (!ev) {
        zsys_error ("builder: malformed history event from a job dropped");
        return;
    }
    if (fw_history_append (self->history, ev, err, sizeof err))
        zsys_error ("builder: %s", err);
    const char *board = json_string_value (json_object_get (ev, "board"));
    /* The mismatch check starts again from what was just put there. */
    zhashx_delete (self->alerted, board);
    zhashx_delete (self->board_version, board);
    s_publish_history (self, board);
    json_decref (ev);
}

static void
s_on_job (builder_t *self, job_rec_t *j)
{
    zmsg_t *m = zmsg_recv (zactor_sock (j->actor));
    if (!m)
        return;
    char *what = zmsg_popstr (m);
    char *arg = zmsg_popstr (m);
    if (what && !strcmp (what, "built") && arg)
        s_on_built (self, j, arg);
    else if (what && !strcmp (what, "history") && arg)
        s_on_history (self, arg);
    else if (what && !strcmp (what, "ota-job") && arg) {
        if (zhashx_size (self->own_ota) > 256)
            zhashx_purge (self->own_ota);
        zhashx_update (self->own_ota, arg, (void *) 1);
    }
    else if (what && !strcmp (what, "done")) {
        snprintf (j->final, sizeof j->final, "%s", arg ? arg : "{}");
        j->over = true;
        zsys_info ("builder: job %s (%s) over: %s", j->args.id, fw_job_kind_name (j->args.kind), j->final);
    }
    zstr_free (&what);
    zstr_free (&arg);
    zmsg_destroy (&m);
}

static void
s_reap_jobs (builder_t *self)
{
    for (int i = 0; i < JOBS_MAX; i++) {
        job_rec_t *j = self->jobs[i];
        if (j && j->over) {
            zactor_destroy (&j->actor);
            labd_argv_free (j->args.power);
            free (j);
            self->jobs[i] = NULL;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Starting jobs */

static job_rec_t *
s_job_new (builder_t *self, fw_job_kind_t kind, const char *board, char *err, size_t errlen)
{
    int slot = -1;
    for (int i = 0; i < JOBS_MAX && slot < 0; i++)
        if (!self->jobs[i])
            slot = i;
    if (slot < 0) {
        snprintf (err, errlen, "%d jobs are running already; try again when one is over", JOBS_MAX);
        return NULL;
    }
    job_rec_t *busy = board && *board ? s_job_on_board (self, board) : NULL;
    if (busy) {
        snprintf (err, errlen, "%s is busy with job %s (%s, started %.0f s ago)", board, busy->args.id,
                  fw_job_kind_name (busy->args.kind), (double) (s_ms () - busy->started_ms) / 1000.0);
        return NULL;
    }
    job_rec_t *j = (job_rec_t *) calloc (1, sizeof (job_rec_t));
    j->args.kind = kind;
    j->args.ep = self->ep;
    j->args.boot_timeout_ms = self->recipes.boot_timeout_ms;
    snprintf (j->args.images_dir, sizeof j->args.images_dir, "%s", self->images_dir);
    snprintf (j->args.piddir, sizeof j->args.piddir, "%s", self->piddir);
    if (board) {
        snprintf (j->args.board, sizeof j->args.board, "%s", board);
        snprintf (j->args.prev_version, sizeof j->args.prev_version, "%s", fw_history_expected (self->history, board));
    }
    self->jobs[slot] = j;
    return j;
}

static void
s_job_start (builder_t *self, job_rec_t *j)
{
    s_next_id (self, j->args.id, sizeof j->args.id);
    j->started_ms = s_ms ();
    j->actor = zactor_new (fw_job_actor, &j->args);
}

/* One build of a recipe at a time: its artefact path is shared. */
static job_rec_t *
s_job_of_recipe (builder_t *self, const char *recipe)
{
    for (int i = 0; i < JOBS_MAX; i++) {
        job_rec_t *j = self->jobs[i];
        /* A diagnose that builds the known-good image first holds it too. */
        if (j && !j->over && j->args.has_recipe && !strcmp (j->args.recipe.name, recipe))
            return j;
    }
    return NULL;
}

static bool
s_board_known (builder_t *self, const char *board)
{
    for (const char *b = (const char *) zlist_first (self->boards); b; b = (const char *) zlist_next (self->boards))
        if (!strcmp (b, board))
            return true;
    return false;
}

static void
s_reply_started (bus_request_t *rq, job_rec_t *j, const char *what)
{
    json_t *o = json_pack ("{s:s, s:s, s:s, s:s}", "job", j->args.id, "kind", fw_job_kind_name (j->args.kind),
                           "recipe", j->args.has_recipe ? j->args.recipe.name : j->args.image_recipe, "board",
                           j->args.board);
    char *json = json_dumps (o, JSON_COMPACT);
    bus_request_reply (rq, BUS_OK, json, "%s: %s; /watch %s for progress", j->args.id, what, j->args.id);
    free (json);
    json_decref (o);
}

/* build RECIPE | reflash RECIPE BOARD */
static void
s_cmd_build (builder_t *self, bus_request_t *rq, const Lab__CommandRequest *c, bool reflash)
{
    if ((!reflash && c->n_args != 1) || (reflash && c->n_args != 2)) {
        bus_request_reply (rq, BUS_EUSAGE, NULL, reflash ? "usage: reflash RECIPE BOARD" : "usage: build RECIPE");
        return;
    }
    const fw_recipe_t *r = fw_recipes_find (&self->recipes, c->args[0]);
    if (!r) {
        bus_request_reply (rq, BUS_ENOTFOUND, NULL, "no recipe '%.64s' (labctl builds --recipes lists them)", c->args[0]);
        return;
    }
    job_rec_t *running = s_job_of_recipe (self, r->name);
    if (running) {
        bus_request_reply (rq, BUS_EBUSY, NULL, "%s is already being built by job %s (started %.0f s ago); "
                           "one build per recipe at a time", r->name, running->args.id,
                           (double) (s_ms () - running->started_ms) / 1000.0);
        return;
    }
    const char *board = reflash ? c->args[1] : NULL;
    if (board && !s_board_known (self, board)) {
        bus_request_reply (rq, BUS_ENOTFOUND, NULL, "no board '%.64s' in the lab config", board);
        return;
    }
    char err[256];
    job_rec_t *j = s_job_new (self, reflash ? FW_JOB_REFLASH : FW_JOB_BUILD, board, err, sizeof err);
    if (!j) {
        bus_request_reply (rq, BUS_EBUSY, NULL, "%s", err);
        return;
    }
    j->args.recipe = *r;
    j->args.has_recipe = true;
    j->args.how = r->deliver;
    snprintf (j->args.via, sizeof j->args.via, "%s", r->via);
    s_job_start (self, j);
    char what[256];
    if (reflash)
        snprintf (what, sizeof what, "building %s, then %s to %s", r->name,
                  r->deliver == FW_DELIVER_USB ? "flashing it over USB" : "pushing it over ESP-NOW", board);
    else
        snprintf (what, sizeof what, "building %s", r->name);
    s_reply_started (rq, j, what);
}

/* flash BOARD latest|HASH [RECIPE] | ota BOARD latest|HASH [VIA [RECIPE]] */
static void
s_cmd_deliver (builder_t *self, bus_request_t *rq, const Lab__CommandRequest *c, bool ota)
{
    size_t max = ota ? 4 : 3;
    if (c->n_args < 2 || c->n_args > max) {
        bus_request_reply (rq, BUS_EUSAGE, NULL,
                           ota ? "usage: ota BOARD latest|HASH [VIA [RECIPE]]" : "usage: flash BOARD latest|HASH [RECIPE]");
        return;
    }
    const char *board = c->args[0], *ref = c->args[1];
    const char *via = ota && c->n_args > 2 ? c->args[2] : NULL;
    const char *recipe = c->n_args > (ota ? 3u : 2u) ? c->args[ota ? 3 : 2] : NULL;
    if (!s_board_known (self, board) || (via && !s_board_known (self, via))) {
        bus_request_reply (rq, BUS_ENOTFOUND, NULL, "no board '%.64s' in the lab config", s_board_known (self, board) ? via : board);
        return;
    }
    char err[512];
    json_t *row = fw_store_find (self->store, recipe, ref, err, sizeof err);
    if (!row) {
        bus_request_reply (rq, BUS_ENOTFOUND, NULL, "%s", err);
        return;
    }
    const char *row_recipe = json_string_value (json_object_get (row, "recipe"));
    const fw_recipe_t *r = fw_recipes_find (&self->recipes, row_recipe);
    if (ota && !via)
        via = r && r->via[0] ? r->via : NULL;
    if (ota && !via) {
        bus_request_reply (rq, BUS_EUSAGE, NULL, "which board sends it? ota %s %s VIA", board, ref);
        return;
    }
    job_rec_t *j = s_job_new (self, ota ? FW_JOB_OTA : FW_JOB_FLASH, board, err, sizeof err);
    if (!j) {
        bus_request_reply (rq, BUS_EBUSY, NULL, "%s", err);
        return;
    }
    snprintf (j->args.image, sizeof j->args.image, "%s", json_string_value (json_object_get (row, "path")));
    snprintf (j->args.sha256, sizeof j->args.sha256, "%s", json_string_value (json_object_get (row, "sha256")));
    snprintf (j->args.version, sizeof j->args.version, "%s", json_string_value (json_object_get (row, "version")) ?: "");
    snprintf (j->args.image_recipe, sizeof j->args.image_recipe, "%s", row_recipe);
    j->args.size = (uint64_t) json_integer_value (json_object_get (row, "size"));
    if (via)
        snprintf (j->args.via, sizeof j->args.via, "%s", via);
    s_job_start (self, j);
    char what[256];
    snprintf (what, sizeof what, "%s %s %s (%.12s) to %s%s%s", ota ? "pushing" : "flashing", row_recipe,
              j->args.version, j->args.sha256, board, ota ? " via " : " over USB", ota ? via : "");
    s_reply_started (rq, j, what);
}

/* diagnose BOARD [SPARE] */
static void
s_cmd_diagnose (builder_t *self, bus_request_t *rq, const Lab__CommandRequest *c)
{
    if (c->n_args < 1 || c->n_args > 2) {
        bus_request_reply (rq, BUS_EUSAGE, NULL, "usage: diagnose BOARD [SPARE]");
        return;
    }
    const char *board = c->args[0];
    const char *spare = c->n_args > 1 ? c->args[1] : NULL;
    if (!s_board_known (self, board) || (spare && (!s_board_known (self, spare) || !strcmp (spare, board)))) {
        bus_request_reply (rq, BUS_ENOTFOUND, NULL, "no board '%.64s' in the lab config (or the spare is the board)",
                           s_board_known (self, board) ? spare : board);
        return;
    }
    /* The spare: the first other board. */
    for (const char *b = (const char *) zlist_first (self->boards); b && !spare; b = (const char *) zlist_next (self->boards))
        if (strcmp (b, board))
            spare = b;
    const fw_recipe_t *good = fw_recipes_known_good (&self->recipes);
    char err[512];
    json_t *row = good ? fw_store_find (self->store, good->name, "latest", err, sizeof err) : NULL;
    if (good && !row && s_job_of_recipe (self, good->name)) {
        bus_request_reply (rq, BUS_EBUSY, NULL, "the known-good recipe %s is building; try when it is done", good->name);
        return;
    }
    job_rec_t *j = s_job_new (self, FW_JOB_DIAGNOSE, board, err, sizeof err);
    if (!j) {
        bus_request_reply (rq, BUS_EBUSY, NULL, "%s", err);
        return;
    }
    snprintf (j->args.spare, sizeof j->args.spare, "%s", spare ? spare : "");
    if (row) {
        snprintf (j->args.good_image, sizeof j->args.good_image, "%s", json_string_value (json_object_get (row, "path")));
        snprintf (j->args.good_version, sizeof j->args.good_version, "%s", json_string_value (json_object_get (row, "version")) ?: "");
        snprintf (j->args.good_sha256, sizeof j->args.good_sha256, "%s", json_string_value (json_object_get (row, "sha256")));
        snprintf (j->args.image_recipe, sizeof j->args.image_recipe, "%s", good->name);
    }
    else if (good) {
        j->args.recipe = *good;
        j->args.has_recipe = true;
    }
    if (self->recipes.power[0]) {
        char line[1024];
        snprintf (line, sizeof line, "%s", self->recipes.power);
        char *at;
        while ((at = strstr (line, "{board}"))) {
            char rest[1024];
            snprintf (rest, sizeof rest, "%s", at + 7);
            snprintf (at, sizeof line - (size_t) (at - line), "%s%s", board, rest);
        }
        j->args.power = labd_argv_split (line);
    }
    s_job_start (self, j);
    char what[256];
    snprintf (what, sizeof what, "diagnosing %s (spare %s%s%s)", board, spare ? spare : "none",
              good ? ", known-good " : "", good ? good->name : "");
    s_reply_started (rq, j, what);
}

static void
s_cmd_builds (builder_t *self, bus_request_t *rq, const Lab__CommandRequest *c)
{
    const char *recipe = c->n_args > 0 ? c->args[0] : NULL;
    if (c->n_args > 1 || (recipe && !fw_recipes_find (&self->recipes, recipe))) {
        bus_request_reply (rq, c->n_args > 1 ? BUS_EUSAGE : BUS_ENOTFOUND, NULL,
                           c->n_args > 1 ? "usage: builds [RECIPE]" : "no recipe '%.64s'", recipe);
        return;
    }
    json_t *rows = fw_store_list (self->store, recipe, 20);
    char *text = NULL;
    size_t len = 0;
    FILE *t = open_memstream (&text, &len);
    fprintf (t, "%-6s %-16s %-7s %-20s %9s %-12s %7s  %s\n", "JOB", "RECIPE", "RESULT", "VERSION", "SIZE", "SHA256",
             "TIME", "WHEN");
    size_t i;
    json_t *row;
    json_array_foreach (rows, i, row) {
        time_t when = (time_t) (json_integer_value (json_object_get (row, "ts_ns")) / 1000000000);
        struct tm tm;
        localtime_r (&when, &tm);
        char stamp[32];
        strftime (stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
        const char *err = json_string_value (json_object_get (row, "error"));
        fprintf (t, "%-6s %-16s %-7s %-20s %9lld %-12.12s %6.1fs  %s%s%s\n",
                 json_string_value (json_object_get (row, "job")) ?: "-",
                 json_string_value (json_object_get (row, "recipe")),
                 json_string_value (json_object_get (row, "result")),
                 json_string_value (json_object_get (row, "version")) ?: "",
                 (long long) json_integer_value (json_object_get (row, "size")),
                 json_string_value (json_object_get (row, "sha256")) ?: "",
                 json_real_value (json_object_get (row, "build_s")), stamp, err && *err ? "  " : "",
                 err ? err : "");
    }
    fprintf (t, "recipes:");
    for (int k = 0; k < self->recipes.n; k++) {
        const fw_recipe_t *r = &self->recipes.recipes[k];
        fprintf (t, " %s (%s%s%s%s)", r->name, fw_deliver_name (r->deliver), r->via[0] ? " via " : "", r->via,
                 r->known_good ? ", known-good" : "");
    }
    fclose (t);
    char *json = json_dumps (rows, JSON_COMPACT);
    bus_request_reply (rq, BUS_OK, json, "%s", text);
    free (json);
    free (text);
    json_decref (rows);
}

static const char *
s_field (json_t *o, const char *key)
{
    const char *v = json_string_value (json_object_get (o, key));
    return v ? v : "";
}

static void
s_history_text (builder_t *self, FILE *t, const char *board)
{
    json_t *events = fw_history_events (self->history, board, HISTORY_SHOWN);
    const char *expected = fw_history_expected (self->history, board);
    fprintf (t, "%s: %s%s\n", board, *expected ? "should run " : "no flash or OTA recorded", expected);
    size_t i;
    json_t *ev;
    json_array_foreach (events, i, ev) {
        time_t when = (time_t) (json_integer_value (json_object_get (ev, "ts_ns")) / 1000000000);
        struct tm tm;
        localtime_r (&when, &tm);
        char stamp[32];
        strftime (stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
        bool ok = !strcmp (s_field (ev, "result"), "ok");
        const char *err = s_field (ev, "error");
        fprintf (t, "  %s %-6s %-20s %.12s %s%s", stamp, s_field (ev, "how"), s_field (ev, "version"),
                 s_field (ev, "sha256"), s_field (ev, "result"),
                 json_is_true (json_object_get (ev, "rollback")) ? " ROLLBACK" : "");
        if (!ok && *err)
            fprintf (t, " (%s)", err);
        fprintf (t, "\n");
    }
    json_decref (events);
}

static void
s_cmd_history (builder_t *self, bus_request_t *rq, const Lab__CommandRequest *c)
{
    if (c->n_args > 1 || (c->n_args == 1 && !fw_name_ok (c->args[0]))) {
        bus_request_reply (rq, BUS_EUSAGE, NULL, "usage: history [BOARD]");
        return;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *t = open_memstream (&text, &len);
    json_t *out = json_object ();
    zlist_t *boards = zlist_dup (self->boards);
    zlist_comparefn (boards, (zlist_compare_fn *) strcmp);
    zlist_t *hist = fw_history_boards (self->history);
    for (const char *b = (const char *) zlist_first (hist); b; b = (const char *) zlist_next (hist))
        if (!zlist_exists (boards, (void *) b))
            zlist_append (boards, (void *) b);
    for (const char *b = (const char *) zlist_first (boards); b; b = (const char *) zlist_next (boards)) {
        if (c->n_args == 1 && strcmp (b, c->args[0]))
            continue;
        s_history_text (self, t, b);
        json_object_set_new (out, b, json_pack ("{s:s, s:o}", "expected_version", fw_history_expected (self->history, b),
                                                "events", fw_history_events (self->history, b, HISTORY_SHOWN)));
    }
    fclose (t);
    zlist_destroy (&boards);
    zlist_destroy (&hist);
    char *json = json_dumps (out, JSON_COMPACT);
    bool none = c->n_args == 1 && !json_object_size (out);
    if (len && text[len - 1] == '\n')
        text[len - 1] = 0;
    bus_request_reply (rq, none ? BUS_ENOTFOUND : BUS_OK, json, "%s", none ? "no such board" : text);
    free (json);
    free (text);
    json_decref (out);
}

static void
s_cmd_jobs (builder_t *self, bus_request_t *rq)
{
    char text[4096] = "";
    size_t o = 0;
    int n = 0;
    for (int i = 0; i < JOBS_MAX && o < sizeof text; i++) {
        job_rec_t *j = self->jobs[i];
        if (j && !j->over)
            o += (size_t) snprintf (text + o, sizeof text - o, "%s%s %s %s%s%s, %.0f s", n++ ? "\n" : "", j->args.id,
                                    fw_job_kind_name (j->args.kind),
                                    j->args.has_recipe ? j->args.recipe.name : j->args.image_recipe,
                                    j->args.board[0] ? " -> " : "", j->args.board,
                                    (double) (s_ms () - j->started_ms) / 1000.0);
    }
    bus_request_reply (rq, BUS_OK, NULL, "%s", n ? text : "no jobs running");
}

static void
s_handle (bus_request_t *rq, void *arg)
{
    builder_t *self = (builder_t *) arg;
    const Lab__CommandRequest *c = bus_request_command (rq);
    if (!c || !c->command) {
        bus_request_reply (rq, BUS_EPROTO, NULL, "builder: expected a command");
        return;
    }
    for (size_t i = 0; i < c->n_args; i++)
        if (!fw_name_ok (c->args[i])) {
            bus_request_reply (rq, BUS_EUSAGE, NULL, "'%.40s' is not a name (letters, digits, - _ .)", c->args[i]);
            return;
        }
    const char *cmd = c->command;
    if (!strcmp (cmd, "build"))
        s_cmd_build (self, rq, c, false);
    else if (!strcmp (cmd, "reflash"))
        s_cmd_build (self, rq, c, true);
    else if (!strcmp (cmd, "flash"))
        s_cmd_deliver (self, rq, c, false);
    else if (!strcmp (cmd, "ota"))
        s_cmd_deliver (self, rq, c, true);
    else if (!strcmp (cmd, "builds"))
        s_cmd_builds (self, rq, c);
    else if (!strcmp (cmd, "history"))
        s_cmd_history (self, rq, c);
    else if (!strcmp (cmd, "jobs"))
        s_cmd_jobs (self, rq);
    else if (!strcmp (cmd, "diagnose"))
        s_cmd_diagnose (self, rq, c);
    else
        bus_request_reply (rq, BUS_EUSAGE, NULL,
                           "builder: build RECIPE | reflash RECIPE BOARD | flash BOARD latest|HASH [RECIPE] | "
                           "ota BOARD latest|HASH [VIA [RECIPE]] | diagnose BOARD [SPARE] | builds [RECIPE] | "
                           "history [BOARD] | jobs");
}

/* ------------------------------------------------------------------ */

/* An OTA push someone else started (labctl ota push, chat /ota push IMAGE):
 * it changed a board too, so it goes into the history, once, even when its
 * final state is replayed to us after a restart. */
static void
s_on_ota (builder_t *self, const Lab__Envelope *env, const Lab__OtaJobState *s)
{
    bool done = !strcmp (s->state, "done"), failed = !strcmp (s->state, "failed");
    if ((!done && !failed) || !s->job || zhashx_lookup (self->own_ota, s->job) || !fw_name_ok (s->target))
        return;
    char source[160];
    snprintf (source, sizeof source, "ota:%s@%llu", s->job, (unsigned long long) env->ts_ns);
    if (fw_history_has_source (self->history, s->target, source))
        return;
    char path[PATH_MAX + 300], sha[65] = "";
    if (s->image && *s->image) {
        if (s->image[0] == '/')
            snprintf (path, sizeof path, "%s", s->image);
        else
            snprintf (path, sizeof path, "%s/%s", self->images_dir, s->image);
        if (fw_image_sha256_file (path, sha, NULL))
            sha[0] = 0;
    }
    const char *booted = s->booted_version ? s->booted_version : "";
    const char *result = failed ? "failed" : strcmp (booted, s->version) ? "mismatch" : "ok";
    bool rollback = !strcmp (result, "mismatch") && !strcmp (booted, fw_history_expected (self->history, s->target));
    json_t *ev = json_pack ("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s}", "ts_ns",
                            (json_int_t) env->ts_ns, "board", s->target, "sha256", sha, "version",
                            s->version ? s->version : "", "how", "espnow", "result", result, "rollback", rollback,
                            "booted_version", booted, "job", s->job, "recipe", "", "error", s->error ? s->error : "",
                            "source", source);
    char *text = json_dumps (ev, JSON_COMPACT);
    s_on_history (self, text);
    free (text);
    json_decref (ev);
}

/* A USB flash someone else asked serial-bridge for (labctl flash, chat
 * /flash BOARD IMAGE). Ours carry the job's client name as the caller. */
static void
s_on_flash (builder_t *self, const Lab__FirmwareEvent *e)
{
    if (!e->board || !fw_name_ok (e->board) || !e->result || !e->job || !strncmp (e->job, "builder.", 8))
        return;
    fw_image_info_t info;
    char err[256];
    memset (&info, 0, sizeof info);
    if (!e->image || fw_image_inspect (e->image, &info, err, sizeof err))
        snprintf (info.version, sizeof info.version, "%s", e->booted_version ? e->booted_version : "");
    const char *booted = e->booted_version ? e->booted_version : "";
    const char *result = e->result;
    if (!strcmp (result, "ok") && strcmp (booted, info.version))
        result = "mismatch";
    json_t *ev = json_pack ("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s}", "ts_ns",
                            (json_int_t) e->ts_ns, "board", e->board, "sha256", info.sha256, "version", info.version,
                            "how", "usb", "result", result, "rollback", false, "booted_version", booted, "job",
                            e->job, "recipe", "", "error", e->error ? e->error : "");
    char *text = json_dumps (ev, JSON_COMPACT);
    s_on_history (self, text);
    free (text);
    json_decref (ev);
}

static void
s_on_message (builder_t *self, bus_msg_t *msg)
{
    const Lab__FirmwareEvent *flash
        = !strncmp (msg->topic, "evt.flash.", 10) ? bus_msg_body (msg, LAB__ENVELOPE__BODY_FW_EVENT) : NULL;
    if (flash)
        s_on_flash (self, flash);
    const Lab__OtaJobState *ota = !strncmp (msg->topic, "state.ota.", 10) ? bus_msg_body (msg, LAB__ENVELOPE__BODY_OTA) : NULL;
    if (ota)
        s_on_ota (self, msg->env, ota);
    const Lab__BoardState *b = !strncmp (msg->topic, "state.board.", 12) ? bus_msg_body (msg, LAB__ENVELOPE__BODY_BOARD) : NULL;
    if (b)
        s_on_board_state (self, b);
}

int
builder_run (builder_t *self)
{
    while (!zsys_interrupted) {
        zmq_pollitem_t items[2 + JOBS_MAX];
        job_rec_t *owner[2 + JOBS_MAX];
        int n = 0;
        items[n++] = (zmq_pollitem_t) { zsock_resolve (bus_client_sub_sock (self->bus)), 0, ZMQ_POLLIN, 0 };
        items[n++] = (zmq_pollitem_t) { zsock_resolve (bus_client_req_sock (self->bus)), 0, ZMQ_POLLIN, 0 };
        for (int i = 0; i < JOBS_MAX; i++)
            if (self->jobs[i] && self->jobs[i]->actor) {
                owner[n] = self->jobs[i];
                items[n++] = (zmq_pollitem_t) { zsock_resolve (zactor_sock (self->jobs[i]->actor)), 0, ZMQ_POLLIN, 0 };
            }
        if (zmq_poll (items, n, 200) < 0 && errno != EINTR)
            break;
        for (int i = 2; i < n; i++)
            if (items[i].revents & ZMQ_POLLIN)
                s_on_job (self, owner[i]);
        bus_msg_t *msg;
        while ((msg = bus_client_recv (self->bus, 0))) {
            s_on_message (self, msg);
            bus_msg_destroy (&msg);
        }
        bus_client_tick (self->bus);
        s_reap_jobs (self);
    }
    return 0;
}

builder_t *
builder_new (lab_config_t *cfg, bus_client_t *bus, char *err, size_t errlen)
{
    builder_t *self = (builder_t *) calloc (1, sizeof (builder_t));
    self->cfg = cfg;
    self->bus = bus;
    if (fw_recipes_load (cfg, &self->recipes, err, errlen) || bus_endpoints_from_config (&self->ep, cfg, err, errlen)) {
        free (self);
        return NULL;
    }
    snprintf (self->dir, sizeof self->dir, "%s/builder", lab_config_get (cfg, "lab/state", "var/state"));
    snprintf (self->images_dir, sizeof self->images_dir, "%s", lab_config_get (cfg, "ota/images", "var/images"));
    char hdir[PATH_MAX + 16];
    snprintf (hdir, sizeof hdir, "%s/history", self->dir);
    self->store = fw_store_new (self->dir, err, errlen);
    self->history = self->store ? fw_history_new (hdir, err, errlen) : NULL;
    if (!self->history) {
        builder_destroy (&self);
        return NULL;
    }
    s_load_counter (self);
    char runtime[PATH_MAX - 16];
    if (lab_config_runtime_dir (cfg, runtime, sizeof runtime)) {
        snprintf (err, errlen, "cannot prepare the runtime directory");
        builder_destroy (&self);
        return NULL;
    }
    snprintf (self->piddir, sizeof self->piddir, "%s/builder", runtime);
    zsys_dir_create ("%s", self->piddir);
    int left = labd_pidfile_reap_all (self->piddir);
    if (left)
        zsys_warning ("builder: killed %d build(s) a killed builder left running", left);
    self->alerted = zhashx_new ();
    self->board_version = zhashx_new ();
    self->own_ota = zhashx_new ();
    zhashx_set_destructor (self->alerted, (zhashx_destructor_fn *) zstr_free);
    zhashx_set_destructor (self->board_version, (zhashx_destructor_fn *) zstr_free);
    self->boards = zlist_new ();
    zlist_autofree (self->boards);
    for (zconfig_t *s = zconfig_child (lab_config_root (cfg)); s; s = zconfig_next (s))
        if (!strcmp (zconfig_name (s), "boards"))
            for (zconfig_t *b = zconfig_child (s); b; b = zconfig_next (b))
                if (fw_name_ok (zconfig_name (b)))
                    zlist_append (self->boards, zconfig_name (b));
    if (bus) {
        bus_client_subscribe (bus, "state.board.");
        bus_client_subscribe (bus, "state.ota.");
        bus_client_subscribe (bus, "evt.flash.");
        bus_client_serve (bus, "builder", s_handle, self);
        /* Late joiners (the web page, chat) get every board's history. */
        zlist_t *hist = fw_history_boards (self->history);
        for (const char *b = (const char *) zlist_first (hist); b; b = (const char *) zlist_next (hist))
            s_publish_history (self, b);
        zlist_destroy (&hist);
    }
    return self;
}

void
builder_destroy (builder_t **self_p)
{
    builder_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < JOBS_MAX; i++)
        if (self->jobs[i]) {
            zactor_destroy (&self->jobs[i]->actor);
            labd_argv_free (self->jobs[i]->args.power);
            free (self->jobs[i]);
        }
    fw_store_destroy (&self->store);
    fw_history_destroy (&self->history);
    fw_recipes_free (&self->recipes);
    labd_argv_free (self->power);
    zhashx_destroy (&self->alerted);
    zhashx_destroy (&self->board_version);
    zhashx_destroy (&self->own_ota);
    zlist_destroy (&self->boards);
    free (self);
    *self_p = NULL;
}
