/* idf_fake - see idf_fake.h. Queues and semaphores are real (a ring buffer
 * and a counter) because the glue's correctness depends on them. */
#include "tests/firmware/idf_fake.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "driver/uart.h"
#include "driver/uart_vfs.h"
#include "esp_app_desc.h"
#include "esp_event.h"
#include "esp_log.h"
#include "esp_mac.h"
#include "esp_netif.h"
#include "esp_system.h"
#include "esp_timer.h"
#include "esp_wifi.h"
#include "freertos/semphr.h"
#include "freertos/task.h"
#include "nvs.h"
#include "nvs_flash.h"
#include "firmware/sim/app_image.h"

idf_fake_t idf_fake;

static BaseType_t s_queue_put (QueueHandle_t q, const void *item);

void
idf_fake_reset (void)
{
    nor_flash_destroy (&idf_fake.flash);
    memset (&idf_fake, 0, sizeof idf_fake);
    idf_fake.now_us = 1000;
    idf_fake.ota_state = ESP_OTA_IMG_VALID;
    idf_fake.flash = nor_flash_new (IDF_FAKE_FLASH_SIZE);
    sim_ota_init (&idf_fake.ota, idf_fake.flash);
    /* An older image in the spare slot: arbitrary bits, many of them 0. */
    static uint8_t old[IDF_FAKE_OTA_SIZE];
    uint32_t x = 0x9e3779b9u;
    for (size_t i = 0; i < sizeof old; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        old[i] = (uint8_t) x;
    }
    nor_flash_program (idf_fake.flash, IDF_FAKE_OTA1_ADDR, old, sizeof old);
}

void
idf_fake_reboot (void)
{
    sim_ota_reboot (&idf_fake.ota);
    idf_fake.restarts++;
}

const uint8_t *
idf_fake_slot (void)
{
    return nor_flash_data (idf_fake.flash) + IDF_FAKE_OTA1_ADDR;
}

/* The UART driver's RX interrupt: bytes into the ring buffer, a UART_DATA
 * event (with how many arrived) into the event queue. */
void
idf_fake_uart_push (const void *data, size_t len)
{
    memcpy (idf_fake.uart_in + idf_fake.uart_in_len, data, len);
    idf_fake.uart_in_len += len;
    if (idf_fake.uart_events) {
        uart_event_t ev = { .type = UART_DATA, .size = len };
        if (s_queue_put (idf_fake.uart_events, &ev) != pdTRUE)
            idf_fake.uart_events_lost++;
    }
}

const char *esp_err_to_name (esp_err_t code) { return code == ESP_OK ? "ESP_OK" : "ESP_FAIL"; }
void
_esp_error_check_failed (esp_err_t rc, const char *file, int line, const char *function, const char *expression)
{
    fprintf (stderr, "ESP_ERROR_CHECK failed: %d at %s:%d %s %s\n", rc, file, line, function, expression);
    abort ();
}

/* --- FreeRTOS ----------------------------------------------------------
 * FreeRTOS-Kernel V10.5.1 as ESP-IDF v5.5 ships it (queue.c, tasks.c):
 * queues copy items in and out, a queue that belongs to a queue set posts
 * its handle to the set on every send, a blocking call waits the given
 * number of ticks at configTICK_RATE_HZ. The fake has one task, so a wait
 * that nobody can end just advances the clock by its ticks. */
static void
s_wait_ticks (TickType_t ticks, const char *what)
{
    idf_fake_wifi_task ();             /* the bench task blocks: the Wi-Fi task runs */
    if (ticks == 0 && !idf_fake.zero_tick_waits++)
        snprintf (idf_fake.zero_tick_where, sizeof idf_fake.zero_tick_where, "%s with 0 ticks", what);
    idf_fake.now_us += (int64_t) ticks * 1000000 / configTICK_RATE_HZ;
}

