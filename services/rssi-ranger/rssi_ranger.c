/* rssi-ranger - distance per link from tel.rssi.*, calibrated on the bench.
 * Bus service `rssi-ranger`: calibrate A B DIST_M [SECONDS] (one position
 * per call), distances, calibrations. Publishes state.distance.<a>.<b> and,
 * when a board moved, evt.rssi.moved.<a>.<b>. docs/rssi.md. */
#include "services/rssi-ranger/rssi_kalman.h"
#include "services/rssi-ranger/rssi_model.h"
#include "services/rssi-ranger/rssi_motion.h"
#include "services/rssi-ranger/rssi_store.h"
#include "bus/bus_service.h"
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RSSI_CAL_SAMPLES_MAX 8192   /* samples kept for one calibration position */

typedef struct {
    rssi_stored_t s;                 /* names + calibration */
    rssi_kalman_t filter;            /* kept over median + EMA: bench/rssi_bench.c */
    rssi_motion_t motion;
    double moved_ratio;              /* last move detected */
    uint64_t moved_unix_ms;
    uint64_t samples;
    uint64_t next_pub_ms;
    /* a calibration in progress: its raw samples, for a robust mean */
    bus_request_t *rq;
    double cal_d;
    uint64_t cal_end_ms;
    int cal_n;
    double cal_buf[RSSI_CAL_SAMPLES_MAX];
} link_t;

typedef struct {
    bus_client_t *bus;
    char store[1024];
    link_t links[RSSI_LINKS_MAX];
    int nlinks;
    uint64_t malformed;
} ranger_t;

static uint64_t s_ms (void) { return bus_mono_ns () / 1000000ull; }

static link_t *
s_link (ranger_t *r, const char *x, const char *y, bool create)
{
    const char *a = strcmp (x, y) < 0 ? x : y, *b = strcmp (x, y) < 0 ? y : x;
    for (int i = 0; i < r->nlinks; i++)
        if (!strcmp (r->links[i].s.a, a) && !strcmp (r->links[i].s.b, b))
            return &r->links[i];
    if (!create || r->nlinks == RSSI_LINKS_MAX || strlen (a) >= RSSI_NAME_MAX || strlen (b) >= RSSI_NAME_MAX)
        return NULL;
    link_t *l = &r->links[r->nlinks++];
    memset (l, 0, sizeof *l);
    snprintf (l->s.a, sizeof l->s.a, "%s", a);
    snprintf (l->s.b, sizeof l->s.b, "%s", b);
    rssi_kalman_init (&l->filter);
    rssi_motion_init (&l->motion);
    return l;
}

static void
s_save (ranger_t *r)
{
    rssi_stored_t all[RSSI_LINKS_MAX];
    for (int i = 0; i < r->nlinks; i++)
        all[i] = r->links[i].s;
    if (rssi_store_save (r->store, all, r->nlinks))
        zsys_error ("rssi-ranger: cannot write %s", r->store);
}

/* The link's model: calibrated, or A -45 dBm and n 2 with a wide interval. */
static void
s_model (const link_t *l, double *a, double *n)
{
    const rssi_calib_t *c = &l->s.calib;
    *a = c->calibrated ? c->a_dbm : -45;
    *n = c->calibrated ? c->n : RSSI_DEFAULT_N;
}

static double
s_estimate (const link_t *l, double level, double *lo, double *hi)
{
    double a, n;
    s_model (l, &a, &n);
    rssi_interval_var (&l->s.calib, level, l->filter.var, lo, hi);
    return rssi_distance (a, n, level);
}

static void
s_publish (ranger_t *r, link_t *l)
{
    double a, n, lo, hi;
    s_model (l, &a, &n);
    Lab__DistanceEstimate d = LAB__DISTANCE_ESTIMATE__INIT;
    d.a = l->s.a;
    d.b = l->s.b;
    d.distance_m = s_estimate (l, l->filter.level, &lo, &hi);
    d.low_m = lo;
    d.high_m = hi;
    d.interval_level = RSSI_INTERVAL_LEVEL;
    d.rssi_raw_dbm = l->filter.last_raw;
    d.rssi_filtered_dbm = l->filter.level;
    d.a_dbm = a;
    d.n = n;
    d.calibrated = l->s.calib.calibrated;
    d.samples = (uint32_t) l->samples;
    d.moved_ratio = l->moved_ratio;
    d.moved_unix_ms = l->moved_unix_ms;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_DISTANCE;
    env.distance = &d;
    char topic[160];
    snprintf (topic, sizeof topic, "state.distance.%s.%s", l->s.a, l->s.b);
    bus_client_publish (r->bus, topic, &env);
}

