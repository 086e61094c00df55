/* labsim_channel - an indoor 2.4 GHz channel for RSSI, as a room gives it,
 * not as the ranging model assumes it. Used by labsim's radio and, directly,
 * by the rssi benches and tests (never the estimator's own formula).
 *
 * RSSI (dBm) that TO reports for a frame from FROM, at time t:
 *
 *   A - 10 n log10 d                      log-distance path loss
 *   + S(link, position)                   log-normal shadowing, a gaussian
 *                                         field over the position with
 *                                         exponential correlation
 *                                         exp(-|dx| / decorr) (Gudmundson)
 *   + O(link) + T(from)                   constant offsets: board pair
 *                                         (enclosures, cables) and the
 *                                         sender's TX power
 *   + G(from, angle) + G(to, angle)       antenna pattern at each board's
 *                                         orientation
 *   + 20 log10 |h(position, channel, t)|  Rician small-scale fading: a line
 *                                         of sight part (K factor) plus
 *                                         scattered power, half of it fixed
 *                                         by the position and Wi-Fi channel
 *                                         (frequency-selective fades that
 *                                         do not average out), half varying
 *                                         in time (people, doors)
 *   - B(link, t)                          body blocking: Poisson events,
 *                                         10-20 dB deep, lognormal durations
 *                                         (heavy tail, median ~1 s)
 *   + N(0, noise)                         receiver measurement noise
 *   rounded to whole dBm (the ESP32 reports 1 dB steps), clamped to -127..0.
 *
 * A link's position is the second board's place relative to the first:
 * distance d along bearing theta (the board with the lower node index is the
 * origin). Everything but the time-varying fading and the blocking is a
 * deterministic function of (seed, link, position, orientation, channel),
 * so returning to a spot returns its shadowing and fades. Figures and their
 * sources: docs/rssi.md. */
#ifndef LABSIM_CHANNEL_H
#define LABSIM_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LABSIM_CHANNEL_MAX_NODES 16
#define LABSIM_CHANNEL_FEATURES 256   /* random Fourier features of the shadowing field */

typedef struct {
    double a_dbm;             /* mean RSSI at 1 m */
    double n;                 /* path-loss exponent */
    double shadow_sigma_db;   /* shadowing standard deviation */
    double shadow_decorr_m;   /* distance at which its correlation falls to 1/e */
    double pair_sigma_db;     /* spread of the constant per-pair offset */
    double tx_sigma_db;       /* spread of each board's TX power offset */
    double orient_db;         /* spread of the antenna pattern over angle */
    double rician_k_db;       /* line of sight / scattered power */
    double static_share;      /* share of scattered power fixed by position (0..1) */
    double coherence_s;       /* time constant of the varying fading */
    double block_per_hour;    /* body-blocking events per link */
    double block_median_s;    /* median duration (lognormal, sigma_ln 0.7) */
    double block_min_db, block_max_db;
    double noise_db;          /* measurement noise, standard deviation */
    int wifi_channel;         /* 1..14 */
    unsigned seed;
} labsim_channel_opts_t;

typedef struct _labsim_channel_t labsim_channel_t;

/* The documented defaults (docs/rssi.md): one furnished room, line of sight. */
void labsim_channel_defaults (labsim_channel_opts_t *opts);
/* Checks OPTS; returns 0, or -1 with the offending field in WHY. */
int labsim_channel_check (const labsim_channel_opts_t *opts, char *why, size_t whylen);

labsim_channel_t *labsim_channel_new (const labsim_channel_opts_t *opts);
void labsim_channel_destroy (labsim_channel_t **self_p);
const labsim_channel_opts_t *labsim_channel_opts (labsim_channel_t *self);
/* Replaces the options (labsim `env`); invalid ones are refused with WHY. */
int labsim_channel_set_opts (labsim_channel_t *self, const labsim_channel_opts_t *opts, char *why,
                             size_t whylen);

/* Orientation of NODE in degrees (0 by default). */
void labsim_channel_orient (labsim_channel_t *self, int node, double yaw_deg);

/* The part of the RSSI that stays while the boards stay: path loss,
 * shadowing, offsets, antenna pattern and the position's own fade; no
 * varying fading, no blocking, no noise, not quantised. */
double labsim_channel_local_mean (labsim_channel_t *self, int from, int to, double distance_m,
                                  double bearing_deg);
/* Shadowing alone, for tests of its statistics. */
double labsim_channel_shadowing (labsim_channel_t *self, int a, int b, double distance_m,
                                 double bearing_deg);
/* Depth in dB of the body block on the link at T_S (0 when none). Advances
 * the link's event process, so call with non-decreasing times. */
double labsim_channel_blocking (labsim_channel_t *self, int a, int b, double t_s);
/* One RSSI report at time T_S (seconds, non-decreasing per link). */
int labsim_channel_rssi (labsim_channel_t *self, int from, int to, double distance_m,
                         double bearing_deg, double t_s);

/* A bearing for a link that was never given one: uniform from the seed. */
double labsim_channel_default_bearing (labsim_channel_t *self, int a, int b);

#endif
