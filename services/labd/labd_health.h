/* labd_health - backend health checks that never hold labd's loop.
 *
 * One curl multi handle carries every probe (GET health_url, body
 * discarded, answer = HTTP status). labd's loop polls curl's sockets with
 * its own and calls labd_health_work on every turn, which moves transfers
 * along without waiting; a probe that gets no answer ends at its timeout
 * with status 0. A health endpoint that accepts and never answers costs
 * labd nothing. */
#ifndef LABD_HEALTH_H
#define LABD_HEALTH_H

#include <czmq.h>
#include <stdbool.h>

typedef struct _labd_health_t labd_health_t;

labd_health_t *labd_health_new (void);
void labd_health_destroy (labd_health_t **self_p);

/* Starts a GET of URL for KEY (one probe per key at a time: nothing
 * happens while one is in flight), ending after TIMEOUT_MS. */
void labd_health_probe (labd_health_t *self, const void *key, const char *url, int timeout_ms);
/* Forgets KEY's probe (its backend stopped). */
void labd_health_cancel (labd_health_t *self, const void *key);
/* True while a probe is in flight. */
bool labd_health_busy (labd_health_t *self);
/* Moves every transfer along; never waits. */
void labd_health_work (labd_health_t *self);
/* A finished probe for KEY not yet taken: its status (0: no answer) in
 * *STATUS, true. False while none has finished since the last call. */
bool labd_health_result (labd_health_t *self, const void *key, long *status);
/* The status of KEY's last finished probe (0 when none). */
long labd_health_last (labd_health_t *self, const void *key);

/* curl's sockets to poll, added to ITEMS (at most MAX); returns how many. */
int labd_health_pollitems (labd_health_t *self, zmq_pollitem_t *items, int max);

#endif
