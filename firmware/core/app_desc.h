/* app_desc - what an ESP32 application image says it is: the
 * esp_app_desc_t at the start of its first segment.
 *
 * Layout (ESP-IDF v5.x, components/bootloader_support/include/
 * esp_app_format.h and components/esp_app_format/include/esp_app_desc.h):
 * a 24-byte esp_image_header_t (magic 0xE9, segment_count at byte 1), then
 * segments, each an 8-byte esp_image_segment_header_t (load_addr, data_len)
 * followed by data_len bytes. The linker places esp_app_desc_t first in
 * DROM, so it opens the first segment: magic_word 0xABCD5432,
 * secure_version, 2 reserved words, version[32], project_name[32],
 * time[16], date[16], idf_ver[32], app_elf_sha256[32], ... (256 bytes).
 *
 * One reader for everyone who needs the version of an image file (builder,
 * serial-bridge, labsim). Portable: no heap, no OS calls. */
#ifndef APP_DESC_H
#define APP_DESC_H

#include <stddef.h>
#include <stdint.h>

#define APP_DESC_IMAGE_MAGIC 0xE9u
#define APP_DESC_MAGIC 0xABCD5432u
/* Bytes from the start of an image that hold the whole description. */
#define APP_DESC_HEAD_LEN (24u + 8u + 256u)

typedef struct {
    char version[33];
    char project[33];
    char time[17];
    char date[17];
    char idf_ver[33];
} app_desc_t;

typedef enum {
    APP_DESC_OK = 0,
    APP_DESC_NOT_IMAGE,      /* no 0xE9 image header */
    APP_DESC_SEGMENTS,       /* segment count 0 or more than 16 */
    APP_DESC_SHORT,          /* first segment (or the data) too short for a description */
    APP_DESC_NO_DESC,        /* no esp_app_desc_t magic: an image, but not an application's */
    APP_DESC_UNREADABLE,     /* a string field not NUL-terminated or not printable; empty version */
} app_desc_err_t;

/* Reads the description from the first LEN bytes of an image (LEN >=
 * APP_DESC_HEAD_LEN holds it all). Returns APP_DESC_OK with OUT filled. */
app_desc_err_t app_desc_read (const uint8_t *data, size_t len, app_desc_t *out);

/* One line saying what went wrong, for an error message. */
const char *app_desc_strerror (app_desc_err_t err);

#endif