uint32_t
idf_fake_ms_to_ticks (uint64_t ms, const char *where)
{
    uint32_t ticks = (uint32_t) (ms * configTICK_RATE_HZ / 1000u);
    if (ms && !ticks && !idf_fake.zero_tick_waits++)
        snprintf (idf_fake.zero_tick_where, sizeof idf_fake.zero_tick_where,
                  "pdMS_TO_TICKS(%llu) = 0 ticks at %d Hz at %s", (unsigned long long) ms, configTICK_RATE_HZ, where);
    return ticks;
}

static void
s_queue_init (struct QueueDefinition *q, uint8_t *storage, UBaseType_t len, UBaseType_t item)
{
    *q = (struct QueueDefinition) { storage, len, item, 0, 0, NULL };
}

static BaseType_t
s_queue_put (QueueHandle_t q, const void *item)
{
    if (q->count == q->len)
        return pdFALSE;
    if (q->item && item)
        memcpy (q->storage + ((q->head + q->count) % q->len) * q->item, item, q->item);
    q->count++;
    if (q->set) {
        /* configASSERT in prvNotifyQueueSetContainer: the set never overflows
         * when its length is the sum of its members' lengths. */
        if (q->set->count == q->set->len)
            abort ();
        s_queue_put (q->set, &q);
    }
    return pdTRUE;
}

QueueHandle_t
xQueueCreateStatic (const UBaseType_t uxQueueLength, const UBaseType_t uxItemSize, uint8_t *pucQueueStorage,
                    StaticQueue_t *pxQueueBuffer)
{
    struct QueueDefinition *q = (struct QueueDefinition *) pxQueueBuffer;
    _Static_assert (sizeof (struct QueueDefinition) <= sizeof (StaticQueue_t), "queue fits");
    s_queue_init (q, pucQueueStorage, uxQueueLength, uxItemSize);
    return q;
}

BaseType_t
xQueueSend (QueueHandle_t q, const void *const item, TickType_t wait)
{
    (void) wait;     /* only ISR-like callers in the glue, which never wait */
    return s_queue_put (q, item);
}

BaseType_t
xQueueReceive (QueueHandle_t q, void *const out, TickType_t wait)
{
    if (!q->count) {
        if (wait)
            s_wait_ticks (wait, "xQueueReceive");
        return pdFALSE;
    }
    memcpy (out, q->storage + q->head * q->item, q->item);
    q->head = (q->head + 1) % q->len;
    q->count--;
    return pdTRUE;
}

BaseType_t
xQueueReset (QueueHandle_t q)
{
    q->head = q->count = 0;
    return pdPASS;
}

QueueSetHandle_t
xQueueCreateSet (const UBaseType_t len)
{
    if (idf_fake.sets_used == IDF_FAKE_MAX_SETS)
        return NULL;
    int i = idf_fake.sets_used++;
    s_queue_init (&idf_fake.sets[i], (uint8_t *) idf_fake.set_storage[i], len < IDF_FAKE_SET_LEN ? len : IDF_FAKE_SET_LEN,
                  sizeof (QueueSetMemberHandle_t));
    return &idf_fake.sets[i];
}

/* queue.c: only an empty queue that is in no set can be added. */
BaseType_t
xQueueAddToSet (QueueSetMemberHandle_t member, QueueSetHandle_t set)
{
    if (member->set || member->count)
        return pdFAIL;
    member->set = set;
    return pdPASS;
}

QueueSetMemberHandle_t
xQueueSelectFromSet (QueueSetHandle_t set, const TickType_t wait)
{
    QueueSetMemberHandle_t member = NULL;
    if (!set->count) {
        s_wait_ticks (wait, "xQueueSelectFromSet");
        return NULL;
    }
    xQueueReceive (set, &member, 0);
    return member;
}

SemaphoreHandle_t
xSemaphoreCreateBinaryStatic (StaticSemaphore_t *buf)
{
    struct QueueDefinition *q = (struct QueueDefinition *) buf;
    s_queue_init (q, NULL, 1, 0);
    return q;
}

