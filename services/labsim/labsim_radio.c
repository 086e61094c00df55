/* labsim_radio - simulated ESP-NOW medium (see labsim_radio.h). */
#include "services/labsim/labsim_radio.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_MAX 4096

struct _labsim_radio_t {
    labsim_radio_opts_t opts;
    int nodes;
    uint8_t mac[LABSIM_RADIO_MAX_NODES][6];
    bool up[LABSIM_RADIO_MAX_NODES];
    double rx_loss[LABSIM_RADIO_MAX_NODES];   /* < 0: the radio's loss */
    double dist[LABSIM_RADIO_MAX_NODES][LABSIM_RADIO_MAX_NODES];
    double bearing[LABSIM_RADIO_MAX_NODES][LABSIM_RADIO_MAX_NODES];   /* [lo][hi], from lo */
    labsim_channel_t *channel;      /* indoor only */
    /* Delivery queue, ordered by due time (a ring, appended in time order:
     * latency and air time are the same for every receiver of one sender,
     * and the medium is serialised by busy_until). */
    labsim_radio_frame_t *queue;
    size_t head, count;
    uint64_t busy_until_us;
    unsigned rng;
    labsim_radio_stats_t stats;
};

static double
s_uniform (labsim_radio_t *self)
{
    return (double) rand_r (&self->rng) / ((double) RAND_MAX + 1.0);
}

static double
s_gauss (labsim_radio_t *self)
{
    double u1 = s_uniform (self), u2 = s_uniform (self);
    if (u1 < 1e-12)
        u1 = 1e-12;
    return sqrt (-2.0 * log (u1)) * cos (2.0 * M_PI * u2);
}

labsim_radio_t *
labsim_radio_new (const labsim_radio_opts_t *opts)
{
    labsim_radio_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->opts = *opts;
    if (self->opts.air_bps <= 0)
        self->opts.air_bps = 1e6;
    if (self->opts.distance_m <= 0)
        self->opts.distance_m = 1.0;
    self->rng = opts->seed ? opts->seed : 1;
    self->queue = calloc (QUEUE_MAX, sizeof *self->queue);
    if (self->queue && opts->indoor) {
        labsim_channel_opts_t co = opts->channel;
        co.a_dbm = opts->a_dbm;
        co.n = opts->n;
        co.seed = self->rng;
        self->opts.channel = co;
        self->channel = labsim_channel_new (&co);
    }
    if (!self->queue || (opts->indoor && !self->channel)) {
        free (self->queue);
        free (self);
        return NULL;
    }
    return self;
}

void
labsim_radio_destroy (labsim_radio_t **self_p)
{
    if (!*self_p)
        return;
    free ((*self_p)->queue);
    labsim_channel_destroy (&(*self_p)->channel);
    free (*self_p);
    *self_p = NULL;
}

int
labsim_radio_add (labsim_radio_t *self, const uint8_t mac[6])
{
    if (self->nodes >= LABSIM_RADIO_MAX_NODES)
        return -1;
    int i = self->nodes++;
    memcpy (self->mac[i], mac, 6);
    self->up[i] = true;
    self->rx_loss[i] = -1;
    for (int j = 0; j < LABSIM_RADIO_MAX_NODES; j++) {
        self->dist[i][j] = self->dist[j][i] = self->opts.distance_m;
        if (self->channel && j < i)
            self->bearing[j][i] = labsim_channel_default_bearing (self->channel, j, i);
    }
    return i;
}

int
labsim_radio_find (labsim_radio_t *self, const uint8_t mac[6])
{
    for (int i = 0; i < self->nodes; i++)
        if (!memcmp (self->mac[i], mac, 6))
            return i;
    return -1;
}

void
labsim_radio_set_up (labsim_radio_t *self, int node, bool up)
{
    if (node >= 0 && node < self->nodes)
        self->up[node] = up;
}