/* evt.rssi.moved.<a>.<b>: the level changed by DELTA dB and stayed. */
static void
s_publish_move (ranger_t *r, link_t *l, double delta)
{
    double a, n, lo, hi;
    s_model (l, &a, &n);
    double after = l->motion.ref, before = after - delta;
    Lab__RssiMoved mv = LAB__RSSI_MOVED__INIT;
    mv.a = l->s.a;
    mv.b = l->s.b;
    mv.delta_db = delta;
    mv.ratio = rssi_motion_ratio (delta, n);
    mv.before_m = s_estimate (l, before, &lo, &hi);
    mv.after_m = s_estimate (l, after, &lo, &hi);
    mv.rssi_before_dbm = before;
    mv.rssi_after_dbm = after;
    mv.calibrated = l->s.calib.calibrated;
    l->moved_ratio = mv.ratio;
    l->moved_unix_ms = (uint64_t) zclock_time ();
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_RSSI_MOVED;
    env.rssi_moved = &mv;
    char topic[160];
    snprintf (topic, sizeof topic, "evt.rssi.moved.%s.%s", l->s.a, l->s.b);
    bus_client_publish (r->bus, topic, &env);
    zsys_info ("rssi-ranger: %s-%s moved: %+.1f dB, about %.1fx %s", l->s.a, l->s.b, delta,
               mv.ratio >= 1 ? mv.ratio : 1 / mv.ratio, mv.ratio >= 1 ? "farther" : "closer");
}

static void
s_on_sample (ranger_t *r, const Lab__RssiSample *s)
{
    const char *rx = s->receiver && *s->receiver ? s->receiver : s->board;
    if (!rx || !*rx || !s->sender || !*s->sender || !strcmp (rx, s->sender) || s->rssi_dbm < -127
        || s->rssi_dbm > 20) {
        r->malformed++;
        return;
    }
    link_t *l = s_link (r, rx, s->sender, true);
    if (!l)
        return;
    rssi_kalman_add (&l->filter, s->rssi_dbm);
    l->samples++;
    if (l->rq && l->cal_n < RSSI_CAL_SAMPLES_MAX)
        l->cal_buf[l->cal_n++] = s->rssi_dbm;
    uint64_t now = s_ms ();
    double delta;
    /* No move is reported while calibrating: the operator is moving boards. */
    if (rssi_motion_add (&l->motion, (double) now / 1000.0, s->rssi_dbm, &delta)) {
        rssi_kalman_restart (&l->filter, l->motion.ref);
        if (!l->rq)
            s_publish_move (r, l, delta);
    }
    if (now >= l->next_pub_ms) {
        l->next_pub_ms = now + 250;
        s_publish (r, l);
    }
}

