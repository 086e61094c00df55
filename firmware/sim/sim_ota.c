/* sim_ota - see sim_ota.h. The code follows esp_ota_ops.c of ESP-IDF v5.5
 * function by function; comments name what each part stands for. */
#include "firmware/sim/sim_ota.h"
#include "firmware/sim/app_image.h"
#include <string.h>

void
sim_ota_init (sim_ota_t *self, nor_flash_t *flash)
{
    memset (self, 0, sizeof *self);
    self->flash = flash;
}

static sim_ota_err_t
s_open (sim_ota_t *self, uint32_t part_addr, uint32_t part_size, uint32_t *handle)
{
    /* esp_ota_init_entry: a new handle; this model keeps only one open. */
    self->open = true;
    self->part_addr = part_addr;
    self->part_size = part_size;
    self->handle = ++self->last_handle;
    self->wrote_size = 0;
    self->need_erase = false;
    *handle = self->handle;
    return SIM_OTA_OK;
}

sim_ota_err_t
sim_ota_begin (sim_ota_t *self, uint32_t part_addr, uint32_t part_size, uint32_t image_size, uint32_t *handle)
{
    if (!handle || part_addr % NOR_FLASH_SECTOR || part_addr + part_size > nor_flash_size (self->flash))
        return SIM_OTA_ERR_INVALID_ARG;
    s_open (self, part_addr, part_size, handle);
    self->need_erase = image_size == SIM_OTA_SEQUENTIAL;
    if (image_size != SIM_OTA_SEQUENTIAL) {
        uint32_t erase = image_size == 0 || image_size == SIM_OTA_SIZE_UNKNOWN
                             ? part_size
                             : (image_size + NOR_FLASH_SECTOR - 1) & ~(NOR_FLASH_SECTOR - 1);
        if (erase > part_size || nor_flash_erase (self->flash, part_addr, erase))
            return SIM_OTA_ERR_FLASH;
    }
    return SIM_OTA_OK;
}

sim_ota_err_t
sim_ota_resume (sim_ota_t *self, uint32_t part_addr, uint32_t part_size, uint32_t erase_size, uint32_t image_offset,
                uint32_t *handle)
{
    if (!handle || image_offset > part_size || part_addr + part_size > nor_flash_size (self->flash))
        return SIM_OTA_ERR_INVALID_ARG;
    s_open (self, part_addr, part_size, handle);
    self->wrote_size = image_offset;
    self->need_erase = erase_size == SIM_OTA_SEQUENTIAL;
    return SIM_OTA_OK;
}

sim_ota_err_t
sim_ota_write (sim_ota_t *self, uint32_t handle, const void *data, size_t size)
{
    if (!data)
        return SIM_OTA_ERR_INVALID_ARG;
    if (!size)
        return SIM_OTA_OK;
    if (!self->open || handle != self->handle)
        return SIM_OTA_ERR_INVALID_ARG;          /* "not found the handle" */
    if (self->wrote_size + size > self->part_size)
        return SIM_OTA_ERR_FLASH;                /* esp_partition_write: out of the partition */
    if (self->need_erase) {
        uint32_t first = self->wrote_size / NOR_FLASH_SECTOR;
        uint32_t last = (uint32_t) ((self->wrote_size + size - 1) / NOR_FLASH_SECTOR);
        int rc = 0;
        if (self->wrote_size % NOR_FLASH_SECTOR == 0)
            rc = nor_flash_erase (self->flash, self->part_addr + self->wrote_size,
                                  (last - first + 1) * NOR_FLASH_SECTOR);
        else if (first != last)
            rc = nor_flash_erase (self->flash, self->part_addr + (first + 1) * NOR_FLASH_SECTOR,
                                  (last - first) * NOR_FLASH_SECTOR);
        if (rc)
            return SIM_OTA_ERR_FLASH;
    }
    if (self->wrote_size == 0 && ((const uint8_t *) data)[0] != APP_IMAGE_MAGIC)
        return SIM_OTA_ERR_VALIDATE;             /* "OTA image has invalid magic byte" */
    if (nor_flash_program (self->flash, self->part_addr + self->wrote_size, data, size))
        return SIM_OTA_ERR_FLASH;
    self->wrote_size += (uint32_t) size;
    return SIM_OTA_OK;
}

sim_ota_err_t
sim_ota_end (sim_ota_t *self, uint32_t handle)
{
    if (!self->open || handle != self->handle)
        return SIM_OTA_ERR_NOT_FOUND;
    self->open = false;                          /* LIST_REMOVE: gone whatever the outcome */
    self->why[0] = 0;
    if (self->wrote_size == 0)
        return SIM_OTA_ERR_INVALID_ARG;
    /* ota_verify_partition -> esp_image_verify over the staging partition. */
    const uint8_t *part = nor_flash_data (self->flash) + self->part_addr;
    if (app_image_verify (part, self->part_size, &self->image_len, self->why, sizeof self->why))
        return SIM_OTA_ERR_VALIDATE;
    return SIM_OTA_OK;
}

sim_ota_err_t
sim_ota_abort (sim_ota_t *self, uint32_t handle)
{
    if (!self->open || handle != self->handle)
        return SIM_OTA_ERR_NOT_FOUND;
    self->open = false;
    return SIM_OTA_OK;
}

void
sim_ota_reboot (sim_ota_t *self)
{
    self->open = false;
}
