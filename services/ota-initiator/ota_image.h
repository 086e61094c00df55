/* ota_image - the checks before a push: the file is inside the configured
 * image directory, is an ESP32 application image (image header magic 0xE9,
 * an esp_app_desc_t with magic 0xABCD5432, project name and version), fits
 * the OTA slot, and carries the OTA responder marker (else refused unless
 * forced: the board could not take the next OTA). */
#ifndef OTA_IMAGE_H
#define OTA_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *data;
    uint32_t size;
    char path[1024];          /* resolved */
    char version[33];
    char project[33];
    bool has_responder;
} ota_image_t;

/* Loads NAME (relative to DIR, or absolute but inside DIR). Returns 0, or -1
 * with a one-line reason in ERR. */
int ota_image_load (ota_image_t *img, const char *dir, const char *name, uint32_t slot_size,
                    bool force, char *err, size_t errlen);
void ota_image_free (ota_image_t *img);

/* The same checks on bytes in memory (fuzzed). */
int ota_image_check (ota_image_t *img, uint32_t slot_size, bool force, char *err, size_t errlen);

#endif
