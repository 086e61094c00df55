/* idf_fake - a scriptable stand-in for the ESP-IDF functions the bench glue
 * calls, so host tests can run the glue: UART bytes in and out, ESP-NOW sends
 * and callbacks, a clock, OTA image state. */
#ifndef IDF_FAKE_H
#define IDF_FAKE_H

#include <stddef.h>
#include <stdint.h>
#include "esp_now.h"
#include "esp_ota_ops.h"
#include "driver/uart.h"
#include "freertos/queue.h"
#include "firmware/sim/nor_flash.h"
#include "firmware/sim/sim_ota.h"

/* The board's flash as firmware/bench/partitions.csv lays it out (4 MB). */
#define IDF_FAKE_FLASH_SIZE (4u << 20)
#define IDF_FAKE_OTA0_ADDR 0x100000u
#define IDF_FAKE_OTA1_ADDR 0x280000u
#define IDF_FAKE_OTA_SIZE 0x180000u
#define IDF_FAKE_MAX_SETS 2
#define IDF_FAKE_SET_LEN 64
#define IDF_FAKE_UART_EVENTS 32

/* A FreeRTOS queue as the fake keeps it (semaphores and sets are queues). */
struct QueueDefinition {
    uint8_t *storage;
    UBaseType_t len, item, head, count;
    struct QueueDefinition *set;       /* the queue set this queue belongs to */
};

typedef struct {
    /* UART0: bytes the host sends (consumed by uart_read_bytes) and what
     * the board wrote. */
    uint8_t uart_in[4096];
    size_t uart_in_len, uart_in_pos;
    uint8_t uart_out[65536];
    size_t uart_out_len;
    QueueHandle_t uart_events;            /* the driver's event queue, once installed */
    uint64_t uart_event_storage[IDF_FAKE_UART_EVENTS * 3];
    int uart_events_lost;
    /* FreeRTOS: queue sets, and waits that came out as 0 ticks */
    struct QueueDefinition sets[IDF_FAKE_MAX_SETS];
    void *set_storage[IDF_FAKE_MAX_SETS][IDF_FAKE_SET_LEN];
    int sets_used;
    int zero_tick_waits;
    char zero_tick_where[200];            /* the first one */
    /* ESP-NOW */
    esp_now_recv_cb_t recv_cb;
    esp_now_send_cb_t send_cb;
    int sends;
    uint8_t last_mac[6];
    uint8_t last_data[250];
    size_t last_len;
    int peers_added;
    uint8_t peers[ESP_NOW_MAX_TOTAL_PEER_NUM][6];
    bool peer_encrypt[ESP_NOW_MAX_TOTAL_PEER_NUM];
    uint8_t peer_lmk[ESP_NOW_MAX_TOTAL_PEER_NUM][ESP_NOW_KEY_LEN];
    uint8_t pmk[ESP_NOW_KEY_LEN];
    bool pmk_set;
    int no_mem_left;             /* esp_now_send returns NO_MEM this many times */
    bool in_flight;              /* a frame the radio holds; its callback is due */
    int in_flight_status;        /* esp_now_send_status_t it will report */
    int next_send_fails;         /* this many next frames get no MAC-layer ACK */
    bool hold_send_cb;           /* a late callback: not delivered until released */
    int no_mem_returned;         /* sends refused because a frame was in flight */
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
    /* the lab's public key "built into the image" (a PEM file; see
     * bench_sig_host.c); empty: none, nothing verifies */
    char sig_pub_path[512];
    /* NVS: (namespace, key) -> blob; survives idf_fake_reboot */
    struct {
        char ns[16], key[16];
        uint8_t data[256];
        size_t len;
        bool used;
    } nvs[8];
    char nvs_open_ns[4][16];         /* handle h (1-based) -> namespace */
    bool nvs_open_rw[4];
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
/* The Wi-Fi task's turn: delivers the send callback of the frame in flight
 * (unless held). Runs whenever the bench task blocks. */
void idf_fake_wifi_task (void);
/* The spare slot's contents (ota_1). */
const uint8_t *idf_fake_slot (void);
/* What provisioning over USB leaves in NVS: the lab's PMK and the paired
 * boards (MAC + LMK) in namespace "labpair" (bench.h). */
void idf_fake_provision_pairing (const uint8_t pmk[16], const uint8_t (*macs)[6], const uint8_t (*lmks)[16], int n);
/* The blob under NS/KEY, its length in *LEN; NULL when absent. */
const uint8_t *idf_fake_nvs (const char *ns, const char *key, size_t *len);

#endif
