/* labsim_channel - indoor 2.4 GHz channel (see labsim_channel.h).
 *
 * The shadowing field is a sum of LABSIM_CHANNEL_FEATURES random Fourier
 * features, sqrt(2/M) sum cos(k_i . p + phi_i): its covariance is the
 * characteristic function of the k_i's distribution, and for k drawn from a
 * 2-D Student t with one degree of freedom scaled by 1/decorr that is
 * exactly exp(-|dp| / decorr), Gudmundson's exponential correlation. The
 * k_i are shared by all links and each link has its own phases, so links
 * are independent of one another. Deterministic parts come from a hash of
 * (seed, what, link, ...), never from a sequence, so they do not depend on
 * the order of calls. */
#include "services/labsim/labsim_channel.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODES LABSIM_CHANNEL_MAX_NODES
#define M LABSIM_CHANNEL_FEATURES
#define BLOCK_SIGMA_LN 0.7
#define BLOCK_RAMP_S 0.2          /* a body walks into and out of the path */
#define BLOCK_MAX_S 120.0

enum { H_K = 1, H_PHASE, H_FADE, H_PATTERN, H_TX, H_PAIR, H_BEARING, H_RNG };

typedef struct {
    bool init;
    double t;
    double gr, gi;                /* varying scattered component, E|g|^2 = 1 */
    double block_start, block_end, block_depth, next_block;
    uint64_t rng;
} link_state_t;

typedef struct {
    bool valid;
    double d, bearing, yaw_from, yaw_to;
    double mean_db;               /* local mean in dB without the fade */
    double los, sr, si;           /* LOS amplitude and static scattered part */
} mean_cache_t;

struct _labsim_channel_t {
    labsim_channel_opts_t opts;
    double kx[M], ky[M];
    double yaw[NODES];
    link_state_t link[NODES][NODES];        /* [lo][hi] */
    mean_cache_t cache[NODES][NODES];       /* [from][to] */
};

