/* web_hub - fans bus messages (as JSON) out to Server-Sent-Events clients.
 *
 * The bus thread calls web_hub_publish and never waits for a client: each
 * client has its own bounded queue (messages and bytes), and a client whose
 * queue is full is dropped (its stream ends; the browser reconnects and gets
 * a fresh snapshot). HTTP threads read with web_hub_client_read, which waits
 * on a condition variable with a timeout.
 *
 * The hub also keeps what a page needs when it connects: the last value of
 * every state.* topic and the last lines of serial output; a new client gets
 * those (filtered) before live messages. Thread-safe. */
#ifndef WEB_HUB_H
#define WEB_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "services/web/web_filter.h"

typedef struct _web_hub_t web_hub_t;
typedef struct _web_hub_client_t web_hub_client_t;

typedef struct {
    int max_clients;            /* attach fails beyond this */
    size_t client_queue_msgs;   /* per client */
    size_t client_queue_bytes;  /* per client */
    size_t state_topics;        /* state.* topics remembered */
    size_t serial_lines;        /* tel.serial.* lines remembered (all boards) */
} web_hub_limits_t;

typedef struct {
    uint64_t published;         /* messages given to the hub */
    uint64_t delivered;         /* messages queued to clients */
    uint64_t clients_dropped;   /* slow clients cut off */
    uint64_t clients_total;     /* clients ever attached */
    uint64_t refused;           /* attaches refused (too many clients) */
    int clients;                /* attached now */
} web_hub_stats_t;

web_hub_t *web_hub_new (const web_hub_limits_t *limits);
void web_hub_destroy (web_hub_t **self_p);

/* Hands the JSON text of one bus message on TOPIC to the hub (copied). */
void web_hub_publish (web_hub_t *self, const char *topic, const char *json);

/* A new client with FILTER, its queue primed with the snapshot; NULL when
 * the hub is full or closing. */
web_hub_client_t *web_hub_attach (web_hub_t *self, const web_filter_t *filter);
/* Detaches and frees the client. */
void web_hub_detach (web_hub_t *self, web_hub_client_t **client_p);

/* Copies up to MAX bytes of the client's SSE stream into BUF, waiting up to
 * TIMEOUT_MS for data. Returns the byte count, 0 on timeout, -1 when the
 * client was dropped or the hub is closing. */
ssize_t web_hub_client_read (web_hub_t *self, web_hub_client_t *client, char *buf, size_t max,
                             int timeout_ms);

/* Wakes every reader and makes reads fail: called before the HTTP server stops. */
void web_hub_close (web_hub_t *self);

void web_hub_stats (web_hub_t *self, web_hub_stats_t *out);

#endif
