/* ota_inflate - streaming inflater for compressed OTA pushes (see the
 * header). The block bookkeeping is shared; s_run is the backend: ROM
 * tinfl on the ESP32, zlib on the host. */
#include "ota_inflate.h"
#include <string.h>

void
ota_inflate_init (ota_inflate_t *self, ota_inflate_sink_t sink, void *ctx)
{
    memset (self, 0, sizeof *self);
    self->sink = sink;
    self->ctx = ctx;
    self->status = OTA_INF_ESTATE;      /* until ota_inflate_start */
}

uint32_t
ota_inflate_offset (const ota_inflate_t *self)
{
    return self->plain;
}

int
ota_inflate_at_block_start (const ota_inflate_t *self)
{
    return self->status == OTA_INF_OK && self->block_plain == 0 && self->block_in == 0;
}

const char *
ota_inflate_strerror (int rc)
{
    switch (rc) {
    case OTA_INF_OK: return "ok";
    case OTA_INF_DONE: return "image complete";
    case OTA_INF_EDATA: return "corrupt compressed stream";
    case OTA_INF_ESIZE: return "a block inflated to the wrong length";
    case OTA_INF_ESINK: return "writing the plain image failed";
    case OTA_INF_EMEM: return "decompressor memory exhausted";
    case OTA_INF_ESTATE: return "inflater not started, or already finished or failed";
    default: return "unknown inflate result";
    }
}

/* Plain length of the block being inflated. */
static uint32_t
s_block_len (const ota_inflate_t *self)
{
    uint32_t start = self->plain - self->block_plain;
    uint32_t left = self->image_size - start;
    return left < self->block_size ? left : self->block_size;
}

static int
s_fail (ota_inflate_t *self, int rc)
{
    self->status = rc;
    self->stats.errors++;
    return rc;
}

/* Hands N plain bytes on, refusing any past the block's end. */
static int
s_emit (ota_inflate_t *self, const uint8_t *data, size_t n)
{
    if (n == 0)
        return OTA_INF_OK;
    if (n > s_block_len (self) - self->block_plain)
        return OTA_INF_ESIZE;
    if (self->sink (self->ctx, data, n) != 0)
        return OTA_INF_ESINK;
    self->plain += (uint32_t) n;
    self->block_plain += (uint32_t) n;
    return OTA_INF_OK;
}

/* A block's stream ended (its Adler-32 checked by the decompressor). */
static int
s_block_end (ota_inflate_t *self)
{
    if (self->block_plain != s_block_len (self))
        return OTA_INF_ESIZE;
    self->stats.blocks++;
    self->block_plain = 0;
    self->block_in = 0;
    return self->plain == self->image_size ? OTA_INF_DONE : OTA_INF_OK;
}

#if defined(ESP_PLATFORM)

static int
s_reset (ota_inflate_t *self)
{
    tinfl_init (&self->tinfl);
    self->dict_ofs = 0;
    return OTA_INF_OK;
}

/* tinfl as miniz's own streaming helpers drive it: the 32 KB dictionary
 * is the wrapping output buffer, input may stop anywhere
 * (TINFL_FLAG_HAS_MORE_INPUT), each stream is zlib-wrapped and its
 * Adler-32 checked. */
static int
s_run (ota_inflate_t *self, const uint8_t *in, size_t len)
{
    const mz_uint32 flags = TINFL_FLAG_PARSE_ZLIB_HEADER | TINFL_FLAG_HAS_MORE_INPUT | TINFL_FLAG_COMPUTE_ADLER32;
    for (;;) {
        size_t in_sz = len, out_sz = TINFL_LZ_DICT_SIZE - self->dict_ofs;
        tinfl_status st = tinfl_decompress (&self->tinfl, in, &in_sz, self->dict, self->dict + self->dict_ofs,
                                            &out_sz, flags);
        in += in_sz;
        len -= in_sz;
        self->stats.in_bytes += (uint32_t) in_sz;
        self->block_in += (uint32_t) in_sz;
        int rc = s_emit (self, self->dict + self->dict_ofs, out_sz);
        if (rc != OTA_INF_OK)
            return rc;
        self->dict_ofs = (self->dict_ofs + (uint32_t) out_sz) & (TINFL_LZ_DICT_SIZE - 1);
        if (st < TINFL_STATUS_DONE)
            return OTA_INF_EDATA;
        if (st == TINFL_STATUS_DONE) {
            rc = s_block_end (self);
            if (rc == OTA_INF_DONE)
                return len ? OTA_INF_EDATA : OTA_INF_DONE;
            if (rc != OTA_INF_OK)
                return rc;
            s_reset (self);
            if (len == 0)
                return OTA_INF_OK;
        } else if (st == TINFL_STATUS_NEEDS_MORE_INPUT && len == 0)
            return OTA_INF_OK;
        else if (in_sz == 0 && out_sz == 0 && st != TINFL_STATUS_HAS_MORE_OUTPUT)
            return OTA_INF_EDATA;    /* no progress possible: never spin */
    }
}

