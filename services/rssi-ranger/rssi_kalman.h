/* rssi_kalman - the alternative RSSI filter: a scalar Kalman filter on the
 * level in dB (a random walk observed through noise), made robust to the
 * heavy-tailed drops of a real room by gating: a sample whose innovation is
 * beyond RSSI_KALMAN_GATE standard deviations is not used, and when most of
 * the recent samples were gated the level has really moved (the boards
 * did), so the filter restarts from their median. bench/rssi_bench.c
 * compares it with the median + average filter on labsim's indoor channel;
 * docs/rssi.md has the figures and which one the ranger uses. */
#ifndef RSSI_KALMAN_H
#define RSSI_KALMAN_H

#include <stdbool.h>

#define RSSI_KALMAN_Q 0.02        /* dB^2 per sample: how fast the level may wander */
#define RSSI_KALMAN_R 6.0         /* dB^2: spread of single samples (fading, noise, 1 dB steps) */
#define RSSI_KALMAN_GATE 3.0
#define RSSI_KALMAN_RECENT 32
#define RSSI_KALMAN_RESTART 24    /* of the last RSSI_KALMAN_RECENT gated: restart */

typedef struct {
    bool primed;
    double level, var;            /* estimate and its variance, dB and dB^2 */
    double recent[RSSI_KALMAN_RECENT];
    bool gated[RSSI_KALMAN_RECENT];
    int head, count;
    double last_raw;
} rssi_kalman_t;

void rssi_kalman_init (rssi_kalman_t *k);
/* Adds a sample; returns the level. */
double rssi_kalman_add (rssi_kalman_t *k, double rssi);
/* Restarts at LEVEL: the motion detector knows the link moved before the
 * gate does. */
void rssi_kalman_restart (rssi_kalman_t *k, double level);

#endif
