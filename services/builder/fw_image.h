/* fw_image - what a firmware artefact is: its size, SHA-256 (libcrypto) and
 * the application description ESP-IDF puts in every app image.
 * (firmware/core/app_desc.h reads the latter). */
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
