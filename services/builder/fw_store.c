/* fw_store - see fw_store.h. */
#include "services/builder/fw_store.h"
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROWS_MAX 2000   /* kept in memory; the file keeps everything */

struct _fw_store_t {
    char dir[PATH_MAX];
    char log[PATH_MAX + 32];
    json_t *rows;            /* oldest first */
    size_t malformed;
};

static int
s_mkdirs (const char *path)
{
    char buf[PATH_MAX];
    snprintf (buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir (buf, 0755);
            *p = '/';
        }
    return mkdir (buf, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

static bool
s_hex (const char *s, size_t min, size_t max)
{
    size_t n = strlen (s);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr ("0123456789abcdef", s[i]))
            return false;
    return true;
}

json_t *
fw_store_parse_row (const char *line, size_t len)
{
    json_error_t jerr;
    json_t *row = json_loadb (line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object (row)) {
        json_decref (row);
        return NULL;
    }
    const char *recipe = json_string_value (json_object_get (row, "recipe"));
    const char *result = json_string_value (json_object_get (row, "result"));
    const char *sha = json_string_value (json_object_get (row, "sha256"));
    if (!recipe || !*recipe || !result || (sha && *sha && !s_hex (sha, 64, 64))
        || (!strcmp (result, "ok") && (!sha || !*sha))) {
        json_decref (row);
        return NULL;
    }
    return row;
}

static void
s_push (fw_store_t *self, json_t *row)
{
    json_array_append (self->rows, row);
    if (json_array_size (self->rows) > ROWS_MAX)
        json_array_remove (self->rows, 0);
}

static void
s_load (fw_store_t *self)
{
    FILE *f = fopen (self->log, "r");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline (&line, &cap, f)) > 0) {
        json_t *row = fw_store_parse_row (line, (size_t) n);
        if (row)
            s_push (self, row);
        else if (n > 1)
            self->malformed++;
        json_decref (row);
    }
    free (line);
    fclose (f);
}

fw_store_t *
fw_store_new (const char *dir, char *err, size_t errlen)
{
    fw_store_t *self = (fw_store_t *) calloc (1, sizeof (fw_store_t));
    snprintf (self->dir, sizeof self->dir, "%s", dir);
    snprintf (self->log, sizeof self->log, "%s/builds.jsonl", dir);
    char art[PATH_MAX + 16];
    snprintf (art, sizeof art, "%s/artefacts", dir);
    if (s_mkdirs (art)) {
        snprintf (err, errlen, "cannot create %s: %s", art, strerror (errno));
        free (self);
        return NULL;
    }
    self->rows = json_array ();
    s_load (self);
    if (self->malformed)
        zsys_warning ("builder: %zu malformed line(s) in %s skipped", self->malformed, self->log);
    return self;
}

void
fw_store_destroy (fw_store_t **self_p)
{
    fw_store_t *self = *self_p;
    if (!self)
        return;
    json_decref (self->rows);
    free (self);
    *self_p = NULL;
}

size_t
fw_store_malformed (fw_store_t *self)
{
    return self->malformed;
}

int
fw_store_copy (const char *src, const char *dst, char *err, size_t errlen)
{
    char tmp[PATH_MAX + 16];
    snprintf (tmp, sizeof tmp, "%s.tmp", dst);
    int in = open (src, O_RDONLY | O_CLOEXEC);
    int fd = in >= 0 ? open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
    int rc = in >= 0 && fd >= 0 ? 0 : -1;
    int saved = errno;
    char buf[65536];
    ssize_t n;
    while (!rc && (n = read (in, buf, sizeof buf)) != 0) {
        if (n < 0 || write (fd, buf, (size_t) n) != n)
            rc = -1, saved = errno;
    }
    if (!rc && fsync (fd))
        rc = -1, saved = errno;
    if (in >= 0)
        close (in);
    if (fd >= 0 && close (fd) && !rc)
        rc = -1, saved = errno;
    if (!rc && rename (tmp, dst))
        rc = -1, saved = errno;
    if (rc) {
        unlink (tmp);
        snprintf (err, errlen, "cannot copy %s to %s: %s", src, dst, strerror (saved));
    }
    return rc;
}

int
fw_store_keep (fw_store_t *self, const char *recipe, const char *sha256, const char *src, char *out,
               size_t outlen, char *err, size_t errlen)
{
    char dir[PATH_MAX + 100];
    snprintf (dir, sizeof dir, "%s/artefacts/%s", self->dir, recipe);
    snprintf (out, outlen, "%s/%s.bin", dir, sha256);
    if (s_mkdirs (dir)) {
        snprintf (err, errlen, "cannot create %s: %s", dir, strerror (errno));
        return -1;
    }
    return fw_store_copy (src, out, err, errlen);
}

