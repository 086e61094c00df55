/* fw_image - see fw_image.h. */
#include "services/builder/fw_image.h"
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMAGE_MAGIC 0xE9
#define APP_DESC_MAGIC 0xABCD5432u
#define IMAGE_HEADER_LEN 24
#define SEGMENT_HEADER_LEN 8
#define APP_DESC_LEN 256
#define IMAGE_MAX (64ull << 20)

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

int
fw_image_describe (const uint8_t *data, size_t len, fw_image_info_t *info, char *err, size_t errlen)
{
    if (len < IMAGE_HEADER_LEN + SEGMENT_HEADER_LEN || data[0] != IMAGE_MAGIC) {
        snprintf (err, errlen, "not an ESP32 application image (no 0xE9 image header)");
        return -1;
    }
    if (data[1] == 0 || data[1] > 16) {
        snprintf (err, errlen, "image header says %u segments", data[1]);
        return -1;
    }
    uint32_t seg_len = s_get32 (data + IMAGE_HEADER_LEN + 4);
    const uint8_t *d = data + IMAGE_HEADER_LEN + SEGMENT_HEADER_LEN;
    size_t room = len - IMAGE_HEADER_LEN - SEGMENT_HEADER_LEN;
    if (seg_len < APP_DESC_LEN || room < APP_DESC_LEN) {
        snprintf (err, errlen, "first segment too short for an application description");
        return -1;
    }
    if (s_get32 (d) != APP_DESC_MAGIC) {
        snprintf (err, errlen, "no application description (esp_app_desc_t magic) in the first segment");
        return -1;
    }
    char date[17], time[17];
    if (s_field (d + 16, 32, info->version) || !info->version[0] || s_field (d + 48, 32, info->project)
        || s_field (d + 80, 16, time) || s_field (d + 96, 16, date) || s_field (d + 112, 32, info->idf_ver)) {
        snprintf (err, errlen, "the application description has an unreadable version, project or date");
        return -1;
    }
    snprintf (info->built, sizeof info->built, "%s %s", date, time);
    return 0;
}

int
fw_image_sha256_file (const char *path, char out[FW_SHA256_HEX], uint64_t *size)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return -1;
    EVP_MD_CTX *md = EVP_MD_CTX_new ();
    int rc = md && EVP_DigestInit_ex (md, EVP_sha256 (), NULL) == 1 ? 0 : -1;
    uint8_t buf[65536];
    size_t n;
    uint64_t total = 0;
    while (!rc && (n = fread (buf, 1, sizeof buf, f)) > 0) {
        total += n;
        if (EVP_DigestUpdate (md, buf, n) != 1)
            rc = -1;
    }
    if (ferror (f))
        rc = -1;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (!rc && (EVP_DigestFinal_ex (md, digest, &dlen) != 1 || dlen != 32))
        rc = -1;
    EVP_MD_CTX_free (md);
    fclose (f);
    if (rc)
        return -1;
    for (unsigned i = 0; i < dlen; i++)
        snprintf (out + 2 * i, 3, "%02x", digest[i]);
    if (size)
        *size = total;
    return 0;
}

int
fw_image_inspect (const char *path, fw_image_info_t *info, char *err, size_t errlen)
{
    memset (info, 0, sizeof *info);
    FILE *f = fopen (path, "rb");
    if (!f) {
        snprintf (err, errlen, "%s: %s", path, strerror (errno));
        return -1;
    }
    /* The description is in the first few hundred bytes; the hash reads
     * the whole file again, so an image of any size costs no memory. */
    uint8_t head[IMAGE_HEADER_LEN + SEGMENT_HEADER_LEN + APP_DESC_LEN];
    size_t n = fread (head, 1, sizeof head, f);
    fclose (f);
    if (fw_image_describe (head, n, info, err, errlen))
        return -1;
    if (fw_image_sha256_file (path, info->sha256, &info->size)) {
        snprintf (err, errlen, "%s: cannot read it to hash it", path);
        return -1;
    }
    if (info->size > IMAGE_MAX) {
        snprintf (err, errlen, "%s: %llu bytes is no firmware image", path, (unsigned long long) info->size);
        return -1;
    }
    return 0;
}
