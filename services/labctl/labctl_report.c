/* labctl eval report - a sweep as a report a phone can read: report.md and
 * report.html (the same tables, the plots inline) plus the plots as SVG
 * files next to them, written into the sweep's directory (or --out DIR).
 *
 * Tables: per cohort (quality, format failures by cause, verifier and action
 * safety, judge outcomes and model, human blind scores, WER of the audio
 * scenarios, TTFT, decode tok/s, peak RSS), per matched pair, per scenario.
 * Plots: quality against decode speed per cohort, TTFT distribution per
 * cohort, and per family the backends side by side (each figure normalised
 * to the pair's best, so higher is better everywhere).
 *
 * A scenario is flagged as a suspect truth definition when at least two
 * cohorts answered it in the right format and not one of those answers
 * passed its verifier: when every model fails the same way, the verifier is
 * the first suspect, not the models. */
#include "services/labctl/labctl.h"
#include "services/labctl/labctl_evaldata.h"
#include "services/eval-runner/analysis/evala_sweep.h"
#include "services/eval-runner/eval_metrics.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define COHORTS_MAX 32
#define PLOT_W      640
#define PLOT_H      360

static const char *const s_colours[] = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                         "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" };
#define COLOUR(i) s_colours[(i) % (sizeof s_colours / sizeof s_colours[0])]

typedef struct {
    const char *name, *pair, *backend, *model;
    size_t rows, ok, errors;
    size_t scored;               /* rows with a composite */
    double composite_sum;
    size_t format_fail, verifier_pass, verifier_n, unsafe;
    size_t truncated;            /* cut at max_tokens: apart from format failures */
    size_t judge_scored, judge_unparseable, judge_unavailable;
    size_t wer_errors, wer_words;  /* audio rows, summed as jiwer does */
    size_t human_n;
    double human_sum;
    double *ttft, *decode;
    size_t nttft, ndecode;
    double peak_rss_kb;
} s_cohort_t;

typedef struct {
    s_cohort_t c[COHORTS_MAX];
    size_t n;
    json_t *causes;      /* format cause -> count */
    json_t *judges;      /* judge model -> count */
    json_t *scenarios;   /* id -> {cohort -> [well-formed, passed]} */
    size_t rows, skipped_lines;
    size_t left_out;     /* rows of cohorts beyond COHORTS_MAX */
    evala_sweep_t *sw;   /* the figures and verdicts: the decision's own (evala) */
} s_report_t;

/* Percentiles as everywhere in the eval (eval_metrics: linear between
 * closest ranks) - one implementation. */
#define s_pct  lab_stats_percentile
#define s_sort lab_stats_sort

static s_cohort_t *
s_cohort (s_report_t *rep, json_t *row)
{
    const char *name = json_string_value (json_object_get (row, "cohort"));
    if (!name)
        return NULL;
    for (size_t i = 0; i < rep->n; i++)
        if (!strcmp (rep->c[i].name, name))
            return &rep->c[i];
    if (rep->n == COHORTS_MAX) {
        rep->left_out++;
        return NULL;
    }
    s_cohort_t *c = &rep->c[rep->n++];
    c->name = name;
    c->pair = json_string_value (json_object_get (row, "pair"));
    c->backend = json_string_value (json_object_get (row, "backend"));
    c->model = json_string_value (json_object_get (row, "model"));
    return c;
}

static void
s_push (double **v, size_t *n, double x)
{
    if (!isfinite (x))
        return;
    *v = (double *) realloc (*v, (*n + 1) * sizeof (double));
    (*v)[(*n)++] = x;
}

static void
s_count (json_t *obj, const char *key)
{
    json_object_set_new (obj, key, json_integer (json_integer_value (json_object_get (obj, key)) + 1));
}