int
labsim_radio_move (labsim_radio_t *self, int a, int b, double d)
{
    if (a < 0 || b < 0 || a >= self->nodes || b >= self->nodes || a == b || !(d > 0))
        return -1;
    self->dist[a][b] = self->dist[b][a] = d;
    return 0;
}

double
labsim_radio_distance (labsim_radio_t *self, int a, int b)
{
    return self->dist[a][b];
}

/* Bearings are stored from the lower node; seen from the higher one the
 * same spot is half a turn around. */
int
labsim_radio_place (labsim_radio_t *self, int a, int b, double d, double bearing_deg)
{
    if (labsim_radio_move (self, a, b, d) || !isfinite (bearing_deg))
        return -1;
    double from_lo = a < b ? bearing_deg : bearing_deg + 180.0;
    self->bearing[a < b ? a : b][a < b ? b : a] = fmod (fmod (from_lo, 360.0) + 360.0, 360.0);
    return 0;
}

double
labsim_radio_bearing (labsim_radio_t *self, int a, int b)
{
    double from_lo = self->bearing[a < b ? a : b][a < b ? b : a];
    return a < b ? from_lo : fmod (from_lo + 180.0, 360.0);
}

void
labsim_radio_orient (labsim_radio_t *self, int node, double yaw_deg)
{
    if (self->channel)
        labsim_channel_orient (self->channel, node, yaw_deg);
}

labsim_channel_t *
labsim_radio_channel (labsim_radio_t *self)
{
    return self->channel;
}

void
labsim_radio_env (labsim_radio_t *self, double a_dbm, double n, double noise_db)
{
    self->opts.a_dbm = a_dbm;
    self->opts.n = n;
    self->opts.noise_db = noise_db;
    if (self->channel) {
        labsim_channel_opts_t co = *labsim_channel_opts (self->channel);
        char why[128];
        co.a_dbm = a_dbm;
        co.n = n;
        if (labsim_channel_set_opts (self->channel, &co, why, sizeof why) == 0)
            self->opts.channel = co;
    }
}

void
labsim_radio_loss (labsim_radio_t *self, double p)
{
    self->opts.loss = p < 0 ? 0 : p > 1 ? 1 : p;
}

void
labsim_radio_rx_loss (labsim_radio_t *self, int node, double p)
{
    if (node >= 0 && node < self->nodes)
        self->rx_loss[node] = p < 0 ? -1 : p > 1 ? 1 : p;
}

double
labsim_radio_node_loss (labsim_radio_t *self, int node)
{
    if (node < 0 || node >= self->nodes || self->rx_loss[node] < 0)
        return self->opts.loss;
    return self->rx_loss[node];
}

const labsim_radio_opts_t *
labsim_radio_opts (labsim_radio_t *self)
{
    return &self->opts;
}

double
labsim_radio_mean_rssi (labsim_radio_t *self, double d)
{
    if (d < 0.01)
        d = 0.01;
    return self->opts.a_dbm - 10.0 * self->opts.n * log10 (d);
}

double
labsim_radio_local_mean (labsim_radio_t *self, int from, int to)
{
    if (from < 0 || to < 0 || from >= self->nodes || to >= self->nodes || from == to)
        return -127;
    if (!self->channel)
        return labsim_radio_mean_rssi (self, self->dist[from][to]);
    int lo = from < to ? from : to, hi = from < to ? to : from;
    return labsim_channel_local_mean (self->channel, from, to, self->dist[from][to], self->bearing[lo][hi]);
}