static void
s_finish_calibration (ranger_t *r, link_t *l)
{
    bus_request_t *rq = l->rq;
    l->rq = NULL;
    if (l->cal_n < RSSI_MIN_SAMPLES) {
        bus_request_reply (rq, BUS_ERROR, NULL,
                           "refused: only %d samples at %.2f m in the time given; need at least %d "
                           "(are both boards beaconing?)",
                           l->cal_n, l->cal_d, RSSI_MIN_SAMPLES);
        return;
    }
    rssi_point_t pt;
    int total = l->cal_n;
    rssi_point_robust (l->cal_buf, l->cal_n, l->cal_d, &pt);
    rssi_calib_t trial = l->s.calib;
    rssi_calib_add_point (&trial, pt.distance_m, pt.n, pt.sum, pt.sumsq);
    char why[200];
    if (rssi_calib_fit (&trial, why, sizeof why)) {
        bus_request_reply (rq, BUS_ERROR, NULL, "refused: %s", why);
        return;
    }
    l->s.calib = trial;
    s_save (r);
    const rssi_calib_t *c = &l->s.calib;
    json_t *o = json_pack ("{s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:i, s:b, s:i, s:i}", "a",
                           l->s.a, "b", l->s.b, "a_dbm", c->a_dbm, "a_se_db", c->a_se, "n", c->n, "n_se",
                           c->n_se, "sigma_db", c->sigma_db, "shadow_db", c->shadow_db, "df", c->df, "r2",
                           c->r2, "points", c->npoints, "n_assumed", c->n_assumed, "samples", total, "kept",
                           pt.n);
    char *json = o ? json_dumps (o, JSON_COMPACT) : NULL;
    json_decref (o);
    const char *more = c->npoints < 5 ? "; calibrate at more positions (5 or more, spread over the room) to "
                                        "measure the room's shadowing instead of assuming 4 dB"
                                      : "";
    if (c->n_assumed)
        bus_request_reply (rq, BUS_OK, json,
                           "%s-%s: %d samples at %.2f m (mean %.1f dBm, %d kept). One distance: A = %.1f dBm "
                           "with n assumed %.1f; calibrate at a second distance to fit n%s.",
                           l->s.a, l->s.b, total, l->cal_d, pt.n ? pt.sum / pt.n : 0, pt.n, c->a_dbm, c->n,
                           more);
    else
        bus_request_reply (rq, BUS_OK, json,
                           "%s-%s: A = %.1f ± %.1f dBm, n = %.2f ± %.2f from %d positions (R² %.3f, samples σ "
                           "%.1f dB, position to position %.1f dB)%s",
                           l->s.a, l->s.b, c->a_dbm, c->a_se, c->n, c->n_se, c->npoints, c->r2, c->sigma_db,
                           c->shadow_db, more);
    free (json);
}

static void
s_handle (bus_request_t *rq, void *arg)
{
    ranger_t *r = (ranger_t *) arg;
    const Lab__CommandRequest *c = bus_request_command (rq);
    if (c && !strcmp (c->command, "calibrate") && c->n_args >= 3) {
        double d = atof (c->args[2]), secs = c->n_args > 3 ? atof (c->args[3]) : 5;
        link_t *l = strcmp (c->args[0], c->args[1]) ? s_link (r, c->args[0], c->args[1], true) : NULL;
        if (!l || !(d > 0 && d < 1000) || !(secs > 0 && secs <= 600)) {
            bus_request_reply (rq, BUS_EUSAGE, NULL, "calibrate A B DIST_M [SECONDS]: two boards, 0 < DIST < 1000");
            return;
        }
        if (l->rq) {
            bus_request_reply (rq, BUS_EBUSY, NULL, "%s-%s is already being calibrated", l->s.a, l->s.b);
            return;
        }
        l->rq = bus_request_keep (rq);
        l->cal_d = d;
        l->cal_end_ms = s_ms () + (uint64_t) (secs * 1000);
        l->cal_n = 0;
    }
    else if (c && !strcmp (c->command, "distances")) {
        char msg[2048] = "";
        size_t o = 0;
        json_t *arr = json_array ();
        for (int i = 0; i < r->nlinks; i++) {
            link_t *l = &r->links[i];
            rssi_calib_t *k = &l->s.calib;
            double lo, hi, dist = s_estimate (l, l->filter.level, &lo, &hi);
            char moved[96] = "";
            if (l->moved_unix_ms) {
                double ago = (double) ((uint64_t) zclock_time () - l->moved_unix_ms) / 1000.0;
                double f = l->moved_ratio >= 1 ? l->moved_ratio : 1 / l->moved_ratio;
                snprintf (moved, sizeof moved, "; moved %.0f s ago, about %.1f× %s", ago, f,
                          l->moved_ratio >= 1 ? "farther" : "closer");
            }
            if (o < sizeof msg)
                o += (size_t) snprintf (msg + o, sizeof msg - o, "%s%s-%s: %.2f m (%.2f-%.2f m, 90%%), RSSI %.1f dBm%s%s",
                                        i ? "\n" : "", l->s.a, l->s.b, dist, lo, hi, l->filter.level,
                                        k->calibrated ? "" : " (uncalibrated)", moved);
            json_t *row = json_pack ("{s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:b}", "a", l->s.a, "b", l->s.b,
                                     "distance_m", dist, "low_m", lo, "high_m", hi, "interval_level",
                                     RSSI_INTERVAL_LEVEL, "rssi_filtered_dbm", l->filter.level, "calibrated",
                                     k->calibrated);
            if (row && l->moved_unix_ms) {
                json_object_set_new (row, "moved_ratio", json_real (l->moved_ratio));
                json_object_set_new (row, "moved_unix_ms", json_integer ((json_int_t) l->moved_unix_ms));
            }
            json_array_append_new (arr, row);
        }
        char *json = json_dumps (arr, JSON_COMPACT);
        bus_request_reply (rq, BUS_OK, json, "%s", r->nlinks ? msg : "no links heard yet");
        free (json);
        json_decref (arr);
    }
    else if (c && !strcmp (c->command, "calibrations")) {
        json_t *arr = json_array ();
        for (int i = 0; i < r->nlinks; i++) {
            rssi_calib_t *k = &r->links[i].s.calib;
            json_array_append_new (arr, json_pack ("{s:s, s:s, s:b, s:f, s:f, s:f, s:f, s:i, s:b}", "a",
                                                   r->links[i].s.a, "b", r->links[i].s.b, "calibrated",
                                                   k->calibrated, "a_dbm", k->a_dbm, "n", k->n, "sigma_db",
                                                   k->sigma_db, "r2", k->r2, "points", k->npoints,
                                                   "n_assumed", k->n_assumed));
            json_t *last = json_array_get (arr, json_array_size (arr) - 1);
            if (last)
                json_object_set_new (last, "shadow_db", json_real (k->shadow_db));
        }
        char *json = json_dumps (arr, JSON_COMPACT);
        bus_request_reply (rq, BUS_OK, json, "%d links", r->nlinks);
        free (json);
        json_decref (arr);
    }
    else
        bus_request_reply (rq, BUS_EUSAGE, NULL, "rssi-ranger: calibrate A B DIST_M [SECONDS] | distances | calibrations");
}

