/* bus_fixture - see bus_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <signal.h>
#include "tests/bus/bus_fixture.h"

void
bus_fixture_dir (bus_fixture_t *self, const char *tag)
{
    memset (self, 0, sizeof *self);
    self->dir = lab_test_tmpdir (tag);
    assert_non_null (self->dir);
    bus_endpoints_in_dir (&self->ep, self->dir);
}

void
bus_fixture_broker (bus_fixture_t *self, const char *const extra[])
{
    self->broker = lab_test_start_broker (self->dir, extra);
    assert_true (self->broker > 0);
}

void
bus_fixture_start (bus_fixture_t *self, const char *tag)
{
    bus_fixture_dir (self, tag);
    bus_fixture_broker (self, NULL);
}

void
bus_fixture_remove (bus_fixture_t *self)
{
    lab_test_rmdir (self->dir);
    free (self->dir);
    self->dir = NULL;
}

void
bus_fixture_stop (bus_fixture_t *self)
{
    if (self->broker > 0)
        assert_int_equal (lab_test_stop (self->broker, SIGTERM, 2000), 0);
    self->broker = 0;
    bus_fixture_remove (self);
}

zsock_t *
bus_fixture_raw_pub (bus_fixture_t *self, bus_client_t **victim)
{
    zsock_t *raw = zsock_new_pub (NULL);
    assert_non_null (raw);
    assert_int_equal (zsock_bind (raw, "%s", self->ep.sub), 0);
    *victim = bus_client_new ("victim", &self->ep);
    assert_non_null (*victim);
    bus_client_subscribe (*victim, "");
    zclock_sleep (200);
    return raw;
}

json_t *
bus_fixture_status (bus_client_t *c)
{
    Lab__CommandReply *r = NULL;
    assert_int_equal (bus_client_call (c, "labbus", "status", 0, NULL, 3000, &r), BUS_OK);
    json_t *j = json_loads (r->json, 0, NULL);
    lab__command_reply__free_unpacked (r, NULL);
    assert_non_null (j);
    return j;
}
