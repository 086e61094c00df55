/* ota_payload - see ota_payload.h. */
#include "services/ota-initiator/ota_payload.h"
#include "lab_crc32.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ota_payload_init (ota_payload_t *self, const uint8_t *image, uint32_t size, uint16_t session, const char *version)
{
    memset (self, 0, sizeof *self);
    self->image = (uint8_t *) malloc (size ? size : 1);
    memcpy (self->image, image, size);
    self->size = size;
    self->total = ota_chunks (size, OTA_CHUNK_MAX);
    self->crc = lab_crc32 (0, image, size);
    self->session = session;
    snprintf (self->version, sizeof self->version, "%s", version);
}

void
ota_payload_free (ota_payload_t *self)
{
    free (self->image);
    free (self->stream);
    free (self->starts);
    memset (self, 0, sizeof *self);
}

int
ota_payload_set_stream (ota_payload_t *self, const uint8_t *stream, uint32_t len, const uint32_t *starts,
                        uint32_t nchunks, uint8_t block_shift)
{
    if (!stream || !starts || !nchunks || starts[0] != 0 || starts[nchunks] != len
        || block_shift < OTA_BLOCK_SHIFT_MIN || block_shift > OTA_BLOCK_SHIFT_MAX || self->stream)
        return -1;
    for (uint32_t i = 0; i < nchunks; i++)
        if (starts[i + 1] <= starts[i] || starts[i + 1] - starts[i] > OTA_CHUNK_MAX)
            return -1;
    self->stream = (uint8_t *) malloc (len);
    self->starts = (uint32_t *) malloc ((nchunks + 1) * sizeof (uint32_t));
    memcpy (self->stream, stream, len);
    memcpy (self->starts, starts, (nchunks + 1) * sizeof (uint32_t));
    self->stream_len = len;
    self->block_shift = block_shift;
    self->total = nchunks;
    return 0;
}

void
ota_payload_begin (const ota_payload_t *self, ota_msg_t *m)
{
    *m = (ota_msg_t) { .op = OTA_OP_BEGIN, .session = self->session, .size = self->size, .crc32 = self->crc,
                       .chunk = OTA_CHUNK_MAX };
    memcpy (m->version, self->version, sizeof m->version);
    if (self->stream) {
        m->flags = OTA_BEGIN_DEFLATE;
        m->zchunks = self->total;
        m->zsize = self->stream_len;
        m->block_shift = self->block_shift;
    }
}

void
ota_payload_chunk (const ota_payload_t *self, uint32_t seq, ota_msg_t *m)
{
    *m = (ota_msg_t) { .op = OTA_OP_CHUNK, .session = self->session, .seq = seq };
    if (self->stream) {
        m->data = self->stream + self->starts[seq];
        m->data_len = (uint16_t) (self->starts[seq + 1] - self->starts[seq]);
    }
    else {
        m->data = self->image + (size_t) seq * OTA_CHUNK_MAX;
        m->data_len = (uint16_t) (seq + 1 < self->total ? OTA_CHUNK_MAX : self->size - seq * OTA_CHUNK_MAX);
    }
}
