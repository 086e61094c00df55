/* bench_ota - the OTA responder's flash and NVS on ESP-IDF: ota_flash_t
 * mapped one to one onto esp_ota_* and an NVS blob. */
#include "bench.h"
#include <string.h>
#include "esp_ota_ops.h"
#include "nvs.h"
#include "ota_image_marker.h"

/* Every image of this firmware carries the marker ota-initiator looks for:
 * it can take the next OTA over ESP-NOW. `used` keeps it in the image. */
__attribute__ ((used)) const char bench_ota_marker[] = OTA_RESPONDER_MARKER;

#define NVS_NS "labota"
#define NVS_KEY "progress"

static uint32_t
s_slot_size (void *ctx)
{
    (void) ctx;
    const esp_partition_t *next = esp_ota_get_next_update_partition (NULL);
    return next ? next->size : 0;
}

static int
s_begin (void *ctx, uint32_t image_size)
{
    bench_ota_t *self = (bench_ota_t *) ctx;
    (void) image_size;
    const esp_partition_t *next = esp_ota_get_next_update_partition (NULL);
    /* Sequential writes: the slot is erased sector by sector as data
     * arrives, never in one long erase that would trip the task watchdog. */
    if (!next || esp_ota_begin (next, OTA_WITH_SEQUENTIAL_WRITES, &self->handle) != ESP_OK)
        return -1;
    self->open = true;
    return 0;
}

static int
s_resume (void *ctx, uint32_t image_size, uint32_t offset)
{
    bench_ota_t *self = (bench_ota_t *) ctx;
    (void) image_size;
    const esp_partition_t *next = esp_ota_get_next_update_partition (NULL);
    /* erase_size must be OTA_WITH_SEQUENTIAL_WRITES: esp_ota_resume sets
     * need_erase only for that value (esp_ota_ops.c, v5.5), and esp_ota_write
     * then erases each sector it enters — the one it resumes in is left
     * alone, as it was erased before the reboot. Any other value (the image
     * size, say) erases nothing: the writes land on the older image still in
     * the slot, NOR flash can only clear bits, and esp_ota_end refuses the
     * result. */
    if (!next || esp_ota_resume (next, OTA_WITH_SEQUENTIAL_WRITES, offset, &self->handle) != ESP_OK)
        return -1;
    self->open = true;
    return 0;
}

static int
s_write (void *ctx, const uint8_t *data, size_t len)
{
    bench_ota_t *self = (bench_ota_t *) ctx;
    return self->open && esp_ota_write (self->handle, data, len) == ESP_OK ? 0 : -1;
}

static int
s_end (void *ctx)
{
    bench_ota_t *self = (bench_ota_t *) ctx;
    self->open = false;
    return esp_ota_end (self->handle) == ESP_OK ? 0 : -1;   /* validates the image */
}

static int
s_set_boot (void *ctx)
{
    (void) ctx;
    const esp_partition_t *next = esp_ota_get_next_update_partition (NULL);
    return next && esp_ota_set_boot_partition (next) == ESP_OK ? 0 : -1;
}

static void
s_abort (void *ctx)
{
    bench_ota_t *self = (bench_ota_t *) ctx;
    if (self->open)
        esp_ota_abort (self->handle);
    self->open = false;
}

static int
s_read (void *ctx, uint32_t off, void *buf, size_t len)
{
    (void) ctx;
    const esp_partition_t *next = esp_ota_get_next_update_partition (NULL);
    return next && esp_partition_read (next, off, buf, len) == ESP_OK ? 0 : -1;
}

static int
s_kv_get (void *ctx, void *buf, size_t len)
{
    (void) ctx;
    nvs_handle_t h;
    if (nvs_open (NVS_NS, NVS_READONLY, &h) != ESP_OK)
        return -1;
    size_t got = len;
    esp_err_t rc = nvs_get_blob (h, NVS_KEY, buf, &got);
    nvs_close (h);
    return rc == ESP_OK && got == len ? 0 : -1;
}

static int
s_kv_set (void *ctx, const void *buf, size_t len)
{
    (void) ctx;
    nvs_handle_t h;
    if (nvs_open (NVS_NS, NVS_READWRITE, &h) != ESP_OK)
        return -1;
    esp_err_t rc = nvs_set_blob (h, NVS_KEY, buf, len);
    if (rc == ESP_OK)
        rc = nvs_commit (h);
    nvs_close (h);
    return rc == ESP_OK ? 0 : -1;
}

void
bench_ota_flash (bench_ota_t *io, ota_flash_t *out)
{
    *out = (ota_flash_t) { io, s_slot_size, s_begin, s_resume, s_write, s_end, s_set_boot, s_abort,
                           s_kv_get, s_kv_set, s_read, io->sig };
}

void
bench_ota_init (bench_t *self)
{
    ota_flash_t flash;
    self->ota_io.sig = bench_sig_init ();
    bench_ota_flash (&self->ota_io, &flash);
    ota_responder_init (&self->ota, &self->core, &flash);
}
