/* bus_cache - the broker's last-value cache of state.* topics, bounded.
 *
 * Keeps the last message of each topic, at most `max_entries` topics and
 * `max_bytes` of topics plus bodies. When a new value would pass a bound,
 * the topics updated longest ago are evicted first (a live state topic is
 * republished and comes back; a topic nobody updates any more goes), and
 * each eviction is counted. A single value larger than max_bytes is not kept. */
#ifndef BUS_CACHE_H
#define BUS_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct _bus_cache_t bus_cache_t;

typedef struct {
    size_t entries;
    size_t bytes;
    uint64_t evicted;
    uint64_t too_big;        /* single values larger than max_bytes */
} bus_cache_stats_t;

bus_cache_t *bus_cache_new (size_t max_entries, size_t max_bytes);
void bus_cache_destroy (bus_cache_t **self_p);

/* Keeps BODY as TOPIC's last value (both copied). */
void bus_cache_put (bus_cache_t *self, const void *topic, size_t tlen, const void *body, size_t blen);

/* Calls FN for every kept topic starting with PREFIX (PLEN bytes), oldest
 * update first; stops early when FN returns non-zero. Returns the calls made. */
typedef int (bus_cache_fn) (const char *topic, size_t tlen, const void *body, size_t blen, void *arg);
size_t bus_cache_each (bus_cache_t *self, const char *prefix, size_t plen, bus_cache_fn *fn, void *arg);

void bus_cache_stats (bus_cache_t *self, bus_cache_stats_t *out);

#endif
