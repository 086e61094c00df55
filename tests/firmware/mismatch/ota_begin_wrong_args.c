/* Must NOT compile: esp_ota_begin takes the partition first. */
#include "esp_ota_ops.h"
void begin_it (const esp_partition_t *p) { esp_ota_handle_t h; esp_ota_begin (&h, p, 0); }
