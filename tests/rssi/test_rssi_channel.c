/* test_rssi_channel - the statistics of labsim's indoor channel: shadowing
 * with the configured spread and exponential spatial correlation, fixed
 * offsets, position- and channel-dependent fades, body blocking with its
 * rate, depth and heavy-tailed durations, and the radio losing frames below
 * sensitivity. Seeded; tolerances several standard errors wide. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "services/labsim/labsim_channel.h"
#include "services/labsim/labsim_radio.h"

static labsim_channel_t *
s_channel (void (*tweak) (labsim_channel_opts_t *))
{
    labsim_channel_opts_t o;
    labsim_channel_defaults (&o);
    o.seed = 4242;
    if (tweak)
        tweak (&o);
    labsim_channel_t *c = labsim_channel_new (&o);
    assert_non_null (c);
    return c;
}

static void
test_shadowing_has_the_configured_spread (void **state)
{
    (void) state;
    labsim_channel_t *c = s_channel (NULL);
    double sum = 0, sumsq = 0;
    int n = 0;
    /* 15 links, 200 spots each, 10 decorrelation distances apart. */
    for (int b = 1; b < 16; b++)
        for (int i = 0; i < 200; i++) {
            double s = labsim_channel_shadowing (c, 0, b, 30.0 * (i % 20) + 1, 18.0 * (i / 20));
            sum += s;
            sumsq += s * s;
            n++;
        }
    double mean = sum / n, sd = sqrt (sumsq / n - mean * mean);
    printf ("shadowing: mean %.2f dB, sd %.2f dB (configured 3.0)\n", mean, sd);
    assert_true (fabs (mean) < 0.6);
    assert_true (sd > 3.0 * 0.8 && sd < 3.0 * 1.2);
    labsim_channel_destroy (&c);
}

static double
s_correlation (labsim_channel_t *c, double lag)
{
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    int n = 0;
    for (int b = 1; b < 16; b++)
        for (int i = 0; i < 300; i++) {
            /* Spots on a grid far apart; the second of each pair LAG away in x. */
            double x0 = 40.0 * (i % 30), y0 = 40.0 * (i / 30);
            double x1 = x0 + lag;
            double s0 = labsim_channel_shadowing (c, 0, b, hypot (x0, y0), atan2 (y0, x0) * 180 / M_PI);
            double s1 = labsim_channel_shadowing (c, 0, b, hypot (x1, y0), atan2 (y0, x1) * 180 / M_PI);
            sx += s0, sy += s1, sxx += s0 * s0, syy += s1 * s1, sxy += s0 * s1;
            n++;
        }
    double cov = sxy / n - sx / n * sy / n;
    return cov / sqrt ((sxx / n - sx / n * sx / n) * (syy / n - sy / n * sy / n));
}

static void
test_shadowing_decorrelates_exponentially (void **state)
{
    (void) state;
    labsim_channel_t *c = s_channel (NULL);
    const double L = 3.0, lags[] = { 0.5, 1.0, 3.0, 6.0, 15.0 };
    for (size_t i = 0; i < sizeof lags / sizeof *lags; i++) {
        double r = s_correlation (c, lags[i]), want = exp (-lags[i] / L);
        printf ("lag %.1f m: correlation %.3f, Gudmundson %.3f\n", lags[i], r, want);
        assert_true (fabs (r - want) < 0.12);
    }
    labsim_channel_destroy (&c);
}

static void
s_no_shadow (labsim_channel_opts_t *o)
{
    o->shadow_sigma_db = 0;
    o->pair_sigma_db = o->tx_sigma_db = o->orient_db = 0;
    o->block_per_hour = 0;
    o->noise_db = 0;
}

static void
test_path_loss_slope_survives_the_fades (void **state)
{
    (void) state;
    labsim_channel_t *c = s_channel (NULL);
    /* Least squares of local means against -10 log10 d over many spots. */
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int n = 0;
    for (int b = 1; b < 16; b++)
        for (int i = 0; i < 40; i++) {
            double d = 0.5 * pow (2, i % 5), x = -10 * log10 (d);
            double y = labsim_channel_local_mean (c, 0, b, d, 9.0 * i);
            sx += x, sy += y, sxx += x * x, sxy += x * y;
            n++;
        }
    double slope = (sxy - sx * sy / n) / (sxx - sx * sx / n);
    printf ("fitted n over 600 spots: %.2f (configured 2.5)\n", slope);
    assert_true (fabs (slope - 2.5) < 0.35);
    labsim_channel_destroy (&c);
}