static void
s_add_row (s_report_t *rep, json_t *r, bool quality_only, bool speed_only)
{
    s_cohort_t *c = s_cohort (rep, r);
    if (!c)
        return;
    rep->rows++;
    c->rows++;
    const char *outcome = json_string_value (json_object_get (r, "outcome"));
    const char *bucket = json_string_value (json_object_get (r, "bucket"));
    bool ok = outcome && !strcmp (outcome, "ok");
    if (!ok) {
        c->errors++;
        return;
    }
    c->ok++;
    /* The speed set of the decision (evala): throughput rows when the
     * sweep has them, text rows only. */
    const char *kind = json_string_value (json_object_get (r, "kind"));
    if ((!speed_only || (bucket && !strcmp (bucket, "throughput"))) && !(kind && !strcmp (kind, "audio"))) {
        s_push (&c->ttft, &c->nttft, json_number_value (json_object_get (r, "ttft_ms")));
        if (json_is_number (json_object_get (r, "decode_tps")))
            s_push (&c->decode, &c->ndecode, json_number_value (json_object_get (r, "decode_tps")));
    }
    double rss = json_number_value (json_object_get (r, "peak_rss_kb"));
    if (rss > c->peak_rss_kb)
        c->peak_rss_kb = rss;
    if (quality_only && (!bucket || strcmp (bucket, "quality")))
        return;
    json_t *comp = json_object_get (r, "composite");
    if (!json_is_number (comp))
        return;
    c->scored++;
    c->composite_sum += json_number_value (comp);
    const char *finish = json_string_value (json_object_get (r, "finish_reason"));
    bool truncated = json_is_true (json_object_get (r, "truncated")) || (finish && !strcmp (finish, "length"));
    c->truncated += truncated;
    if (json_is_false (json_object_get (r, "format_ok"))) {
        c->format_fail += !truncated;
        const char *cause = json_string_value (json_object_get (r, "format_cause"));
        char brief[96];
        snprintf (brief, sizeof brief, "%s", cause && *cause ? cause : "unknown");
        char *paren = strstr (brief, " (");
        if (paren)
            *paren = 0;
        s_count (rep->causes, brief);
    }
    json_t *vp = json_object_get (r, "verifier_pass");
    const char *scenario = json_string_value (json_object_get (r, "scenario"));
    /* A verdict on a malformed answer (rows of other scorers may carry one)
     * says nothing about the truth definition: only well-formed answers. */
    if (json_is_boolean (vp) && !json_is_false (json_object_get (r, "format_ok"))) {
        c->verifier_n++;
        c->verifier_pass += json_is_true (vp);
        if (scenario) {
            json_t *s = json_object_get (rep->scenarios, scenario);
            if (!s) {
                s = json_object ();
                json_object_set_new (rep->scenarios, scenario, s);
            }
            json_t *pc = json_object_get (s, c->name);
            if (!pc) {
                pc = json_pack ("[i,i]", 0, 0);
                json_object_set_new (s, c->name, pc);
            }
            json_array_set_new (pc, 0, json_integer (json_integer_value (json_array_get (pc, 0)) + 1));
            json_array_set_new (pc, 1, json_integer (json_integer_value (json_array_get (pc, 1)) + json_is_true (vp)));
        }
    }
    c->unsafe += json_is_false (json_object_get (r, "action_safe"));
    const char *jo = json_string_value (json_object_get (r, "judge_outcome"));
    if (jo) {
        c->judge_scored += !strcmp (jo, "scored");
        c->judge_unparseable += !strcmp (jo, "unparseable");
        c->judge_unavailable += !strcmp (jo, "judge_unavailable");
    }
    const char *jm = json_string_value (json_object_get (r, "judge_model"));
    if (jm && *jm)
        s_count (rep->judges, jm);
    if (json_is_integer (json_object_get (r, "wer_ref_words"))) {
        c->wer_words += (size_t) json_integer_value (json_object_get (r, "wer_ref_words"));
        c->wer_errors += (size_t) (json_integer_value (json_object_get (r, "wer_sub"))
                                   + json_integer_value (json_object_get (r, "wer_del"))
                                   + json_integer_value (json_object_get (r, "wer_ins")));
    }
}

/* Human blind scores (evala reads blind/scores.jsonl: the mean per row),
 * joined to cohorts by row key. */
static void
s_add_human (s_report_t *rep, json_t *rows)
{
    json_t *human = evala_sweep_human (rep->sw);
    size_t i;
    json_t *r;
    json_array_foreach (rows, i, r) {
        json_t *h = json_object_get (human, json_string_value (json_object_get (r, "key")) ?: "");
        const char *cohort = json_string_value (json_object_get (r, "cohort"));
        for (size_t k = 0; h && cohort && k < rep->n; k++)
            if (!strcmp (rep->c[k].name, cohort)) {
                rep->c[k].human_n++;
                rep->c[k].human_sum += json_real_value (h);
            }
    }
}

/* The decision's figures of cohort C (evala), so the report and
 * `labctl eval decide` show the same numbers. */
static evala_cohort_t *
s_ev (s_report_t *rep, const s_cohort_t *c)
{
    for (size_t i = 0; i < evala_sweep_ncohorts (rep->sw); i++)
        if (!strcmp (evala_sweep_cohort (rep->sw, i)->name, c->name))
            return evala_sweep_cohort (rep->sw, i);
    return NULL;
}

static double
s_quality (s_report_t *rep, const s_cohort_t *c)
{
    evala_cohort_t *e = s_ev (rep, c);
    return e ? evala_cohort_quality (e) : NAN;
}

