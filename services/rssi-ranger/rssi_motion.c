/* rssi_motion - see rssi_motion.h. */
#include "services/rssi-ranger/rssi_motion.h"
#include "services/rssi-ranger/rssi_model.h"
#include <math.h>
#include <string.h>

void
rssi_motion_init (rssi_motion_t *m)
{
    memset (m, 0, sizeof *m);
}

/* Drops samples older than the window, but keeps the last few whatever
 * their age (a link beaconing once a second still gets a level), and
 * appends this one. */
static void
s_push (rssi_motion_t *m, double t, double v)
{
    while (m->count == RSSI_MOTION_CAP
           || (m->count >= RSSI_MOTION_MIN_SAMPLES && m->t[m->head] < t - RSSI_MOTION_WINDOW_S)) {
        m->head = (m->head + 1) % RSSI_MOTION_CAP;
        m->count--;
    }
    int i = (m->head + m->count) % RSSI_MOTION_CAP;
    m->t[i] = t;
    m->v[i] = v;
    m->count++;
}

static double
s_window_median (const rssi_motion_t *m)
{
    double v[RSSI_MOTION_CAP];
    for (int i = 0; i < m->count; i++)
        v[i] = m->v[(m->head + i) % RSSI_MOTION_CAP];
    return rssi_median (v, m->count);
}

bool
rssi_motion_add (rssi_motion_t *m, double t, double rssi, double *delta_db)
{
    if (!m->count && !m->primed)
        m->first_t = t;
    double dt = m->count ? t - m->last_t : 0;
    m->last_t = t;
    s_push (m, t, rssi);
    if (m->count < RSSI_MOTION_MIN_SAMPLES)
        return false;
    m->level = s_window_median (m);
    if (!m->primed) {
        /* Until the link has settled the reference just follows. */
        m->ref = m->level;
        m->primed = t - m->first_t >= RSSI_MOTION_SETTLE_S;
        return false;
    }
    double d = m->level - m->ref;
    int dir = d > 0 ? 1 : -1;
    if (m->candidate) {
        if (m->dir * d < RSSI_MOTION_THRESHOLD_DB * RSSI_MOTION_RETURN) {
            m->candidate = false;    /* came back: a fade, a body, noise */
            return false;
        }
        if (m->ncand < RSSI_MOTION_CAND_CAP)
            m->cand[m->ncand++] = rssi;
        if (t - m->since < RSSI_MOTION_PERSIST_S)
            return false;
        m->candidate = false;
        double after = rssi_median (m->cand, m->ncand);
        if (m->dir * (after - m->ref) <= RSSI_MOTION_THRESHOLD_DB)
            return false;
        if (delta_db)
            *delta_db = after - m->ref;
        m->ref = after;
        return true;
    }
    if (fabs (d) > RSSI_MOTION_THRESHOLD_DB) {
        m->candidate = true;
        m->dir = dir;
        m->since = t;
        m->ncand = 0;
        m->cand[m->ncand++] = rssi;
        return false;
    }
    double w = dt / RSSI_MOTION_REF_TAU_S;
    m->ref += (w > 1 ? 1 : w) * (m->level - m->ref);
    return false;
}

double
rssi_motion_ratio (double delta_db, double n)
{
    return pow (10.0, -delta_db / (10.0 * (n > 0 ? n : 2.0)));
}