BaseType_t
xSemaphoreGive (SemaphoreHandle_t s)
{
    return s_queue_put (s, NULL);
}

BaseType_t
xSemaphoreTake (SemaphoreHandle_t s, TickType_t wait)
{
    if (!s->count && wait)
        idf_fake_wifi_task ();         /* blocking: the Wi-Fi task may give it meanwhile */
    if (!s->count) {
        s_wait_ticks (wait, "xSemaphoreTake");
        return pdFALSE;
    }
    s->count = 0;
    return pdTRUE;
}

BaseType_t
xTaskCreate (TaskFunction_t fn, const char *const name, const uint32_t stack, void *const arg,
             UBaseType_t prio, TaskHandle_t *const out)
{
    (void) fn; (void) name; (void) stack; (void) arg; (void) prio; (void) out;
    return pdPASS;
}

/* tasks.c: vTaskDelay(0) only yields. */
void vTaskDelay (const TickType_t ticks) { s_wait_ticks (ticks, "vTaskDelay"); }
TickType_t xTaskGetTickCount (void) { return (TickType_t) (idf_fake.now_us * configTICK_RATE_HZ / 1000000); }

/* --- system ------------------------------------------------------------ */
void
esp_log_write (esp_log_level_t level, const char *tag, const char *format, ...)
{
    (void) level;
    char line[300];
    int n = snprintf (line, sizeof line, "%s: ", tag);
    va_list ap;
    va_start (ap, format);
    vsnprintf (line + n, sizeof line - (size_t) n, format, ap);
    va_end (ap);
    size_t len = strlen (line);
    if (idf_fake.uart_out_len + len < sizeof idf_fake.uart_out) {
        memcpy (idf_fake.uart_out + idf_fake.uart_out_len, line, len);
        idf_fake.uart_out_len += len;
    }
}

int64_t esp_timer_get_time (void) { return idf_fake.now_us; }
void esp_restart (void) { idf_fake.restarts++; abort (); }
esp_reset_reason_t esp_reset_reason (void) { return ESP_RST_SW; }
esp_err_t
esp_read_mac (uint8_t *mac, esp_mac_type_t type)
{
    (void) type;
    static const uint8_t m[6] = { 0x24, 0x6f, 0x28, 0x01, 0x02, 0x03 };
    memcpy (mac, m, 6);
    return ESP_OK;
}
esp_err_t esp_event_loop_create_default (void) { return ESP_OK; }
esp_err_t esp_netif_init (void) { return ESP_OK; }
esp_err_t nvs_flash_init (void) { return ESP_OK; }
esp_err_t nvs_flash_erase (void) { return ESP_OK; }

const esp_app_desc_t *
esp_app_get_description (void)
{
    static esp_app_desc_t desc = { .magic_word = ESP_APP_DESC_MAGIC_WORD, .version = "1.4.2",
                                   .project_name = "labbench" };
    return &desc;
}

/* --- Wi-Fi and ESP-NOW ------------------------------------------------- */
esp_err_t esp_wifi_init (const wifi_init_config_t *config) { return config->magic == WIFI_INIT_CONFIG_MAGIC ? ESP_OK : ESP_FAIL; }
esp_err_t esp_wifi_set_mode (wifi_mode_t mode) { return mode == WIFI_MODE_STA ? ESP_OK : ESP_FAIL; }
esp_err_t esp_wifi_set_storage (wifi_storage_t storage) { (void) storage; return ESP_OK; }
esp_err_t esp_wifi_start (void) { return ESP_OK; }
esp_err_t esp_wifi_set_ps (wifi_ps_type_t type) { (void) type; return ESP_OK; }
esp_err_t esp_wifi_set_channel (uint8_t primary, wifi_second_chan_t second) { (void) second; return primary >= 1 && primary <= 14 ? ESP_OK : ESP_FAIL; }
esp_err_t esp_now_init (void) { return ESP_OK; }
esp_err_t esp_now_deinit (void) { return ESP_OK; }
esp_err_t esp_now_register_recv_cb (esp_now_recv_cb_t cb) { idf_fake.recv_cb = cb; return ESP_OK; }
esp_err_t esp_now_register_send_cb (esp_now_send_cb_t cb) { idf_fake.send_cb = cb; return ESP_OK; }

