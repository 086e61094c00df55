/* lab_crc32 - CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320), the same value
 * as zlib's crc32() and ESP-IDF's esp_rom_crc32_le(). It lives in the portable
 * core because the core must build freestanding for the board and unchanged in
 * labsim; host code that is not shared with the board uses zlib instead. A test
 * checks this against zlib. */
#ifndef LAB_CRC32_H
#define LAB_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continues CRC over LEN bytes; start with crc = 0. */
uint32_t lab_crc32 (uint32_t crc, const void *data, size_t len);

#endif
