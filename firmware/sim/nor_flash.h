/* nor_flash - the ESP32's SPI NOR flash as the chip behaves, for every host
 * test and simulator that writes "flash" (labsim's flash file, the IDF fake,
 * the OTA unit tests).
 *
 * What the chip does and this model does too: an erase works on whole 4 KB
 * sectors and sets every bit of them to 1 (0xFF); a program operation can
 * only clear bits, so what a sector holds afterwards is old AND new; reads
 * show exactly that. Writing over data that was not erased first therefore
 * corrupts it, as on the board. Erases are counted per sector so tests can
 * see which sectors were erased and how often (wear, double erases).
 * Sources: ESP-IDF v5.5 components/spi_flash/include/esp_flash.h
 * (esp_flash_erase_region: offset and length must be sector-aligned, else
 * ESP_ERR_INVALID_ARG), components/spi_flash/esp_flash_api.c. */
#ifndef NOR_FLASH_H
#define NOR_FLASH_H

#include <stddef.h>
#include <stdint.h>

#define NOR_FLASH_SECTOR 4096u

typedef struct _nor_flash_t nor_flash_t;

/* A chip of SIZE bytes (a multiple of the sector) in RAM, fully erased. */
nor_flash_t *nor_flash_new (uint32_t size);
/* A chip kept in the file PATH (created 0600 and fully erased when new or of
 * another size), so its contents survive a restart of the simulator. NULL
 * with a message in ERR on failure. */
nor_flash_t *nor_flash_open (const char *path, uint32_t size, char *err, size_t errlen);
void nor_flash_destroy (nor_flash_t **self_p);

uint32_t nor_flash_size (nor_flash_t *self);
/* Sets [OFF, OFF+LEN) to 0xFF. -1 unless both are sector-aligned and inside
 * the chip. */
int nor_flash_erase (nor_flash_t *self, uint32_t off, uint32_t len);
/* ANDs DATA into [OFF, OFF+LEN). -1 when out of range. */
int nor_flash_program (nor_flash_t *self, uint32_t off, const void *data, size_t len);
int nor_flash_read (nor_flash_t *self, uint32_t off, void *out, size_t len);
/* The chip's contents, read-only (what a memory-mapped read would see). */
const uint8_t *nor_flash_data (nor_flash_t *self);
/* How often sector SECTOR (index, not address) was erased since creation. */
uint32_t nor_flash_erase_count (nor_flash_t *self, uint32_t sector);
/* Program operations that tried to set a bit that was 0 (data lost). */
uint32_t nor_flash_lost_bits_writes (nor_flash_t *self);

#endif
