/* rssi_bench - ranging error over true distances 0.5-10 m at sigma = 4 dB,
 * calibrated (A and n fitted at 1 m and 4 m) against the uncalibrated model
 * (n = 1.6, the guess of the original bench, with the same A), on the same
 * samples. Samples come from the log-distance model labsim uses (A -45 dBm,
 * n 2.5), not through the simulated radio, so the figure is the model's. */
#include "services/rssi-ranger/rssi_model.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned s_seed = 777;
static double
s_gauss (void)
{
    double u1 = (rand_r (&s_seed) + 1.0) / (RAND_MAX + 2.0), u2 = (rand_r (&s_seed) + 1.0) / (RAND_MAX + 2.0);
    return sqrt (-2 * log (u1)) * cos (2 * M_PI * u2);
}
static double s_rssi (double d) { return round (-45 - 25 * log10 (d) + 4 * s_gauss ()); }
static int s_cmp (const void *a, const void *b) { double x = *(const double *) a, y = *(const double *) b; return x < y ? -1 : x > y; }

int
main (void)
{
    rssi_calib_t c = { 0 };
    const double cal[] = { 1.0, 4.0 };
    for (int k = 0; k < 2; k++) {
        double sum = 0, sumsq = 0;
        for (int i = 0; i < 100; i++) {
            double r = s_rssi (cal[k]);
            sum += r, sumsq += r * r;
        }
        rssi_calib_add_point (&c, cal[k], 100, sum, sumsq);
    }
    char why[200];
    if (rssi_calib_fit (&c, why, sizeof why)) {
        printf ("BENCH rssi.abs_error_median_m FAIL %s\n", why);
        return 1;
    }
    double a1m = c.points[0].sum / c.points[0].n;
    enum { TRIALS = 40 };
    static double cal_err[20 * TRIALS], unc_err[20 * TRIALS];
    int n = 0;
    for (double d = 0.5; d <= 10.0001; d += 0.5)
        for (int t = 0; t < TRIALS; t++) {
            rssi_filter_t f;
            rssi_filter_init (&f);
            for (int i = 0; i < 30; i++)
                rssi_filter_add (&f, s_rssi (d));
            cal_err[n] = fabs (rssi_distance (c.a_dbm, c.n, f.ewma) - d);
            unc_err[n] = fabs (rssi_distance (a1m, 1.6, f.ewma) - d);
            n++;
        }
    qsort (cal_err, (size_t) n, sizeof (double), s_cmp);
    qsort (unc_err, (size_t) n, sizeof (double), s_cmp);
    printf ("BENCH rssi.abs_error_median_m %.3f m\n", cal_err[n / 2]);
    printf ("BENCH rssi.abs_error_median_m_uncalibrated %.3f m\n", unc_err[n / 2]);
    fprintf (stderr, "rssi: fitted A %.1f dBm n %.2f (true -45, 2.5); ratio %.2f\n", c.a_dbm, c.n,
             cal_err[n / 2] / unc_err[n / 2]);
    return 0;
}
