/* rssi_store - calibrations on disk, one text file:
 *   link A B
 *   point DIST_M SAMPLES SUM SUMSQ
 * A malformed line is skipped and counted, never fatal. */
#ifndef RSSI_STORE_H
#define RSSI_STORE_H

#include "services/rssi-ranger/rssi_model.h"

#define RSSI_LINKS_MAX 16
#define RSSI_NAME_MAX 48

typedef struct {
    char a[RSSI_NAME_MAX], b[RSSI_NAME_MAX];   /* a < b */
    rssi_calib_t calib;
} rssi_stored_t;

/* Parses TEXT; returns the number of links, and the number of bad lines in *BAD. */
int rssi_store_parse (const char *text, rssi_stored_t *links, int max, int *bad);
int rssi_store_load (const char *path, rssi_stored_t *links, int max, int *bad);
int rssi_store_save (const char *path, const rssi_stored_t *links, int n);

#endif