int
main (int argc, char **argv)
{
    int code = 0;
    const char *config = bus_service_args (argc, argv, "usage: rssi-ranger [-c CONFIG]\n", &code);
    if (!config)
        return code;
    zsys_set_logident ("rssi-ranger");
    char err[512] = "";
    lab_config_t *cfg = NULL;
    bus_client_t *bus = bus_service_connect (config, "rssi-ranger", &cfg, err, sizeof err);
    if (!bus) {
        fprintf (stderr, "rssi-ranger: %s\n", err);
        return 1;
    }
    ranger_t *r = (ranger_t *) calloc (1, sizeof (ranger_t));
    const char *state = lab_config_get (cfg, "lab/state", "var/state");
    mkdir (state, 0755);
    char dir[700];
    snprintf (dir, sizeof dir, "%s/rssi", state);
    mkdir (dir, 0755);
    snprintf (r->store, sizeof r->store, "%s/calibrations.txt", dir);
    rssi_stored_t stored[RSSI_LINKS_MAX];
    int bad = 0;
    int n = rssi_store_load (r->store, stored, RSSI_LINKS_MAX, &bad);
    for (int i = 0; i < n; i++) {
        link_t *l = s_link (r, stored[i].a, stored[i].b, true);
        if (l)
            l->s.calib = stored[i].calib;
    }
    if (n || bad)
        zsys_info ("rssi-ranger: %d calibrated links from %s (%d bad lines skipped)", n, r->store, bad);
    r->bus = bus;
    bus_client_serve (r->bus, "rssi-ranger", s_handle, r);
    bus_client_subscribe (r->bus, "tel.rssi.");
    while (!zsys_interrupted) {
        bus_msg_t *m = bus_client_recv (r->bus, 100);
        const Lab__RssiSample *sample = bus_msg_body (m, LAB__ENVELOPE__BODY_RSSI);
        if (sample)
            s_on_sample (r, sample);
        bus_msg_destroy (&m);
        uint64_t now = s_ms ();
        for (int i = 0; i < r->nlinks; i++)
            if (r->links[i].rq && now >= r->links[i].cal_end_ms)
                s_finish_calibration (r, &r->links[i]);
    }
    bus_client_destroy (&r->bus);
    lab_config_destroy (&cfg);
    free (r);
    return 0;
}