static uint64_t
s_mix (uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t
s_hash (unsigned seed, int what, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t h = s_mix ((uint64_t) seed * 0x100000001b3ull + (uint64_t) what);
    h = s_mix (h ^ a);
    h = s_mix (h ^ (b * 0x9e3779b97f4a7c15ull));
    return s_mix (h ^ (c * 0xc2b2ae3d27d4eb4full));
}

/* (0, 1), never 0: safe for log. */
static double s_unit (uint64_t h) { return ((double) (h >> 11) + 0.5) / 9007199254740992.0; }

static double
s_gauss_of (uint64_t h)
{
    double u1 = s_unit (h), u2 = s_unit (s_mix (h));
    return sqrt (-2.0 * log (u1)) * cos (2.0 * M_PI * u2);
}

static double
s_next_gauss (uint64_t *state)
{
    *state = s_mix (*state);
    return s_gauss_of (*state);
}

static double
s_next_unit (uint64_t *state)
{
    *state = s_mix (*state);
    return s_unit (*state);
}

void
labsim_channel_defaults (labsim_channel_opts_t *o)
{
    *o = (labsim_channel_opts_t) {
        .a_dbm = -45, .n = 2.5, .shadow_sigma_db = 3.0, .shadow_decorr_m = 3.0,
        .pair_sigma_db = 2.0, .tx_sigma_db = 1.0, .orient_db = 1.5, .rician_k_db = 10.0,
        .static_share = 0.5, .coherence_s = 0.1, .block_per_hour = 4, .block_median_s = 1.2,
        .block_min_db = 10, .block_max_db = 20, .noise_db = 1.0, .wifi_channel = 1, .seed = 1,
    };
}

int
labsim_channel_check (const labsim_channel_opts_t *o, char *why, size_t whylen)
{
    const char *bad = !(o->a_dbm >= -120 && o->a_dbm <= 20)                ? "a_dbm (-120..20)"
                    : !(o->n >= 1 && o->n <= 6)                            ? "n (1..6)"
                    : !(o->shadow_sigma_db >= 0 && o->shadow_sigma_db <= 20) ? "shadow_sigma (0..20 dB)"
                    : !(o->shadow_decorr_m > 0 && o->shadow_decorr_m <= 1000) ? "shadow_decorr (0..1000 m)"
                    : !(o->pair_sigma_db >= 0 && o->pair_sigma_db <= 20)   ? "pair_sigma (0..20 dB)"
                    : !(o->tx_sigma_db >= 0 && o->tx_sigma_db <= 20)       ? "tx_sigma (0..20 dB)"
                    : !(o->orient_db >= 0 && o->orient_db <= 20)           ? "orient (0..20 dB)"
                    : !(o->rician_k_db >= -30 && o->rician_k_db <= 40)     ? "rician_k (-30..40 dB)"
                    : !(o->static_share >= 0 && o->static_share <= 1)      ? "static_share (0..1)"
                    : !(o->coherence_s > 0 && o->coherence_s <= 3600)      ? "coherence (0..3600 s)"
                    : !(o->block_per_hour >= 0 && o->block_per_hour <= 3600) ? "block_rate (0..3600 /h)"
                    : !(o->block_median_s > 0 && o->block_median_s <= 60)  ? "block_median (0..60 s)"
                    : !(o->block_min_db >= 0 && o->block_max_db >= o->block_min_db && o->block_max_db <= 60)
                        ? "block depth (0 <= min <= max <= 60 dB)"
                    : !(o->noise_db >= 0 && o->noise_db <= 20)             ? "noise (0..20 dB)"
                    : !(o->wifi_channel >= 1 && o->wifi_channel <= 14)     ? "channel (1..14)"
                                                                           : NULL;
    if (bad)
        snprintf (why, whylen, "channel option out of range: %s", bad);
    return bad ? -1 : 0;
}

static void
s_draw_features (labsim_channel_t *self)
{
    /* 2-D Student t, one degree of freedom: z / |u| with z ~ N(0, I), u ~ N(0, 1). */
    for (int i = 0; i < M; i++) {
        double zx = s_gauss_of (s_hash (self->opts.seed, H_K, (uint64_t) i, 0, 0));
        double zy = s_gauss_of (s_hash (self->opts.seed, H_K, (uint64_t) i, 1, 0));
        double u = fabs (s_gauss_of (s_hash (self->opts.seed, H_K, (uint64_t) i, 2, 0)));
        if (u < 1e-9)
            u = 1e-9;
        self->kx[i] = zx / (u * self->opts.shadow_decorr_m);
        self->ky[i] = zy / (u * self->opts.shadow_decorr_m);
    }
}

labsim_channel_t *
labsim_channel_new (const labsim_channel_opts_t *opts)
{
    char why[128];
    if (labsim_channel_check (opts, why, sizeof why))
        return NULL;
    labsim_channel_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->opts = *opts;
    s_draw_features (self);
    return self;
}

void
labsim_channel_destroy (labsim_channel_t **self_p)
{
    if (!*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

const labsim_channel_opts_t *
labsim_channel_opts (labsim_channel_t *self)
{
    return &self->opts;
}

int
labsim_channel_set_opts (labsim_channel_t *self, const labsim_channel_opts_t *opts, char *why,
                         size_t whylen)
{
    if (labsim_channel_check (opts, why, whylen))
        return -1;
    self->opts = *opts;
    s_draw_features (self);
    memset (self->cache, 0, sizeof self->cache);
    memset (self->link, 0, sizeof self->link);
    return 0;
}

void
labsim_channel_orient (labsim_channel_t *self, int node, double yaw_deg)
{
    if (node >= 0 && node < NODES)
        self->yaw[node] = yaw_deg;
}

static bool
s_pair_ok (int a, int b)
{
    return a >= 0 && b >= 0 && a < NODES && b < NODES && a != b;
}

static uint64_t s_link_id (int a, int b) { return a < b ? (uint64_t) (a * NODES + b) : (uint64_t) (b * NODES + a); }

double
labsim_channel_shadowing (labsim_channel_t *self, int a, int b, double d, double bearing_deg)
{
    if (!s_pair_ok (a, b) || self->opts.shadow_sigma_db <= 0)
        return 0;
    double th = bearing_deg * M_PI / 180.0, x = d * cos (th), y = d * sin (th);
    uint64_t link = s_link_id (a, b);
    double sum = 0;
    for (int i = 0; i < M; i++) {
        double phi = 2 * M_PI * s_unit (s_hash (self->opts.seed, H_PHASE, link, (uint64_t) i, 0));
        sum += cos (self->kx[i] * x + self->ky[i] * y + phi);
    }
    return self->opts.shadow_sigma_db * sqrt (2.0 / M) * sum;
}

/* Antenna pattern of NODE toward ANGLE (degrees, room frame): two harmonics
 * with a phase per board, standard deviation over angle orient_db. */
static double
s_pattern (labsim_channel_t *self, int node, double angle_deg)
{
    double t = (angle_deg - self->yaw[node]) * M_PI / 180.0;
    double p1 = 2 * M_PI * s_unit (s_hash (self->opts.seed, H_PATTERN, (uint64_t) node, 1, 0));
    double p2 = 2 * M_PI * s_unit (s_hash (self->opts.seed, H_PATTERN, (uint64_t) node, 2, 0));
    return self->opts.orient_db * (cos (t - p1) + cos (2 * t - p2));
}

static double
s_lambda_half (const labsim_channel_opts_t *o)
{
    double mhz = o->wifi_channel == 14 ? 2484.0 : 2407.0 + 5.0 * o->wifi_channel;
    return 299.792458 / mhz / 2.0;
}

static mean_cache_t *
s_mean (labsim_channel_t *self, int from, int to, double d, double bearing)
{
    mean_cache_t *c = &self->cache[from][to];
    if (c->valid && c->d == d && c->bearing == bearing && c->yaw_from == self->yaw[from]
        && c->yaw_to == self->yaw[to])
        return c;
    const labsim_channel_opts_t *o = &self->opts;
    uint64_t link = s_link_id (from, to);
    double dd = d < 0.05 ? 0.05 : d;    /* the far field starts a few wavelengths out */
    /* The link's bearing points from the lower node to the higher. */
    double toward_to = from < to ? bearing : bearing + 180.0;
    double mean = o->a_dbm - 10.0 * o->n * log10 (dd) + labsim_channel_shadowing (self, from, to, d, bearing)
                + o->pair_sigma_db * s_gauss_of (s_hash (o->seed, H_PAIR, link, 0, 0))
                + o->tx_sigma_db * s_gauss_of (s_hash (o->seed, H_TX, (uint64_t) from, 0, 0))
                + s_pattern (self, from, toward_to) + s_pattern (self, to, toward_to + 180.0);
    /* The position's own fade: a cell of half a wavelength, per Wi-Fi channel. */
    double th = bearing * M_PI / 180.0, cell = s_lambda_half (o);
    int64_t ix = (int64_t) floor (d * cos (th) / cell), iy = (int64_t) floor (d * sin (th) / cell);
    uint64_t hc = s_hash (o->seed, H_FADE, link, (uint64_t) ix * 0x10001ull + (uint64_t) iy,
                          (uint64_t) o->wifi_channel);
    double k = pow (10.0, o->rician_k_db / 10.0), scat = sqrt (o->static_share / (k + 1.0) / 2.0);
    *c = (mean_cache_t) { .valid = true, .d = d, .bearing = bearing, .yaw_from = self->yaw[from],
                          .yaw_to = self->yaw[to], .mean_db = mean, .los = sqrt (k / (k + 1.0)),
                          .sr = scat * s_gauss_of (hc), .si = scat * s_gauss_of (s_mix (hc ^ 0x55)) };
    return c;
}

double
labsim_channel_local_mean (labsim_channel_t *self, int from, int to, double d, double bearing)
{
    if (!s_pair_ok (from, to))
        return -127;
    mean_cache_t *c = s_mean (self, from, to, d, bearing);
    double k = pow (10.0, self->opts.rician_k_db / 10.0);
    double re = c->los + c->sr, p = re * re + c->si * c->si + (1 - self->opts.static_share) / (k + 1.0);
    return c->mean_db + 10.0 * log10 (p);
}

static link_state_t *
s_state (labsim_channel_t *self, int a, int b, double t)
{
    link_state_t *s = &self->link[a < b ? a : b][a < b ? b : a];
    if (!s->init) {
        s->init = true;
        s->t = t;
        s->rng = s_hash (self->opts.seed, H_RNG, s_link_id (a, b), 0, 0);
        s->gr = s_next_gauss (&s->rng) * M_SQRT1_2;
        s->gi = s_next_gauss (&s->rng) * M_SQRT1_2;
        double rate = self->opts.block_per_hour / 3600.0;
        s->next_block = rate > 0 ? t - log (s_next_unit (&s->rng)) / rate : INFINITY;
    }
    return s;
}

double
labsim_channel_blocking (labsim_channel_t *self, int a, int b, double t)
{
    if (!s_pair_ok (a, b))
        return 0;
    link_state_t *s = s_state (self, a, b, t);
    double rate = self->opts.block_per_hour / 3600.0;
    while (t >= s->next_block) {
        double dur = self->opts.block_median_s * exp (BLOCK_SIGMA_LN * s_next_gauss (&s->rng));
        s->block_start = s->next_block;
        s->block_end = s->block_start + (dur > BLOCK_MAX_S ? BLOCK_MAX_S : dur);
        s->block_depth = self->opts.block_min_db
                       + (self->opts.block_max_db - self->opts.block_min_db) * s_next_unit (&s->rng);
        s->next_block = rate > 0 ? s->block_end - log (s_next_unit (&s->rng)) / rate : INFINITY;
    }
    if (t < s->block_start || t > s->block_end)
        return 0;
    /* Ramps at most a quarter of the block each, so every block reaches its depth. */
    double ramp_s = fmin (BLOCK_RAMP_S, (s->block_end - s->block_start) / 4);
    double in = (t - s->block_start) / ramp_s, out = (s->block_end - t) / ramp_s;
    double ramp = fmin (1.0, fmin (in, out));
    return s->block_depth * ramp;
}

int
labsim_channel_rssi (labsim_channel_t *self, int from, int to, double d, double bearing, double t)
{
    if (!s_pair_ok (from, to))
        return -127;
    const labsim_channel_opts_t *o = &self->opts;
    mean_cache_t *c = s_mean (self, from, to, d, bearing);
    double block = labsim_channel_blocking (self, from, to, t);
    link_state_t *s = s_state (self, from, to, t);
    /* AR(1) on the varying scattered part: correlation exp(-dt / coherence). */
    double dt = t > s->t ? t - s->t : 0;
    double rho = exp (-dt / o->coherence_s), w = sqrt (1 - rho * rho) * M_SQRT1_2;
    s->gr = rho * s->gr + w * s_next_gauss (&s->rng);
    s->gi = rho * s->gi + w * s_next_gauss (&s->rng);
    s->t = t > s->t ? t : s->t;
    double k = pow (10.0, o->rician_k_db / 10.0), var = sqrt ((1 - o->static_share) / (k + 1.0));
    double re = c->los + c->sr + var * s->gr, im = c->si + var * s->gi;
    double p = re * re + im * im;
    double rssi = c->mean_db + 10.0 * log10 (p > 1e-12 ? p : 1e-12) - block + o->noise_db * s_next_gauss (&s->rng);
    rssi = rssi < -127 ? -127 : rssi > 0 ? 0 : rssi;
    return (int) lround (rssi);
}

double
labsim_channel_default_bearing (labsim_channel_t *self, int a, int b)
{
    return 360.0 * s_unit (s_hash (self->opts.seed, H_BEARING, s_link_id (a, b), 0, 0));
}
