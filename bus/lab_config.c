/* lab_config - ZPL lab configuration with file:line errors.
 *
 * zconfig parses the text but keeps no line numbers. Every line that is not
 * blank or a comment defines one node, and zconfig keeps nodes in document
 * order, so we pair a depth-first walk of the tree with the list of such lines
 * and record each node's line; an error about a node looks it up here. */
#include "bus/lab_config.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct _lab_config_t {
    char *path;
    zconfig_t *root;
    zhash_t *lines;      /* "%p" of a node -> line number (as a heap string) */
};

/* The line of every node-defining line of TEXT, in order: a line that is
 * neither blank nor a comment defines exactly one zconfig node. */
static zlistx_t *
s_node_lines (const char *text)
{
    zlistx_t *lines = zlistx_new ();
    int line = 0;
    const char *p = text;
    while (*p) {
        line++;
        const char *eol = strchr (p, '\n');
        size_t len = eol ? (size_t) (eol - p) : strlen (p);
        size_t i = 0;
        while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
            i++;
        if (i < len && p[i] != '#')
            zlistx_add_end (lines, (void *) (intptr_t) line);
        p = eol ? eol + 1 : p + len;
    }
    return lines;
}

/* Walks the tree in document order, giving each node the next line. */
static void
s_assign_lines (lab_config_t *self, zconfig_t *node, zlistx_t *lines, void **cursor)
{
    for (zconfig_t *c = zconfig_child (node); c; c = zconfig_next (c)) {
        char key[32];
        snprintf (key, sizeof key, "%p", (void *) c);
        intptr_t line = *cursor ? (intptr_t) *cursor : 0;
        char num[16];
        snprintf (num, sizeof num, "%d", (int) line);
        zhash_insert (self->lines, key, num);   /* autofree: zhash copies */
        *cursor = zlistx_next (lines);
        s_assign_lines (self, c, lines, cursor);
    }
}

static void
s_index_lines (lab_config_t *self, const char *text)
{
    zlistx_t *lines = s_node_lines (text);
    void *cursor = zlistx_first (lines);
    s_assign_lines (self, self->root, lines, &cursor);
    zlistx_destroy (&lines);
}

/* Parses text with zconfig. zconfig prints its complaint, "(LINE) message",
 * on stdout with zclock_log; we point stdout at a memory file for the call so
 * the caller gets one "file:line: what" message instead of a stray log line. */
static zconfig_t *
s_parse (const char *text, const char *name, char *err, size_t errlen)
{
    fflush (stdout);
    int saved = dup (1);
    int mem = memfd_create ("zconfig-errors", 0);
    if (saved >= 0 && mem >= 0)
        dup2 (mem, 1);
    zconfig_t *root = zconfig_str_load (text);
    char captured[512] = "";
    if (saved >= 0 && mem >= 0) {
        fflush (stdout);
        dup2 (saved, 1);
        ssize_t n = pread (mem, captured, sizeof captured - 1, 0);
        captured[n > 0 ? n : 0] = '\0';
    }
    if (saved >= 0)
        close (saved);
    if (mem >= 0)
        close (mem);
    if (!root) {
        int line = 0;
        const char *msg = "syntax error (ZPL: 4-space indents, name = value)";
        const char *open = strchr (captured, '(');
        while (open && sscanf (open, "(%d)", &line) != 1)
            open = strchr (open + 1, '(');
        if (open) {
            const char *close = strchr (open, ')');
            msg = close ? close + 1 : msg;
            while (*msg == ' ')
                msg++;
        }
        char clean[256];
        snprintf (clean, sizeof clean, "%s", msg);
        clean[strcspn (clean, "\r\n")] = '\0';
        snprintf (err, errlen, "%s:%d: %s", name, line, clean);
    }
    return root;
}

lab_config_t *
lab_config_load_str (const char *text, const char *name, char *err, size_t errlen)
{
    assert (text && name);
    zconfig_t *root = s_parse (text, name, err, errlen);
    if (!root)
        return NULL;
    lab_config_t *self = (lab_config_t *) zmalloc (sizeof (lab_config_t));
    self->path = strdup (name);
    self->root = root;
    self->lines = zhash_new ();
    zhash_autofree (self->lines);
    s_index_lines (self, text);
    return self;
}

