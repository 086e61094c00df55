/* test_rssi_units - the ranging model against samples drawn from the same
 * log-distance model labsim uses, with a seeded generator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "services/rssi-ranger/rssi_model.h"
#include "services/rssi-ranger/rssi_store.h"

static unsigned s_seed = 12345;
static double
s_gauss (void)
{
    double u1 = (rand_r (&s_seed) + 1.0) / (RAND_MAX + 2.0), u2 = (rand_r (&s_seed) + 1.0) / (RAND_MAX + 2.0);
    return sqrt (-2 * log (u1)) * cos (2 * M_PI * u2);
}

static double
s_sample (double a, double n, double sigma, double d)
{
    return round (a - 10 * n * log10 (d) + sigma * s_gauss ());   /* radios report whole dBm */
}

static void
s_calibrate (rssi_calib_t *c, double a, double n, double sigma, double d, int count)
{
    double sum = 0, sumsq = 0;
    for (int i = 0; i < count; i++) {
        double r = s_sample (a, n, sigma, d);
        sum += r;
        sumsq += r * r;
    }
    rssi_calib_add_point (c, d, count, sum, sumsq);
}

static void
test_fit_recovers_a_and_n (void **state)
{
    (void) state;
    rssi_calib_t c = { 0 };
    s_calibrate (&c, -45, 2.5, 4, 1.0, 200);
    s_calibrate (&c, -45, 2.5, 4, 4.0, 200);
    char why[200];
    assert_int_equal (rssi_calib_fit (&c, why, sizeof why), 0);
    assert_true (fabs (c.a_dbm + 45) < 1.0);
    assert_true (fabs (c.n - 2.5) < 0.15);
    assert_true (fabs (c.sigma_db - 4) < 0.6);
    assert_false (c.n_assumed);
}

static void
test_one_distance_fits_a_with_default_n (void **state)
{
    (void) state;
    rssi_calib_t c = { 0 };
    s_calibrate (&c, -50, 2.0, 2, 1.0, 50);
    char why[200];
    assert_int_equal (rssi_calib_fit (&c, why, sizeof why), 0);
    assert_true (c.n_assumed);
    assert_true (fabs (c.n - RSSI_DEFAULT_N) < 1e-9);
    assert_true (fabs (c.a_dbm + 50) < 1.0);
}

static void
test_too_few_samples_or_insane_n_refused (void **state)
{
    (void) state;
    rssi_calib_t c = { 0 };
    s_calibrate (&c, -45, 2.5, 4, 1.0, RSSI_MIN_SAMPLES - 1);
    char why[200] = "";
    assert_int_equal (rssi_calib_fit (&c, why, sizeof why), -1);
    assert_non_null (strstr (why, "samples"));
    assert_false (c.calibrated);
    /* Boards that did not move between the "distances": n comes out near 0. */
    rssi_calib_t d = { 0 };
    s_calibrate (&d, -45, 2.5, 4, 1.0, 100);
    double sum = 0, sumsq = 0;
    for (int i = 0; i < 100; i++) {
        double r = s_sample (-45, 2.5, 4, 1.0);
        sum += r;
        sumsq += r * r;
    }
    rssi_calib_add_point (&d, 3.0, 100, sum, sumsq);
    assert_int_equal (rssi_calib_fit (&d, why, sizeof why), -1);
    assert_non_null (strstr (why, "outside"));
}

static void
test_estimates_fall_inside_interval_90_percent (void **state)
{
    (void) state;
    rssi_calib_t c = { 0 };
    s_calibrate (&c, -45, 2.5, 4, 1.0, 100);
    s_calibrate (&c, -45, 2.5, 4, 4.0, 100);
    char why[200];
    assert_int_equal (rssi_calib_fit (&c, why, sizeof why), 0);
    int inside = 0, trials = 0;
    for (double d = 1.0; d <= 8.0; d += 0.5)
        for (int t = 0; t < 40; t++) {
            rssi_filter_t f;
            rssi_filter_init (&f);
            for (int i = 0; i < 40; i++)
                rssi_filter_add (&f, s_sample (-45, 2.5, 4, d));
            double lo, hi;
            rssi_interval (&c, f.ewma, rssi_filter_count (&f), &lo, &hi);
            inside += d >= lo && d <= hi;
            trials++;
        }
    double share = (double) inside / trials;
    printf ("true distance inside the interval in %.1f%% of %d trials\n", 100 * share, trials);
    assert_true (share >= 0.90);
}

static void
test_one_to_two_metres_drops_about_6_db (void **state)
{
    (void) state;
    /* n = 2 (free space): 20 log10 2 = 6.02 dB per doubling. */
    rssi_filter_t f1, f2;
    rssi_filter_init (&f1);
    rssi_filter_init (&f2);
    for (int i = 0; i < 400; i++) {
        rssi_filter_add (&f1, s_sample (-45, 2.0, 2, 1.0));
        rssi_filter_add (&f2, s_sample (-45, 2.0, 2, 2.0));
    }
    double drop = f1.ewma - f2.ewma;
    assert_true (drop > 4.5 && drop < 7.5);
}

static void
test_filter_ignores_single_outliers (void **state)
{
    (void) state;
    rssi_filter_t f;
    rssi_filter_init (&f);
    for (int i = 0; i < 30; i++)
        rssi_filter_add (&f, -60);
    double v = rssi_filter_add (&f, -95);   /* one deep fade */
    assert_true (fabs (v + 60) < 0.5);
}

static void
test_store_round_trip_and_bad_lines (void **state)
{
    (void) state;
    rssi_stored_t links[2] = { { "board-a", "board-b", { 0 } } };
    s_calibrate (&links[0].calib, -45, 2.5, 4, 1.0, 100);
    s_calibrate (&links[0].calib, -45, 2.5, 4, 4.0, 100);
    char why[200];
    assert_int_equal (rssi_calib_fit (&links[0].calib, why, sizeof why), 0);
    char path[] = "/tmp/rssi-store-XXXXXX";
    int fd = mkstemp (path);
    close (fd);
    assert_int_equal (rssi_store_save (path, links, 1), 0);
    rssi_stored_t back[4];
    int bad = 0;
    assert_int_equal (rssi_store_load (path, back, 4, &bad), 1);
    assert_int_equal (bad, 0);
    assert_true (fabs (back[0].calib.n - links[0].calib.n) < 1e-3);
    assert_true (back[0].calib.calibrated);
    unlink (path);
    int n = rssi_store_parse ("link a b\npoint x y\npoint -1 5 1 1\ngarbage\npoint 1 30 -1350 60750\n", back, 4, &bad);
    assert_int_equal (n, 1);
    assert_int_equal (bad, 3);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_fit_recovers_a_and_n),
        cmocka_unit_test (test_one_distance_fits_a_with_default_n),
        cmocka_unit_test (test_too_few_samples_or_insane_n_refused),
        cmocka_unit_test (test_estimates_fall_inside_interval_90_percent),
        cmocka_unit_test (test_one_to_two_metres_drops_about_6_db),
        cmocka_unit_test (test_filter_ignores_single_outliers),
        cmocka_unit_test (test_store_round_trip_and_bad_lines),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
