/* bus_fixture - the set-up the bus tests share: a fresh directory with its
 * bus endpoints, a real labbus started there, and the broker's status.
 * Failures are cmocka assertions, so a test that cannot get its broker
 * fails where it asked for it. */
#ifndef BUS_FIXTURE_H
#define BUS_FIXTURE_H

#include <jansson.h>
#include "tests/lab_test.h"

typedef struct {
    char *dir;               /* under /tmp, removed by bus_fixture_stop */
    pid_t broker;            /* 0 until bus_fixture_broker */
    bus_endpoints_t ep;      /* the endpoints in DIR */
} bus_fixture_t;

/* A fresh directory named after TAG and its endpoints; no broker yet (a
 * test may write a config there first, or bind the endpoints itself). */
void bus_fixture_dir (bus_fixture_t *self, const char *tag);

/* Starts labbus in the fixture's directory with EXTRA args (may be NULL)
 * and asserts that it answers. */
void bus_fixture_broker (bus_fixture_t *self, const char *const extra[]);

/* bus_fixture_dir, then bus_fixture_broker without extra args. */
void bus_fixture_start (bus_fixture_t *self, const char *tag);

/* Stops the broker, when there is one, asserting it exits cleanly on
 * SIGTERM within 2 s; then removes the directory. */
void bus_fixture_stop (bus_fixture_t *self);

/* Removes the directory without looking at the broker (a teardown after a
 * test that may have killed it). */
void bus_fixture_remove (bus_fixture_t *self);

/* No broker: a raw PUB the test controls, bound where the broker's would
 * be, and a client "victim" (in *VICTIM) subscribed to everything from it,
 * given 200 ms to connect. Sends through it bypass every broker check. */
zsock_t *bus_fixture_raw_pub (bus_fixture_t *self, bus_client_t **victim);

/* The broker's status JSON through C, asserted to answer within 3 s and
 * to parse. Caller decrefs. */
json_t *bus_fixture_status (bus_client_t *c);

#endif