static double
s_decode (s_report_t *rep, const s_cohort_t *c)
{
    evala_cohort_t *e = s_ev (rep, c);
    return e ? evala_cohort_decode (e) : NAN;
}

/* ---------------------------------------------------------------------
 * Text helpers */

static void
s_esc (FILE *f, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++) {
        switch (*p) {
        case '<': fputs ("&lt;", f); break;
        case '>': fputs ("&gt;", f); break;
        case '&': fputs ("&amp;", f); break;
        case '"': fputs ("&quot;", f); break;
        default: fputc (*p, f);
        }
    }
}

static const char *
s_num (char *buf, size_t len, double x, const char *fmt)
{
    if (isnan (x))
        snprintf (buf, len, "–");
    else
        snprintf (buf, len, fmt, x);
    return buf;
}

/* A table kept as rows of cells, written both as Markdown and as HTML. */
typedef struct {
    json_t *rows;   /* array of arrays of strings; the first is the header */
} s_table_t;

static void
s_row (s_table_t *t, int ncells, ...)
{
    va_list ap;
    va_start (ap, ncells);
    json_t *row = json_array ();
    for (int i = 0; i < ncells; i++)
        json_array_append_new (row, json_string (va_arg (ap, const char *)));
    va_end (ap);
    json_array_append_new (t->rows, row);
}

static void
s_table_write (s_table_t *t, FILE *md, FILE *html)
{
    size_t i, j;
    json_t *row, *cell;
    fputs ("<div class=\"t\"><table>\n", html);
    json_array_foreach (t->rows, i, row) {
        fputs ("|", md);
        fputs ("<tr>", html);
        json_array_foreach (row, j, cell) {
            fprintf (md, " %s |", json_string_value (cell));
            fputs (i ? "<td>" : "<th>", html);
            s_esc (html, json_string_value (cell));
            fputs (i ? "</td>" : "</th>", html);
        }
        fputs ("\n", md);
        fputs ("</tr>\n", html);
        if (!i) {
            fputs ("|", md);
            for (j = 0; j < json_array_size (row); j++)
                fputs ("---|", md);
            fputs ("\n", md);
        }
    }
    fputs ("</table></div>\n", html);
    fputs ("\n", md);
    json_decref (t->rows);
    t->rows = NULL;
}

/* One block of text in both documents: MD_PREFIX before it in Markdown,
 * wrapped in TAG in HTML. */
static void
s_block (FILE *md, FILE *html, const char *md_prefix, const char *tag, const char *text)
{
    fprintf (md, "%s%s\n\n", md_prefix, text);
    fprintf (html, "<%s>", tag);
    s_esc (html, text);
    fprintf (html, "</%s>\n", tag);
}
#define s_heading(md, html, text) s_block (md, html, "## ", "h2", text)
#define s_para(md, html, text)    s_block (md, html, "", "p", text)

/* ---------------------------------------------------------------------
 * Plots (SVG) */

static double
s_nice_max (double x)
{
    if (!(x > 0))
        return 1;
    double p = pow (10, floor (log10 (x)));
    for (int m = 1; m <= 10; m++)
        if (m * p >= x * 1.05)
            return m * p;
    return 10 * p;
}