/* Deletes kept images of RECIPE that are not among its newest KEEP
 * distinct successful builds. */
static void
s_prune (fw_store_t *self, const char *recipe, int keep)
{
    zhashx_t *keepers = zhashx_new ();
    int distinct = 0;
    for (size_t i = json_array_size (self->rows); i-- > 0;) {
        json_t *row = json_array_get (self->rows, i);
        const char *sha = json_string_value (json_object_get (row, "sha256"));
        if (strcmp (json_string_value (json_object_get (row, "recipe")), recipe) || !sha || !*sha
            || strcmp (json_string_value (json_object_get (row, "result")), "ok"))
            continue;
        if (!zhashx_lookup (keepers, sha) && distinct < keep) {
            zhashx_insert (keepers, sha, (void *) 1);
            distinct++;
        }
    }
    char dir[PATH_MAX + 100];
    snprintf (dir, sizeof dir, "%s/artefacts/%s", self->dir, recipe);
    zdir_t *d = zdir_new (dir, "-");
    zlist_t *files = d ? zdir_list (d) : NULL;
    for (zfile_t *f = files ? (zfile_t *) zlist_first (files) : NULL; f; f = (zfile_t *) zlist_next (files)) {
        char name[80];
        const char *base = strrchr (zfile_filename (f, NULL), '/');
        snprintf (name, sizeof name, "%s", base ? base + 1 : zfile_filename (f, NULL));
        char *dot = strstr (name, ".bin");
        if (!dot || dot[4])
            continue;
        *dot = 0;
        if (!zhashx_lookup (keepers, name))
            zfile_remove (f);
    }
    zlist_destroy (&files);
    zdir_destroy (&d);
    zhashx_destroy (&keepers);
}

int
fw_store_add (fw_store_t *self, json_t *row, int keep, char *err, size_t errlen)
{
    char *text = json_dumps (row, JSON_COMPACT);
    int fd = text ? open (self->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
    size_t len = text ? strlen (text) : 0;
    int rc = -1;
    if (fd >= 0) {
        text[len] = '\n';   /* json_dumps's NUL becomes the line end */
        rc = write (fd, text, len + 1) == (ssize_t) (len + 1) && !fsync (fd) ? 0 : -1;
        text[len] = 0;
        close (fd);
    }
    if (rc)
        snprintf (err, errlen, "cannot append to %s: %s", self->log, strerror (errno));
    free (text);
    s_push (self, row);
    const char *recipe = json_string_value (json_object_get (row, "recipe"));
    if (recipe)
        s_prune (self, recipe, keep);
    return rc;
}

json_t *
fw_store_find (fw_store_t *self, const char *recipe, const char *ref, char *err, size_t errlen)
{
    bool latest = !strcmp (ref, "latest");
    if (!latest && !s_hex (ref, 6, 64)) {
        snprintf (err, errlen, "'%s' is neither latest nor a SHA-256 prefix (6 to 64 hex digits)", ref);
        return NULL;
    }
    bool seen = false;
    for (size_t i = json_array_size (self->rows); i-- > 0;) {
        json_t *row = json_array_get (self->rows, i);
        const char *sha = json_string_value (json_object_get (row, "sha256"));
        const char *path = json_string_value (json_object_get (row, "path"));
        if (strcmp (json_string_value (json_object_get (row, "result")), "ok") || !sha || !path)
            continue;
        if (recipe && strcmp (json_string_value (json_object_get (row, "recipe")), recipe))
            continue;
        if (!latest && strncmp (sha, ref, strlen (ref)))
            continue;
        seen = true;
        if (!access (path, R_OK))
            return row;
    }
    if (seen)
        snprintf (err, errlen, "the image %s%s%s is no longer kept (only the last builds per recipe are)", ref,
                 recipe ? " of " : "", recipe ? recipe : "");
    else if (latest)
        snprintf (err, errlen, "no successful build%s%s yet", recipe ? " of " : "", recipe ? recipe : "");
    else
        snprintf (err, errlen, "no build with SHA-256 %s", ref);
    return NULL;
}

json_t *
fw_store_list (fw_store_t *self, const char *recipe, size_t max)
{
    json_t *out = json_array ();
    for (size_t i = json_array_size (self->rows); i-- > 0 && json_array_size (out) < max;) {
        json_t *row = json_array_get (self->rows, i);
        if (!recipe || !strcmp (json_string_value (json_object_get (row, "recipe")), recipe))
            json_array_append (out, row);
    }
    return out;
}
