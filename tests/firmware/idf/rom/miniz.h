/* Stand-in for the part of ESP-IDF v5.5's rom/miniz.h
 * (components/esp_rom/include/esp32/rom/miniz.h: the miniz 9.1.15 tinfl
 * decompressor in the ESP32's ROM) that firmware/core/ota_inflate.c uses:
 * tinfl_decompress, its flags, status values, TINFL_LZ_DICT_SIZE and
 * tinfl_init. Written for the host compile check (tests/firmware-checks.sh
 * builds the core as the ESP-IDF build does, with ESP_PLATFORM); the real
 * decompressor state is larger, its size does not matter here. */
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef unsigned char mz_uint8;
typedef unsigned int mz_uint32;

enum {
    TINFL_FLAG_PARSE_ZLIB_HEADER = 1,
    TINFL_FLAG_HAS_MORE_INPUT = 2,
    TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF = 4,
    TINFL_FLAG_COMPUTE_ADLER32 = 8
};

#define TINFL_LZ_DICT_SIZE 32768

typedef enum {
    TINFL_STATUS_BAD_PARAM = -3,
    TINFL_STATUS_ADLER32_MISMATCH = -2,
    TINFL_STATUS_FAILED = -1,
    TINFL_STATUS_DONE = 0,
    TINFL_STATUS_NEEDS_MORE_INPUT = 1,
    TINFL_STATUS_HAS_MORE_OUTPUT = 2
} tinfl_status;

typedef struct tinfl_decompressor_tag {
    mz_uint32 m_state;
    mz_uint32 rest_of_the_state[2700];
} tinfl_decompressor;

#define tinfl_init(r) do { (r)->m_state = 0; } while (0)

tinfl_status tinfl_decompress (tinfl_decompressor *r, const mz_uint8 *pIn_buf_next, size_t *pIn_buf_size,
                               mz_uint8 *pOut_buf_start, mz_uint8 *pOut_buf_next, size_t *pOut_buf_size,
                               const mz_uint32 decomp_flags);