static void
test_a_spot_keeps_its_fade_and_channels_differ (void **state)
{
    (void) state;
    labsim_channel_t *c = s_channel (s_no_shadow);
    labsim_channel_opts_t o = *labsim_channel_opts (c);
    o.wifi_channel = 11;
    labsim_channel_t *c11 = labsim_channel_new (&o);
    int differ = 0, spots = 200;
    double spread = 0;
    for (int i = 0; i < spots; i++) {
        double d = 1.0 + 0.37 * i, br = 7.0 * i;
        double m1 = labsim_channel_local_mean (c, 0, 1, d, br) - (-45 - 25 * log10 (d));
        assert_true (fabs (labsim_channel_local_mean (c, 0, 1, 0.5, 0) - labsim_channel_local_mean (c, 0, 1, 0.5, 0)) < 1e-12);
        double m11 = labsim_channel_local_mean (c11, 0, 1, d, br) - (-45 - 25 * log10 (d));
        differ += fabs (m1 - m11) > 0.3;
        spread += m1 * m1;
    }
    spread = sqrt (spread / spots);
    printf ("position fade: rms %.2f dB; channel 1 vs 11 differ at %d of %d spots\n", spread, differ, spots);
    assert_true (spread > 0.3 && spread < 4);
    assert_true (differ > spots / 2);
    labsim_channel_destroy (&c11);
    labsim_channel_destroy (&c);
}

static void
test_still_boards_fluctuate_around_their_local_mean (void **state)
{
    (void) state;
    labsim_channel_t *c = s_channel (NULL);
    labsim_channel_opts_t o = *labsim_channel_opts (c);
    o.block_per_hour = 0;
    char why[100];
    assert_int_equal (labsim_channel_set_opts (c, &o, why, sizeof why), 0);
    double mean = labsim_channel_local_mean (c, 0, 1, 3.0, 40);
    double sum = 0, sumsq = 0;
    int n = 6000;
    for (int i = 0; i < n; i++) {
        int r = labsim_channel_rssi (c, 0, 1, 3.0, 40, i * 0.1);
        sum += r;
        sumsq += (double) r * r;
    }
    double m = sum / n, sd = sqrt (sumsq / n - m * m);
    printf ("still: local mean %.2f dBm, samples mean %.2f sd %.2f\n", mean, m, sd);
    assert_true (fabs (m - mean) < 1.5);
    assert_true (sd > 0.5 && sd < 4);
    labsim_channel_destroy (&c);
}

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static void
test_body_blocks_are_rare_deep_and_heavy_tailed (void **state)
{
    (void) state;
    labsim_channel_t *c = s_channel (NULL);   /* 4 per hour, 10-20 dB, median 1.2 s */
    static double durations[2000];
    int events = 0;
    double start = -1, deepest = 0;
    int shallow = 0;
    const double dt = 0.05, hours = 100;
    for (long i = 0; i < (long) (hours * 3600 / dt); i++) {
        double t = i * dt, b = labsim_channel_blocking (c, 0, 1, t);
        if (b > 0 && start < 0)
            start = t, deepest = 0;
        if (b > deepest)
            deepest = b;
        if (b == 0 && start >= 0) {
            if (events < 2000)
                durations[events] = t - start;
            events++;
            shallow += deepest < 9.0;
            start = -1;
        }
    }
    qsort (durations, (size_t) (events < 2000 ? events : 2000), sizeof (double), s_cmp);
    int longer = 0;
    for (int i = 0; i < events && i < 2000; i++)
        longer += durations[i] > 3.0;
    printf ("blocks: %d in %.0f h, median %.2f s, %d longer than 3 s, %d seen shallower than 9 dB\n", events,
            hours, durations[events / 2], longer, shallow);
    assert_true (events > 300 && events < 500);   /* 400 expected, sd 20 */
    assert_true (durations[events / 2] > 0.9 && durations[events / 2] < 1.6);
    assert_true (longer > events / 50);        /* a lognormal tail, not a fixed length */
    /* 10-20 dB deep; sampled every 50 ms, a very short block may be seen on its ramp. */
    assert_true (shallow < events / 20);
    labsim_channel_destroy (&c);
}

