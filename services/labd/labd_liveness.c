/* labd_liveness - the two clocks that decide whether a child's silence
 * counts: the bus's (last message through it) and labd's own (last loop
 * turn). Plain arithmetic on caller-supplied times, so tests give the times. */
#include "services/labd/labd_liveness.h"
#include <assert.h>

void
labd_liveness_init (labd_liveness_t *self, int min_heartbeat_ms, int tick_ms, uint64_t now)
{
    assert (self);
    int interval = min_heartbeat_ms > 0 ? min_heartbeat_ms / 3 : 1000;
    if (interval < 25)
        interval = 25;
    if (interval > 1000)
        interval = 1000;
    self->interval_ms = interval;
    self->grace_ms = 3 * interval + 50;
    /* A turn is at most tick_ms of sleep plus the work of a pass; twice
     * that is already abnormal. A false alarm only postpones hung checks
     * by one window, so err on the low side. */
    int turn = tick_ms < interval ? tick_ms : interval;
    self->stall_ms = 4 * turn + 50;
    self->last_turn_ms = now;
    self->bus_rx_ms = now;
    self->bus_back_ms = 0;      /* never down yet */
    self->bus_down = false;
}

uint64_t
labd_liveness_turn (labd_liveness_t *self, uint64_t now)
{
    assert (self);
    uint64_t gap = now > self->last_turn_ms ? now - self->last_turn_ms : 0;
    self->last_turn_ms = now;
    if (gap <= (uint64_t) self->stall_ms)
        return 0;
    /* labd was not listening: the bus's silence meanwhile is no verdict on
     * it, and must not be discounted a second time when a message comes. */
    if (!self->bus_down)
        self->bus_rx_ms = now;
    return gap;
}

uint64_t
labd_liveness_bus_rx (labd_liveness_t *self, uint64_t now)
{
    assert (self);
    uint64_t gap = now > self->bus_rx_ms ? now - self->bus_rx_ms : 0;
    bool was_down = self->bus_down || gap > (uint64_t) self->grace_ms;
    if (was_down)
        self->bus_back_ms = now;
    self->bus_down = false;
    self->bus_rx_ms = now;
    return was_down ? (gap ? gap : 1) : 0;
}

void
labd_liveness_bus_lost (labd_liveness_t *self)
{
    assert (self);
    self->bus_down = true;
}

bool
labd_liveness_bus_up (labd_liveness_t *self, uint64_t now)
{
    assert (self);
    if (!self->bus_down && now > self->bus_rx_ms && now - self->bus_rx_ms > (uint64_t) self->grace_ms)
        self->bus_down = true;
    return !self->bus_down;
}
