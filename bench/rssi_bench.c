/* rssi_bench - ranging and motion on labsim's indoor channel
 * (services/labsim/labsim_channel.c: correlated shadowing, offsets, fades,
 * body blocking, 1 dB steps), never on the estimator's own model.
 *
 * Each "room" is a channel seed. Calibration: six positions (1, 1.5, 2.5, 4,
 * 6 and 8 m, each at its own bearing), 10 s each. Then 20 new positions
 * 0.5-10 m, at bearings at least 0.5 m from every calibration spot, 10 s of
 * samples each, filtered; the estimate is the filtered value at the end.
 * Both boards beacon RSSI_BENCH_HZ times a second, so a link gets twice
 * that many samples (both directions).
 *
 *   rssi.real_abs_error_median_m       calibrated, median |estimate - truth|
 *   rssi.real_abs_error_median_m_seed  the seed's model: n = 1.6 and A from
 *                                      one reading at 1 m, same filter
 *   rssi.interval_coverage             share of truths inside the stated
 *                                      90 % interval
 *   rssi.motion_detect_rate            1 m -> 2 m moves detected within 5 s
 *   rssi.motion_false_per_hour         moves declared with the boards still
 *   rssi.abs_error_median_m            old names, kept: the same figures
 *   rssi.abs_error_median_m_uncalibrated  as the two real_ ones
 * The figures are the gated Kalman filter's, which rssi-ranger uses; the
 * median + average filter's are rssi.median_ema_*, and the comparison
 * (level errors, step response) is on stderr. */
#include "services/labsim/labsim_channel.h"
#include "services/rssi-ranger/rssi_kalman.h"
#include "services/rssi-ranger/rssi_model.h"
#include "services/rssi-ranger/rssi_motion.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RSSI_BENCH_HZ 10.0
#define ROOMS 50
#define POSITIONS 20
#define CAL_SECONDS 10.0
#define EST_SECONDS 10.0
#define MOVE_TRIALS 400
#define STILL_ROOMS 40
#define STILL_HOURS_PER_ROOM 2.5

static const double s_cal_d[] = { 1.0, 1.5, 2.5, 4.0, 6.0, 8.0 };
#define NCAL (int) (sizeof s_cal_d / sizeof *s_cal_d)

typedef struct {
    labsim_channel_t *ch;
    double t;          /* seconds */
    int from;          /* direction of the next sample */
    unsigned rng;
} room_t;

static double s_unit (unsigned *r) { return (double) rand_r (r) / ((double) RAND_MAX + 1.0); }

static void
s_room (room_t *room, unsigned seed)
{
    labsim_channel_opts_t o;
    labsim_channel_defaults (&o);
    o.seed = seed;
    room->ch = labsim_channel_new (&o);
    room->t = 0;
    room->from = 0;
    room->rng = seed * 2654435761u + 1;
}

/* The next sample on the link, alternating directions. */
static double
s_sample (room_t *room, double d, double bearing)
{
    room->t += 1.0 / (2 * RSSI_BENCH_HZ);
    int from = room->from;
    room->from ^= 1;
    return labsim_channel_rssi (room->ch, from, !from, d, bearing, room->t);
}

typedef struct {
    rssi_calib_t calib;
    double cal_x[NCAL], cal_y[NCAL];
    double seed_a;     /* one reading at 1 m */
} cal_t;

static int
s_calibrate (room_t *room, cal_t *cal)
{
    memset (cal, 0, sizeof *cal);
    static double buf[4096];
    for (int k = 0; k < NCAL; k++) {
        double br = 360 * s_unit (&room->rng), th = br * M_PI / 180;
        cal->cal_x[k] = s_cal_d[k] * cos (th);
        cal->cal_y[k] = s_cal_d[k] * sin (th);
        int n = (int) (CAL_SECONDS * 2 * RSSI_BENCH_HZ);
        for (int i = 0; i < n; i++)
            buf[i] = s_sample (room, s_cal_d[k], br);
        if (s_cal_d[k] == 1.0)
            cal->seed_a = buf[0];
        rssi_point_t p;
        rssi_point_robust (buf, n, s_cal_d[k], &p);
        rssi_calib_add_point (&cal->calib, p.distance_m, p.n, p.sum, p.sumsq);
        room->t += 30;   /* carrying the board to the next spot */
    }
    char why[200];
    if (rssi_calib_fit (&cal->calib, why, sizeof why)) {
        fprintf (stderr, "rssi bench: calibration refused: %s\n", why);
        return -1;
    }
    return 0;
}

