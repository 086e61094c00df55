/* idf_fake - a scriptable stand-in for the ESP-IDF functions the bench glue
 * calls, so host tests can run the glue: UART bytes in and out, ESP-NOW sends
 * and callbacks, a clock, OTA image state. */
#ifndef IDF_FAKE_H
#define IDF_FAKE_H

#include <stddef.h>
#include <stdint.h>
#include "esp_now.h"
#include "esp_ota_ops.h"
#include "firmware/sim/nor_flash.h"
#include "firmware/sim/sim_ota.h"

/* The board's flash as firmware/bench/partitions.csv lays it out (4 MB). */
#define IDF_FAKE_FLASH_SIZE (4u << 20)
#define IDF_FAKE_OTA0_ADDR 0x100000u
#define IDF_FAKE_OTA1_ADDR 0x280000u
#define IDF_FAKE_OTA_SIZE 0x180000u

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
    /* flash (NOR, see nor_flash.h), ESP-IDF's OTA write path over it, NVS */
    nor_flash_t *flash;
    sim_ota_t ota;
    int ota_begun, ota_resumed, ota_ended, boot_set;
    esp_err_t ota_end_rc;        /* what the last esp_ota_end returned */
    uint8_t nvs_blob[256];
    size_t nvs_len;
} idf_fake_t;

/* The one fake world (the functions it stands in for are global). */
extern idf_fake_t idf_fake;
/* A fresh board: flash erased except the spare slot ota_1, which holds an
 * older image (as on a board that took pushes before), so writes that skip
 * an erase corrupt what they write as they would on the chip. */
void idf_fake_reset (void);
/* The board restarted: RAM state (open OTA handles, queues) is gone; flash
 * and NVS stay. */
void idf_fake_reboot (void);
void idf_fake_uart_push (const void *data, size_t len);
/* The spare slot's contents (ota_1). */
const uint8_t *idf_fake_slot (void);

#endif
