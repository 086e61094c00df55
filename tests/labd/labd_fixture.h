/* labd_fixture - the real labd (with the real labbus as its first service)
 * on a config of the test's own, in a fresh directory, and a bus client to
 * ask it; shared by the labd tests. */
#ifndef LABD_FIXTURE_H
#define LABD_FIXTURE_H

#include "tests/lab_fixture.h"

typedef struct {
    char *dir;
    char cfg[600];
    pid_t labd;
    bus_client_t *bus;
} labd_fixture_t;

/* A new fixture with a fresh directory named after TAG; nothing started. */
labd_fixture_t *labd_fixture_new (const char *tag);

/* Writes the config (labbus with BROKER_EXTRA appended to its section, then
 * BODY: more services) and starts labd on it. */
void labd_fixture_start (labd_fixture_t *self, const char *broker_extra, const char *body);

/* Stops labd (waking it first: a test may have stopped it with SIGSTOP),
 * removes the directory and frees the fixture. */
void labd_fixture_destroy (labd_fixture_t **self_p);

/* cmocka set-up and teardown: *STATE is a new fixture (directory "labd-*"),
 * destroyed after the test. */
int labd_fixture_setup (void **state);
int labd_fixture_teardown (void **state);
#define LABD_FIXTURE_TEST(test) cmocka_unit_test_setup_teardown (test, labd_fixture_setup, labd_fixture_teardown)

#endif