static void
test_same_seed_same_channel_and_bad_options_refused (void **state)
{
    (void) state;
    labsim_channel_t *a = s_channel (NULL), *b = s_channel (NULL);
    for (int i = 0; i < 500; i++)
        assert_int_equal (labsim_channel_rssi (a, 0, 1, 2.0, 10, i * 0.1), labsim_channel_rssi (b, 0, 1, 2.0, 10, i * 0.1));
    labsim_channel_opts_t o;
    labsim_channel_defaults (&o);
    o.shadow_decorr_m = 0;
    char why[100] = "";
    assert_null (labsim_channel_new (&o));
    assert_int_equal (labsim_channel_check (&o, why, sizeof why), -1);
    assert_non_null (strstr (why, "decorr"));
    assert_int_equal (labsim_channel_set_opts (a, &o, why, sizeof why), -1);
    assert_true (labsim_channel_rssi (a, 0, 1, 5000.0, 0, 1e6) >= -127);
    labsim_channel_destroy (&a);
    labsim_channel_destroy (&b);
}

static void
test_radio_indoor_loses_frames_below_sensitivity (void **state)
{
    (void) state;
    static const uint8_t A[6] = { 2, 0, 0, 0, 0, 0xa }, B[6] = { 2, 0, 0, 0, 0, 0xb };
    labsim_radio_opts_t o = { .a_dbm = -45, .n = 2.5, .latency_ms = 1, .air_bps = 1e6, .distance_m = 1,
                              .seed = 9, .indoor = true };
    labsim_channel_defaults (&o.channel);
    labsim_radio_t *r = labsim_radio_new (&o);
    assert_non_null (r);
    assert_int_equal (labsim_radio_add (r, A), 0);
    assert_int_equal (labsim_radio_add (r, B), 1);
    labsim_radio_place (r, 0, 1, 2.0, 30);
    assert_true (fabs (labsim_radio_bearing (r, 1, 0) - 210) < 1e-9);
    double mean = labsim_radio_local_mean (r, 0, 1);
    double sum = 0;
    int got = 0;
    labsim_radio_frame_t f;
    for (int i = 0; i < 200; i++) {
        labsim_radio_send (r, 0, B, (const uint8_t *) "x", 1, (uint64_t) i * 100000);
        while (labsim_radio_due (r, (uint64_t) i * 100000 + 50000, &f))
            sum += f.rssi, got++;
    }
    assert_true (got > 150);
    assert_true (fabs (sum / got - mean) < 3);
    /* 300 m: about -107 dBm, below the ESP32's sensitivity. */
    labsim_radio_move (r, 0, 1, 300);
    labsim_radio_stats_t st;
    for (int i = 0; i < 50; i++)
        labsim_radio_send (r, 0, B, (const uint8_t *) "x", 1, 30000000 + (uint64_t) i * 100000);
    labsim_radio_stats (r, &st);
    assert_true (st.below_sensitivity >= 45);
    labsim_radio_destroy (&r);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_shadowing_has_the_configured_spread),
        cmocka_unit_test (test_shadowing_decorrelates_exponentially),
        cmocka_unit_test (test_path_loss_slope_survives_the_fades),
        cmocka_unit_test (test_a_spot_keeps_its_fade_and_channels_differ),
        cmocka_unit_test (test_still_boards_fluctuate_around_their_local_mean),
        cmocka_unit_test (test_body_blocks_are_rare_deep_and_heavy_tailed),
        cmocka_unit_test (test_same_seed_same_channel_and_bad_options_refused),
        cmocka_unit_test (test_radio_indoor_loses_frames_below_sensitivity),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
