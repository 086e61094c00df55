/* bus_alerts - alerts de-duplicated at the source.
 *
 * A crash loop must be one alert with a count, not one per crash: the first
 * alert of a (kind, subject) goes out at once; repeats within the interval
 * are only counted, and when the interval is over the latest of them goes out
 * once, with `count` saying how many it stands for ("... (37 times in 10 s)").
 * So each (kind, subject) raises at most one alert per interval, whatever the
 * rate of the cause. Bounded: at most BUS_ALERTS_MAX pairs are tracked (a pair
 * quiet for ten intervals is forgotten; past the bound the oldest goes). */
#ifndef BUS_ALERTS_H
#define BUS_ALERTS_H

#include <stddef.h>
#include <stdint.h>
#include "lab.pb-c.h"

#define BUS_ALERTS_MAX 256

typedef struct _bus_alerts_t bus_alerts_t;

/* Publishes one alert (topic evt.alert.<kind>.<subject>); ALERT->count is set. */
typedef void (bus_alerts_send_fn) (void *arg, const Lab__Alert *alert);

bus_alerts_t *bus_alerts_new (int interval_ms, bus_alerts_send_fn *send, void *arg);
void bus_alerts_destroy (bus_alerts_t **self_p);

/* Raises an alert at NOW_MS (monotonic): sent now, or counted for later. */
void bus_alerts_raise (bus_alerts_t *self, const char *severity, const char *kind, const char *subject,
                       const char *text, char **detail, size_t ndetail, uint64_t now_ms);
/* Sends what is due (call from the loop; cheap when nothing is). */
void bus_alerts_tick (bus_alerts_t *self, uint64_t now_ms);

/* Alerts raised and alerts sent so far. */
void bus_alerts_counts (bus_alerts_t *self, uint64_t *raised, uint64_t *sent);

#endif
