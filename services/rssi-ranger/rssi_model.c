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

double
rssi_median (double *v, int count)
{
    if (count <= 0)
        return 0;
    qsort (v, (size_t) count, sizeof (double), s_cmp);
    return count % 2 ? v[count / 2] : (v[count / 2 - 1] + v[count / 2]) / 2;
}

int
rssi_point_robust (double *v, int count, double d, rssi_point_t *out)
{
    *out = (rssi_point_t) { d, 0, 0, 0 };
    if (count <= 0)
        return 0;
    double med = rssi_median (v, count);
    double *dev = (double *) malloc (sizeof (double) * (size_t) count);
    if (!dev)
        return 0;
    for (int i = 0; i < count; i++)
        dev[i] = fabs (v[i] - med);
    double mad = 1.4826 * rssi_median (dev, count);
    free (dev);
    double cut = fmax (3 * mad, 3.0);
    for (int i = 0; i < count; i++)
        if (fabs (v[i] - med) <= cut) {
            out->n++;
            out->sum += v[i];
            out->sumsq += v[i] * v[i];
        }
    return out->n;
}

void
rssi_calib_add_point (rssi_calib_t *c, double d, int n, double sum, double sumsq)
{
    if (c->npoints == RSSI_MAX_POINTS) {   /* forget the oldest */
        memmove (c->points, c->points + 1, sizeof (rssi_point_t) * (RSSI_MAX_POINTS - 1));
        c->npoints--;
    }
    c->points[c->npoints++] = (rssi_point_t) { d, n, sum, sumsq };
}

int
rssi_calib_fit (rssi_calib_t *c, char *why, size_t whylen)
{
    if (c->npoints == 0) {
        snprintf (why, whylen, "no calibration samples");
        return -1;
    }
    for (int i = 0; i < c->npoints; i++)
        if (c->points[i].n < RSSI_MIN_SAMPLES) {
            snprintf (why, whylen, "only %d samples at %.2f m; need at least %d", c->points[i].n,
                      c->points[i].distance_m, RSSI_MIN_SAMPLES);
            return -1;
        }
    /* One observation per position: its mean. y = A + n x, x = -10 log10 d. */
    int P = c->npoints;
    double sx = 0, sy = 0, sxx = 0, sxy = 0, within = 0, within_df = 0, mean_var = 0;
    for (int i = 0; i < P; i++) {
        const rssi_point_t *p = &c->points[i];
        double x = -10.0 * log10 (p->distance_m), y = p->sum / p->n;
        double ss = fmax (p->sumsq - p->sum * p->sum / p->n, 0);
        sx += x, sy += y, sxx += x * x, sxy += x * y;
        within += ss;
        within_df += p->n - 1;
        mean_var += ss / fmax (p->n - 1, 1) / p->n;   /* each mean's own sampling variance */
    }
    double xbar = sx / P, varx = sxx - sx * sx / P, a, n;
    bool assumed = varx < 1e-6;
    if (assumed) {
        n = RSSI_DEFAULT_N;
        a = (sy - n * sx) / P;
    }
    else {
        n = (sxy - sx * sy / P) / varx;
        a = (sy - n * sx) / P;
    }
    if (!assumed && (n < RSSI_N_MIN || n > RSSI_N_MAX)) {
        snprintf (why, whylen, "fitted n = %.2f is outside %.1f-%.1f: distances too close together, or "
                  "the boards moved while sampling", n, RSSI_N_MIN, RSSI_N_MAX);
        return -1;
    }
    double rss = 0, ss_tot = 0;
    for (int i = 0; i < P; i++) {
        const rssi_point_t *p = &c->points[i];
        double y = p->sum / p->n, r = y - (a - 10 * n * log10 (p->distance_m));
        rss += r * r;
        ss_tot += (y - sy / P) * (y - sy / P);
    }
    /* Residual dof over positions; what sampling noise explains of the
     * residuals is not shadowing. The prior counts as RSSI_PRIOR_DF more. */
    double dof = P - (assumed ? 1 : 2);
    double shadow_ss = fmax (rss - dof * mean_var / P, 0);
    double df = RSSI_PRIOR_DF + dof;
    c->shadow_db = sqrt ((RSSI_PRIOR_DF * RSSI_PRIOR_SHADOW_DB * RSSI_PRIOR_SHADOW_DB + shadow_ss) / df);
    c->df = df;
    c->a_dbm = a;
    c->n = n;
    c->sigma_db = sqrt (within / fmax (within_df, 1));
    c->x_mean = xbar;
    c->x_ss = assumed ? 0 : varx;
    /* The line's own uncertainty, from the positions' spread. */
    double s2 = c->shadow_db * c->shadow_db;
    c->n_se = assumed ? RSSI_ASSUMED_N_SD : sqrt (s2 / varx);
    c->a_se = assumed ? sqrt (s2 / P) : sqrt (s2 * (1.0 / P + xbar * xbar / varx));
    c->r2 = assumed || ss_tot <= 0 ? 1 : 1 - rss / ss_tot;
    c->n_assumed = assumed;
    c->calibrated = true;
    return 0;
}

double
rssi_distance (double a_dbm, double n, double rssi)
{
    return pow (10.0, (a_dbm - rssi) / (10.0 * n));
}

double
rssi_t90 (double df)
{
    static const double t[] = { 0, 6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812 };
    if (!(df >= 1))
        return t[1];
    if (df <= 10) {
        int lo = (int) df;
        double f = df - lo;
        return lo == 10 ? t[10] : t[lo] + f * (t[lo + 1] - t[lo]);
    }
    /* Cornish-Fisher: z + (z^3 + z) / (4 df), within 0.002 above 10. */
    const double z = 1.6449;
    return z + (z * z * z + z) / (4 * df);
}

void
rssi_interval_var (const rssi_calib_t *c, double rssi, double filter_var, double *low, double *high)
{
    if (!c->calibrated) {
        double half = 1.6449 * 8.0;
        *low = rssi_distance (-45, RSSI_DEFAULT_N, rssi + half);
        *high = rssi_distance (-45, RSSI_DEFAULT_N, rssi - half);
        return;
    }
    int P = c->npoints > 0 ? c->npoints : 1;
    double x = (rssi - c->a_dbm) / c->n, s2 = c->shadow_db * c->shadow_db;
    /* A new position's shadowing, plus the line's own error there. */
    double var = s2 * (1.0 + 1.0 / P) + fmax (filter_var, 0);
    if (c->x_ss > 0)
        var += s2 * (x - c->x_mean) * (x - c->x_mean) / c->x_ss;
    else
        var += RSSI_ASSUMED_N_SD * RSSI_ASSUMED_N_SD * x * x;   /* n was assumed */
    double half = rssi_t90 (c->df) * sqrt (var);
    *low = rssi_distance (c->a_dbm, c->n, rssi + half);
    *high = rssi_distance (c->a_dbm, c->n, rssi - half);
}

void
rssi_interval (const rssi_calib_t *c, double rssi, int samples, double *low, double *high)
{
    int k = samples < 1 ? 1 : samples > RSSI_WINDOW ? RSSI_WINDOW : samples;
    double sigma = c->calibrated ? c->sigma_db : 6.0;
    rssi_interval_var (c, rssi, sigma * sigma / k, low, high);
}
