/* ota_image - see ota_image.h. */
#include "services/ota-initiator/ota_image.h"
#include "app_desc.h"
#include "ota_image_marker.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
ota_image_check (ota_image_t *img, uint32_t slot_size, bool force, char *err, size_t errlen)
{
    const uint8_t *d = img->data;
    app_desc_t desc;
    app_desc_err_t rc = app_desc_read (d, img->size, &desc);
    if (rc != APP_DESC_OK) {
        snprintf (err, errlen, "%s", app_desc_strerror (rc));
        return -1;
    }
    if (!desc.project[0]) {
        snprintf (err, errlen, "application description has no project name");
        return -1;
    }
    snprintf (img->version, sizeof img->version, "%s", desc.version);
    snprintf (img->project, sizeof img->project, "%s", desc.project);
    if (img->size > slot_size) {
        snprintf (err, errlen, "image is %u bytes; the OTA slot holds %u", img->size, slot_size);
        return -1;
    }
    img->has_responder = memmem (d, img->size, OTA_RESPONDER_MARKER, strlen (OTA_RESPONDER_MARKER)) != NULL;
    if (!img->has_responder && !force) {
        snprintf (err, errlen,
                  "image %s %s does not carry the OTA responder: the board could not take another OTA "
                  "over ESP-NOW (push with force to do it anyway)",
                  img->project, img->version);
        return -1;
    }
    return 0;
}

int
ota_image_load (ota_image_t *img, const char *dir, const char *name, uint32_t slot_size, bool force,
                char *err, size_t errlen)
{
    memset (img, 0, sizeof *img);
    char want[PATH_MAX], real_dir[PATH_MAX];
    if (!realpath (dir, real_dir)) {
        snprintf (err, errlen, "image directory %s: %s", dir, strerror (errno));
        return -1;
    }
    if (name[0] == '/')
        snprintf (want, sizeof want, "%s", name);
    else
        snprintf (want, sizeof want, "%s/%s", real_dir, name);
    if (!realpath (want, img->path)) {
        snprintf (err, errlen, "%s: %s", name, strerror (errno));
        return -1;
    }
    /* Symlinks and ../ are resolved first, so nothing outside the directory
     * can be reached through them. */
    size_t dl = strlen (real_dir);
    if (strncmp (img->path, real_dir, dl) || img->path[dl] != '/') {
        snprintf (err, errlen, "%s is outside the image directory %s", name, real_dir);
        return -1;
    }
    FILE *f = fopen (img->path, "rb");
    if (!f) {
        snprintf (err, errlen, "%s: %s", name, strerror (errno));
        return -1;
    }
    fseek (f, 0, SEEK_END);
    long size = ftell (f);
    fseek (f, 0, SEEK_SET);
    if (size <= 0 || size > 64L << 20) {
        fclose (f);
        snprintf (err, errlen, "%s: unreasonable size %ld", name, size);
        return -1;
    }
    img->data = (uint8_t *) malloc ((size_t) size);
    img->size = (uint32_t) size;
    size_t got = fread (img->data, 1, (size_t) size, f);
    fclose (f);
    if (got != (size_t) size) {
        snprintf (err, errlen, "%s: short read", name);
        ota_image_free (img);
        return -1;
    }
    if (ota_image_check (img, slot_size, force, err, errlen)) {
        ota_image_free (img);
        return -1;
    }
    return 0;
}

void
ota_image_free (ota_image_t *img)
{
    free (img->data);
    img->data = NULL;
}
