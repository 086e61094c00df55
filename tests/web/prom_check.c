/* prom_check - see prom_check.h. */
#include "tests/web/prom_check.h"
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FAMILIES 512
#define MAX_SERIES 8192

typedef struct {
    char name[128];
    char type[16];
    bool help, typed, closed;
} family_t;

typedef struct {
    family_t fam[MAX_FAMILIES];
    int nfam;
    char **series;
    int nseries;
    int current;                /* family whose samples are being read, -1 */
    int line;
    char *err;
    size_t errlen;
} checker_t;

static int
s_fail (checker_t *c, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf (c->err, c->errlen, "line %d: ", c->line);
    va_start (ap, fmt);
    if (n >= 0 && (size_t) n < c->errlen)
        vsnprintf (c->err + n, c->errlen - (size_t) n, fmt, ap);
    va_end (ap);
    return -1;
}

static bool
s_name_start (char ch)
{
    return isalpha ((unsigned char) ch) || ch == '_' || ch == ':';
}

/* Length of a metric name at P (0 when none). LABEL: label-name rules. */
static size_t
s_name (const char *p, bool label)
{
    if (!(label ? (isalpha ((unsigned char) *p) || *p == '_') : s_name_start (*p)))
        return 0;
    size_t n = 1;
    while (isalnum ((unsigned char) p[n]) || p[n] == '_' || (!label && p[n] == ':'))
        n++;
    return n;
}

static family_t *
s_family (checker_t *c, const char *name, size_t len)
{
    for (int i = 0; i < c->nfam; i++)
        if (strlen (c->fam[i].name) == len && !strncmp (c->fam[i].name, name, len))
            return &c->fam[i];
    if (c->nfam == MAX_FAMILIES || len >= sizeof c->fam[0].name)
        return NULL;
    family_t *f = &c->fam[c->nfam++];
    memset (f, 0, sizeof *f);
    memcpy (f->name, name, len);
    return f;
}

static bool
s_value (const char *p, size_t len, double *v)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy (buf, p, len);
    buf[len] = 0;
    if (!strcmp (buf, "NaN")) { *v = NAN; return true; }
    if (!strcmp (buf, "+Inf")) { *v = INFINITY; return true; }
    if (!strcmp (buf, "-Inf")) { *v = -INFINITY; return true; }
    for (size_t i = 0; i < len; i++)
        if (!(isdigit ((unsigned char) buf[i]) || strchr ("+-.eE", buf[i])))
            return false;
    char *end;
    *v = strtod (buf, &end);
    return *end == 0;
}

static int
s_meta (checker_t *c, const char *p, const char *eol)
{
    bool help = !strncmp (p, "# HELP ", 7), type = !strncmp (p, "# TYPE ", 7);
    if (!help && !type)
        return s_fail (c, "comment lines other than HELP and TYPE are not allowed");
    p += 7;
    size_t n = s_name (p, false);
    if (n == 0 || p[n] != ' ')
        return s_fail (c, "bad metric name in %s", help ? "HELP" : "TYPE");
    family_t *f = s_family (c, p, n);
    if (!f)
        return s_fail (c, "too many families");
    if (f->closed || (c->current >= 0 && &c->fam[c->current] != f && f->typed && f->help))
        return s_fail (c, "%s for %s after its samples", help ? "HELP" : "TYPE", f->name);
    const char *rest = p + n + 1;
    if (help) {
        if (f->help)
            return s_fail (c, "second HELP for %s", f->name);
        if (rest >= eol)
            return s_fail (c, "empty HELP for %s", f->name);
        for (const char *q = rest; q < eol; q++)
            if (*q == '\\' && !(q + 1 < eol && (q[1] == '\\' || q[1] == 'n')))
                return s_fail (c, "bad escape in HELP for %s", f->name);
            else if (*q == '\\')
                q++;
        f->help = true;
    }
    else {
        if (f->typed)
            return s_fail (c, "second TYPE for %s", f->name);
        size_t tl = (size_t) (eol - rest);
        static const char *const types[] = { "counter", "gauge", "histogram", "summary", "untyped", NULL };
        bool ok = false;
        for (int i = 0; types[i]; i++)
            if (strlen (types[i]) == tl && !strncmp (rest, types[i], tl))
                ok = true;
        if (!ok || tl >= sizeof f->type)
            return s_fail (c, "bad TYPE for %s", f->name);
        memcpy (f->type, rest, tl);
        f->type[tl] = 0;
        f->typed = true;
        if (!strcmp (f->type, "counter")
            && (strlen (f->name) < 7 || strcmp (f->name + strlen (f->name) - 6, "_total")))
            return s_fail (c, "counter %s is not named *_total", f->name);
    }
    return 0;
}

