/* rssi-ranger - distance per link from tel.rssi.*, calibrated on the bench.
 * Bus service `rssi-ranger`: calibrate A B DIST_M [SECONDS], distances,
 * calibrations. Publishes state.distance.<a>.<b>. docs/rssi.md. */
#include "services/rssi-ranger/rssi_model.h"
#include "services/rssi-ranger/rssi_store.h"
#include "bus/bus_service.h"
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    rssi_stored_t s;                 /* names + calibration */
    rssi_filter_t filter;
    uint64_t samples;
    uint64_t next_pub_ms;
    /* a calibration in progress */
    bus_request_t *rq;
    double cal_d;
    uint64_t cal_end_ms;
    int cal_n;
    double cal_sum, cal_sumsq;
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
    rssi_filter_init (&l->filter);
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

static void
s_publish (ranger_t *r, link_t *l)
{
    const rssi_calib_t *c = &l->s.calib;
    double a = c->calibrated ? c->a_dbm : -45, n = c->calibrated ? c->n : RSSI_DEFAULT_N;
    double lo, hi;
    rssi_interval (c, l->filter.ewma, rssi_filter_count (&l->filter), &lo, &hi);
    Lab__DistanceEstimate d = LAB__DISTANCE_ESTIMATE__INIT;
    d.a = l->s.a;
    d.b = l->s.b;
    d.distance_m = rssi_distance (a, n, l->filter.ewma);
    d.low_m = lo;
    d.high_m = hi;
    d.rssi_raw_dbm = l->filter.last_raw;
    d.rssi_filtered_dbm = l->filter.ewma;
    d.a_dbm = a;
    d.n = n;
    d.calibrated = c->calibrated;
    d.samples = (uint32_t) l->samples;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_DISTANCE;
    env.distance = &d;
    char topic[160];
    snprintf (topic, sizeof topic, "state.distance.%s.%s", l->s.a, l->s.b);
    bus_client_publish (r->bus, topic, &env);
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
    rssi_filter_add (&l->filter, s->rssi_dbm);
    l->samples++;
    if (l->rq) {
        l->cal_n++;
        l->cal_sum += s->rssi_dbm;
        l->cal_sumsq += (double) s->rssi_dbm * s->rssi_dbm;
    }
    uint64_t now = s_ms ();
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
    rssi_calib_t trial = l->s.calib;
    rssi_calib_add_point (&trial, l->cal_d, l->cal_n, l->cal_sum, l->cal_sumsq);
    char why[200];
    if (rssi_calib_fit (&trial, why, sizeof why)) {
        bus_request_reply (rq, BUS_ERROR, NULL, "refused: %s", why);
        return;
    }
    l->s.calib = trial;
    s_save (r);
    const rssi_calib_t *c = &l->s.calib;
    char json[512];
    snprintf (json, sizeof json,
              "{\"a\":\"%s\",\"b\":\"%s\",\"a_dbm\":%.2f,\"n\":%.3f,\"sigma_db\":%.2f,\"r2\":%.4f,"
              "\"points\":%d,\"n_assumed\":%s,\"samples\":%d}",
              l->s.a, l->s.b, c->a_dbm, c->n, c->sigma_db, c->r2, c->npoints, c->n_assumed ? "true" : "false",
              l->cal_n);
    if (c->n_assumed)
        bus_request_reply (rq, BUS_OK, json,
                           "%s-%s: %d samples at %.2f m (mean %.1f dBm). One distance: A = %.1f dBm with n "
                           "assumed %.1f; calibrate at a second distance to fit n.",
                           l->s.a, l->s.b, l->cal_n, l->cal_d, l->cal_sum / l->cal_n, c->a_dbm, c->n);
    else
        bus_request_reply (rq, BUS_OK, json,
                           "%s-%s: A = %.1f dBm, n = %.2f from %d distances (R² %.3f, σ %.1f dB)", l->s.a,
                           l->s.b, c->a_dbm, c->n, c->npoints, c->r2, c->sigma_db);
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
        l->cal_sum = l->cal_sumsq = 0;
    }
    else if (c && !strcmp (c->command, "distances")) {
        char msg[2048] = "";
        size_t o = 0;
        json_t *arr = json_array ();
        for (int i = 0; i < r->nlinks; i++) {
            link_t *l = &r->links[i];
            rssi_calib_t *k = &l->s.calib;
            double a = k->calibrated ? k->a_dbm : -45, n = k->calibrated ? k->n : RSSI_DEFAULT_N;
            double lo, hi, dist = rssi_distance (a, n, l->filter.ewma);
            rssi_interval (k, l->filter.ewma, rssi_filter_count (&l->filter), &lo, &hi);
            if (o < sizeof msg)
                o += (size_t) snprintf (msg + o, sizeof msg - o, "%s%s-%s: %.2f m (%.2f-%.2f m), RSSI %.1f dBm%s",
                                        i ? "\n" : "", l->s.a, l->s.b, dist, lo, hi, l->filter.ewma,
                                        k->calibrated ? "" : " (uncalibrated)");
            json_array_append_new (arr, json_pack ("{s:s, s:s, s:f, s:f, s:f, s:f, s:b}", "a", l->s.a, "b",
                                                   l->s.b, "distance_m", dist, "low_m", lo, "high_m", hi,
                                                   "rssi_filtered_dbm", l->filter.ewma, "calibrated",
                                                   k->calibrated));
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