bool
esp_now_is_peer_exist (const uint8_t *mac)
{
    for (int i = 0; i < idf_fake.peers_added; i++)
        if (!memcmp (idf_fake.peers[i], mac, 6))
            return true;
    return false;
}

/* components/esp_wifi/include/esp_now.h (v5.5): at most
 * ESP_NOW_MAX_TOTAL_PEER_NUM (20) peers, of which at most
 * CONFIG_ESP_WIFI_ESPNOW_MAX_ENCRYPT_NUM (default 7) encrypted, else
 * ESP_ERR_ESPNOW_FULL; an existing peer is ESP_ERR_ESPNOW_EXIST; the
 * broadcast address cannot be an encrypted peer. */
esp_err_t
esp_now_add_peer (const esp_now_peer_info_t *peer)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    if (!peer)
        return ESP_ERR_ESPNOW_ARG;
    if (peer->encrypt && !memcmp (peer->peer_addr, bcast, 6))
        return ESP_ERR_ESPNOW_ARG;
    if (esp_now_is_peer_exist (peer->peer_addr))
        return ESP_ERR_ESPNOW_EXIST;
    int encrypted = 0;
    for (int i = 0; i < idf_fake.peers_added; i++)
        encrypted += idf_fake.peer_encrypt[i];
    if (idf_fake.peers_added == ESP_NOW_MAX_TOTAL_PEER_NUM
        || (peer->encrypt && encrypted == CONFIG_ESP_WIFI_ESPNOW_MAX_ENCRYPT_NUM))
        return ESP_ERR_ESPNOW_FULL;
    int i = idf_fake.peers_added++;
    memcpy (idf_fake.peers[i], peer->peer_addr, 6);
    idf_fake.peer_encrypt[i] = peer->encrypt;
    memcpy (idf_fake.peer_lmk[i], peer->lmk, ESP_NOW_KEY_LEN);
    return ESP_OK;
}

/* esp_now.h (v5.5): the primary master key, 16 bytes. */
esp_err_t
esp_now_set_pmk (const uint8_t *pmk)
{
    if (!pmk)
        return ESP_ERR_ESPNOW_ARG;
    memcpy (idf_fake.pmk, pmk, ESP_NOW_KEY_LEN);
    idf_fake.pmk_set = true;
    return ESP_OK;
}

/* esp_now.h (v5.5): the frame is queued and the send callback comes later,
 * from the Wi-Fi task, with the MAC-layer outcome; while the radio still
 * holds a frame, another send is ESP_ERR_ESPNOW_NO_MEM (the fake's queue is
 * one frame deep: the bench sends one frame at a time and must not burst).
 * The callback runs when the bench task blocks (the Wi-Fi task gets the
 * CPU), unless a test holds it back to play a late callback. */
esp_err_t
esp_now_send (const uint8_t *mac, const uint8_t *data, size_t len)
{
    if (len > ESP_NOW_MAX_DATA_LEN)
        return ESP_ERR_ESPNOW_ARG;
    if (!esp_now_is_peer_exist (mac))
        return ESP_ERR_ESPNOW_NOT_FOUND;
    if (idf_fake.no_mem_left > 0) {
        idf_fake.no_mem_left--;
        return ESP_ERR_ESPNOW_NO_MEM;
    }
    if (idf_fake.in_flight) {
        idf_fake.no_mem_returned++;
        return ESP_ERR_ESPNOW_NO_MEM;
    }
    idf_fake.sends++;
    memcpy (idf_fake.last_mac, mac, 6);
    memcpy (idf_fake.last_data, data, len);
    idf_fake.last_len = len;
    idf_fake.in_flight = true;
    idf_fake.in_flight_status = idf_fake.next_send_fails ? ESP_NOW_SEND_FAIL : ESP_NOW_SEND_SUCCESS;
    if (idf_fake.next_send_fails > 0)
        idf_fake.next_send_fails--;
    return ESP_OK;
}

