/* rssi_kalman - see rssi_kalman.h. */
#include "services/rssi-ranger/rssi_kalman.h"
#include "services/rssi-ranger/rssi_model.h"
#include <math.h>
#include <string.h>

void
rssi_kalman_init (rssi_kalman_t *k)
{
    memset (k, 0, sizeof *k);
}

static int
s_gated_recently (const rssi_kalman_t *k)
{
    int n = 0;
    for (int i = 0; i < k->count; i++)
        n += k->gated[i];
    return n;
}

double
rssi_kalman_add (rssi_kalman_t *k, double rssi)
{
    k->last_raw = rssi;
    if (!k->primed) {
        k->level = rssi;
        k->var = RSSI_KALMAN_R;
        k->primed = true;
    }
    k->var += RSSI_KALMAN_Q;
    double innov = rssi - k->level, s = k->var + RSSI_KALMAN_R;
    bool gated = innov * innov > RSSI_KALMAN_GATE * RSSI_KALMAN_GATE * s;
    k->recent[k->head] = rssi;
    k->gated[k->head] = gated;
    k->head = (k->head + 1) % RSSI_KALMAN_RECENT;
    if (k->count < RSSI_KALMAN_RECENT)
        k->count++;
    if (!gated) {
        double gain = k->var / s;
        k->level += gain * innov;
        k->var *= 1 - gain;
    }
    else if (k->count == RSSI_KALMAN_RECENT && s_gated_recently (k) >= RSSI_KALMAN_RESTART) {
        double v[RSSI_KALMAN_RECENT];
        memcpy (v, k->recent, sizeof v);
        k->level = rssi_median (v, RSSI_KALMAN_RECENT);
        k->var = RSSI_KALMAN_R / 4;
        memset (k->gated, 0, sizeof k->gated);
    }
    return k->level;
}

void
rssi_kalman_restart (rssi_kalman_t *k, double level)
{
    k->level = level;
    k->var = RSSI_KALMAN_R / 4;
    k->primed = true;
    memset (k->gated, 0, sizeof k->gated);
}
