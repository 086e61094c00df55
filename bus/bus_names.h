/* bus_names - the broker's registry of service names, each bound to the
 * connection that holds it.
 *
 * A name belongs to its live holder: the connection (broker routing id) that
 * registered it keeps it until it unregisters, its refreshes stop for the
 * expiry time, or its connection is gone. Another connection's REG or UNREG
 * of a held name is refused and counted; with CURVE, a name bound to a client
 * key in the config (bus/curve/names) can only be registered by that key.
 * Bounded: at most BUS_NAMES_PER_REG names in one registration, names of at
 * most BUS_NAME_MAX bytes (letters, digits, '-', '_', '.'), and at most `max`
 * names in all; anything beyond is refused and counted, never stored. */
#ifndef BUS_NAMES_H
#define BUS_NAMES_H

#include <czmq.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define BUS_NAMES_PER_REG 32
#define BUS_NAME_MAX 64
#define BUS_NAMES_MAX_DEFAULT 256

typedef enum {
    BUS_NAMES_OK = 0,
    BUS_NAMES_TAKEN,        /* held by another live connection */
    BUS_NAMES_KEY,          /* bound to another CURVE key */
    BUS_NAMES_FULL,         /* the registry holds `max` names */
    BUS_NAMES_BAD,          /* not a valid name */
} bus_names_result_t;

typedef struct {
    uint64_t refused_taken;     /* REG of a name another live connection holds */
    uint64_t refused_unreg;     /* UNREG by a connection that does not hold it */
    uint64_t refused_key;       /* REG by a key the name is not bound to */
    uint64_t refused_limit;     /* registry full, or too many names in one REG */
    uint64_t refused_bad;       /* invalid name */
    uint64_t expired;
} bus_names_stats_t;

typedef struct _bus_names_t bus_names_t;

/* Asks whether the connection with routing id ID is still there. */
typedef bool (bus_names_alive_fn) (zframe_t *id, void *arg);

bus_names_t *bus_names_new (int expiry_ms, size_t max);
void bus_names_destroy (bus_names_t **self_p);

/* With CURVE: only the client whose public key (Z85) is KEY may hold NAME. */
void bus_names_bind_key (bus_names_t *self, const char *name, const char *key);

/* Registers or refreshes NAME for connection ID (not taken) publishing as
 * SOURCE, authenticated as KEY (the ZAP User-Id; NULL or "" when plain).
 * When another connection holds NAME, ALIVE is asked whether it still
 * exists; a live holder keeps the name. */
bus_names_result_t bus_names_register (bus_names_t *self, const char *name, const char *source,
                                       zframe_t *id, const char *key, uint64_t now_ms,
                                       bus_names_alive_fn *alive, void *arg);
/* Counts a registration refused as a whole for carrying too many names. */
void bus_names_refuse_oversize (bus_names_t *self);
/* Removes NAME if connection ID holds it; false (counted) otherwise. */
bool bus_names_unregister (bus_names_t *self, const char *name, zframe_t *id);
/* The holder of NAME (routing id, still owned by the registry), or NULL
 * when nobody holds it or its registration expired (then it is removed). */
zframe_t *bus_names_holder (bus_names_t *self, const char *name, uint64_t now_ms);
/* Forgets NAME (its holder's connection is gone). */
void bus_names_remove (bus_names_t *self, const char *name);
/* Removes every registration older than the expiry. */
void bus_names_expire (bus_names_t *self, uint64_t now_ms);

size_t bus_names_size (bus_names_t *self);
/* Sorted names (caller destroys the list; items are the caller's copies). */
zlistx_t *bus_names_list (bus_names_t *self);
/* [{"name","source","age_ms"},...] sorted by name; new reference. */
json_t *bus_names_json (bus_names_t *self, uint64_t now_ms);
void bus_names_stats (bus_names_t *self, bus_names_stats_t *out);

/* True when NAME is a valid service name (1..BUS_NAME_MAX bytes of ASCII
 * letters, digits, '-', '_' and '.'). */
bool bus_names_valid (const char *name);

#endif
