/* nor_flash - see nor_flash.h. The contents live in RAM or in a file mapped
 * shared, so a simulator's flash persists across its restarts; erase counts
 * live in RAM only (they describe this run). */
#include "firmware/sim/nor_flash.h"
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct _nor_flash_t {
    uint8_t *mem;
    uint32_t size;
    bool mapped;                 /* mem is a shared mapping of a file */
    uint32_t *erases;            /* per sector */
    uint32_t lost_bits_writes;
};

static nor_flash_t *
s_new (uint8_t *mem, uint32_t size, bool mapped)
{
    nor_flash_t *self = (nor_flash_t *) calloc (1, sizeof (nor_flash_t));
    self->mem = mem;
    self->size = size;
    self->mapped = mapped;
    self->erases = (uint32_t *) calloc (size / NOR_FLASH_SECTOR, sizeof (uint32_t));
    return self;
}

nor_flash_t *
nor_flash_new (uint32_t size)
{
    if (!size || size % NOR_FLASH_SECTOR)
        return NULL;
    uint8_t *mem = (uint8_t *) malloc (size);
    memset (mem, 0xff, size);
    return s_new (mem, size, false);
}

nor_flash_t *
nor_flash_open (const char *path, uint32_t size, char *err, size_t errlen)
{
    if (!size || size % NOR_FLASH_SECTOR) {
        snprintf (err, errlen, "flash size %u is not a multiple of the %u-byte sector", size, NOR_FLASH_SECTOR);
        return NULL;
    }
    int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    struct stat st;
    if (fd < 0 || fstat (fd, &st)) {
        snprintf (err, errlen, "cannot open the flash file %s: %s", path, strerror (errno));
        if (fd >= 0)
            close (fd);
        return NULL;
    }
    /* A new chip comes erased: a file of the wrong size starts over. */
    bool fresh = st.st_size != (off_t) size;
    if (fresh && (ftruncate (fd, 0) || ftruncate (fd, size))) {
        snprintf (err, errlen, "cannot size the flash file %s: %s", path, strerror (errno));
        close (fd);
        return NULL;
    }
    uint8_t *mem = (uint8_t *) mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close (fd);
    if (mem == MAP_FAILED) {
        snprintf (err, errlen, "cannot map the flash file %s: %s", path, strerror (errno));
        return NULL;
    }
    if (fresh)
        memset (mem, 0xff, size);
    return s_new (mem, size, true);
}

void
nor_flash_destroy (nor_flash_t **self_p)
{
    nor_flash_t *self = *self_p;
    if (!self)
        return;
    if (self->mapped)
        munmap (self->mem, self->size);
    else
        free (self->mem);
    free (self->erases);
    free (self);
    *self_p = NULL;
}

uint32_t
nor_flash_size (nor_flash_t *self)
{
    return self->size;
}

static bool
s_in_range (nor_flash_t *self, uint32_t off, size_t len)
{
    return off <= self->size && len <= self->size - off;
}

int
nor_flash_erase (nor_flash_t *self, uint32_t off, uint32_t len)
{
    if (off % NOR_FLASH_SECTOR || len % NOR_FLASH_SECTOR || !s_in_range (self, off, len))
        return -1;
    memset (self->mem + off, 0xff, len);
    for (uint32_t s = off / NOR_FLASH_SECTOR; s < (off + len) / NOR_FLASH_SECTOR; s++)
        self->erases[s]++;
    return 0;
}

int
nor_flash_program (nor_flash_t *self, uint32_t off, const void *data, size_t len)
{
    if (!s_in_range (self, off, len))
        return -1;
    const uint8_t *d = (const uint8_t *) data;
    bool lost = false;
    for (size_t i = 0; i < len; i++) {
        uint8_t now = self->mem[off + i] & d[i];
        lost |= now != d[i];
        self->mem[off + i] = now;
    }
    self->lost_bits_writes += lost;
    return 0;
}

int
nor_flash_read (nor_flash_t *self, uint32_t off, void *out, size_t len)
{
    if (!s_in_range (self, off, len))
        return -1;
    memcpy (out, self->mem + off, len);
    return 0;
}

const uint8_t *
nor_flash_data (nor_flash_t *self)
{
    return self->mem;
}

uint32_t
nor_flash_erase_count (nor_flash_t *self, uint32_t sector)
{
    return sector < self->size / NOR_FLASH_SECTOR ? self->erases[sector] : 0;
}

uint32_t
nor_flash_lost_bits_writes (nor_flash_t *self)
{
    return self->lost_bits_writes;
}
