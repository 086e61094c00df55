/* ota_deflate - the host side of a compressed OTA push: the plain image
 * deflated (zlib, level 9, as esptool compresses images for flashing) in
 * independent blocks of a fixed plain size, each a complete zlib stream,
 * with the table of where each block starts in the plain image and in the
 * compressed stream.
 *
 * Independent blocks cost a little ratio (every block starts with an empty
 * dictionary and carries a 2-byte header and a 4-byte Adler-32) and buy
 * resumption: a responder that rebooted restarts inflating at any block
 * boundary (firmware/core/ota_inflate.h), so at most one block is sent
 * again. docs/ota-protocol.md gives the default block size and the
 * measured cost. */
#ifndef OTA_DEFLATE_H
#define OTA_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

/* Plain bytes per block: 8 flash sectors. */
#define OTA_DEFLATE_BLOCK 32768u

typedef struct {
    uint32_t plain_off;      /* where the block starts in the plain image */
    uint32_t comp_off;       /* where its stream starts in the compressed data */
} ota_deflate_block_t;

typedef struct _ota_deflate_t ota_deflate_t;

/* Deflates IMAGE (SIZE bytes) in blocks of BLOCK plain bytes (a multiple
 * of 4096; 0 for OTA_DEFLATE_BLOCK) at zlib LEVEL (0..9). NULL on bad
 * arguments or when zlib fails. */
ota_deflate_t *ota_deflate_new (const uint8_t *image, size_t size, uint32_t block, int level);
void ota_deflate_destroy (ota_deflate_t **self_p);
/* The compressed stream: the blocks' zlib streams, back to back. */
const uint8_t *ota_deflate_data (const ota_deflate_t *self);
size_t ota_deflate_size (const ota_deflate_t *self);
uint32_t ota_deflate_block_size (const ota_deflate_t *self);
size_t ota_deflate_blocks (const ota_deflate_t *self);
/* Block I (0 <= I < ota_deflate_blocks). */
ota_deflate_block_t ota_deflate_block (const ota_deflate_t *self, size_t i);
/* Where to resume for a responder that holds the first PLAIN_OFF plain
 * bytes: the block that contains PLAIN_OFF (the last block boundary at or
 * before it). */
ota_deflate_block_t ota_deflate_resume_point (const ota_deflate_t *self, uint32_t plain_off);
/* The stream cut into chunks of at most CHUNK_MAX bytes, each block starting
 * a new chunk (a block's last chunk may be short), so every block boundary
 * is a chunk boundary and a responder can resume at a chunk. Returns the
 * number of chunks N and sets *STARTS to N + 1 offsets (chunk i is
 * data[starts[i] .. starts[i + 1]); free() it); 0 on bad arguments. */
uint32_t ota_deflate_chunk_starts (const ota_deflate_t *self, uint32_t chunk_max, uint32_t **starts);

#endif
