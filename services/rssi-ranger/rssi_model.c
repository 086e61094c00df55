/* rssi_model - see rssi_model.h. */
#include "services/rssi-ranger/rssi_model.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
rssi_filter_init (rssi_filter_t *f)
{
    memset (f, 0, sizeof *f);
}

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

double
rssi_filter_add (rssi_filter_t *f, double rssi)
{
    f->last_raw = rssi;
    f->window[f->head] = rssi;
    f->head = (f->head + 1) % RSSI_WINDOW;
    if (f->count < RSSI_WINDOW)
        f->count++;
    double sorted[RSSI_WINDOW];
    memcpy (sorted, f->window, sizeof (double) * (size_t) f->count);
    qsort (sorted, (size_t) f->count, sizeof (double), s_cmp);
    double median = f->count % 2 ? sorted[f->count / 2]
                                 : (sorted[f->count / 2 - 1] + sorted[f->count / 2]) / 2;
    if (!f->primed) {
        f->ewma = median;
        f->primed = true;
    }
    else
        f->ewma = RSSI_EWMA_ALPHA * median + (1 - RSSI_EWMA_ALPHA) * f->ewma;
    return f->ewma;
}

int rssi_filter_count (const rssi_filter_t *f) { return f->count; }

void
rssi_calib_add_point (rssi_calib_t *c, double d, int n, double sum, double sumsq)
{
    for (int i = 0; i < c->npoints; i++)
        if (fabs (c->points[i].distance_m - d) < 1e-6) {
            c->points[i].n += n;
            c->points[i].sum += sum;
            c->points[i].sumsq += sumsq;
            return;
        }
    if (c->npoints == RSSI_MAX_POINTS) {   /* forget the oldest */
        memmove (c->points, c->points + 1, sizeof (rssi_point_t) * (RSSI_MAX_POINTS - 1));
        c->npoints--;
    }
    c->points[c->npoints++] = (rssi_point_t) { d, n, sum, sumsq };
}

int
rssi_calib_fit (rssi_calib_t *c, char *why, size_t whylen)
{
    int total = 0;
    for (int i = 0; i < c->npoints; i++) {
        if (c->points[i].n < RSSI_MIN_SAMPLES) {
            snprintf (why, whylen, "only %d samples at %.2f m; need at least %d", c->points[i].n,
                      c->points[i].distance_m, RSSI_MIN_SAMPLES);
            return -1;
        }
        total += c->points[i].n;
    }
    if (c->npoints == 0) {
        snprintf (why, whylen, "no calibration samples");
        return -1;
    }
    /* Sums over all samples: x = -10 log10 d (the same for a point's
     * samples), y = rssi. y = A + n x. */
    double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
    for (int i = 0; i < c->npoints; i++) {
        rssi_point_t *p = &c->points[i];
        double x = -10.0 * log10 (p->distance_m);
        sx += x * p->n;
        sxx += x * x * p->n;
        sy += p->sum;
        sxy += x * p->sum;
        syy += p->sumsq;
    }
    double N = total, a, n;
    bool assumed = false;
    double varx = sxx - sx * sx / N;
    if (c->npoints < 2 || varx < 1e-9) {
        n = RSSI_DEFAULT_N;
        a = (sy - n * sx) / N;
        assumed = true;
    }
    else {
        n = (sxy - sx * sy / N) / varx;
        a = (sy - n * sx) / N;
    }
    if (!assumed && (n < RSSI_N_MIN || n > RSSI_N_MAX)) {
        snprintf (why, whylen, "fitted n = %.2f is outside %.1f-%.1f: distances too close together, or "
                  "the boards moved while sampling", n, RSSI_N_MIN, RSSI_N_MAX);
        return -1;
    }
    /* Residual sum of squares over all samples, expanded from the sums. */
    double rss = syy - 2 * a * sy - 2 * n * sxy + N * a * a + 2 * a * n * sx + n * n * sxx;
    double sigma = sqrt (fmax (rss, 0) / fmax (N - 2, 1));
    /* R^2 on the points' means. */
    double r2 = 1;
    if (!assumed) {
        double my = sy / N, ss_tot = 0, ss_res = 0;
        for (int i = 0; i < c->npoints; i++) {
            double mean = c->points[i].sum / c->points[i].n;
            double pred = a - 10 * n * log10 (c->points[i].distance_m);
            ss_tot += (mean - my) * (mean - my);
            ss_res += (mean - pred) * (mean - pred);
        }
        r2 = ss_tot > 0 ? 1 - ss_res / ss_tot : 1;
    }
    c->a_dbm = a;
    c->n = n;
    c->sigma_db = sigma;
    c->r2 = r2;
    c->n_assumed = assumed;
    c->calibrated = true;
    return 0;
}

double
rssi_distance (double a_dbm, double n, double rssi)
{
    return pow (10.0, (a_dbm - rssi) / (10.0 * n));
}

void
rssi_interval (const rssi_calib_t *c, double rssi, int samples, double *low, double *high)
{
    double sigma = c->calibrated ? c->sigma_db : 6.0;
    double a = c->calibrated ? c->a_dbm : -45, n = c->calibrated ? c->n : RSSI_DEFAULT_N;
    /* Spread of the filtered value, plus a floor for what the fit itself
     * does not know (other orientations, bodies in the room). */
    double k = samples > 0 ? samples : 1;
    double s = sqrt (sigma * sigma / k + 1.0);
    *low = rssi_distance (a, n, rssi + 2 * s);
    *high = rssi_distance (a, n, rssi - 2 * s);
}
