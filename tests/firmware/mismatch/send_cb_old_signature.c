/* Must NOT compile: the send callback before ESP-IDF 5.4 took a MAC address;
 * it now takes esp_now_send_info_t. */
#include "esp_now.h"
static void on_sent (const uint8_t *mac, esp_now_send_status_t status) { (void) mac; (void) status; }
void register_it (void) { esp_now_register_send_cb (on_sent); }
