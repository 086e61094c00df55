/* bench - the ESP-IDF side of the bench firmware: the board_core's port
 * (UART0, ESP-NOW, clock, log, reboot) and the loop that feeds it.
 *
 * The core does the work; this file only moves bytes. ESP-NOW callbacks run
 * in the Wi-Fi task, so received frames go through a static queue to the
 * bench task, which alone calls into the core (the core is not thread-safe).
 * Sends go one at a time, each waiting for its send callback: ESP-NOW has a
 * small internal queue and bursts fail with ESP_ERR_ESPNOW_NO_MEM. */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include "board_core.h"
#include "ota_responder.h"
#include "esp_ota_ops.h"
#include "esp_err.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/semphr.h"

#define BENCH_UART_BAUD 921600
#define BENCH_WIFI_CHANNEL 1
#define BENCH_RX_QUEUE_LEN 16
#define BENCH_UART_EVENTS 20
/* The loop sleeps until a UART event or a radio frame arrives, or this long
 * at most (the core's timers: ACK delay, heartbeat, beacons). */
#define BENCH_IDLE_WAIT_MS 10u
/* Back-off after ESP_ERR_ESPNOW_NO_MEM. */
#define BENCH_NO_MEM_BACKOFF_MS 2u
/* The new image proves itself (and cancels the bootloader's rollback) once it
 * has heard a peer on the radio and stayed up this long. */
#define BENCH_CONFIRM_AFTER_MS 5000u

typedef struct {
    uint8_t src[6];
    int8_t rssi;
    uint8_t len;
    bool broadcast;                    /* des_addr was ff:ff:ff:ff:ff:ff */
    uint8_t data[250];
} bench_rx_t;

/* The responder's flash session on ESP-IDF (bench_ota.c). */
typedef struct {
    esp_ota_handle_t handle;
    bool open;
    const ota_sig_t *sig;              /* the lab's signature check (bench_sig.c) */
} bench_ota_t;

typedef struct {
    board_core_t core;
    QueueHandle_t uart_events;         /* the UART driver's event queue */
    QueueSetHandle_t wake;             /* uart_events + rx_queue: what the loop blocks on */
    QueueHandle_t rx_queue;
    StaticQueue_t rx_queue_buf;
    uint8_t rx_storage[BENCH_RX_QUEUE_LEN * sizeof (bench_rx_t)];
    SemaphoreHandle_t sent;            /* given by the send callback */
    StaticSemaphore_t sent_buf;
    volatile bool last_send_ok;        /* outcome reported by the latest send callback */
    /* ESP-NOW calls the send callback once per accepted frame, in order:
     * frame k is done when tx_done reaches k, whatever late or coalesced
     * semaphore gives are pending. */
    uint32_t tx_accepted;
    volatile uint32_t tx_done;
    uint32_t rx_dropped;               /* queue full in the Wi-Fi task */
    uint32_t send_timeouts;
    uint32_t uart_overflows;           /* RX FIFO or ring buffer overflowed: bytes lost */
    int paired;                        /* encrypted peers set up from NVS */
    bool confirmed;                    /* rollback cancelled (or not needed) */
    uint8_t uart_buf[256];
    ota_responder_t ota;               /* static: nothing allocated per chunk */
    bench_ota_t ota_io;
} bench_t;

/* Pairing, provisioned over USB into NVS namespace BENCH_PAIR_NS (never
 * over the air): "pmk" (16 bytes, the lab's ESP-NOW primary master key) and
 * "peers" (up to OTA_PAIRED_MAX records of MAC (6) + LMK (16)). Paired
 * boards are encrypted ESP-NOW peers and the only ones an OTA is taken
 * from. */
#define BENCH_PAIR_NS "labpair"
#define BENCH_PAIR_REC 22u

/* Brings up NVS, Wi-Fi (station, not connected), ESP-NOW, UART0 and the core,
 * then sends the boot report. */
esp_err_t bench_init (bench_t *self);
/* Plugs the OTA responder into the core (bench_ota.c). */
void bench_ota_init (bench_t *self);
/* SHA-256 and ECDSA P-256 verification against the lab's public key
 * (bench_sig.c on mbedTLS; the host tests link a libcrypto one). */
const ota_sig_t *bench_sig_init (void);
/* The responder's ota_flash_t on esp_ota_* and NVS, over the session IO
 * (bench_ota.c; host tests run the OTA core on it). */
void bench_ota_flash (bench_ota_t *io, ota_flash_t *out);
/* One turn of the loop: UART bytes in (waiting up to WAIT_MS), radio frames
 * in, core timers, rollback confirmation. */
void bench_step (bench_t *self, uint32_t wait_ms);
/* Milliseconds to FreeRTOS ticks, rounded up: pdMS_TO_TICKS truncates, and
 * at the default CONFIG_FREERTOS_HZ=100 anything under 10 ms would be 0
 * ticks, a wait that does not wait. Only 0 ms is 0 ticks. */
static inline TickType_t
bench_ticks (uint32_t ms)
{
    return (TickType_t) (((uint64_t) ms * configTICK_RATE_HZ + 999u) / 1000u);
}

/* What the bench task runs forever (bench_main.c). */
void bench_loop_once (bench_t *self);

#endif
