/* app_image - the ESP32 application image format as the bootloader and
 * esp_ota_end check it, for the simulators and tests: building well-formed
 * images and verifying staged ones.
 *
 * Layout (ESP-IDF v5.5 components/bootloader_support/include/esp_app_format.h,
 * checks from components/bootloader_support/src/esp_image_format.c,
 * esp_image_verify): a 24-byte esp_image_header_t (magic 0xE9, segment count
 * <= 16, chip id, hash_appended), segments of an 8-byte header (load address,
 * length, a multiple of 4) and data, then padding so that one checksum byte
 * (0xEF XOR every segment data byte) ends a 16-byte block, then, when
 * hash_appended is set, the SHA-256 of everything before it. An image
 * changed after it was built fails the checksum or the hash. */
#ifndef APP_IMAGE_H
#define APP_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define APP_IMAGE_MAGIC 0xE9u
#define APP_IMAGE_HDR 24u
#define APP_IMAGE_DATA_OFF 32u          /* header + one segment header */
#define APP_IMAGE_MIN 96u               /* smallest image app_image_init makes */

/* Lays out a one-segment image of exactly TOTAL bytes (a multiple of 16, at
 * least APP_IMAGE_MIN) in IMG: header and segment header. Returns how many
 * data bytes the caller may fill from APP_IMAGE_DATA_OFF, 0 when TOTAL does
 * not work. */
size_t app_image_init (uint8_t *img, size_t total);
/* Writes the checksum and the appended SHA-256 of IMG (laid out by
 * app_image_init, data filled in). */
void app_image_seal (uint8_t *img, size_t total);
/* Verifies the image at the start of IMG (AVAIL bytes readable: the
 * partition). 0 and its length in *LEN when valid; -1 and the reason in WHY
 * otherwise. */
int app_image_verify (const uint8_t *img, size_t avail, uint32_t *len, char *why, size_t whylen);

#endif
