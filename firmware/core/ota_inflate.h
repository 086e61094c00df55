/* ota_inflate - streaming inflater for compressed OTA pushes.
 *
 * The host deflates the plain image in independent blocks (each a complete
 * zlib stream of OTA_DEFLATE_BLOCK plain bytes, the last one shorter; see
 * services/ota-initiator/ota_deflate.h and docs/ota-protocol.md) and sends
 * the concatenated streams in chunks. ota_inflate takes those chunks in
 * order, of any size and cut anywhere, and hands the plain image bytes, in
 * order, to a sink (the board writes them through the OTA API). Because
 * every block starts a fresh stream, a responder that rebooted resumes at
 * any block boundary: ota_inflate_start with that plain offset, then the
 * compressed bytes from the block's compressed offset.
 *
 * Checks, so that untrusted bytes never crash or overrun: each block's zlib
 * header and Adler-32; each block inflates to exactly its plain length (a
 * longer one is cut off and refused, so no "inflate bomb" can write past
 * the image); nothing may follow the last block. The CRC-32 and signature
 * over the plain image stay the end-to-end check.
 *
 * Static storage only, no heap: the caller owns one ota_inflate_t.
 *  - On the ESP32 (ESP_PLATFORM) it wraps the decompressor in ROM,
 *    tinfl_decompress from rom/miniz.h (miniz 9.1.15 as ESP-IDF v5.5
 *    components/esp_rom/include/esp32/rom/miniz.h declares it), with a
 *    tinfl_decompressor and its 32 KB dictionary as the wrapping output
 *    buffer: about 43 KB.
 *  - On the host and in labsim it wraps zlib's inflate; zlib allocates
 *    through zalloc, which here carves from an arena inside the struct
 *    (inflateReset between blocks reuses it), so no chunk allocates. */
#ifndef OTA_INFLATE_H
#define OTA_INFLATE_H

#include <stddef.h>
#include <stdint.h>

#if defined(ESP_PLATFORM)
#include "rom/miniz.h"
#else
#include <zlib.h>
#endif

/* Results. Errors are sticky until the next ota_inflate_start. */
#define OTA_INF_OK 0             /* all input taken, more expected */
#define OTA_INF_DONE 1           /* the whole image was emitted and checked */
#define OTA_INF_EDATA (-1)       /* not a valid stream: bad header, data, Adler-32, trailing bytes */
#define OTA_INF_ESIZE (-2)       /* a block inflated to more or less than its plain length */
#define OTA_INF_ESINK (-3)       /* the sink refused the bytes (flash write failed) */
#define OTA_INF_EMEM (-4)        /* the decompressor's static memory was not enough */
#define OTA_INF_ESTATE (-5)      /* bad arguments, or fed after an error or the end */

#define OTA_INF_BUF 4096u        /* host: plain bytes handed to the sink at a time */
#define OTA_INF_ARENA 49152u     /* host: zlib's state (~7 KB) and 32 KB window */

/* Takes LEN plain bytes that follow the previous ones; 0 when written. */
typedef int (*ota_inflate_sink_t) (void *ctx, const uint8_t *data, size_t len);

typedef struct {
    uint32_t blocks;             /* blocks inflated and checked */
    uint32_t in_bytes;           /* compressed bytes taken */
    uint32_t errors;             /* streams refused (any OTA_INF_E*) */
} ota_inflate_stats_t;

typedef struct {
    ota_inflate_sink_t sink;
    void *ctx;
    uint32_t image_size, block_size;
    uint32_t plain;              /* plain bytes emitted: the offset in the image */
    uint32_t block_plain;        /* of those, in the current block */
    uint32_t block_in;           /* compressed bytes taken of the current block */
    int status;                  /* OTA_INF_OK while running */
    ota_inflate_stats_t stats;
#if defined(ESP_PLATFORM)
    tinfl_decompressor tinfl;
    uint32_t dict_ofs;
    uint8_t dict[TINFL_LZ_DICT_SIZE];
#else
    z_stream z;
    int z_ready;
    size_t arena_used;
    uint8_t out[OTA_INF_BUF];
    _Alignas (16) uint8_t arena[OTA_INF_ARENA];
#endif
} ota_inflate_t;

/* Sets SELF up to emit plain bytes to SINK. */
void ota_inflate_init (ota_inflate_t *self, ota_inflate_sink_t sink, void *ctx);
/* Begins inflating an image of IMAGE_SIZE plain bytes deflated in blocks
 * of BLOCK_SIZE plain bytes (a multiple of 4096), at plain offset FROM: 0,
 * or a block boundary to resume there. OTA_INF_OK or OTA_INF_ESTATE. */
int ota_inflate_start (ota_inflate_t *self, uint32_t image_size, uint32_t block_size, uint32_t from);
/* Feeds the next LEN compressed bytes. OTA_INF_OK (wants more), OTA_INF_DONE
 * (image complete), or an error. */
int ota_inflate_feed (ota_inflate_t *self, const uint8_t *in, size_t len);
/* Plain bytes emitted so far, as an offset in the image. */
uint32_t ota_inflate_offset (const ota_inflate_t *self);
/* True when the next compressed byte starts a new block (nothing of the
 * current block taken yet) and no error happened: a point a responder can
 * resume from (ota_inflate_start at ota_inflate_offset). */
int ota_inflate_at_block_start (const ota_inflate_t *self);
/* A line for a result code. */
const char *ota_inflate_strerror (int rc);

#endif
