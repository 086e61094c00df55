/* lab_crc32 - bitwise-nibble CRC-32, small enough for the board: a 16-entry
 * table (64 bytes of flash) instead of 1 KB, two table steps per byte. */
#include "lab_crc32.h"

static const uint32_t s_nibble[16] = {
    0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4,
    0x4DB26158, 0x5005713C, 0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C,
    0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
};

uint32_t
lab_crc32 (uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *) data;
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        crc = (crc >> 4) ^ s_nibble[crc & 0x0F];
        crc = (crc >> 4) ^ s_nibble[crc & 0x0F];
    }
    return ~crc;
}