void
idf_fake_wifi_task (void)
{
    if (!idf_fake.in_flight || idf_fake.hold_send_cb)
        return;
    idf_fake.in_flight = false;
    esp_now_send_info_t info = { .des_addr = idf_fake.last_mac };
    if (idf_fake.send_cb)
        idf_fake.send_cb (&info, idf_fake.in_flight_status);
}

/* --- UART -------------------------------------------------------------- */
/* uart.c (v5.5): with a queue size and a handle pointer, the driver creates
 * the event queue and hands it out. */
esp_err_t
uart_driver_install (uart_port_t uart_num, int rx, int tx, int queue_size, QueueHandle_t *q, int flags)
{
    (void) tx; (void) flags;
    if (uart_num != UART_NUM_0 || rx <= 128)
        return ESP_FAIL;
    if (queue_size > 0 && q) {
        if (queue_size > IDF_FAKE_UART_EVENTS)
            return ESP_ERR_NO_MEM;
        static struct QueueDefinition events;
        s_queue_init (&events, (uint8_t *) idf_fake.uart_event_storage, (UBaseType_t) queue_size, sizeof (uart_event_t));
        idf_fake.uart_events = &events;
        *q = &events;
    }
    return ESP_OK;
}

esp_err_t
uart_flush_input (uart_port_t uart_num)
{
    (void) uart_num;
    idf_fake.uart_in_pos = idf_fake.uart_in_len;
    return ESP_OK;
}
esp_err_t uart_param_config (uart_port_t uart_num, const uart_config_t *cfg) { (void) uart_num; return cfg->baud_rate > 0 ? ESP_OK : ESP_FAIL; }
void uart_vfs_dev_use_driver (int uart_num) { (void) uart_num; }

int
uart_write_bytes (uart_port_t uart_num, const void *src, size_t size)
{
    (void) uart_num;
    if (idf_fake.uart_out_len + size > sizeof idf_fake.uart_out)
        return -1;
    memcpy (idf_fake.uart_out + idf_fake.uart_out_len, src, size);
    idf_fake.uart_out_len += size;
    return (int) size;
}

int
uart_read_bytes (uart_port_t uart_num, void *buf, uint32_t length, uint32_t ticks)
{
    (void) uart_num;
    size_t avail = idf_fake.uart_in_len - idf_fake.uart_in_pos;
    if (!avail) {
        if (ticks)
            s_wait_ticks (ticks, "uart_read_bytes");
        return 0;
    }
    size_t n = avail < length ? avail : length;
    memcpy (buf, idf_fake.uart_in + idf_fake.uart_in_pos, n);
    idf_fake.uart_in_pos += n;
    return (int) n;
}

/* --- OTA ---------------------------------------------------------------
 * ESP-IDF v5.5, components/app_update/esp_ota_ops.c; the write path itself
 * is firmware/sim/sim_ota.c over the NOR flash model. Rollback is enabled
 * (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE=y in sdkconfig.defaults). */
static const esp_partition_t s_ota0 = { .type = ESP_PARTITION_TYPE_APP, .subtype = ESP_PARTITION_SUBTYPE_APP_OTA_0,
                                        .address = IDF_FAKE_OTA0_ADDR, .size = IDF_FAKE_OTA_SIZE,
                                        .erase_size = NOR_FLASH_SECTOR, .label = "ota_0" };
static const esp_partition_t s_ota1 = { .type = ESP_PARTITION_TYPE_APP, .subtype = ESP_PARTITION_SUBTYPE_APP_OTA_1,
                                        .address = IDF_FAKE_OTA1_ADDR, .size = IDF_FAKE_OTA_SIZE,
                                        .erase_size = NOR_FLASH_SECTOR, .label = "ota_1" };