static void
s_svg_open (FILE *f, const char *title)
{
    fprintf (f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"100%%\" "
                "font-family=\"sans-serif\" font-size=\"12\">\n<title>", PLOT_W, PLOT_H);
    s_esc (f, title);
    fprintf (f, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n<text x=\"%d\" y=\"18\" "
                "text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">", PLOT_W, PLOT_H, PLOT_W / 2);
    s_esc (f, title);
    fputs ("</text>\n", f);
}

/* Plot area: x from 70 to W-20, y from 40 to H-50. */
#define PX0 70.0
#define PX1 (PLOT_W - 20.0)
#define PY0 40.0
#define PY1 (PLOT_H - 50.0)

static void
s_axes (FILE *f, double xmax, double ymax, const char *xlabel, const char *ylabel, bool yticks)
{
    fprintf (f, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"black\"/>\n", PX0, PY1, PX1, PY1);
    fprintf (f, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"black\"/>\n", PX0, PY0, PX0, PY1);
    for (int i = 0; i <= 5; i++) {
        double x = PX0 + (PX1 - PX0) * i / 5, v = xmax * i / 5;
        fprintf (f, "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#ddd\"/>"
                    "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">%g</text>\n",
                 x, PY0, x, PY1, x, PY1 + 16, v);
        if (yticks) {
            double y = PY1 - (PY1 - PY0) * i / 5;
            fprintf (f, "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                        "<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                     PX0, y, PX1, y, PX0 - 6, y + 4, ymax * i / 5);
        }
    }
    fprintf (f, "<text x=\"%g\" y=\"%d\" text-anchor=\"middle\">", (PX0 + PX1) / 2, PLOT_H - 14);
    s_esc (f, xlabel);
    fprintf (f, "</text>\n<text transform=\"translate(16 %g) rotate(-90)\" text-anchor=\"middle\">", (PY0 + PY1) / 2);
    s_esc (f, ylabel);
    fputs ("</text>\n", f);
}

static void
s_plot_quality_speed (FILE *f, s_report_t *rep)
{
    s_svg_open (f, "Quality against decode speed, per cohort");
    double xmax = 0;
    double med[COHORTS_MAX];
    for (size_t i = 0; i < rep->n; i++) {
        med[i] = s_decode (rep, &rep->c[i]);
        if (med[i] > xmax)
            xmax = med[i];
    }
    xmax = s_nice_max (xmax);
    s_axes (f, xmax, 1, "decode tok/s (median)", "quality (mean composite)", true);
    for (size_t i = 0; i < rep->n; i++) {
        double q = s_quality (rep, &rep->c[i]);
        if (isnan (q) || isnan (med[i]))
            continue;
        double x = PX0 + (PX1 - PX0) * med[i] / xmax, y = PY1 - (PY1 - PY0) * q;
        /* Points of close cohorts overlap; the names go in a legend. */
        fprintf (f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"%s\" fill-opacity=\"0.8\"/>\n"
                    "<circle cx=\"%g\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/><text x=\"%g\" y=\"%.1f\">",
                 x, y, COLOUR (i), PX0 + 14, PY0 + 10 + 16.0 * (double) i, COLOUR (i), PX0 + 24,
                 PY0 + 14 + 16.0 * (double) i);
        s_esc (f, rep->c[i].name);
        fprintf (f, ": quality %.2f, %.0f tok/s</text>\n", q, med[i]);
    }
    fputs ("</svg>\n", f);
}

static void
s_plot_ttft (FILE *f, s_report_t *rep)
{
    s_svg_open (f, "Time to first token, per cohort (box p25-p75, line p50, whiskers p5-p95)");
    double xmax = 0;
    for (size_t i = 0; i < rep->n; i++) {
        s_sort (rep->c[i].ttft, rep->c[i].nttft);
        if (rep->c[i].nttft && rep->c[i].ttft[rep->c[i].nttft - 1] > xmax)
            xmax = rep->c[i].ttft[rep->c[i].nttft - 1];
    }
    xmax = s_nice_max (xmax);
    s_axes (f, xmax, 0, "TTFT ms", "", false);
    double band = rep->n ? (PY1 - PY0) / (double) rep->n : 1;
    for (size_t i = 0; i < rep->n; i++) {
        const s_cohort_t *c = &rep->c[i];
        double yc = PY0 + band * ((double) i + 0.5), h = fmin (band * 0.5, 40);
#define X(v) (PX0 + (PX1 - PX0) * (v) / xmax)
        fprintf (f, "<text x=\"%g\" y=\"%.1f\" fill=\"%s\">", PX0 + 4, yc - h / 2 - 4, COLOUR (i));
        s_esc (f, c->name);
        fprintf (f, " (n %zu)</text>\n", c->nttft);
        if (!c->nttft)
            continue;
        double p5 = s_pct (c->ttft, c->nttft, 5), p25 = s_pct (c->ttft, c->nttft, 25);
        double p50 = s_pct (c->ttft, c->nttft, 50), p75 = s_pct (c->ttft, c->nttft, 75);
        double p95 = s_pct (c->ttft, c->nttft, 95);
        fprintf (f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", X (p5), yc, X (p95), yc,
                 COLOUR (i));
        fprintf (f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" fill-opacity=\"0.25\" "
                    "stroke=\"%s\"/>\n",
                 X (p25), yc - h / 2, fmax (X (p75) - X (p25), 1), h, COLOUR (i), COLOUR (i));
        fprintf (f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>\n",
                 X (p50), yc - h / 2, X (p50), yc + h / 2, COLOUR (i));
        for (size_t k = 0; k < c->nttft; k++)
            fprintf (f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.5\" fill=\"%s\" fill-opacity=\"0.6\"/>\n", X (c->ttft[k]),
                     yc + h / 2 + 4 + (double) (k % 5), COLOUR (i));
#undef X
    }
    fputs ("</svg>\n", f);
}

static void
s_plot_family (FILE *f, const char *family, const evala_pair_t *p, const char *na, size_t ia, const char *nb,
               size_t ib)
{
    char title[256];
    snprintf (title, sizeof title, "%s: backends side by side (best of the pair = 1, higher is better)", family);
    s_svg_open (f, title);
    const double *fa = p->v.norm[0], *fb = p->v.norm[1];
    static const char *const names[] = { "quality", "decode tok/s", "TTFT (inverse)", "peak memory (inverse)" };
    fprintf (f, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"black\"/>\n", PX0, PY1, PX1, PY1);
    for (int i = 0; i <= 4; i++) {
        double y = PY1 - (PY1 - PY0) * i / 4;
        fprintf (f, "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%g\" y=\"%.1f\" "
                    "text-anchor=\"end\">%.2f</text>\n",
                 PX0, y, PX1, y, PX0 - 6, y + 4, i / 4.0);
    }
    double slot = (PX1 - PX0) / 4, bw = slot * 0.3;
    for (int m = 0; m < 4; m++) {
        double x = PX0 + slot * m + slot * 0.2;
        const double v[2] = { fa[m], fb[m] };
        const size_t col[2] = { ia, ib };
        for (int k = 0; k < 2; k++) {
            if (isnan (v[k]))
                continue;
            double h = (PY1 - PY0) * v[k];
            fprintf (f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>"
                        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">%.2f</text>\n",
                     x + bw * k, PY1 - h, bw - 2, h, COLOUR (col[k]), x + bw * k + bw / 2, PY1 - h - 3, v[k]);
        }
        fprintf (f, "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">%s</text>\n", x + bw, PY1 + 16, names[m]);
    }
    fprintf (f, "<rect x=\"%g\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%g\" y=\"%d\">", PX0,
             PLOT_H - 22, COLOUR (ia), PX0 + 14, PLOT_H - 13);
    s_esc (f, na);
    fprintf (f, "</text><rect x=\"%g\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%g\" y=\"%d\">",
             (PX0 + PX1) / 2, PLOT_H - 22, COLOUR (ib), (PX0 + PX1) / 2 + 14, PLOT_H - 13);
    s_esc (f, nb);
    fputs ("</text>\n</svg>\n", f);
}

/* Writes PLOT into OUT/NAME and inline into HTML; links it from MD. */
static int
s_plot (const char *out, const char *name, FILE *md, FILE *html, const char *alt,
        void (*draw) (FILE *, s_report_t *), s_report_t *rep)
{
    char path[4300];
    snprintf (path, sizeof path, "%s/%s", out, name);
    FILE *f = fopen (path, "w");
    if (!f) {
        fprintf (stderr, "labctl: cannot write %s: %s\n", path, strerror (errno));
        return -1;
    }
    draw (f, rep);
    fclose (f);
    draw (html, rep);
    fprintf (md, "![%s](%s)\n\n", alt, name);
    return 0;
}

/* ---------------------------------------------------------------------
 * Sections */

static void
s_cohort_table (s_report_t *rep, FILE *md, FILE *html)
{
    s_table_t t = { json_array () };
    s_row (&t, 14, "cohort", "rows ok/err", "quality", "format fail", "verifier pass", "unsafe", "judge s/u/na",
           "human (n)", "WER audio", "TTFT p50 ms", "TTFT p90 ms", "decode tok/s", "peak memory MB", "truncated");
    for (size_t i = 0; i < rep->n; i++) {
        s_cohort_t *c = &rep->c[i];
        char a[7][48], b[64], jd[48], hu[48];
        s_sort (c->ttft, c->nttft);
        snprintf (b, sizeof b, "%zu/%zu", c->ok, c->errors);
        snprintf (jd, sizeof jd, "%zu/%zu/%zu", c->judge_scored, c->judge_unparseable, c->judge_unavailable);
        if (c->human_n)
            snprintf (hu, sizeof hu, "%.2f (%zu)", c->human_sum / (double) c->human_n, c->human_n);
        else
            snprintf (hu, sizeof hu, "–");
        snprintf (a[1], sizeof a[1], "%zu", c->format_fail);
        snprintf (a[2], sizeof a[2], "%zu/%zu", c->verifier_pass, c->verifier_n);
        snprintf (a[3], sizeof a[3], "%zu", c->unsafe);
        s_num (a[4], sizeof a[4], c->wer_words ? (double) c->wer_errors / (double) c->wer_words : NAN, "%.3f");
        s_num (a[5], sizeof a[5], s_pct (c->ttft, c->nttft, 50), "%.1f");
        s_num (a[6], sizeof a[6], s_pct (c->ttft, c->nttft, 90), "%.1f");
        char q[32], d[32], r[32];
        evala_cohort_t *e = s_ev (rep, c);
        s_num (q, sizeof q, s_quality (rep, c), "%.3f");
        s_num (d, sizeof d, s_decode (rep, c), "%.0f");
        s_num (r, sizeof r, e && e->memory_kb > 0 ? e->memory_kb / 1024 : NAN, "%.0f");
        char tr[32];
        snprintf (tr, sizeof tr, "%zu", c->truncated);
        s_row (&t, 14, c->name, b, q, a[1], a[2], a[3], jd, hu, a[4], a[5], a[6], d, r, tr);
    }
    s_table_write (&t, md, html);
}

/* The index of cohort NAME in the report (for its colour). */
static size_t
s_index (s_report_t *rep, const char *name)
{
    for (size_t i = 0; i < rep->n; i++)
        if (!strcmp (rep->c[i].name, name))
            return i;
    return 0;
}

static void
s_pairs_section (s_report_t *rep, const evala_opts_t *o, const char *out, FILE *md, FILE *html)
{
    s_heading (md, html, "Matched pairs (same model family, two backends)");
    size_t npairs = evala_sweep_npairs (rep->sw);
    if (!npairs) {
        s_para (md, html, "No matched pair in this sweep.");
        return;
    }
    s_table_t t = { json_array () };
    s_row (&t, 8, "family", "cohort", "quality", "decode tok/s", "TTFT", "peak memory", "errors", "score");
    for (size_t i = 0; i < npairs; i++) {
        evala_pair_t *p = evala_sweep_pair (rep->sw, i);
        for (int k = 0; k < 2; k++) {
            evala_cohort_t *c = evala_sweep_cohort (rep->sw, k ? p->cand : p->cur);
            char s[6][48];
            for (int m = 0; m < 4; m++)
                s_num (s[m], sizeof s[m], p->v.norm[k][m], "%.2f");
            s_num (s[4], sizeof s[4], 100 * p->v.error_rate[k], "%.1f %%");
            s_num (s[5], sizeof s[5], p->v.score[k], "%.3f");
            s_row (&t, 8, k ? "" : p->name, c->name, s[0], s[1], s[2], s[3], s[4], s[5]);
        }
        char name[256], path[4300];
        snprintf (name, sizeof name, "report-family-%zu.svg", i + 1);
        snprintf (path, sizeof path, "%s/%s", out, name);
        FILE *f = fopen (path, "w");
        const char *na = evala_sweep_cohort (rep->sw, p->cur)->name, *nb = evala_sweep_cohort (rep->sw, p->cand)->name;
        if (f) {
            s_plot_family (f, p->name, p, na, s_index (rep, na), nb, s_index (rep, nb));
            fclose (f);
        }
    }
    char line[1400];
    snprintf (line, sizeof line, "Each figure divided by the better of the two (TTFT and memory inverted), so 1.00 is "
              "the better backend on that figure; a dash is a figure one side lacks. Score: weighted %.2f quality, "
              "%.2f decode, %.2f TTFT, %.2f peak memory; the second cohort of a pair is the candidate. It is blocked "
              "when its error rate is worse by more than %.2f or a scenario kind's quality drops by more than %.2f; "
              "with a figure missing the verdict is \"insufficient data\"; otherwise it wins by more than %.2f or "
              "not at all (docs/eval.md, `labctl eval decide`).", o->weights[0], o->weights[1], o->weights[2],
              o->weights[3], o->error_margin, o->capability_margin, o->threshold);
    s_para (md, html, line);
    s_table_write (&t, md, html);
    for (size_t i = 0; i < npairs; i++) {
        evala_pair_t *p = evala_sweep_pair (rep->sw, i);
        char brief[1200];
        evala_verdict_brief (&p->v, brief, sizeof brief);
        snprintf (line, sizeof line, "Verdict %s (%s -> %s): %s. Capabilities: %s.", p->name,
                  evala_sweep_cohort (rep->sw, p->cur)->name, evala_sweep_cohort (rep->sw, p->cand)->name, brief,
                  p->v.capabilities[0] ? p->v.capabilities : "–");
        s_para (md, html, line);
    }
    for (size_t i = 0; i < npairs; i++) {
        evala_pair_t *p = evala_sweep_pair (rep->sw, i);
        const char *na = evala_sweep_cohort (rep->sw, p->cur)->name, *nb = evala_sweep_cohort (rep->sw, p->cand)->name;
        fprintf (md, "![%s](report-family-%zu.svg)\n\n", p->name, i + 1);
        s_plot_family (html, p->name, p, na, s_index (rep, na), nb, s_index (rep, nb));
    }
}

/* Returns how many scenarios were flagged. */
static size_t
s_scenarios_section (s_report_t *rep, FILE *md, FILE *html, json_t *suspects)
{
    s_heading (md, html, "Scenarios");
    s_table_t t = { json_array () };
    s_row (&t, 4, "scenario", "flag", "verifier pass / well-formed", "cohorts");
    /* Then one column per cohort, to see which backend fails what. */
    json_t *header = json_array_get (t.rows, 0);
    for (size_t c = 0; c < rep->n; c++)
        if (rep->c[c].verifier_n)
            json_array_append_new (header, json_string (rep->c[c].name));
    const char *id;
    json_t *per;
    size_t flagged = 0;
    json_t *ids = json_array ();
    json_object_foreach (rep->scenarios, id, per)
        json_array_append_new (ids, json_string (id));
    /* Sorted by id, so the table reads like the pack. */
    size_t n = json_array_size (ids);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp (json_string_value (json_array_get (ids, j - 1)),
                                            json_string_value (json_array_get (ids, j))) > 0; j--) {
            json_t *x = json_incref (json_array_get (ids, j));
            json_array_set (ids, j, json_array_get (ids, j - 1));
            json_array_set_new (ids, j - 1, x);
        }
    size_t i;
    json_t *idv;
    json_array_foreach (ids, i, idv) {
        id = json_string_value (idv);
        per = json_object_get (rep->scenarios, id);
        json_int_t formed = 0, passed = 0, cohorts = 0;
        const char *cname;
        json_t *pc;
        json_object_foreach (per, cname, pc) {
            formed += json_integer_value (json_array_get (pc, 0));
            passed += json_integer_value (json_array_get (pc, 1));
            cohorts += json_integer_value (json_array_get (pc, 0)) > 0;
        }
        bool suspect = cohorts >= 2 && passed == 0;
        char a[48], b[16];
        snprintf (a, sizeof a, "%lld/%lld", (long long) passed, (long long) formed);
        snprintf (b, sizeof b, "%lld", (long long) cohorts);
        s_row (&t, 4, id, suspect ? "SUSPECT truth definition" : "", a, b);
        json_t *row = json_array_get (t.rows, json_array_size (t.rows) - 1);
        for (size_t c = 0; c < rep->n; c++) {
            if (!rep->c[c].verifier_n)
                continue;
            pc = json_object_get (per, rep->c[c].name);
            char cell[48] = "–";
            if (pc)
                snprintf (cell, sizeof cell, "%lld/%lld", (long long) json_integer_value (json_array_get (pc, 1)),
                          (long long) json_integer_value (json_array_get (pc, 0)));
            json_array_append_new (row, json_string (cell));
        }
        if (suspect) {
            flagged++;
            json_array_append_new (suspects, json_string (id));
        }
    }
    json_decref (ids);
    if (flagged) {
        char msg[256];
        snprintf (msg, sizeof msg, "%zu scenario(s) flagged as a suspect truth definition: every cohort answered "
                                   "in the right format and no answer passed. Check the verify section before "
                                   "blaming the models.", flagged);
        s_para (md, html, msg);
    }
    s_table_write (&t, md, html);
    return flagged;
}

static void
s_header (s_report_t *rep, const char *dir, FILE *md, FILE *html)
{
    char when[32];
    time_t now = time (NULL);
    strftime (when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime (&now));
    fprintf (html, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta name=\"viewport\" "
                   "content=\"width=device-width, initial-scale=1\">\n<title>Eval report</title>\n<style>\n"
                   "body{font-family:system-ui,sans-serif;margin:0 auto;padding:0 10px;max-width:960px;line-height:1.4}\n"
                   ".t{overflow-x:auto}table{border-collapse:collapse;font-size:13px}\n"
                   "td,th{border:1px solid #ccc;padding:3px 6px;text-align:right;white-space:nowrap}\n"
                   "td:first-child,th:first-child{text-align:left}svg{max-width:100%%;height:auto;margin:8px 0}\n"
                   "</style></head><body>\n<h1>Eval report</h1>\n");
    char line[1200];
    snprintf (line, sizeof line, "Sweep output %s, %zu rows (%zu torn lines skipped), %zu cohorts; written %s.%s",
             dir, rep->rows, rep->skipped_lines, rep->n, when,
             rep->left_out ? " More cohorts than a report shows (32): the rows of the others are left out." : "");
    fprintf (md, "# Eval report\n\n");
    s_para (md, html, line);
    /* The judge, and whether it judged itself. */
    const char *jm;
    json_t *cnt;
    json_object_foreach (rep->judges, jm, cnt) {
        bool self = false;
        for (size_t i = 0; i < rep->n; i++)
            self |= rep->c[i].model && strstr (jm, rep->c[i].model);
        snprintf (line, sizeof line, "Judge model: %s (%lld rows)%s.", jm, (long long) json_integer_value (cnt),
                  self ? " — it is also among the judged models: its scores of itself may be biased" : ", not among "
                  "the judged models");
        s_para (md, html, line);
    }
}

int
labctl_eval_report (labctl_t *ctx, int argc, char **argv)
{
    (void) ctx;
    const char *arg, *out_arg = NULL;
    static const char *const opts[] = { "--out", NULL };
    arg = labctl_eval_args (argc, argv, opts, &out_arg);
    if (!arg) {
        fprintf (stderr, "usage: labctl eval report DIR|PLAN [--out DIR]\n"
                         "  Writes report.md, report.html and the plots (report-*.svg) into the sweep's\n"
                         "  directory, or into --out DIR.\n");
        return BUS_EUSAGE;
    }
    char dir[4096], out[4096];
    if (labctl_eval_dir (arg, dir, sizeof dir))
        return BUS_ERROR;
    snprintf (out, sizeof out, "%s", out_arg ? out_arg : dir);
    s_report_t rep = { .n = 0 };
    const evala_opts_t o = EVALA_OPTS_DEFAULT;
    char err[600];
    rep.sw = evala_sweep_load (dir, &o, err, sizeof err);
    if (!rep.sw) {
        fprintf (stderr, "labctl: %s\n", err);
        return BUS_ENOTFOUND;
    }
    rep.skipped_lines = evala_sweep_skipped (rep.sw);
    json_t *rows = evala_sweep_rows (rep.sw);
    if (mkdir (out, 0755) && errno != EEXIST) {
        fprintf (stderr, "labctl: cannot create %s: %s\n", out, strerror (errno));
        evala_sweep_destroy (&rep.sw);
        return BUS_ERROR;
    }
    rep.causes = json_object ();
    rep.judges = json_object ();
    rep.scenarios = json_object ();
    bool has_quality = evala_rows_have_quality (rows);
    size_t i;
    json_t *r;
    bool has_speed = evala_rows_have_bucket (rows, "throughput");
    json_array_foreach (rows, i, r)
        s_add_row (&rep, r, has_quality, has_speed);
    s_add_human (&rep, rows);

    char md_path[4200], html_path[4200];
    snprintf (md_path, sizeof md_path, "%s/report.md", out);
    snprintf (html_path, sizeof html_path, "%s/report.html", out);
    FILE *md = fopen (md_path, "w"), *html = fopen (html_path, "w");
    int rc = md && html ? BUS_OK : BUS_ERROR;
    json_t *suspects = json_array ();
    if (rc == BUS_OK) {
        s_header (&rep, dir, md, html);
        s_heading (md, html, "Cohorts");
        s_para (md, html, "quality: the decision's (failed requests count 0, human scores blended; docs/eval.md). "
                          "format fail: format failures other than truncated answers (finish_reason=length, "
                          "their own column). "
                          "judge s/u/na: scored / unparseable / unavailable (never counted as low scores). "
                          "human: blind scores from `labctl eval score`. WER: (S+D+I)/N over the audio rows.");
        s_cohort_table (&rep, md, html);
        if (json_object_size (rep.causes)) {
            s_table_t t = { json_array () };
            s_row (&t, 2, "format failure cause", "rows");
            const char *cause;
            json_t *cnt;
            json_object_foreach (rep.causes, cause, cnt) {
                char n[32];
                snprintf (n, sizeof n, "%lld", (long long) json_integer_value (cnt));
                s_row (&t, 2, cause, n);
            }
            s_table_write (&t, md, html);
        }
        s_heading (md, html, "Plots");
        if (s_plot (out, "report-quality-speed.svg", md, html, "quality against decode speed", s_plot_quality_speed,
                    &rep)
            || s_plot (out, "report-ttft.svg", md, html, "TTFT per cohort", s_plot_ttft, &rep))
            rc = BUS_ERROR;
        s_pairs_section (&rep, &o, out, md, html);
        s_scenarios_section (&rep, md, html, suspects);
        fputs ("</body></html>\n", html);
    }
    else
        fprintf (stderr, "labctl: cannot write the report in %s: %s\n", out, strerror (errno));
    if (md)
        fclose (md);
    if (html)
        fclose (html);
    if (rc == BUS_OK) {
        printf ("report: %s\n        %s\n", md_path, html_path);
        printf ("%zu cohorts, %zu rows; suspect truth definitions: %zu", rep.n, rep.rows, json_array_size (suspects));
        json_array_foreach (suspects, i, r)
            printf ("%s%s", i ? ", " : " (", json_string_value (r));
        printf ("%s\n", json_array_size (suspects) ? ")" : "");
    }
    for (size_t k = 0; k < rep.n; k++) {
        free (rep.c[k].ttft);
        free (rep.c[k].decode);
    }
    json_decref (suspects);
    json_decref (rep.causes);
    json_decref (rep.judges);
    json_decref (rep.scenarios);
    evala_sweep_destroy (&rep.sw);
    return rc;
}
