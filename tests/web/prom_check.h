/* prom_check - a strict checker of the Prometheus text exposition format
 * (version 0.0.4), used by the web tests on what /metrics serves. Stricter
 * than a scraper: no blank or free comment lines, HELP and TYPE exactly once
 * per family and before its samples, samples of a family contiguous, no
 * duplicate series, valid names, label escapes limited to \\ \" \n, counters
 * named *_total with values >= 0, and a final newline. */
#ifndef PROM_CHECK_H
#define PROM_CHECK_H

#include <stddef.h>

/* Returns the number of samples (>= 0) or -1 with "line N: why" in ERR. */
int prom_check (const char *text, char *err, size_t errlen);

/* The value of the sample written exactly as SERIES (e.g.
 * `labbus_board_crc_errors_total{board="a"}`), or -1 when absent. */
double prom_value (const char *text, const char *series);

#endif