/* A bearing for distance D whose spot is at least 0.5 m from every calibration spot. */
static double
s_new_bearing (room_t *room, const cal_t *cal, double d)
{
    for (;;) {
        double br = 360 * s_unit (&room->rng), th = br * M_PI / 180, x = d * cos (th), y = d * sin (th);
        bool far = true;
        for (int k = 0; k < NCAL; k++)
            far = far && hypot (x - cal->cal_x[k], y - cal->cal_y[k]) >= 0.5;
        if (far)
            return br;
    }
}

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static double
s_median_of (double *v, int n)
{
    qsort (v, (size_t) n, sizeof (double), s_cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct {
    double err[ROOMS * POSITIONS], seed_err[ROOMS * POSITIONS], level_err[ROOMS * POSITIONS];
    int inside, n;
} tally_t;

static void
s_ranging (tally_t *med, tally_t *kal)
{
    for (int r = 0; r < ROOMS; r++) {
        room_t room;
        s_room (&room, 100 + (unsigned) r);
        cal_t cal;
        if (s_calibrate (&room, &cal)) {
            labsim_channel_destroy (&room.ch);
            continue;
        }
        const rssi_calib_t *c = &cal.calib;
        for (int p = 0; p < POSITIONS; p++) {
            double d = 0.5 * (p + 1), br = s_new_bearing (&room, &cal, d);
            rssi_filter_t f;
            rssi_kalman_t k;
            rssi_filter_init (&f);
            rssi_kalman_init (&k);
            int n = (int) (EST_SECONDS * 2 * RSSI_BENCH_HZ);
            for (int i = 0; i < n; i++) {
                double s = s_sample (&room, d, br);
                rssi_filter_add (&f, s);
                rssi_kalman_add (&k, s);
            }
            /* What the level should be: the spot's mean over both directions. */
            double truth = (labsim_channel_local_mean (room.ch, 0, 1, d, br)
                            + labsim_channel_local_mean (room.ch, 1, 0, d, br)) / 2;
            double lo, hi, est;
            est = rssi_distance (c->a_dbm, c->n, f.ewma);
            rssi_interval (c, f.ewma, rssi_filter_count (&f), &lo, &hi);
            med->err[med->n] = fabs (est - d);
            med->seed_err[med->n] = fabs (rssi_distance (cal.seed_a, 1.6, f.ewma) - d);
            med->level_err[med->n] = fabs (f.ewma - truth);
            med->inside += d >= lo && d <= hi;
            med->n++;
            est = rssi_distance (c->a_dbm, c->n, k.level);
            rssi_interval_var (c, k.level, k.var, &lo, &hi);
            kal->err[kal->n] = fabs (est - d);
            kal->seed_err[kal->n] = fabs (rssi_distance (cal.seed_a, 1.6, k.level) - d);
            kal->level_err[kal->n] = fabs (k.level - truth);
            kal->inside += d >= lo && d <= hi;
            kal->n++;
            room.t += 30;
        }
        labsim_channel_destroy (&room.ch);
    }
}

/* Seconds until a filter first comes within 2 dB of the new level after a
 * 1 m -> 2 m move, median over rooms: how long a filter lags a real change. */
static void
s_step_response (double *med_s, double *kal_s)
{
    static double tm[ROOMS], tk[ROOMS];
    for (int r = 0; r < ROOMS; r++) {
        room_t room;
        s_room (&room, 5000 + (unsigned) r);
        double br = 360 * s_unit (&room.rng);
        rssi_filter_t f;
        rssi_kalman_t k;
        rssi_filter_init (&f);
        rssi_kalman_init (&k);
        for (int i = 0; i < 600; i++) {
            double s = s_sample (&room, 1.0, br);
            rssi_filter_add (&f, s);
            rssi_kalman_add (&k, s);
        }
        double target = (labsim_channel_local_mean (room.ch, 0, 1, 2.0, br)
                         + labsim_channel_local_mean (room.ch, 1, 0, 2.0, br)) / 2;
        tm[r] = tk[r] = 30;
        for (int i = 1; i <= 600; i++) {
            double s = s_sample (&room, 2.0, br), t = i / (2 * RSSI_BENCH_HZ);
            double fm = rssi_filter_add (&f, s), fk = rssi_kalman_add (&k, s);
            if (fabs (fm - target) <= 2 && tm[r] == 30)
                tm[r] = t;
            if (fabs (fk - target) <= 2 && tk[r] == 30)
                tk[r] = t;
        }
        labsim_channel_destroy (&room.ch);
    }
    *med_s = s_median_of (tm, ROOMS);
    *kal_s = s_median_of (tk, ROOMS);
}

static void
s_motion (double *detect_rate, double *false_per_hour, double *ratio_median)
{
    static double ratios[MOVE_TRIALS];
    int detected = 0, nratio = 0;
    for (int i = 0; i < MOVE_TRIALS; i++) {
        room_t room;
        s_room (&room, 20000 + (unsigned) i);
        double br = 360 * s_unit (&room.rng);
        rssi_motion_t m;
        rssi_motion_init (&m);
        double delta;
        for (int j = 0; j < 60 * 2 * RSSI_BENCH_HZ; j++) {
            double s = s_sample (&room, 1.0, br);
            rssi_motion_add (&m, room.t, s, &delta);
        }
        double moved = room.t;
        while (room.t < moved + 5.0) {
            double s = s_sample (&room, 2.0, br);
            if (rssi_motion_add (&m, room.t, s, &delta)) {
                detected++;
                ratios[nratio++] = rssi_motion_ratio (delta, 2.5);
                break;
            }
        }
        labsim_channel_destroy (&room.ch);
    }
    *detect_rate = (double) detected / MOVE_TRIALS;
    *ratio_median = nratio ? s_median_of (ratios, nratio) : 0;
    int falses = 0;
    double hours = 0;
    for (int r = 0; r < STILL_ROOMS; r++) {
        room_t room;
        s_room (&room, 30000 + (unsigned) r);
        double d = 0.5 + 9.5 * s_unit (&room.rng), br = 360 * s_unit (&room.rng);
        rssi_motion_t m;
        rssi_motion_init (&m);
        double delta;
        long n = (long) (STILL_HOURS_PER_ROOM * 3600 * 2 * RSSI_BENCH_HZ);
        for (long j = 0; j < n; j++)
            falses += rssi_motion_add (&m, room.t, s_sample (&room, d, br), &delta);
        hours += STILL_HOURS_PER_ROOM;
        labsim_channel_destroy (&room.ch);
    }
    *false_per_hour = falses / hours;
}

int
main (void)
{
    static tally_t med, kal;
    s_ranging (&med, &kal);
    if (!med.n) {
        printf ("BENCH rssi.real_abs_error_median_m FAIL no room calibrated\n");
        return 1;
    }
    double cal_m = s_median_of (med.err, med.n);
    double cover = (double) med.inside / med.n;
    double kal_m = s_median_of (kal.err, kal.n), kal_cover = (double) kal.inside / kal.n;
    double med_lvl = s_median_of (med.level_err, med.n), kal_lvl = s_median_of (kal.level_err, kal.n);
    double med_p95 = med.level_err[(int) (0.95 * med.n)], kal_p95 = kal.level_err[(int) (0.95 * kal.n)];
    double step_m, step_k;
    s_step_response (&step_m, &step_k);
    double detect, falses, ratio;
    s_motion (&detect, &falses, &ratio);
    /* The ranger uses the Kalman filter (docs/rssi.md): the main figures are its. */
    double kal_seed = s_median_of (kal.seed_err, kal.n);
    printf ("BENCH rssi.real_abs_error_median_m %.3f m\n", kal_m);
    printf ("BENCH rssi.real_abs_error_median_m_seed %.3f m\n", kal_seed);
    printf ("BENCH rssi.interval_coverage %.3f ratio\n", kal_cover);
    printf ("BENCH rssi.motion_detect_rate %.3f ratio\n", detect);
    printf ("BENCH rssi.motion_false_per_hour %.2f per_hour\n", falses);
    printf ("BENCH rssi.abs_error_median_m %.3f m\n", kal_m);
    printf ("BENCH rssi.abs_error_median_m_uncalibrated %.3f m\n", kal_seed);
    printf ("BENCH rssi.median_ema_real_abs_error_median_m %.3f m\n", cal_m);
    printf ("BENCH rssi.median_ema_interval_coverage %.3f ratio\n", cover);
    fflush (stdout);
    fprintf (stderr,
             "rssi: %d estimates in %d rooms; calibrated/seed error %.2f\n"
             "rssi: filter        error_m  coverage  level_err_median_db  level_err_p95_db  step_s\n"
             "rssi: median+EMA    %7.3f  %8.3f  %19.2f  %16.2f  %6.2f\n"
             "rssi: Kalman(gated) %7.3f  %8.3f  %19.2f  %16.2f  %6.2f\n"
             "rssi: 1 m -> 2 m: detected %.1f%%, median ratio %.2f; %.2f false per hour over %.0f h\n",
             med.n, ROOMS, kal_m / kal_seed, cal_m, cover, med_lvl, med_p95, step_m, kal_m, kal_cover, kal_lvl,
             kal_p95, step_k, 100 * detect, ratio, falses, STILL_ROOMS * STILL_HOURS_PER_ROOM);
    return 0;
}
