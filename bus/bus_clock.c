/* bus_clock - clock_gettime in nanoseconds. No other dependency, so parsers
 * built alone (fuzz targets) can use it too. */
#include "bus/bus_clock.h"
#include <time.h>

uint64_t
bus_now_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

uint64_t
bus_mono_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}
