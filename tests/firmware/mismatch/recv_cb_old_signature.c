/* Must NOT compile: the receive callback of ESP-IDF < 5.0 (mac, data, len).
 * tests/firmware-checks.sh proves the stand-in headers catch it. */
#include "esp_now.h"
static void on_recv (const uint8_t *mac, const uint8_t *data, int len) { (void) mac; (void) data; (void) len; }
void register_it (void) { esp_now_register_recv_cb (on_recv); }
