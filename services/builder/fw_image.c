/* fw_image - see fw_image.h. */
#include "services/builder/fw_image.h"
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app_desc.h"

#define IMAGE_MAX (64ull << 20)

int
fw_image_describe (const uint8_t *data, size_t len, fw_image_info_t *info, char *err, size_t errlen)
{
    app_desc_t d;
    app_desc_err_t rc = app_desc_read (data, len, &d);
    if (rc != APP_DESC_OK) {
        snprintf (err, errlen, "%s", app_desc_strerror (rc));
        return -1;
    }
    snprintf (info->version, sizeof info->version, "%s", d.version);
    snprintf (info->project, sizeof info->project, "%s", d.project);
    snprintf (info->idf_ver, sizeof info->idf_ver, "%s", d.idf_ver);
    snprintf (info->built, sizeof info->built, "%s %s", d.date, d.time);
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
    uint8_t head[APP_DESC_HEAD_LEN];
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
