/* rssi_model - RSSI to distance with the log-distance path-loss model
 *   rssi = A - 10 n log10 (d)      d = 10^((A - rssi) / (10 n))
 * with A (RSSI at 1 m) and n fitted from samples at known distances, a
 * filter for RSSI noise, and an interval on every estimate.
 *
 * Filter: a running median over the last RSSI_WINDOW samples, then an
 * exponential average of the medians. RSSI noise is heavy-tailed (multipath
 * fades and reflections give single samples 10-20 dB off): the median throws
 * those out where a mean would follow them; the exponential average then
 * smooths what is left with one parameter and no model of motion (a Kalman
 * filter adds little for boards that sit still or move slowly, and needs a
 * process-noise figure nobody on the bench knows). */
#ifndef RSSI_MODEL_H
#define RSSI_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#define RSSI_WINDOW 15
#define RSSI_EWMA_ALPHA 0.3
#define RSSI_MIN_SAMPLES 20       /* per calibration distance */
#define RSSI_N_MIN 1.0
#define RSSI_N_MAX 6.0
#define RSSI_DEFAULT_N 2.0        /* used when only one distance is calibrated */
#define RSSI_MAX_POINTS 32        /* calibration positions per link */
#define RSSI_INTERVAL_LEVEL 0.90  /* stated coverage of every interval */
/* What one position's shadowing is believed to be before calibration has
 * seen several: a prior worth RSSI_PRIOR_DF positions. Indoor 2.4 GHz
 * measurements report 3-8 dB in one room (docs/rssi.md). */
#define RSSI_PRIOR_SHADOW_DB 4.0
#define RSSI_PRIOR_DF 2.0
#define RSSI_ASSUMED_N_SD 0.5     /* how wrong n = 2 may be when it is assumed */

typedef struct {
    double window[RSSI_WINDOW];
    int count, head;
    double ewma;
    bool primed;
    double last_raw;
} rssi_filter_t;

void rssi_filter_init (rssi_filter_t *f);
/* Adds a sample; returns the filtered value. */
double rssi_filter_add (rssi_filter_t *f, double rssi);
int rssi_filter_count (const rssi_filter_t *f);

typedef struct {
    double distance_m;
    int n;                 /* samples */
    double sum, sumsq;     /* of RSSI */
} rssi_point_t;

/* A calibration is a set of positions (a point each: where the boards stood,
 * at a known distance). Samples at one position share that position's
 * shadowing, so more samples there do not make its error smaller; the
 * position-to-position spread is what a new position will add, and only
 * more positions measure it. */
typedef struct {
    bool calibrated;
    double a_dbm, n;
    double sigma_db;       /* spread of single samples within a position */
    double shadow_db;      /* spread of positions around the line (with the prior) */
    double df;             /* degrees of freedom behind shadow_db */
    double x_mean, x_ss;   /* of x = -10 log10 d over the positions, for the line's own error */
    double a_se, n_se;     /* standard errors of A and n (n_se: RSSI_ASSUMED_N_SD when assumed) */
    double r2;             /* fit quality over the positions' means (1 with one distance) */
    bool n_assumed;        /* one distance only: n is RSSI_DEFAULT_N */
    int npoints;
    rssi_point_t points[RSSI_MAX_POINTS];
} rssi_calib_t;

/* One position from its raw samples, robustly: samples further than
 * max (3 MAD, 3 dB) from their median (a body walking by, a deep fade) are
 * dropped before the sums. Returns the number kept. SAMPLES is reordered. */
int rssi_point_robust (double *samples, int count, double distance_m, rssi_point_t *out);
/* Adds one position (the oldest is forgotten when full). */
void rssi_calib_add_point (rssi_calib_t *c, double distance_m, int n, double sum, double sumsq);
/* Least squares over the positions' means (two or more distances), or A
 * alone with the default n (one distance); the shadowing spread from the
 * residuals, pooled with the prior. Returns 0, or -1 with the reason (too
 * few samples, n out of range) in WHY; C is then unchanged. */
int rssi_calib_fit (rssi_calib_t *c, char *why, size_t whylen);

/* Distance for a filtered RSSI, and its RSSI_INTERVAL_LEVEL interval at a
 * position calibration never saw: Student t over the shadowing spread, the
 * line's own error at that distance, and FILTER_VAR_DB2 (the variance of
 * the filtered value itself). Uncalibrated: A -45 dBm, n 2 and 8 dB. */
double rssi_distance (double a_dbm, double n, double rssi);
void rssi_interval_var (const rssi_calib_t *c, double rssi_filtered, double filter_var_db2,
                        double *low, double *high);
/* The same with the median filter's variance: sigma^2 / min (samples, window). */
void rssi_interval (const rssi_calib_t *c, double rssi_filtered, int samples, double *low,
                    double *high);
/* Median of COUNT values (reorders them). */
double rssi_median (double *v, int count);
/* One-sided 95 % quantile of Student's t with DF degrees of freedom (two-sided 90 %). */
double rssi_t90 (double df);

#endif
