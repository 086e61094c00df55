/* tick_check - forced into every ESP-IDF glue source of the host build
 * (-include). FreeRTOS lets a port supply its own pdMS_TO_TICKS (projdefs.h
 * defines it only #ifndef); this one converts exactly as the kernel does at
 * the configured CONFIG_FREERTOS_HZ and lets the IDF fake record every
 * nonzero duration that came out as 0 ticks (2 ms at 100 Hz: a wait that
 * does not wait, a loop that spins). */
#ifndef TICK_CHECK_H
#define TICK_CHECK_H
#include <stdint.h>
uint32_t idf_fake_ms_to_ticks (uint64_t ms, const char *where);
#define TICK_CHECK_STR2(x) #x
#define TICK_CHECK_STR(x) TICK_CHECK_STR2 (x)
#define pdMS_TO_TICKS(ms) idf_fake_ms_to_ticks ((ms), __FILE__ ":" TICK_CHECK_STR (__LINE__))
#endif
