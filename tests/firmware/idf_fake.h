/* idf_fake - a scriptable stand-in for the ESP-IDF functions the bench glue
 * calls, so host tests can run the glue: UART bytes in and out, ESP-NOW sends
 * and callbacks, a clock, OTA image state. */
#ifndef IDF_FAKE_H
#define IDF_FAKE_H

#include <stddef.h>
#include <stdint.h>
#include "esp_now.h"
#include "esp_ota_ops.h"

typedef struct {
    /* UART0: bytes the host sends (consumed by uart_read_bytes) and what
     * the board wrote. */
    uint8_t uart_in[4096];
    size_t uart_in_len, uart_in_pos;
    uint8_t uart_out[65536];
    size_t uart_out_len;
    /* ESP-NOW */
    esp_now_recv_cb_t recv_cb;
    esp_now_send_cb_t send_cb;
    int sends;
    uint8_t last_mac[6];
    uint8_t last_data[250];
    size_t last_len;
    int peers_added;
    uint8_t peers[8][6];
    int no_mem_left;             /* esp_now_send returns NO_MEM this many times */
    /* clock and OTA */
    int64_t now_us;
    esp_ota_img_states_t ota_state;
    int marked_valid;
    int restarts;
    /* OTA slot and NVS */
    uint8_t slot[256 * 1024];
    uint32_t slot_written;
    int ota_begun, ota_ended, boot_set;
    uint8_t nvs_blob[256];
    size_t nvs_len;
} idf_fake_t;

/* The one fake world (the functions it stands in for are global). */
extern idf_fake_t idf_fake;
void idf_fake_reset (void);
void idf_fake_uart_push (const void *data, size_t len);

#endif