static esp_err_t
s_ota_rc (sim_ota_err_t rc)
{
    switch (rc) {
        case SIM_OTA_OK: return ESP_OK;
        case SIM_OTA_ERR_INVALID_ARG: return ESP_ERR_INVALID_ARG;
        case SIM_OTA_ERR_NOT_FOUND: return ESP_ERR_NOT_FOUND;
        case SIM_OTA_ERR_VALIDATE: return ESP_ERR_OTA_VALIDATE_FAILED;
        default: return ESP_ERR_FLASH_OP_FAIL;
    }
}

/* esp_ota_ops.c v5.5: the running app (ota_0 here). */
const esp_partition_t *esp_ota_get_running_partition (void) { return &s_ota0; }

/* esp_ota_ops.c v5.5: the next OTA app partition after the running one. */
const esp_partition_t *
esp_ota_get_next_update_partition (const esp_partition_t *start_from)
{
    return start_from == &s_ota1 ? &s_ota0 : &s_ota1;
}

/* esp_ota_ops.c v5.5: the state recorded in otadata for the running app. */
esp_err_t
esp_ota_get_state_partition (const esp_partition_t *partition, esp_ota_img_states_t *state)
{
    if (!partition || !state)
        return ESP_ERR_INVALID_ARG;
    if (partition != &s_ota0)
        return ESP_ERR_NOT_FOUND;
    *state = idf_fake.ota_state;
    return ESP_OK;
}

/* esp_ota_ops.c v5.5: PENDING_VERIFY -> VALID. */
esp_err_t
esp_ota_mark_app_valid_cancel_rollback (void)
{
    idf_fake.marked_valid++;
    idf_fake.ota_state = ESP_OTA_IMG_VALID;
    return ESP_OK;
}

/* is_ota_partition + the running-partition conflict of esp_ota_begin and
 * esp_ota_resume (esp_ota_ops.c v5.5). */
static esp_err_t
s_ota_target (const esp_partition_t *partition)
{
    if (!partition)
        return ESP_ERR_INVALID_ARG;
    if (partition != &s_ota0 && partition != &s_ota1)
        return ESP_ERR_NOT_FOUND;           /* esp_partition_verify */
    if (partition == esp_ota_get_running_partition ())
        return ESP_ERR_OTA_PARTITION_CONFLICT;
    return ESP_OK;
}

/* esp_ota_ops.c v5.5 esp_ota_begin: refuses while the running app is still
 * PENDING_VERIFY (rollback enabled); SEQUENTIAL_WRITES erases as it goes,
 * any other size erases up front. */
esp_err_t
esp_ota_begin (const esp_partition_t *partition, size_t image_size, esp_ota_handle_t *out_handle)
{
    esp_err_t rc = out_handle ? s_ota_target (partition) : ESP_ERR_INVALID_ARG;
    if (rc != ESP_OK)
        return rc;
    if (idf_fake.ota_state == ESP_OTA_IMG_PENDING_VERIFY)
        return ESP_ERR_OTA_ROLLBACK_INVALID_STATE;
    idf_fake.ota_begun++;
    return s_ota_rc (sim_ota_begin (&idf_fake.ota, partition->address, partition->size, (uint32_t) image_size,
                                    out_handle));
}

/* esp_ota_ops.c v5.5 esp_ota_resume: need_erase only when ERASE_SIZE is
 * OTA_WITH_SEQUENTIAL_WRITES. */
esp_err_t
esp_ota_resume (const esp_partition_t *partition, const size_t erase_size, const size_t image_offset,
                esp_ota_handle_t *out_handle)
{
    esp_err_t rc = out_handle ? s_ota_target (partition) : ESP_ERR_INVALID_ARG;
    if (rc != ESP_OK)
        return rc;
    idf_fake.ota_resumed++;
    return s_ota_rc (sim_ota_resume (&idf_fake.ota, partition->address, partition->size, (uint32_t) erase_size,
                                     (uint32_t) image_offset, out_handle));
}

