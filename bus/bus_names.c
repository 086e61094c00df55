/* bus_names - service names bound to the connection (and CURVE key) that
 * holds them. See bus_names.h for the rules; docs/bus.md "Request/reply".
 *
 * The one subtle case is a service that restarted: its new connection
 * registers while the old registration has not expired yet. The holder's
 * connection is then asked for (ALIVE: the broker sends it a PING with
 * ROUTER_MANDATORY, which fails at once for a connection that is gone), so
 * the restarted service gets its name back at once, while an impostor facing
 * a live holder is refused. */
#include "bus/bus_names.h"
#include "bus/bus_json.h"
#include <ctype.h>

typedef struct {
    char *name;
    char *source;
    zframe_t *id;
    uint64_t seen_ms;
} s_entry_t;

struct _bus_names_t {
    zhashx_t *entries;          /* name -> s_entry_t */
    zhashx_t *keys;             /* name -> Z85 key (CURVE binding) */
    int expiry_ms;
    size_t max;
    bus_names_stats_t stats;
};

static void
s_entry_destroy (void **item)
{
    s_entry_t *e = (s_entry_t *) *item;
    free (e->name);
    free (e->source);
    zframe_destroy (&e->id);
    free (e);
    *item = NULL;
}

bus_names_t *
bus_names_new (int expiry_ms, size_t max)
{
    bus_names_t *self = (bus_names_t *) zmalloc (sizeof (bus_names_t));
    self->entries = zhashx_new ();
    zhashx_set_destructor (self->entries, s_entry_destroy);
    self->keys = zhashx_new ();
    zhashx_set_destructor (self->keys, (zhashx_destructor_fn *) zstr_free);
    zhashx_set_duplicator (self->keys, (zhashx_duplicator_fn *) strdup);
    self->expiry_ms = expiry_ms;
    self->max = max ? max : BUS_NAMES_MAX_DEFAULT;
    return self;
}

void
bus_names_destroy (bus_names_t **self_p)
{
    assert (self_p);
    bus_names_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->entries);
    zhashx_destroy (&self->keys);
    free (self);
    *self_p = NULL;
}

void
bus_names_bind_key (bus_names_t *self, const char *name, const char *key)
{
    assert (self && name && key);
    zhashx_update (self->keys, name, (void *) key);
}

bool
bus_names_valid (const char *name)
{
    if (!name)
        return false;
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *) name; *p; p++, n++)
        if (!(isalnum (*p) || *p == '-' || *p == '_' || *p == '.') || n >= BUS_NAME_MAX)
            return false;
    return n > 0;
}

static bool
s_expired (bus_names_t *self, s_entry_t *e, uint64_t now_ms)
{
    return now_ms - e->seen_ms > (uint64_t) self->expiry_ms;
}

bus_names_result_t
bus_names_register (bus_names_t *self, const char *name, const char *source, zframe_t *id,
                    const char *key, uint64_t now_ms, bus_names_alive_fn *alive, void *arg)
{
    assert (self && id);
    if (!bus_names_valid (name) || !source) {
        self->stats.refused_bad++;
        return BUS_NAMES_BAD;
    }
    const char *bound = (const char *) zhashx_lookup (self->keys, name);
    if (bound && (!key || strcmp (key, bound))) {
        self->stats.refused_key++;
        return BUS_NAMES_KEY;
    }
    s_entry_t *e = (s_entry_t *) zhashx_lookup (self->entries, name);
    if (e && !zframe_eq (e->id, id)) {
        bool live = !s_expired (self, e, now_ms) && (!alive || alive (e->id, arg));
        if (live && !bound) {
            self->stats.refused_taken++;
            return BUS_NAMES_TAKEN;
        }
        /* The holder is gone (or a bound name's key proved itself): take over. */
        zframe_destroy (&e->id);
        e->id = zframe_dup (id);
    }
    if (!e) {
        if (zhashx_size (self->entries) >= self->max) {
            self->stats.refused_limit++;
            return BUS_NAMES_FULL;
        }
        e = (s_entry_t *) zmalloc (sizeof (s_entry_t));
        e->name = strdup (name);
        e->id = zframe_dup (id);
        zhashx_insert (self->entries, name, e);
    }
    if (!e->source || strcmp (e->source, source)) {
        free (e->source);
        e->source = strdup (source);
    }
    e->seen_ms = now_ms;
    return BUS_NAMES_OK;
}

void
bus_names_refuse_oversize (bus_names_t *self)
{
    assert (self);
    self->stats.refused_limit++;
}

bool
bus_names_unregister (bus_names_t *self, const char *name, zframe_t *id)
{
    assert (self && id);
    s_entry_t *e = name ? (s_entry_t *) zhashx_lookup (self->entries, name) : NULL;
    if (!e)
        return true;            /* nothing to remove: not an attack on anyone */
    if (!zframe_eq (e->id, id)) {
        self->stats.refused_unreg++;
        return false;
    }
    zhashx_delete (self->entries, name);
    return true;
}

zframe_t *
bus_names_holder (bus_names_t *self, const char *name, uint64_t now_ms)
{
    assert (self);
    s_entry_t *e = name ? (s_entry_t *) zhashx_lookup (self->entries, name) : NULL;
    if (e && s_expired (self, e, now_ms)) {
        self->stats.expired++;
        zhashx_delete (self->entries, name);
        e = NULL;
    }
    return e ? e->id : NULL;
}

void
bus_names_remove (bus_names_t *self, const char *name)
{
    assert (self);
    zhashx_delete (self->entries, name);
}

void
bus_names_expire (bus_names_t *self, uint64_t now_ms)
{
    assert (self);
    zlistx_t *dead = zlistx_new ();
    zlistx_set_destructor (dead, (zlistx_destructor_fn *) zstr_free);
    for (s_entry_t *e = (s_entry_t *) zhashx_first (self->entries); e;
         e = (s_entry_t *) zhashx_next (self->entries))
        if (s_expired (self, e, now_ms))
            zlistx_add_end (dead, strdup (e->name));
    for (char *name = (char *) zlistx_first (dead); name; name = (char *) zlistx_next (dead)) {
        zsys_info ("labbus: service '%s' expired (no refresh)", name);
        self->stats.expired++;
        zhashx_delete (self->entries, name);
    }
    zlistx_destroy (&dead);
}

size_t
bus_names_size (bus_names_t *self)
{
    assert (self);
    return zhashx_size (self->entries);
}

zlistx_t *
bus_names_list (bus_names_t *self)
{
    assert (self);
    zlistx_t *names = zhashx_keys (self->entries);
    zlistx_set_comparator (names, (zlistx_comparator_fn *) strcmp);
    zlistx_sort (names);
    return names;
}

json_t *
bus_names_json (bus_names_t *self, uint64_t now_ms)
{
    assert (self);
    zlistx_t *names = bus_names_list (self);
    json_t *arr = json_array ();
    for (const char *n = (const char *) zlistx_first (names); n; n = (const char *) zlistx_next (names)) {
        s_entry_t *e = (s_entry_t *) zhashx_lookup (self->entries, n);
        json_t *o = json_object ();
        json_object_set_new (o, "name", json_string (e->name));   /* valid names are ASCII */
        json_object_set_new (o, "source", bus_json_text (e->source));
        json_object_set_new (o, "age_ms", json_integer ((json_int_t) (now_ms - e->seen_ms)));
        json_array_append_new (arr, o);
    }
    zlistx_destroy (&names);
    return arr;
}

void
bus_names_stats (bus_names_t *self, bus_names_stats_t *out)
{
    assert (self && out);
    *out = self->stats;
}
