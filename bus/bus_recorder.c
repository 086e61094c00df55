/* bus_recorder - append-only rotating record files (see bus_recorder.h). */
#include "bus/bus_recorder.h"
#include <czmq.h>
#include <errno.h>
#include <libgen.h>
#include <sys/stat.h>

#define REC_MAGIC "LBREC001"
#define REC_HEADER (4 + 8 + 2)
#define REC_MAX_LEN (64u << 20)

struct _bus_recorder_t {
    char *path;
    size_t max_size;
    int files;
    FILE *file;
    size_t size;         /* bytes in the current file */
    uint64_t total;
    bool failed;         /* an error was logged already */
};

static int
s_mkdirs (const char *path)
{
    char tmp[1024];
    snprintf (tmp, sizeof tmp, "%s", path);
    char *dir = dirname (tmp);
    char built[1024] = "";
    size_t used = 0;
    for (char *part = strtok (dir, "/"); part; part = strtok (NULL, "/")) {
        int w = snprintf (built + used, sizeof built - used, "%s%s",
                          (used || dir[0] == '/') ? "/" : "", part);
        if (w < 0 || (size_t) w >= sizeof built - used)
            return -1;
        used += (size_t) w;
        if (mkdir (built, 0755) && errno != EEXIST)
            return -1;
    }
    return 0;
}

static int
s_open (bus_recorder_t *self)
{
    self->file = fopen (self->path, "ab");
    if (!self->file)
        return -1;
    setvbuf (self->file, NULL, _IOFBF, 1 << 16);
    fseek (self->file, 0, SEEK_END);
    long pos = ftell (self->file);
    self->size = pos > 0 ? (size_t) pos : 0;
    if (self->size == 0) {
        fwrite (REC_MAGIC, 1, 8, self->file);
        self->size = 8;
    }
    return 0;
}

bus_recorder_t *
bus_recorder_new (const char *path, size_t max_size, int files, char *err, size_t errlen)
{
    assert (path);
    if (s_mkdirs (path)) {
        snprintf (err, errlen, "recorder: cannot create directory for %s: %s", path, strerror (errno));
        return NULL;
    }
    bus_recorder_t *self = (bus_recorder_t *) zmalloc (sizeof (bus_recorder_t));
    self->path = strdup (path);
    self->max_size = max_size < 4096 ? 4096 : max_size;
    self->files = files < 1 ? 1 : files;
    if (s_open (self)) {
        snprintf (err, errlen, "recorder: cannot open %s: %s", path, strerror (errno));
        bus_recorder_destroy (&self);
        return NULL;
    }
    return self;
}

void
bus_recorder_destroy (bus_recorder_t **self_p)
{
    assert (self_p);
    bus_recorder_t *self = *self_p;
    if (!self)
        return;
    if (self->file)
        fclose (self->file);
    free (self->path);
    free (self);
    *self_p = NULL;
}

static void
s_rotate (bus_recorder_t *self)
{
    fclose (self->file);
    self->file = NULL;
    char from[1100], to[1100];
    for (int i = self->files - 1; i >= 1; i--) {
        if (i == 1)
            snprintf (from, sizeof from, "%s", self->path);
        else
            snprintf (from, sizeof from, "%s.%d", self->path, i - 1);
        snprintf (to, sizeof to, "%s.%d", self->path, i);
        rename (from, to);
    }
    if (self->files == 1)
        unlink (self->path);
    s_open (self);
}

int
bus_recorder_write (bus_recorder_t *self, uint64_t ts_ns, const char *topic, size_t topic_len,
                    const void *body, size_t body_len)
{
    assert (self);
    if (topic_len > UINT16_MAX || body_len > REC_MAX_LEN)
        return -1;
    size_t rec = REC_HEADER + topic_len + body_len;
    if (self->file && self->size + rec > self->max_size && self->size > 8)
        s_rotate (self);
    if (!self->file) {
        if (!self->failed)
            zsys_error ("recorder: %s is not writable", self->path);
        self->failed = true;
        return -1;
    }
    uint8_t hdr[REC_HEADER];
    uint32_t len = (uint32_t) (rec - 4);
    uint16_t tlen = (uint16_t) topic_len;
    memcpy (hdr, &len, 4);
    memcpy (hdr + 4, &ts_ns, 8);
    memcpy (hdr + 12, &tlen, 2);
    if (fwrite (hdr, 1, sizeof hdr, self->file) != sizeof hdr
        || fwrite (topic, 1, topic_len, self->file) != topic_len
        || fwrite (body, 1, body_len, self->file) != body_len) {
        if (!self->failed)
            zsys_error ("recorder: write to %s failed: %s", self->path, strerror (errno));
        self->failed = true;
        return -1;
    }
    self->size += rec;
    self->total += rec;
    return 0;
}

void
bus_recorder_flush (bus_recorder_t *self)
{
    assert (self);
    if (self->file)
        fflush (self->file);
}

uint64_t
bus_recorder_bytes (bus_recorder_t *self)
{
    assert (self);
    return self->total;
}

/* Reads one file; returns records read or -1 if it does not exist. */
static long
s_read_file (const char *file, bus_recorder_fn *fn, void *arg, long *corrupt, bool *stop)
{
    FILE *f = fopen (file, "rb");
    if (!f)
        return -1;
    char magic[8];
    long count = 0;
    if (fread (magic, 1, 8, f) != 8 || memcmp (magic, REC_MAGIC, 8)) {
        (*corrupt)++;
        fclose (f);
        return 0;
    }
    uint8_t *buf = NULL;
    size_t cap = 0;
    while (!*stop) {
        uint32_t len;
        if (fread (&len, 1, 4, f) != 4)
            break;
        if (len < REC_HEADER - 4 || len > REC_MAX_LEN + 65535u + REC_HEADER) {
            (*corrupt)++;
            break;   /* lengths are unusable past a damaged record */
        }
        if (len > cap) {
            uint8_t *bigger = (uint8_t *) realloc (buf, len);
            if (!bigger)
                break;
            buf = bigger;
            cap = len;
        }
        if (fread (buf, 1, len, f) != len) {
            (*corrupt)++;   /* cut short, e.g. by a crash mid-write */
            break;
        }
        uint64_t ts;
        uint16_t tlen;
        memcpy (&ts, buf, 8);
        memcpy (&tlen, buf + 8, 2);
        if ((size_t) tlen + 10 > len) {
            (*corrupt)++;
            break;
        }
        char topic[65536];
        memcpy (topic, buf + 10, tlen);
        topic[tlen] = '\0';
        count++;
        if (fn (ts, topic, buf + 10 + tlen, len - 10 - tlen, arg))
            *stop = true;
    }
    free (buf);
    fclose (f);
    return count;
}

long
bus_recorder_read (const char *path, int files, bus_recorder_fn *fn, void *arg, long *corrupt_p)
{
    long corrupt = 0, total = 0;
    bool any = false, stop = false;
    for (int i = files - 1; i >= 0 && !stop; i--) {
        char file[1100];
        if (i == 0)
            snprintf (file, sizeof file, "%s", path);
        else
            snprintf (file, sizeof file, "%s.%d", path, i);
        long n = s_read_file (file, fn, arg, &corrupt, &stop);
        if (n >= 0) {
            any = true;
            total += n;
        }
    }
    if (corrupt_p)
        *corrupt_p = corrupt;
    return any ? total : -1;
}
