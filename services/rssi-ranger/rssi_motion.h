/* rssi_motion - "a board moved": a change-point detector on one link's RSSI.
 *
 * The level is the median of the last RSSI_MOTION_WINDOW_S seconds of
 * samples (so single fades do not count). The reference is a slow average of
 * that level while nothing is happening. When the level is more than
 * RSSI_MOTION_THRESHOLD_DB from the reference a candidate starts; it is
 * dropped as soon as the level comes back within RSSI_MOTION_RETURN of the
 * threshold, and after RSSI_MOTION_PERSIST_S it becomes a move if the median
 * of every sample since it started is still beyond the threshold on the
 * same side. So a trigger is quick but noisy, and the decision rests on
 * seconds of samples: noise crosses the threshold for a moment, and a
 * person walking through the path (10-20 dB for about a second, rarely
 * several) comes back; a board that was moved stays. The reference then
 * jumps to the new level. A body block that outlasts the
 * persistence time is indistinguishable from a move and back, which is
 * what bounds the false alarms (docs/rssi.md). */
#ifndef RSSI_MOTION_H
#define RSSI_MOTION_H

#include <stdbool.h>

#ifndef RSSI_MOTION_WINDOW_S
#define RSSI_MOTION_WINDOW_S 1.0
#endif
#ifndef RSSI_MOTION_PERSIST_S
#define RSSI_MOTION_PERSIST_S 3.5
#endif
#ifndef RSSI_MOTION_THRESHOLD_DB
#define RSSI_MOTION_THRESHOLD_DB 2.0
#endif
#define RSSI_MOTION_RETURN 0.5         /* of the threshold: back, the candidate is dropped */
#define RSSI_MOTION_REF_TAU_S 10.0
#define RSSI_MOTION_SETTLE_S 3.0      /* of samples before the first decision */
#define RSSI_MOTION_MIN_SAMPLES 5     /* in the window */
#define RSSI_MOTION_CAP 128           /* samples kept in the window */
#define RSSI_MOTION_CAND_CAP 1024     /* samples kept for a candidate's decision */

typedef struct {
    double t[RSSI_MOTION_CAP], v[RSSI_MOTION_CAP];
    int head, count;
    bool primed;
    double first_t, last_t;
    double ref;                   /* dB */
    bool candidate;
    int dir;                      /* +1 louder, -1 quieter */
    double since;
    double cand[RSSI_MOTION_CAND_CAP];
    int ncand;
    double level;                 /* last window median */
} rssi_motion_t;

void rssi_motion_init (rssi_motion_t *m);
/* Adds a sample taken at T_S (seconds, non-decreasing). Returns true when a
 * move is detected; *DELTA_DB is then the change of level (new - old). */
bool rssi_motion_add (rssi_motion_t *m, double t_s, double rssi, double *delta_db);
/* Distance ratio (new / old) for a level change with path-loss exponent N:
 * 10^(-delta / (10 n)); a 6 dB drop at n = 2 is "about 2x farther". */
double rssi_motion_ratio (double delta_db, double n);

#endif
