/* sim_ota - ESP-IDF's OTA write path (esp_ota_begin/resume/write/end/abort)
 * over a nor_flash_t, with the real semantics, for the IDF fake and labsim.
 *
 * Follows ESP-IDF v5.5 components/app_update/esp_ota_ops.c:
 *  - esp_ota_begin(part, size): OTA_WITH_SEQUENTIAL_WRITES erases nothing
 *    now and sets need_erase; any other size erases the image's sectors (0 or
 *    OTA_SIZE_UNKNOWN: the whole partition) at once;
 *  - esp_ota_resume(part, erase_size, offset): wrote_size = offset and
 *    need_erase = (erase_size == OTA_WITH_SEQUENTIAL_WRITES) — any other
 *    erase_size erases nothing, neither now nor later;
 *  - esp_ota_write: with need_erase, erases the sectors the write enters
 *    (all of them when wrote_size is sector-aligned, else those after the
 *    current one); refuses a first byte other than 0xE9; then programs
 *    (NOR: AND) at wrote_size;
 *  - esp_ota_end: nothing written -> INVALID_ARG; esp_image_verify on the
 *    staged partition -> OTA_VALIDATE_FAILED; the handle is gone either way;
 *  - esp_ota_abort: forgets the handle.
 * A reboot loses every handle (they live in RAM): sim_ota_reboot. */
#ifndef SIM_OTA_H
#define SIM_OTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "firmware/sim/nor_flash.h"

#define SIM_OTA_SIZE_UNKNOWN 0xffffffffu        /* OTA_SIZE_UNKNOWN */
#define SIM_OTA_SEQUENTIAL 0xfffffffeu          /* OTA_WITH_SEQUENTIAL_WRITES */

typedef enum {
    SIM_OTA_OK = 0,
    SIM_OTA_ERR_INVALID_ARG,      /* ESP_ERR_INVALID_ARG */
    SIM_OTA_ERR_NOT_FOUND,        /* ESP_ERR_NOT_FOUND: unknown handle */
    SIM_OTA_ERR_VALIDATE,         /* ESP_ERR_OTA_VALIDATE_FAILED */
    SIM_OTA_ERR_FLASH,            /* ESP_ERR_FLASH_OP_FAIL */
} sim_ota_err_t;

typedef struct {
    nor_flash_t *flash;
    uint32_t part_addr, part_size;   /* the staging partition */
    bool open;                       /* one handle at a time: all the glue uses */
    uint32_t handle, last_handle;
    bool need_erase;
    uint32_t wrote_size;
    uint32_t image_len;              /* after a successful end */
    char why[96];                    /* why the last end failed validation */
} sim_ota_t;

void sim_ota_init (sim_ota_t *self, nor_flash_t *flash);
sim_ota_err_t sim_ota_begin (sim_ota_t *self, uint32_t part_addr, uint32_t part_size, uint32_t image_size,
                             uint32_t *handle);
sim_ota_err_t sim_ota_resume (sim_ota_t *self, uint32_t part_addr, uint32_t part_size, uint32_t erase_size,
                              uint32_t image_offset, uint32_t *handle);
sim_ota_err_t sim_ota_write (sim_ota_t *self, uint32_t handle, const void *data, size_t size);
sim_ota_err_t sim_ota_end (sim_ota_t *self, uint32_t handle);
sim_ota_err_t sim_ota_abort (sim_ota_t *self, uint32_t handle);
/* The board restarted: open handles are gone, the flash stays. */
void sim_ota_reboot (sim_ota_t *self);

#endif