/* esp_ota_ops.c v5.5 esp_ota_write. */
esp_err_t
esp_ota_write (esp_ota_handle_t handle, const void *data, size_t size)
{
    return s_ota_rc (sim_ota_write (&idf_fake.ota, handle, data, size));
}

/* esp_ota_ops.c v5.5 esp_ota_end: esp_image_verify of the staged image. */
esp_err_t
esp_ota_end (esp_ota_handle_t handle)
{
    idf_fake.ota_ended++;
    idf_fake.ota_end_rc = s_ota_rc (sim_ota_end (&idf_fake.ota, handle));
    return idf_fake.ota_end_rc;
}

/* esp_ota_ops.c v5.5 esp_ota_abort. */
esp_err_t esp_ota_abort (esp_ota_handle_t handle) { return s_ota_rc (sim_ota_abort (&idf_fake.ota, handle)); }

/* components/esp_partition/partition_target.c v5.5 esp_partition_read:
 * offset past the end -> INVALID_ARG, range past the end -> INVALID_SIZE. */
esp_err_t
esp_partition_read (const esp_partition_t *p, size_t off, void *dst, size_t size)
{
    if (!p || !dst)
        return ESP_ERR_INVALID_ARG;
    if (off > p->size)
        return ESP_ERR_INVALID_ARG;
    if (size > p->size - off)
        return ESP_ERR_INVALID_SIZE;
    return nor_flash_read (idf_fake.flash, p->address + (uint32_t) off, dst, size) ? ESP_FAIL : ESP_OK;
}

/* esp_ota_ops.c v5.5 esp_ota_set_boot_partition: verifies the image again
 * (image_validate, ESP_IMAGE_VERIFY) before it touches otadata. */
esp_err_t
esp_ota_set_boot_partition (const esp_partition_t *p)
{
    if (p != &s_ota0 && p != &s_ota1)
        return ESP_ERR_INVALID_ARG;
    uint32_t len;
    char why[96];
    if (app_image_verify (nor_flash_data (idf_fake.flash) + p->address, p->size, &len, why, sizeof why))
        return ESP_ERR_OTA_VALIDATE_FAILED;
    idf_fake.boot_set++;
    return ESP_OK;
}

/* --- NVS ------------------------------------------------------------------
 * components/nvs_flash/src/nvs_api.cpp (v5.5): namespaces and keys at most
 * 15 characters; opening a namespace that does not exist read-only is
 * ESP_ERR_NVS_NOT_FOUND; a get with a buffer too small is
 * ESP_ERR_NVS_INVALID_LENGTH (with the length needed); writes through a
 * read-only handle are ESP_ERR_NVS_READ_ONLY. */
static int
s_nvs_find (const char *ns, const char *key)
{
    for (int i = 0; i < 8; i++)
        if (idf_fake.nvs[i].used && !strcmp (idf_fake.nvs[i].ns, ns) && (!key || !strcmp (idf_fake.nvs[i].key, key)))
            return i;
    return -1;
}

static const char *
s_nvs_ns (nvs_handle_t h)
{
    return h >= 1 && h <= 4 && idf_fake.nvs_open_ns[h - 1][0] ? idf_fake.nvs_open_ns[h - 1] : NULL;
}

esp_err_t
nvs_open (const char *ns, nvs_open_mode_t mode, nvs_handle_t *h)
{
    if (!ns || !h || strlen (ns) > 15)
        return ESP_ERR_INVALID_ARG;
    if (mode == NVS_READONLY && s_nvs_find (ns, NULL) < 0)
        return ESP_ERR_NVS_NOT_FOUND;
    for (int i = 0; i < 4; i++)
        if (!idf_fake.nvs_open_ns[i][0]) {
            snprintf (idf_fake.nvs_open_ns[i], sizeof idf_fake.nvs_open_ns[i], "%s", ns);
            idf_fake.nvs_open_rw[i] = mode != NVS_READONLY;
            *h = (nvs_handle_t) i + 1;
            return ESP_OK;
        }
    return ESP_ERR_NO_MEM;
}

