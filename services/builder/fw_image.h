/* fw_image - what a firmware artefact is: its size, SHA-256 (libcrypto) and
 * the application description ESP-IDF puts in every app image.
 *
 * Layout (ESP-IDF components/bootloader_support/include/esp_app_format.h and
 * components/esp_app_format/include/esp_app_desc.h, v5.x): a 24-byte
 * esp_image_header_t (magic 0xE9, segment_count at byte 1), then segments,
 * each an 8-byte esp_image_segment_header_t (load_addr, data_len) followed by
 * data_len bytes. esp_app_desc_t sits at the start of the first segment's
 * data (the linker places it first in DROM): magic_word 0xABCD5432,
 * secure_version, 2 reserved words, version[32], project_name[32],
 * time[16], date[16], idf_ver[32], app_elf_sha256[32]. */
#ifndef FW_IMAGE_H
#define FW_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define FW_SHA256_HEX 65

typedef struct {
    uint64_t size;
    char sha256[FW_SHA256_HEX];   /* lower-case hex */
    char version[33];
    char project[33];
    char idf_ver[33];
    char built[40];               /* "date time" from the description */
} fw_image_info_t;

/* Reads the description from the image bytes DATA/LEN (size and sha256 are
 * left alone). Returns 0, or -1 with a one-line reason in ERR. */
int fw_image_describe (const uint8_t *data, size_t len, fw_image_info_t *info, char *err, size_t errlen);

/* The whole file: size, SHA-256 and description. Returns 0 or -1 (ERR). */
int fw_image_inspect (const char *path, fw_image_info_t *info, char *err, size_t errlen);

/* SHA-256 of PATH's bytes as hex into OUT. Returns 0 or -1. */
int fw_image_sha256_file (const char *path, char out[FW_SHA256_HEX], uint64_t *size);

#endif
