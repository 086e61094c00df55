/* ota_deflate - the image deflated in independent blocks (see the header). */
#include "services/ota-initiator/ota_deflate.h"
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct _ota_deflate_t {
    uint8_t *data;
    size_t size;
    uint32_t block;
    ota_deflate_block_t *blocks;
    size_t nblocks;
};

/* One block as a complete zlib stream appended at self->data + self->size. */
static int
s_block (ota_deflate_t *self, z_stream *z, const uint8_t *plain, size_t len, size_t cap)
{
    if (deflateReset (z) != Z_OK)
        return -1;
    z->next_in = (Bytef *) (uintptr_t) plain;
    z->avail_in = (uInt) len;
    z->next_out = self->data + self->size;
    z->avail_out = (uInt) (cap - self->size);
    if (deflate (z, Z_FINISH) != Z_STREAM_END)
        return -1;
    self->size = (size_t) (z->next_out - self->data);
    return 0;
}

ota_deflate_t *
ota_deflate_new (const uint8_t *image, size_t size, uint32_t block, int level)
{
    if (block == 0)
        block = OTA_DEFLATE_BLOCK;
    if (!image || size == 0 || size > UINT32_MAX || block % 4096 || level < 0 || level > 9)
        return NULL;
    ota_deflate_t *self = (ota_deflate_t *) calloc (1, sizeof *self);
    z_stream z;
    memset (&z, 0, sizeof z);
    if (!self || deflateInit2 (&z, level, Z_DEFLATED, 15, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        free (self);
        return NULL;
    }
    self->block = block;
    self->nblocks = (size + block - 1) / block;
    /* each block's bound, plus the stream overhead deflateBound adds per stream */
    size_t cap = 0;
    for (size_t off = 0; off < size; off += block)
        cap += deflateBound (&z, (uLong) (size - off < block ? size - off : block));
    self->data = (uint8_t *) malloc (cap);
    self->blocks = (ota_deflate_block_t *) calloc (self->nblocks, sizeof *self->blocks);
    int rc = self->data && self->blocks ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < self->nblocks; i++) {
        size_t off = i * block, len = size - off < block ? size - off : block;
        self->blocks[i].plain_off = (uint32_t) off;
        self->blocks[i].comp_off = (uint32_t) self->size;
        rc = s_block (self, &z, image + off, len, cap);
    }
    deflateEnd (&z);
    if (rc != 0)
        ota_deflate_destroy (&self);
    return self;
}

void
ota_deflate_destroy (ota_deflate_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->data);
    free ((*self_p)->blocks);
    free (*self_p);
    *self_p = NULL;
}

const uint8_t *
ota_deflate_data (const ota_deflate_t *self)
{
    return self->data;
}

size_t
ota_deflate_size (const ota_deflate_t *self)
{
    return self->size;
}

uint32_t
ota_deflate_block_size (const ota_deflate_t *self)
{
    return self->block;
}

size_t
ota_deflate_blocks (const ota_deflate_t *self)
{
    return self->nblocks;
}

ota_deflate_block_t
ota_deflate_block (const ota_deflate_t *self, size_t i)
{
    ota_deflate_block_t none = { 0, 0 };
    return i < self->nblocks ? self->blocks[i] : none;
}

ota_deflate_block_t
ota_deflate_resume_point (const ota_deflate_t *self, uint32_t plain_off)
{
    size_t i = plain_off / self->block;
    return ota_deflate_block (self, i < self->nblocks ? i : self->nblocks - 1);
}

uint32_t
ota_deflate_chunk_starts (const ota_deflate_t *self, uint32_t chunk_max, uint32_t **starts)
{
    *starts = NULL;
    if (!chunk_max)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < self->nblocks; i++) {
        size_t end = i + 1 < self->nblocks ? self->blocks[i + 1].comp_off : self->size;
        n += (end - self->blocks[i].comp_off + chunk_max - 1) / chunk_max;
    }
    uint32_t *s = (uint32_t *) malloc ((n + 1) * sizeof *s);
    if (!s)
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < self->nblocks; i++) {
        size_t end = i + 1 < self->nblocks ? self->blocks[i + 1].comp_off : self->size;
        for (size_t off = self->blocks[i].comp_off; off < end; off += chunk_max)
            s[k++] = (uint32_t) off;
    }
    s[k] = (uint32_t) self->size;
    *starts = s;
    return (uint32_t) n;
}