void
nvs_close (nvs_handle_t h)
{
    if (s_nvs_ns (h))
        idf_fake.nvs_open_ns[h - 1][0] = 0;
}

esp_err_t nvs_commit (nvs_handle_t h) { return s_nvs_ns (h) ? ESP_OK : ESP_ERR_NVS_INVALID_HANDLE; }

esp_err_t
nvs_erase_key (nvs_handle_t h, const char *key)
{
    const char *ns = s_nvs_ns (h);
    if (!ns)
        return ESP_ERR_NVS_INVALID_HANDLE;
    int i = s_nvs_find (ns, key);
    if (i < 0)
        return ESP_ERR_NVS_NOT_FOUND;
    idf_fake.nvs[i].used = false;
    return ESP_OK;
}

esp_err_t
nvs_set_blob (nvs_handle_t h, const char *key, const void *value, size_t length)
{
    const char *ns = s_nvs_ns (h);
    if (!ns)
        return ESP_ERR_NVS_INVALID_HANDLE;
    if (!idf_fake.nvs_open_rw[h - 1])
        return ESP_ERR_NVS_READ_ONLY;
    if (!key || strlen (key) > 15)
        return ESP_ERR_INVALID_ARG;
    if (length > sizeof idf_fake.nvs[0].data)
        return ESP_ERR_NVS_NOT_ENOUGH_SPACE;
    int i = s_nvs_find (ns, key);
    for (int k = 0; i < 0 && k < 8; k++)
        if (!idf_fake.nvs[k].used)
            i = k;
    if (i < 0)
        return ESP_ERR_NVS_NOT_ENOUGH_SPACE;
    char nsbuf[16];
    snprintf (nsbuf, sizeof nsbuf, "%s", ns);
    memcpy (idf_fake.nvs[i].ns, nsbuf, sizeof nsbuf);
    snprintf (idf_fake.nvs[i].key, sizeof idf_fake.nvs[i].key, "%s", key);
    memcpy (idf_fake.nvs[i].data, value, length);
    idf_fake.nvs[i].len = length;
    idf_fake.nvs[i].used = true;
    return ESP_OK;
}

esp_err_t
nvs_get_blob (nvs_handle_t h, const char *key, void *out, size_t *length)
{
    const char *ns = s_nvs_ns (h);
    if (!ns)
        return ESP_ERR_NVS_INVALID_HANDLE;
    int i = s_nvs_find (ns, key);
    if (i < 0)
        return ESP_ERR_NVS_NOT_FOUND;
    if (!out) {
        *length = idf_fake.nvs[i].len;
        return ESP_OK;
    }
    if (*length < idf_fake.nvs[i].len) {
        *length = idf_fake.nvs[i].len;
        return ESP_ERR_NVS_INVALID_LENGTH;
    }
    memcpy (out, idf_fake.nvs[i].data, idf_fake.nvs[i].len);
    *length = idf_fake.nvs[i].len;
    return ESP_OK;
}

const uint8_t *
idf_fake_nvs (const char *ns, const char *key, size_t *len)
{
    int i = s_nvs_find (ns, key);
    if (i < 0)
        return NULL;
    *len = idf_fake.nvs[i].len;
    return idf_fake.nvs[i].data;
}

void
idf_fake_provision_pairing (const uint8_t pmk[16], const uint8_t (*macs)[6], const uint8_t (*lmks)[16], int n)
{
    nvs_handle_t h;
    uint8_t peers[4 * 22];
    for (int i = 0; i < n && i < 4; i++) {
        memcpy (peers + 22 * i, macs[i], 6);
        memcpy (peers + 22 * i + 6, lmks[i], 16);
    }
    nvs_open ("labpair", NVS_READWRITE, &h);
    nvs_set_blob (h, "pmk", pmk, 16);
    nvs_set_blob (h, "peers", peers, (size_t) (n < 4 ? n : 4) * 22);
    nvs_close (h);
}
