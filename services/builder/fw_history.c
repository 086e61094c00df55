/* fw_history - see fw_history.h. */
#include <czmq.h>
#include "services/builder/fw_history.h"
#include "services/builder/fw_recipe.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EVENTS_MAX 500   /* per board, in memory; the file keeps everything */

struct _fw_history_t {
    char dir[PATH_MAX];
    zhashx_t *boards;    /* board -> json array of events, oldest first */
    size_t malformed;
};

static void
s_array_free (void **item)
{
    json_decref ((json_t *) *item);
    *item = NULL;
}

json_t *
fw_history_parse_event (const char *line, size_t len)
{
    json_error_t jerr;
    json_t *ev = json_loadb (line, len, JSON_REJECT_DUPLICATES, &jerr);
    const char *board = json_string_value (json_object_get (ev, "board"));
    const char *result = json_string_value (json_object_get (ev, "result"));
    const char *how = json_string_value (json_object_get (ev, "how"));
    if (!json_is_object (ev) || !fw_name_ok (board) || !result
        || (strcmp (result, "ok") && strcmp (result, "failed") && strcmp (result, "mismatch")
            && strcmp (result, "unconfirmed"))
        || !how
        || !json_is_string (json_object_get (ev, "version"))) {
        json_decref (ev);
        return NULL;
    }
    return ev;
}

static json_t *
s_board (fw_history_t *self, const char *board)
{
    json_t *arr = (json_t *) zhashx_lookup (self->boards, board);
    if (!arr) {
        arr = json_array ();
        zhashx_insert (self->boards, board, arr);
    }
    return arr;
}

static void
s_push (fw_history_t *self, json_t *ev)
{
    json_t *arr = s_board (self, json_string_value (json_object_get (ev, "board")));
    json_array_append (arr, ev);
    if (json_array_size (arr) > EVENTS_MAX)
        json_array_remove (arr, 0);
}

static void
s_load_file (fw_history_t *self, const char *path)
{
    FILE *f = fopen (path, "r");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline (&line, &cap, f)) > 0) {
        json_t *ev = fw_history_parse_event (line, (size_t) n);
        if (ev)
            s_push (self, ev);
        else if (n > 1)
            self->malformed++;
        json_decref (ev);
    }
    free (line);
    fclose (f);
}

fw_history_t *
fw_history_new (const char *dir, char *err, size_t errlen)
{
    fw_history_t *self = (fw_history_t *) calloc (1, sizeof (fw_history_t));
    snprintf (self->dir, sizeof self->dir, "%s", dir);
    if (zsys_dir_create ("%s", dir)) {
        snprintf (err, errlen, "cannot create %s: %s", dir, strerror (errno));
        free (self);
        return NULL;
    }
    self->boards = zhashx_new ();
    zhashx_set_destructor (self->boards, s_array_free);
    zdir_t *d = zdir_new (dir, "-");
    zlist_t *files = d ? zdir_list (d) : NULL;
    for (zfile_t *f = files ? (zfile_t *) zlist_first (files) : NULL; f; f = (zfile_t *) zlist_next (files)) {
        const char *name = zfile_filename (f, NULL);
        size_t len = strlen (name);
        if (len > 6 && !strcmp (name + len - 6, ".jsonl"))
            s_load_file (self, name);
    }
    zlist_destroy (&files);
    zdir_destroy (&d);
    if (self->malformed)
        zsys_warning ("builder: %zu malformed firmware history line(s) under %s skipped", self->malformed, dir);
    return self;
}

void
fw_history_destroy (fw_history_t **self_p)
{
    fw_history_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->boards);
    free (self);
    *self_p = NULL;
}

int
fw_history_append (fw_history_t *self, json_t *event, char *err, size_t errlen)
{
    const char *board = json_string_value (json_object_get (event, "board"));
    if (!fw_name_ok (board)) {
        snprintf (err, errlen, "history event without a valid board name");
        return -1;
    }
    char path[PATH_MAX + 80];
    snprintf (path, sizeof path, "%s/%s.jsonl", self->dir, board);
    char *text = json_dumps (event, JSON_COMPACT);
    int fd = text ? open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
    int rc = -1;
    if (fd >= 0) {
        size_t len = strlen (text);
        text[len] = '\n';
        rc = write (fd, text, len + 1) == (ssize_t) (len + 1) && !fsync (fd) ? 0 : -1;
        close (fd);
    }
    if (rc)
        snprintf (err, errlen, "cannot append to %s: %s", path, strerror (errno));
    free (text);
    s_push (self, event);
    return rc;
}

