/* web_metrics - what /metrics exposes, kept from the bus messages the web
 * service sees, rendered in the Prometheus text exposition format (0.0.4).
 *
 * Names carry their unit (_bytes, _seconds, _ratio) and counters end in
 * _total; every family is written once, HELP and TYPE first, samples grouped.
 * Label values are escaped (\\, \", \n). Per-kind tables are bounded
 * (WEB_METRICS_MAX_ITEMS names each); names beyond that are counted in
 * labbus_web_untracked_total instead of growing memory. Thread-safe: the bus
 * thread updates, HTTP threads render. */
#ifndef WEB_METRICS_H
#define WEB_METRICS_H

#include <stdint.h>
#include <stdio.h>
#include "lab.pb-c.h"

#define WEB_METRICS_MAX_ITEMS 256

typedef struct _web_metrics_t web_metrics_t;

/* Figures about the web service itself, given at render time. */
typedef struct {
    int sse_clients;
    uint64_t sse_clients_total;
    uint64_t sse_clients_dropped;
    uint64_t sse_refused;
    uint64_t sse_events;
    uint64_t http_requests;
    uint64_t http_bad_requests;
} web_metrics_self_t;

web_metrics_t *web_metrics_new (void);
void web_metrics_destroy (web_metrics_t **self_p);

/* Takes in one bus message. */
void web_metrics_update (web_metrics_t *self, const char *topic, const Lab__Envelope *env);

/* The web service's own bus client counters (they belong to the bus thread,
 * which copies them here after each message). */
void web_metrics_set_bus (web_metrics_t *self, uint64_t received, uint64_t gaps,
                          uint64_t malformed, uint64_t duplicates);

/* The exposition text (NUL-terminated, caller frees), or NULL on no memory.
 * SELF_FIGURES may be NULL. */
char *web_metrics_render (web_metrics_t *self, const web_metrics_self_t *self_figures);

/* Writes V into OUT as "label=\"escaped\"" - exposed for the tests. */
void web_metrics_label (FILE *out, const char *name, const char *value);

#endif
