/* bus_clock - the lab's clocks: wall time for envelopes and logs,
 * monotonic time for every interval, deadline and latency. One definition,
 * so durations measured by different programs mean the same thing. */
#ifndef BUS_CLOCK_H
#define BUS_CLOCK_H

#include <stdint.h>

/* Wall clock in ns (CLOCK_REALTIME). */
uint64_t bus_now_ns (void);
/* Monotonic clock in ns (CLOCK_MONOTONIC). */
uint64_t bus_mono_ns (void);

#endif
