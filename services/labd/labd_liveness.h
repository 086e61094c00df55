/* labd_liveness - when does a missing heartbeat count?
 *
 * A heartbeat travels child -> broker -> labd. Its absence proves the child
 * hung only if the bus was carrying messages and labd was reading them for
 * the whole window. Two other causes look the same and must not kill
 * anybody:
 *  - the bus is down: the broker is dead, restarting or frozen. labd hears
 *    its own heartbeat come back through the broker every `interval`; no
 *    message at all for `grace` means the bus is down, and the children's
 *    silence says nothing about them (labd sees their processes alive).
 *  - labd itself stalled (SIGSTOP, swapped out, a slow disk): a jump of the
 *    monotonic clock between two turns of its loop. The heartbeats that
 *    arrived meanwhile may still sit in ZeroMQ's queues.
 * In both cases the time lost does not count: the caller moves every
 * child's last heartbeat forward by the length of the outage or stall, so
 * a child is hung only after `misses` intervals of silence while the bus
 * worked and labd listened. A short false alarm (a slow turn under load)
 * only costs its own length, never a whole window.
 * The probe runs every third of the shortest child heartbeat; grace (3
 * probe intervals + 50 ms for scheduling) stays below the silence that
 * could make a child hung (the shortest heartbeat x 2, for the default
 * misses = 3), so the bus is known to be down before. */
#ifndef LABD_LIVENESS_H
#define LABD_LIVENESS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int interval_ms;        /* labd's own heartbeat: the bus probe; labd's loop
                               turns at least this often */
    int grace_ms;           /* bus silent longer than this: down */
    int stall_ms;           /* loop turns further apart than this: labd stalled */
    uint64_t last_turn_ms;
    uint64_t bus_rx_ms;     /* last message that came through the bus */
    uint64_t bus_back_ms;   /* when the bus last came back after being down */
    bool bus_down;          /* latched until the next message arrives */
} labd_liveness_t;

/* Sets the probe interval from the shortest child heartbeat
 * (MIN_HEARTBEAT_MS, 0 when no child has one) and TICK_MS, labd's longest
 * sleep between turns. NOW starts every clock. */
void labd_liveness_init (labd_liveness_t *self, int min_heartbeat_ms, int tick_ms, uint64_t now);

/* A loop turn at NOW. Returns how long labd stalled since the last turn (ms
 * the caller does not count against anybody), 0 when it did not. */
uint64_t labd_liveness_turn (labd_liveness_t *self, uint64_t now);

/* A message arrived through the bus at NOW. Returns how long the bus was
 * down (ms not to count; the caller also sends what waited for the bus),
 * 0 when it was up. */
uint64_t labd_liveness_bus_rx (labd_liveness_t *self, uint64_t now);

/* The broker is known to be gone (it exited): the bus is down from now. */
void labd_liveness_bus_lost (labd_liveness_t *self);

/* Is the bus carrying messages at NOW? Latches "down" until bus_rx. */
bool labd_liveness_bus_up (labd_liveness_t *self, uint64_t now);

#endif
