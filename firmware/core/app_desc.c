/* app_desc - see app_desc.h. */
#include "app_desc.h"
#include <string.h>

#define IMAGE_HEADER_LEN 24u
#define SEGMENT_HEADER_LEN 8u
#define APP_DESC_LEN 256u

static uint32_t
s_get32 (const uint8_t *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

/* A NUL-terminated printable string of at most MAX bytes at P (ESP-IDF pads
 * these fields with NULs; a field with no NUL is not a description). */
static int
s_field (const uint8_t *p, size_t max, char *out)
{
    size_t n = strnlen ((const char *) p, max);
    if (n == max)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            return -1;
    memcpy (out, p, n);
    out[n] = 0;
    return 0;
}

app_desc_err_t
app_desc_read (const uint8_t *data, size_t len, app_desc_t *out)
{
    memset (out, 0, sizeof *out);
    if (len < IMAGE_HEADER_LEN + SEGMENT_HEADER_LEN || data[0] != APP_DESC_IMAGE_MAGIC)
        return APP_DESC_NOT_IMAGE;
    if (data[1] == 0 || data[1] > 16)
        return APP_DESC_SEGMENTS;
    uint32_t seg_len = s_get32 (data + IMAGE_HEADER_LEN + 4);
    const uint8_t *d = data + IMAGE_HEADER_LEN + SEGMENT_HEADER_LEN;
    size_t room = len - IMAGE_HEADER_LEN - SEGMENT_HEADER_LEN;
    if (room >= 4 && s_get32 (d) != APP_DESC_MAGIC)
        return APP_DESC_NO_DESC;
    if (seg_len < APP_DESC_LEN || room < APP_DESC_LEN)
        return APP_DESC_SHORT;
    if (s_field (d + 16, 32, out->version) || !out->version[0] || s_field (d + 48, 32, out->project)
        || s_field (d + 80, 16, out->time) || s_field (d + 96, 16, out->date)
        || s_field (d + 112, 32, out->idf_ver)) {
        memset (out, 0, sizeof *out);
        return APP_DESC_UNREADABLE;
    }
    return APP_DESC_OK;
}

const char *
app_desc_strerror (app_desc_err_t err)
{
    switch (err) {
    case APP_DESC_OK: return "ok";
    case APP_DESC_NOT_IMAGE: return "not an ESP32 application image (no 0xE9 image header)";
    case APP_DESC_SEGMENTS: return "the image header's segment count is not 1..16";
    case APP_DESC_SHORT: return "first segment too short for an application description";
    case APP_DESC_NO_DESC: return "no application description (esp_app_desc_t magic) in the first segment";
    case APP_DESC_UNREADABLE: return "the application description has an unreadable version, project or date";
    }
    return "unknown error";
}
