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
#define RSSI_N_MIN 1.2
#define RSSI_N_MAX 6.0
#define RSSI_DEFAULT_N 2.0        /* used when only one distance is calibrated */
#define RSSI_MAX_POINTS 8         /* calibration distances per link */

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

typedef struct {
    bool calibrated;
    double a_dbm, n;
    double sigma_db;       /* spread of single samples around the model */
    double r2;             /* fit quality over the points' means (1 with one point) */
    bool n_assumed;        /* one distance only: n is RSSI_DEFAULT_N */
    int npoints;
    rssi_point_t points[RSSI_MAX_POINTS];
} rssi_calib_t;

/* Adds (or merges into) the point at DISTANCE. */
void rssi_calib_add_point (rssi_calib_t *c, double distance_m, int n, double sum, double sumsq);
/* Least squares over every sample of every point (two or more distances),
 * or A alone with the default n (one distance). Returns 0, or -1 with the
 * reason (too few samples, n out of range) in WHY; C is then unchanged. */
int rssi_calib_fit (rssi_calib_t *c, char *why, size_t whylen);

/* Distance for a filtered RSSI, and an interval: the filtered value is a
 * median/average of about RSSI_WINDOW samples, so its spread is
 * sigma / sqrt (samples); the interval is that at two standard deviations,
 * widened by the spread of the fit itself. */
double rssi_distance (double a_dbm, double n, double rssi);
void rssi_interval (const rssi_calib_t *c, double rssi_filtered, int samples, double *low,
                    double *high);

#endif
