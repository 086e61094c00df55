/* bench_port - board_port_t on ESP-IDF, and the ESP-NOW callbacks. */
#include "bench.h"
#include <string.h>
#include "driver/uart.h"
#include "driver/uart_vfs.h"
#include "esp_app_desc.h"
#include "esp_event.h"
#include "esp_log.h"
#include "esp_mac.h"
#include "esp_netif.h"
#include "esp_now.h"
#include "esp_ota_ops.h"
#include "esp_system.h"
#include "esp_timer.h"
#include "esp_wifi.h"
#include "freertos/task.h"
#include "nvs.h"
#include "nvs_flash.h"

static const char *TAG = "bench";

/* ESP-NOW callbacks carry no user context, so the one bench instance is
 * reachable through this pointer, set once in bench_init. */
static bench_t *s_bench;

static void
s_on_recv (const esp_now_recv_info_t *info, const uint8_t *data, int len)
{
    bench_t *self = s_bench;
    if (!self || !info || len <= 0 || len > (int) sizeof (((bench_rx_t *) 0)->data))
        return;
    bench_rx_t rx;
    memcpy (rx.src, info->src_addr, 6);
    rx.broadcast = info->des_addr && !memcmp (info->des_addr, board_broadcast_mac, 6);
    rx.rssi = (int8_t) info->rx_ctrl->rssi;
    rx.len = (uint8_t) len;
    memcpy (rx.data, data, (size_t) len);
    /* Never block the Wi-Fi task: a full queue drops and counts. */
    if (xQueueSend (self->rx_queue, &rx, 0) != pdTRUE)
        self->rx_dropped++;
}

static void
s_on_sent (const esp_now_send_info_t *tx_info, esp_now_send_status_t status)
{
    (void) tx_info;
    bench_t *self = s_bench;
    if (!self)
        return;
    self->last_send_ok = status == ESP_NOW_SEND_SUCCESS;
    self->tx_done++;
    xSemaphoreGive (self->sent);
}

static int
s_radio_send (void *ctx, const uint8_t mac[BOARD_MAC_LEN], const uint8_t *data, size_t len)
{
    bench_t *self = (bench_t *) ctx;
    if (!esp_now_is_peer_exist (mac)) {
        esp_now_peer_info_t peer = { 0 };
        memcpy (peer.peer_addr, mac, 6);
        peer.channel = 0;              /* the current channel */
        peer.ifidx = WIFI_IF_STA;
        peer.encrypt = false;
        if (esp_now_add_peer (&peer) != ESP_OK)
            return -1;
    }
    esp_err_t rc = esp_now_send (mac, data, len);
    for (int tries = 0; rc == ESP_ERR_ESPNOW_NO_MEM && tries < 5; tries++) {
        vTaskDelay (bench_ticks (BENCH_NO_MEM_BACKOFF_MS));
        rc = esp_now_send (mac, data, len);
    }
    if (rc != ESP_OK)
        return -1;
    /* One frame in flight: wait for its own callback before the next send.
     * A give can be stale (the late callback of a frame we stopped waiting
     * for), so the count decides, not the semaphore. */
    uint32_t mine = ++self->tx_accepted;
    TickType_t start = xTaskGetTickCount (), limit = bench_ticks (50);
    while ((int32_t) (self->tx_done - mine) < 0) {
        TickType_t spent = xTaskGetTickCount () - start;
        if (spent >= limit || xSemaphoreTake (self->sent, limit - spent) != pdTRUE) {
            self->send_timeouts++;
            return -1;
        }
    }
    return self->last_send_ok ? 0 : -1;
}

static void
s_uart_write (void *ctx, const uint8_t *data, size_t len)
{
    (void) ctx;
    /* One call per frame: the driver's lock keeps a frame contiguous even
     * when log lines are written from other tasks. */
    uart_write_bytes (UART_NUM_0, data, len);
}

static uint64_t
s_now_us (void *ctx)
{
    (void) ctx;
    return (uint64_t) esp_timer_get_time ();
}

static void
s_log (void *ctx, const char *line)
{
    (void) ctx;
    ESP_LOGI (TAG, "%s", line);
}

static void
s_reboot (void *ctx)
{
    (void) ctx;
    esp_restart ();
}

static const char *
s_reset_reason (void)
{
    switch (esp_reset_reason ()) {
        case ESP_RST_POWERON: return "poweron";
        case ESP_RST_EXT: return "ext";
        case ESP_RST_SW: return "sw";
        case ESP_RST_PANIC: return "panic";
        case ESP_RST_INT_WDT: return "int_wdt";
        case ESP_RST_TASK_WDT: return "task_wdt";
        case ESP_RST_WDT: return "wdt";
        case ESP_RST_DEEPSLEEP: return "deepsleep";
        case ESP_RST_BROWNOUT: return "brownout";
        default: return "unknown";
    }
}