/* Labels from P (just after '{'); sets *END after '}'. */
static int
s_labels (checker_t *c, const char *p, const char *eol, const char **end)
{
    char names[32][128];
    int count = 0;
    if (*p == '}') {
        *end = p + 1;
        return 0;
    }
    for (;;) {
        size_t n = s_name (p, true);
        if (n == 0 || n >= sizeof names[0])
            return s_fail (c, "bad label name");
        if (n >= 2 && p[0] == '_' && p[1] == '_')
            return s_fail (c, "reserved label name");
        for (int i = 0; i < count; i++)
            if (strlen (names[i]) == n && !strncmp (names[i], p, n))
                return s_fail (c, "duplicate label %.*s", (int) n, p);
        if (count == 32)
            return s_fail (c, "too many labels");
        memcpy (names[count], p, n);
        names[count++][n] = 0;
        p += n;
        if (p[0] != '=' || p[1] != '"')
            return s_fail (c, "label without =\"value\"");
        p += 2;
        while (p < eol && *p != '"') {
            if (*p == '\\') {
                if (p + 1 >= eol || !strchr ("\\\"n", p[1]))
                    return s_fail (c, "bad escape in label value");
                p++;
            }
            p++;
        }
        if (p >= eol)
            return s_fail (c, "unterminated label value");
        p++;
        if (*p == '}') {
            *end = p + 1;
            return 0;
        }
        if (*p != ',' || p[1] == '}')
            return s_fail (c, "expected , or } after a label");
        p++;
    }
}

static int
s_sample (checker_t *c, const char *p, const char *eol)
{
    size_t n = s_name (p, false);
    if (n == 0)
        return s_fail (c, "bad metric name");
    family_t *f = s_family (c, p, n);
    if (!f || !f->typed || !f->help)
        return s_fail (c, "sample %.*s without HELP and TYPE before it", (int) n, p);
    int idx = (int) (f - c->fam);
    if (f->closed)
        return s_fail (c, "samples of %s are not together", f->name);
    if (c->current >= 0 && c->current != idx)
        c->fam[c->current].closed = true;
    c->current = idx;
    const char *q = p + n;
    if (*q == '{' && s_labels (c, q + 1, eol, &q))
        return -1;
    size_t series_len = (size_t) (q - p);
    if (*q != ' ')
        return s_fail (c, "expected a space before the value");
    q++;
    const char *sp = memchr (q, ' ', (size_t) (eol - q));
    const char *vend = sp ? sp : eol;
    double v;
    if (!s_value (q, (size_t) (vend - q), &v))
        return s_fail (c, "bad value '%.*s'", (int) (vend - q), q);
    if (sp) {
        for (const char *t = sp + 1; t < eol; t++)
            if (!isdigit ((unsigned char) *t) && !(t == sp + 1 && *t == '-'))
                return s_fail (c, "bad timestamp");
        if (sp + 1 >= eol)
            return s_fail (c, "trailing space");
    }
    if (!strcmp (f->type, "counter") && !(v >= 0))
        return s_fail (c, "counter %s has value %g", f->name, v);
    for (int i = 0; i < c->nseries; i++)
        if (strlen (c->series[i]) == series_len && !strncmp (c->series[i], p, series_len))
            return s_fail (c, "duplicate series %.*s", (int) series_len, p);
    if (c->nseries == MAX_SERIES)
        return s_fail (c, "too many series");
    c->series[c->nseries++] = strndup (p, series_len);
    return 0;
}

int
prom_check (const char *text, char *err, size_t errlen)
{
    checker_t *c = calloc (1, sizeof *c);
    c->series = calloc (MAX_SERIES, sizeof (char *));
    c->current = -1;
    c->err = err;
    c->errlen = errlen;
    int rc = 0;
    size_t len = strlen (text);
    if (len == 0 || text[len - 1] != '\n') {
        c->line = 0;
        rc = s_fail (c, "text does not end with a newline");
    }
    for (const char *p = text; rc == 0 && *p;) {
        c->line++;
        const char *eol = strchr (p, '\n');
        if (!eol)
            break;
        for (const char *q = p; q < eol && rc == 0; q++)
            if ((unsigned char) *q < 0x20 && *q != '\t')
                rc = s_fail (c, "control character");
        if (rc)
            break;
        if (eol == p)
            rc = s_fail (c, "blank line");
        else if (*p == '#')
            rc = s_meta (c, p, eol);
        else
            rc = s_sample (c, p, eol);
        p = eol + 1;
    }
    for (int i = 0; rc == 0 && i < c->nfam; i++)
        if (!c->fam[i].typed || !c->fam[i].help) {
            c->line = 0;
            rc = s_fail (c, "family %s lacks HELP or TYPE", c->fam[i].name);
        }
    int count = c->nseries;
    for (int i = 0; i < c->nseries; i++)
        free (c->series[i]);
    free (c->series);
    free (c);
    return rc ? -1 : count;
}

double
prom_value (const char *text, const char *series)
{
    size_t n = strlen (series);
    for (const char *p = text; p && *p;) {
        if (!strncmp (p, series, n) && p[n] == ' ')
            return strtod (p + n + 1, NULL);
        p = strchr (p, '\n');
        if (p)
            p++;
    }
    return -1;
}
