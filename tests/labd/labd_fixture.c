/* labd_fixture - see labd_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <signal.h>
#include "tests/labd/labd_fixture.h"

labd_fixture_t *
labd_fixture_new (const char *tag)
{
    labd_fixture_t *self = (labd_fixture_t *) calloc (1, sizeof (labd_fixture_t));
    assert_non_null (self);
    self->dir = lab_test_tmpdir (tag);
    assert_non_null (self->dir);
    return self;
}

void
labd_fixture_start (labd_fixture_t *self, const char *broker_extra, const char *body)
{
    lab_fixture_config (self->dir, self->cfg, sizeof self->cfg,
                        "lab\n    logs = \"%s/logs\"\n    state = \"%s/state\"\n"
                        "services\n    labbus\n        command = \"labbus -c ${config}\"\n"
                        "        backoff_min = \"20ms\"\n%s%s",
                        self->dir, self->dir, broker_extra, body);
    setenv ("LAB_RUNTIME_DIR", self->dir, 1);
    self->labd = lab_fixture_spawn ("labd", self->cfg, self->dir, "labd.out");
    self->bus = lab_fixture_client (self->dir);
}

int
labd_fixture_setup (void **state)
{
    *state = labd_fixture_new ("labd");
    return 0;
}

int
labd_fixture_teardown (void **state)
{
    labd_fixture_t *self = (labd_fixture_t *) *state;
    labd_fixture_destroy (&self);
    return 0;
}

void
labd_fixture_destroy (labd_fixture_t **self_p)
{
    labd_fixture_t *self = *self_p;
    if (!self)
        return;
    bus_client_destroy (&self->bus);
    if (self->labd > 0) {
        kill (self->labd, SIGCONT);
        lab_test_stop (self->labd, SIGTERM, 10000);
    }
    lab_fixture_remove (self->dir);
    free (self);
    *self_p = NULL;
}