static esp_err_t
s_nvs_init (void)
{
    esp_err_t rc = nvs_flash_init ();
    if (rc == ESP_ERR_NVS_NO_FREE_PAGES || rc == ESP_ERR_NVS_NEW_VERSION_FOUND) {
        /* The NVS layout changed (new IDF) or is full: start it afresh. */
        esp_err_t erc = nvs_flash_erase ();
        if (erc != ESP_OK)
            return erc;
        rc = nvs_flash_init ();
    }
    return rc;
}

/* Station mode, never connected: ESP-NOW only needs the radio up on a
 * fixed channel, and no power save so frames are not held back. */
static esp_err_t
s_wifi_init (void)
{
    esp_err_t rc;
    if ((rc = esp_netif_init ()) != ESP_OK || (rc = esp_event_loop_create_default ()) != ESP_OK)
        return rc;
    wifi_init_config_t cfg = WIFI_INIT_CONFIG_DEFAULT ();
    if ((rc = esp_wifi_init (&cfg)) != ESP_OK || (rc = esp_wifi_set_storage (WIFI_STORAGE_RAM)) != ESP_OK
        || (rc = esp_wifi_set_mode (WIFI_MODE_STA)) != ESP_OK || (rc = esp_wifi_start ()) != ESP_OK
        || (rc = esp_wifi_set_ps (WIFI_PS_NONE)) != ESP_OK)
        return rc;
    return esp_wifi_set_channel (BENCH_WIFI_CHANNEL, WIFI_SECOND_CHAN_NONE);
}

/* UART0 carries the console and the link frames. Installing the driver and
 * pointing the console's VFS at it makes both go through one TX buffer; the
 * bench task is the only reader (nothing reads stdin), which avoids the
 * console-vs-uart_read_bytes fight. The driver's event queue tells the task
 * when bytes arrived, so it can sleep until then. */
static esp_err_t
s_uart_init (bench_t *self)
{
    uart_config_t cfg = {
        .baud_rate = BENCH_UART_BAUD,
        .data_bits = UART_DATA_8_BITS,
        .parity = UART_PARITY_DISABLE,
        .stop_bits = UART_STOP_BITS_1,
        .flow_ctrl = UART_HW_FLOWCTRL_DISABLE,
        .source_clk = UART_SCLK_DEFAULT,
    };
    esp_err_t rc = uart_driver_install (UART_NUM_0, 4096, 4096, BENCH_UART_EVENTS, &self->uart_events, 0);
    if (rc != ESP_OK)
        return rc;
    if ((rc = uart_param_config (UART_NUM_0, &cfg)) != ESP_OK)
        return rc;
    uart_vfs_dev_use_driver (UART_NUM_0);
    return ESP_OK;
}

/* One queue set over the UART events and the radio queue: the loop blocks
 * on it and wakes for whichever comes first. Its length is the sum of its
 * members' so it can never overflow (FreeRTOS asserts if it does). */
static esp_err_t
s_wake_init (bench_t *self)
{
    self->wake = xQueueCreateSet (BENCH_UART_EVENTS + BENCH_RX_QUEUE_LEN);
    if (!self->wake || xQueueAddToSet (self->uart_events, self->wake) != pdPASS
        || xQueueAddToSet (self->rx_queue, self->wake) != pdPASS)
        return ESP_ERR_NO_MEM;
    return ESP_OK;
}

/* The pairing provisioned over USB: the PMK, and each paired board as an
 * encrypted peer (its LMK) that may push OTA. Without it the board runs but
 * takes no OTA. */
static void
s_pair_init (bench_t *self)
{
    nvs_handle_t h;
    uint8_t pmk[ESP_NOW_KEY_LEN], recs[OTA_PAIRED_MAX * BENCH_PAIR_REC];
    size_t pmk_len = sizeof pmk, recs_len = sizeof recs;
    if (nvs_open (BENCH_PAIR_NS, NVS_READONLY, &h) != ESP_OK) {
        board_core_log (&self->core, "pairing: none provisioned; OTA pushes are refused");
        return;
    }
    esp_err_t rc = nvs_get_blob (h, "pmk", pmk, &pmk_len);
    if (rc == ESP_OK)
        rc = nvs_get_blob (h, "peers", recs, &recs_len);
    nvs_close (h);
    if (rc != ESP_OK || pmk_len != sizeof pmk || recs_len % BENCH_PAIR_REC || esp_now_set_pmk (pmk) != ESP_OK) {
        board_core_log (&self->core, "pairing: the provisioned keys are unreadable; OTA pushes are refused");
        return;
    }
    for (size_t off = 0; off < recs_len; off += BENCH_PAIR_REC) {
        esp_now_peer_info_t peer = { 0 };
        memcpy (peer.peer_addr, recs + off, 6);
        memcpy (peer.lmk, recs + off + 6, ESP_NOW_KEY_LEN);
        peer.channel = 0;
        peer.ifidx = WIFI_IF_STA;
        peer.encrypt = true;
        if (esp_now_add_peer (&peer) != ESP_OK || ota_responder_pair (&self->ota, peer.peer_addr)) {
            board_core_log (&self->core, "pairing: cannot add an encrypted peer (peer table full?)");
            continue;
        }
        self->paired++;
    }
}