#else

/* zlib's allocator: a bump allocator over the struct's arena. zlib asks
 * once for its state and once for its window per stream setup; the
 * inflateReset between blocks keeps both. */
static voidpf
s_zalloc (voidpf opaque, uInt items, uInt size)
{
    ota_inflate_t *self = (ota_inflate_t *) opaque;
    size_t n = ((size_t) items * size + 15) & ~(size_t) 15;
    if (size && items > (size_t) -1 / size)
        return Z_NULL;
    if (n > sizeof self->arena - self->arena_used)
        return Z_NULL;
    void *p = self->arena + self->arena_used;
    self->arena_used += n;
    return p;
}

static void
s_zfree (voidpf opaque, voidpf p)
{
    (void) opaque; (void) p;    /* the arena is reused whole */
}

static int
s_reset (ota_inflate_t *self)
{
    if (self->z_ready)
        return inflateReset (&self->z) == Z_OK ? OTA_INF_OK : OTA_INF_EMEM;
    memset (&self->z, 0, sizeof self->z);
    self->arena_used = 0;
    self->z.zalloc = s_zalloc;
    self->z.zfree = s_zfree;
    self->z.opaque = self;
    if (inflateInit2 (&self->z, 15) != Z_OK)     /* zlib-wrapped, 32 KB window */
        return OTA_INF_EMEM;
    self->z_ready = 1;
    return OTA_INF_OK;
}

static int
s_run (ota_inflate_t *self, const uint8_t *in, size_t len)
{
    self->z.next_in = (Bytef *) (uintptr_t) in;
    self->z.avail_in = (uInt) len;
    for (;;) {
        uInt before = self->z.avail_in;
        self->z.next_out = self->out;
        self->z.avail_out = sizeof self->out;
        int zrc = inflate (&self->z, Z_NO_FLUSH);
        self->stats.in_bytes += before - self->z.avail_in;
        self->block_in += before - self->z.avail_in;
        int rc = s_emit (self, self->out, sizeof self->out - self->z.avail_out);
        if (rc != OTA_INF_OK)
            return rc;
        if (zrc == Z_STREAM_END) {
            rc = s_block_end (self);
            if (rc == OTA_INF_DONE)
                return self->z.avail_in ? OTA_INF_EDATA : OTA_INF_DONE;
            if (rc != OTA_INF_OK)
                return rc;
            const Bytef *rest = self->z.next_in;
            uInt restn = self->z.avail_in;
            if ((rc = s_reset (self)) != OTA_INF_OK)
                return rc;
            self->z.next_in = (Bytef *) (uintptr_t) rest;
            self->z.avail_in = restn;
            if (restn == 0)
                return OTA_INF_OK;
            continue;
        }
        if (zrc == Z_MEM_ERROR)
            return OTA_INF_EMEM;
        if (zrc != Z_OK && zrc != Z_BUF_ERROR)
            return OTA_INF_EDATA;                 /* Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR */
        if (self->z.avail_in == 0 && self->z.avail_out != 0)
            return OTA_INF_OK;                    /* everything taken, nothing pending */
        if (zrc == Z_BUF_ERROR)
            return OTA_INF_EDATA;                 /* no progress possible: never spin */
    }
}

#endif

int
ota_inflate_start (ota_inflate_t *self, uint32_t image_size, uint32_t block_size, uint32_t from)
{
    if (!self->sink || image_size == 0 || block_size == 0 || block_size % 4096 || from % block_size
        || from >= image_size)
        return s_fail (self, OTA_INF_ESTATE);
    self->image_size = image_size;
    self->block_size = block_size;
    self->plain = from;
    self->block_plain = 0;
    self->block_in = 0;
    self->status = s_reset (self);
    if (self->status != OTA_INF_OK)
        self->stats.errors++;
    return self->status;
}

int
ota_inflate_feed (ota_inflate_t *self, const uint8_t *in, size_t len)
{
    if (self->status == OTA_INF_DONE && len == 0)
        return OTA_INF_DONE;
    if (self->status != OTA_INF_OK)    /* bytes past the end are an error too */
        return self->status == OTA_INF_DONE ? s_fail (self, OTA_INF_EDATA) : self->status;
    if (len == 0)
        return OTA_INF_OK;
    int rc = s_run (self, in, len);
    if (rc < 0)
        return s_fail (self, rc);
    self->status = rc;
    return rc;
}
