/* bus_broker - labbus: pub/sub forwarding, last-value cache, named services,
 * flight recorder, and its own statistics.
 *
 * Sockets: an XSUB that publishers connect to, an XPUB for subscribers, and a
 * ROUTER for registration and request/reply (protocol in bus_wire.h). One
 * thread, one poll loop; message bytes are forwarded as they arrived, never
 * re-packed (protobuf-c 1.4 loses unknown fields on re-pack). */
#ifndef BUS_BROKER_H
#define BUS_BROKER_H

#include "bus/bus_client.h"

typedef struct {
    bus_endpoints_t ep;
    char recorder_path[512];     /* empty: no recorder */
    size_t recorder_max;         /* bytes per file */
    int recorder_files;
    int stats_interval_ms;       /* state.bus period (default 1000) */
    int reg_expiry_ms;           /* registration lifetime (default 3000) */
    int sndhwm;                  /* per-subscriber queue in the broker */
    size_t max_services;         /* registered names (bus/max_services) */
    size_t cache_entries;        /* state.* topics kept (bus/cache_entries) */
    size_t cache_bytes;          /* and their bytes (bus/cache_bytes) */
    size_t max_message;          /* ZMQ_MAXMSGSIZE on every socket (bus/max_message) */
    char curve_cert[512];        /* broker's secret certificate; empty: plain */
    char curve_clients[512];     /* directory of allowed client public certs */
    /* Names bound to client keys (bus/curve/names): only that key registers it. */
    struct {
        char name[65];
        char key[41];            /* Z85 public key */
    } curve_names[32];
    int n_curve_names;
} bus_broker_opts_t;

/* Defaults for everything but the endpoints. */
void bus_broker_opts_defaults (bus_broker_opts_t *opts);
/* Fills OPTS from the config's `bus` section; "file:line:" errors. */
int bus_broker_opts_from_config (bus_broker_opts_t *opts, lab_config_t *cfg, char *err, size_t errlen);

typedef struct _bus_broker_t bus_broker_t;

/* Binds all sockets; NULL with ERR set when a bind fails, or when an
 * endpoint is reachable from other hosts and CURVE is not configured. */
bus_broker_t *bus_broker_new (const bus_broker_opts_t *opts, char *err, size_t errlen);
void bus_broker_destroy (bus_broker_t **self_p);
/* Runs until interrupted (SIGINT/SIGTERM via zsys) or bus_broker_stop(). */
int bus_broker_run (bus_broker_t *self);
/* Runs the loop for at most TIMEOUT_MS (for embedding in tests). */
int bus_broker_run_once (bus_broker_t *self, int timeout_ms);
void bus_broker_stop (bus_broker_t *self);

#endif