lab_config_t *
lab_config_load (const char *path, char *err, size_t errlen)
{
    assert (path);
    FILE *f = fopen (path, "r");
    if (!f) {
        snprintf (err, errlen, "%s:0: cannot open: %s", path, strerror (errno));
        return NULL;
    }
    /* A directory opens and reads as nothing: an empty config, every
     * default silently, instead of the error it is. */
    struct stat st;
    if (fstat (fileno (f), &st) || !S_ISREG (st.st_mode)) {
        snprintf (err, errlen, "%s:0: not a regular file", path);
        fclose (f);
        return NULL;
    }
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream (&text, &size);
    char buf[4096];
    size_t n;
    while ((n = fread (buf, 1, sizeof buf, f)) > 0)
        fwrite (buf, 1, n, mem);
    fclose (f);
    fclose (mem);
    lab_config_t *self = lab_config_load_str (text, path, err, errlen);
    free (text);
    return self;
}

void
lab_config_destroy (lab_config_t **self_p)
{
    assert (self_p);
    lab_config_t *self = *self_p;
    if (!self)
        return;
    zconfig_destroy (&self->root);
    zhash_destroy (&self->lines);
    free (self->path);
    free (self);
    *self_p = NULL;
}

zconfig_t *
lab_config_root (lab_config_t *self)
{
    assert (self);
    return self->root;
}

const char *
lab_config_path (lab_config_t *self)
{
    assert (self);
    return self->path;
}

const char *
lab_config_get (lab_config_t *self, const char *path, const char *dflt)
{
    assert (self);
    zconfig_t *node = zconfig_locate (self->root, path);
    const char *value = node ? zconfig_value (node) : NULL;
    return (value && *value) ? value : dflt;
}

int
lab_config_line (lab_config_t *self, zconfig_t *node)
{
    assert (self);
    if (!node)
        return 0;
    char key[32];
    snprintf (key, sizeof key, "%p", (void *) node);
    const char *num = (const char *) zhash_lookup (self->lines, key);
    return num ? atoi (num) : 0;
}

int
lab_config_error (lab_config_t *self, zconfig_t *node, char *err, size_t errlen, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    snprintf (err, errlen, "%s:%d: %s", self->path, lab_config_line (self, node), msg);
    return -1;
}

/* The child KEY of PARENT when it exists and has a non-empty value. */
static zconfig_t *
s_valued (zconfig_t *parent, const char *key)
{
    zconfig_t *node = parent ? zconfig_locate (parent, key) : NULL;
    if (!node || !zconfig_value (node) || !*zconfig_value (node))
        return NULL;
    return node;
}

int
lab_config_int (lab_config_t *self, zconfig_t *parent, const char *key, long dflt, long min,
                long max, long *out, char *err, size_t errlen)
{
    zconfig_t *node = s_valued (parent, key);
    *out = dflt;
    if (!node)
        return 0;
    char *end;
    errno = 0;
    long v = strtol (zconfig_value (node), &end, 0);
    if (errno || *end)
        return lab_config_error (self, node, err, errlen, "%s: '%s' is not an integer", key,
                                 zconfig_value (node));
    if (v < min || v > max)
        return lab_config_error (self, node, err, errlen, "%s: %ld is outside %ld..%ld", key, v, min, max);
    *out = v;
    return 0;
}

int
lab_config_double (lab_config_t *self, zconfig_t *parent, const char *key, double dflt, double min,
                   double max, double *out, char *err, size_t errlen)
{
    zconfig_t *node = s_valued (parent, key);
    *out = dflt;
    if (!node)
        return 0;
    char *end;
    errno = 0;
    double v = strtod (zconfig_value (node), &end);
    if (errno || *end || !isfinite (v))
        return lab_config_error (self, node, err, errlen, "%s: '%s' is not a number", key,
                                 zconfig_value (node));
    if (v < min || v > max)
        return lab_config_error (self, node, err, errlen, "%s: %g is outside %g..%g", key, v, min, max);
    *out = v;
    return 0;
}