bool
fw_history_has_source (fw_history_t *self, const char *board, const char *source)
{
    json_t *arr = (json_t *) zhashx_lookup (self->boards, board);
    size_t i;
    json_t *ev;
    json_array_foreach (arr, i, ev) {
        const char *src = json_string_value (json_object_get (ev, "source"));
        if (src && !strcmp (src, source))
            return true;
    }
    return false;
}

json_t *
fw_history_events (fw_history_t *self, const char *board, size_t max)
{
    json_t *out = json_array ();
    json_t *arr = (json_t *) zhashx_lookup (self->boards, board);
    for (size_t i = arr ? json_array_size (arr) : 0; i-- > 0 && json_array_size (out) < max;)
        json_array_append (out, json_array_get (arr, i));
    return out;
}

const char *
fw_history_expected (fw_history_t *self, const char *board)
{
    json_t *arr = (json_t *) zhashx_lookup (self->boards, board);
    for (size_t i = arr ? json_array_size (arr) : 0; i-- > 0;) {
        json_t *ev = json_array_get (arr, i);
        if (strcmp (json_string_value (json_object_get (ev, "result")), "failed"))
            return json_string_value (json_object_get (ev, "version"));
    }
    return "";
}

zlist_t *
fw_history_boards (fw_history_t *self)
{
    zlist_t *out = zlist_new ();
    zlist_autofree (out);
    for (void *v = zhashx_first (self->boards); v; v = zhashx_next (self->boards))
        zlist_append (out, (void *) zhashx_cursor (self->boards));
    zlist_sort (out, (zlist_compare_fn *) strcmp);
    return out;
}

size_t
fw_history_malformed (fw_history_t *self)
{
    return self->malformed;
}

static char *
s_str (json_t *ev, const char *key)
{
    const char *v = json_string_value (json_object_get (ev, key));
    return strdup (v ? v : "");
}

Lab__FirmwareHistory *
fw_history_msg (fw_history_t *self, const char *board, size_t max)
{
    Lab__FirmwareHistory *msg = (Lab__FirmwareHistory *) calloc (1, sizeof *msg);
    lab__firmware_history__init (msg);
    msg->board = strdup (board);
    msg->expected_version = strdup (fw_history_expected (self, board));
    json_t *events = fw_history_events (self, board, max);
    msg->n_events = json_array_size (events);
    msg->events = (Lab__FirmwareEvent **) calloc (msg->n_events + 1, sizeof (Lab__FirmwareEvent *));
    for (size_t i = 0; i < msg->n_events; i++) {
        json_t *ev = json_array_get (events, i);
        Lab__FirmwareEvent *e = (Lab__FirmwareEvent *) calloc (1, sizeof *e);
        lab__firmware_event__init (e);
        e->ts_ns = (uint64_t) json_integer_value (json_object_get (ev, "ts_ns"));
        e->sha256 = s_str (ev, "sha256");
        e->version = s_str (ev, "version");
        e->how = s_str (ev, "how");
        e->result = s_str (ev, "result");
        e->rollback = json_is_true (json_object_get (ev, "rollback"));
        e->booted_version = s_str (ev, "booted_version");
        e->job = s_str (ev, "job");
        e->recipe = s_str (ev, "recipe");
        e->error = s_str (ev, "error");
        msg->events[i] = e;
    }
    json_decref (events);
    return msg;
}

void
fw_history_msg_free (Lab__FirmwareHistory *msg)
{
    if (!msg)
        return;
    for (size_t i = 0; i < msg->n_events; i++) {
        Lab__FirmwareEvent *e = msg->events[i];
        free (e->sha256); free (e->version); free (e->how); free (e->result);
        free (e->booted_version); free (e->job); free (e->recipe); free (e->error);
        free (e);
    }
    free (msg->events);
    free (msg->board);
    free (msg->expected_version);
    free (msg);
}