esp_err_t
bench_init (bench_t *self)
{
    memset (self, 0, sizeof *self);
    s_bench = self;
    self->rx_queue = xQueueCreateStatic (BENCH_RX_QUEUE_LEN, sizeof (bench_rx_t), self->rx_storage,
                                         &self->rx_queue_buf);
    self->sent = xSemaphoreCreateBinaryStatic (&self->sent_buf);
    esp_err_t rc;
    if ((rc = s_nvs_init ()) != ESP_OK || (rc = s_uart_init (self)) != ESP_OK
        || (rc = s_wake_init (self)) != ESP_OK
        || (rc = s_wifi_init ()) != ESP_OK || (rc = esp_now_init ()) != ESP_OK
        || (rc = esp_now_register_recv_cb (s_on_recv)) != ESP_OK
        || (rc = esp_now_register_send_cb (s_on_sent)) != ESP_OK) {
        ESP_LOGE (TAG, "init failed: %s", esp_err_to_name (rc));
        return rc;
    }
    board_port_t port = {
        .ctx = self, .radio_send = s_radio_send, .uart_write = s_uart_write,
        .now_us = s_now_us, .log = s_log, .reboot = s_reboot,
    };
    board_info_t info = { .channel = BENCH_WIFI_CHANNEL, .reset_reason = s_reset_reason () };
    if ((rc = esp_read_mac (info.mac, ESP_MAC_WIFI_STA)) != ESP_OK)
        return rc;
    const esp_app_desc_t *app = esp_app_get_description ();
    info.version = app->version;
    const esp_partition_t *running = esp_ota_get_running_partition ();
    info.partition = running ? running->label : "unknown";
    board_core_init (&self->core, &port, &info);
    bench_ota_init (self);
    s_pair_init (self);
    board_core_boot (&self->core);
    return ESP_OK;
}

/* A freshly pushed image runs in PENDING_VERIFY until it cancels the
 * rollback; it does so only after proving it can still hear the radio, so an
 * image that broke ESP-NOW (and with it the next OTA) is rolled back. */
static void
s_confirm (bench_t *self)
{
    if (self->confirmed)
        return;
    const board_stats_t *st = board_core_stats (&self->core);
    if (st->radio_rx == 0 || st->uptime_ms < BENCH_CONFIRM_AFTER_MS)
        return;
    esp_ota_img_states_t state;
    const esp_partition_t *running = esp_ota_get_running_partition ();
    if (running && esp_ota_get_state_partition (running, &state) == ESP_OK
        && state == ESP_OTA_IMG_PENDING_VERIFY) {
        if (esp_ota_mark_app_valid_cancel_rollback () == ESP_OK)
            board_core_log (&self->core, "ota: new image confirmed, rollback cancelled");
    }
    self->confirmed = true;
}

/* One UART event. Data: read everything buffered (an event may have been
 * dropped when the event queue was full, its bytes are still there).
 * Overflow: the driver lost bytes; the frame reader resynchronises, we
 * count it. */
static void
s_uart_event (bench_t *self)
{
    uart_event_t ev;
    if (xQueueReceive (self->uart_events, &ev, 0) != pdTRUE)
        return;
    if (ev.type == UART_FIFO_OVF || ev.type == UART_BUFFER_FULL) {
        self->uart_overflows++;
        uart_flush_input (UART_NUM_0);
        return;
    }
    if (ev.type != UART_DATA)
        return;
    int n;
    while ((n = uart_read_bytes (UART_NUM_0, self->uart_buf, sizeof self->uart_buf, 0)) > 0)
        board_core_uart_in (&self->core, self->uart_buf, (size_t) n);
}

void
bench_step (bench_t *self, uint32_t wait_ms)
{
    /* Exactly one item is taken from the member the set names, as FreeRTOS
     * requires of queue sets. */
    QueueSetMemberHandle_t who = xQueueSelectFromSet (self->wake, bench_ticks (wait_ms));
    if (who == self->uart_events)
        s_uart_event (self);
    else if (who == self->rx_queue) {
        bench_rx_t rx;
        if (xQueueReceive (self->rx_queue, &rx, 0) == pdTRUE)
            board_core_radio_in_to (&self->core, rx.src, rx.broadcast, rx.rssi, rx.data, rx.len);
    }
    board_core_poll (&self->core);
    s_confirm (self);
}

void
bench_loop_once (bench_t *self)
{
    bench_step (self, BENCH_IDLE_WAIT_MS);
}
