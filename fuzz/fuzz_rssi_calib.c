/* fuzz_rssi_calib - untrusted text as the rssi-ranger calibration file. */
#include "services/rssi-ranger/rssi_store.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = (char *) malloc (size + 1);
    memcpy (text, data, size);
    text[size] = 0;
    rssi_stored_t links[RSSI_LINKS_MAX];
    int bad;
    int n = rssi_store_parse (text, links, RSSI_LINKS_MAX, &bad);
    for (int i = 0; i < n; i++) {
        double lo, hi;
        rssi_interval (&links[i].calib, -60, 10, &lo, &hi);
    }
    free (text);
    return 0;
}
