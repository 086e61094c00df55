/* bus_cache - bounded last-value cache. A hash finds a topic's entry; a list
 * holds the entries in update order (head: updated longest ago), so eviction
 * takes the head and an update moves an entry to the tail, both O(1). */
#include "bus/bus_cache.h"
#include <czmq.h>

typedef struct {
    char *topic;             /* NUL-terminated copy (topics are checked text) */
    size_t tlen;
    uint8_t *body;
    size_t blen;
    void *handle;            /* in self->order */
} s_entry_t;

struct _bus_cache_t {
    zhashx_t *entries;       /* topic -> s_entry_t */
    zlistx_t *order;         /* s_entry_t*, oldest update first */
    size_t max_entries, max_bytes;
    bus_cache_stats_t stats;
};

static void
s_entry_destroy (void **item)
{
    s_entry_t *e = (s_entry_t *) *item;
    free (e->topic);
    free (e->body);
    free (e);
    *item = NULL;
}

bus_cache_t *
bus_cache_new (size_t max_entries, size_t max_bytes)
{
    bus_cache_t *self = (bus_cache_t *) zmalloc (sizeof (bus_cache_t));
    self->entries = zhashx_new ();
    zhashx_set_destructor (self->entries, s_entry_destroy);
    self->order = zlistx_new ();
    self->max_entries = max_entries ? max_entries : 1;
    self->max_bytes = max_bytes ? max_bytes : 1;
    return self;
}

void
bus_cache_destroy (bus_cache_t **self_p)
{
    assert (self_p);
    bus_cache_t *self = *self_p;
    if (!self)
        return;
    zlistx_destroy (&self->order);
    zhashx_destroy (&self->entries);
    free (self);
    *self_p = NULL;
}

static void
s_remove (bus_cache_t *self, s_entry_t *e)
{
    self->stats.bytes -= e->tlen + e->blen;
    self->stats.entries--;
    zlistx_delete (self->order, e->handle);
    zhashx_delete (self->entries, e->topic);   /* frees e */
}

void
bus_cache_put (bus_cache_t *self, const void *topic, size_t tlen, const void *body, size_t blen)
{
    assert (self && topic);
    char *key = (char *) malloc (tlen + 1);
    if (!key)
        return;
    memcpy (key, topic, tlen);
    key[tlen] = '\0';
    s_entry_t *e = (s_entry_t *) zhashx_lookup (self->entries, key);
    if (e)
        s_remove (self, e);     /* re-added at the tail below */
    if (tlen + blen > self->max_bytes) {
        self->stats.too_big++;
        free (key);
        return;
    }
    while (self->stats.entries && (self->stats.entries + 1 > self->max_entries
                                   || self->stats.bytes + tlen + blen > self->max_bytes)) {
        s_remove (self, (s_entry_t *) zlistx_first (self->order));
        self->stats.evicted++;
    }
    e = (s_entry_t *) zmalloc (sizeof (s_entry_t));
    e->topic = key;
    e->tlen = tlen;
    e->body = (uint8_t *) malloc (blen ? blen : 1);
    memcpy (e->body, body, blen);
    e->blen = blen;
    e->handle = zlistx_add_end (self->order, e);
    zhashx_insert (self->entries, key, e);
    self->stats.entries++;
    self->stats.bytes += tlen + blen;
}

size_t
bus_cache_each (bus_cache_t *self, const char *prefix, size_t plen, bus_cache_fn *fn, void *arg)
{
    assert (self && fn);
    size_t calls = 0;
    for (s_entry_t *e = (s_entry_t *) zlistx_first (self->order); e; e = (s_entry_t *) zlistx_next (self->order))
        if (e->tlen >= plen && memcmp (e->topic, prefix, plen) == 0) {
            calls++;
            if (fn (e->topic, e->tlen, e->body, e->blen, arg))
                break;
        }
    return calls;
}

void
bus_cache_stats (bus_cache_t *self, bus_cache_stats_t *out)
{
    assert (self && out);
    *out = self->stats;
}