int
lab_config_bool (lab_config_t *self, zconfig_t *parent, const char *key, bool dflt, bool *out,
                 char *err, size_t errlen)
{
    zconfig_t *node = s_valued (parent, key);
    *out = dflt;
    if (!node)
        return 0;
    const char *v = zconfig_value (node);
    if (!strcmp (v, "1") || !strcasecmp (v, "true") || !strcasecmp (v, "yes") || !strcasecmp (v, "on"))
        *out = true;
    else if (!strcmp (v, "0") || !strcasecmp (v, "false") || !strcasecmp (v, "no") || !strcasecmp (v, "off"))
        *out = false;
    else
        return lab_config_error (self, node, err, errlen, "%s: '%s' is not true/false", key, v);
    return 0;
}

/* Parses NUMBER[UNIT] against a unit table; returns 0 and *out or -1. */
static int
s_scaled (const char *text, const char *const *units, const double *scale, double *out)
{
    char *end;
    errno = 0;
    double v = strtod (text, &end);
    if (errno || end == text || !isfinite (v) || v < 0)
        return -1;
    while (*end == ' ')
        end++;
    if (!*end) {
        *out = v * scale[0];
        return 0;
    }
    for (int i = 1; units[i]; i++)
        if (!strcasecmp (end, units[i])) {
            *out = v * scale[i];
            return 0;
        }
    return -1;
}

int
lab_config_duration_ms (lab_config_t *self, zconfig_t *parent, const char *key, long dflt_ms,
                        long *out, char *err, size_t errlen)
{
    static const char *const units[] = { "", "ms", "s", "m", "h", NULL };
    static const double scale[] = { 1000, 1, 1000, 60000, 3600000 };
    zconfig_t *node = s_valued (parent, key);
    *out = dflt_ms;
    if (!node)
        return 0;
    double v;
    if (s_scaled (zconfig_value (node), units, scale, &v) || v > (double) LONG_MAX)
        return lab_config_error (self, node, err, errlen,
                                 "%s: '%s' is not a duration (e.g. 250ms, 2s, 5m)", key,
                                 zconfig_value (node));
    *out = (long) v;
    return 0;
}

int
lab_config_size (lab_config_t *self, zconfig_t *parent, const char *key, long dflt, long *out,
                 char *err, size_t errlen)
{
    static const char *const units[] = { "", "K", "M", "G", "KB", "MB", "GB", NULL };
    static const double scale[] = { 1, 1024, 1048576, 1073741824.0, 1024, 1048576, 1073741824.0 };
    zconfig_t *node = s_valued (parent, key);
    *out = dflt;
    if (!node)
        return 0;
    double v;
    if (s_scaled (zconfig_value (node), units, scale, &v) || v > (double) LONG_MAX)
        return lab_config_error (self, node, err, errlen, "%s: '%s' is not a size (e.g. 64K, 16M)",
                                 key, zconfig_value (node));
    *out = (long) v;
    return 0;
}

int
lab_config_known_keys (lab_config_t *self, zconfig_t *parent, const char *const *keys, char *err,
                       size_t errlen)
{
    for (zconfig_t *c = parent ? zconfig_child (parent) : NULL; c; c = zconfig_next (c)) {
        bool known = false;
        for (int i = 0; keys[i] && !known; i++)
            known = !strcmp (zconfig_name (c), keys[i]);
        if (!known)
            return lab_config_error (self, c, err, errlen, "unknown key '%s' in '%s'",
                                     zconfig_name (c), zconfig_name (parent));
    }
    return 0;
}

int
lab_config_runtime_dir (lab_config_t *self, char *out, size_t outlen)
{
    const char *dir = getenv ("LAB_RUNTIME_DIR");
    if ((!dir || !*dir) && self)
        dir = lab_config_get (self, "lab/runtime", NULL);
    if (dir && *dir)
        snprintf (out, outlen, "%s", dir);
    else if (getenv ("XDG_RUNTIME_DIR") && *getenv ("XDG_RUNTIME_DIR"))
        snprintf (out, outlen, "%s/labbus", getenv ("XDG_RUNTIME_DIR"));
    else
        snprintf (out, outlen, "/tmp/labbus-%u", (unsigned) getuid ());
    if (mkdir (out, 0700) && errno != EEXIST)
        return -1;
    return 0;
}