static bool
s_enqueue (labsim_radio_t *self, int from, int to, bool broadcast, const uint8_t *data, size_t len,
           uint64_t due)
{
    int indoor_rssi = 0;
    if (self->channel) {
        int lo = from < to ? from : to, hi = from < to ? to : from;
        indoor_rssi = labsim_channel_rssi (self->channel, from, to, self->dist[from][to],
                                           self->bearing[lo][hi], (double) due / 1e6);
        if (indoor_rssi < LABSIM_RADIO_SENSITIVITY_DBM) {
            self->stats.lost++;
            self->stats.below_sensitivity++;
            return false;
        }
    }
    if (self->count >= QUEUE_MAX) {
        self->stats.lost++;
        return false;
    }
    labsim_radio_frame_t *f = &self->queue[(self->head + self->count++) % QUEUE_MAX];
    f->from = from;
    f->to = to;
    f->broadcast = broadcast;
    f->due_us = due;
    f->len = len;
    memcpy (f->data, data, len);
    if (self->channel) {
        f->rssi = (int8_t) indoor_rssi;
        return true;
    }
    double rssi = labsim_radio_mean_rssi (self, self->dist[from][to]);
    if (self->opts.noise_db > 0)
        rssi += self->opts.noise_db * s_gauss (self);
    rssi = rssi < -127 ? -127 : rssi > 0 ? 0 : rssi;
    f->rssi = (int8_t) lround (rssi);
    return true;
}

int
labsim_radio_send (labsim_radio_t *self, int from, const uint8_t dst[6], const uint8_t *data,
                   size_t len, uint64_t now_us)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    if (from < 0 || from >= self->nodes || !self->up[from] || len > LABSIM_RADIO_FRAME_MAX)
        return 0;
    self->stats.sent++;
    /* The medium carries one frame at a time. */
    uint64_t start = now_us > self->busy_until_us ? now_us : self->busy_until_us;
    uint64_t air = (uint64_t) ((double) (len + 40) * 8.0 * 1e6 / self->opts.air_bps);
    self->busy_until_us = start + air;
    uint64_t due = start + air + (uint64_t) (self->opts.latency_ms * 1000.0);
    bool broadcast = !memcmp (dst, bcast, 6);
    if (broadcast)
        self->stats.broadcasts++;
    int queued = 0;
    for (int to = 0; to < self->nodes; to++) {
        /* A radio does not hear itself, so your own MAC reaches no one. */
        if (to == from) {
            if (!memcmp (dst, self->mac[to], 6))
                self->stats.to_self++;
            continue;
        }
        if (!broadcast && memcmp (dst, self->mac[to], 6))
            continue;
        /* Broadcast: one attempt per receiver, nobody acknowledges. Unicast:
         * the receiver acknowledges and the MAC tries again, each attempt on
         * the air. */
        double p = labsim_radio_node_loss (self, to);
        int attempts = broadcast ? 1 : 1 + (self->opts.mac_retries > 0 ? self->opts.mac_retries : 0);
        bool got = false;
        for (int a = 0; a < attempts && !got && self->up[to]; a++) {
            if (a) {
                self->stats.retries++;
                self->busy_until_us += air;
                due += air;
            }
            got = s_uniform (self) >= p;
        }
        if (!got) {
            self->stats.lost++;
            continue;
        }
        queued += s_enqueue (self, from, to, broadcast, data, len, due);
    }
    return queued;
}

bool
labsim_radio_due (labsim_radio_t *self, uint64_t now_us, labsim_radio_frame_t *out)
{
    if (!self->count || self->queue[self->head].due_us > now_us)
        return false;
    *out = self->queue[self->head];
    self->head = (self->head + 1) % QUEUE_MAX;
    self->count--;
    if (self->up[out->to])
        self->stats.delivered++;
    else
        self->stats.lost++;
    return self->up[out->to] ? true : labsim_radio_due (self, now_us, out);
}

long
labsim_radio_next_us (labsim_radio_t *self, uint64_t now_us)
{
    if (!self->count)
        return -1;
    uint64_t due = self->queue[self->head].due_us;
    return due > now_us ? (long) (due - now_us) : 0;
}

void
labsim_radio_stats (labsim_radio_t *self, labsim_radio_stats_t *out)
{
    *out = self->stats;
}
