/* labctl keys / labctl ota sign - the lab's OTA signing key and image
 * signing (services/ota-initiator/ota_sign.h). Keys are written to and read
 * from files only (the config's ota/keys directory, or --dir): a private key
 * is never an argument, never sent on the bus, never printed. */
#include "services/labctl/labctl.h"
#include "services/ota-initiator/ota_image.h"
#include "services/ota-initiator/ota_sign.h"
#include "services/ota-initiator/ota_pair.h"
#include "bus/lab_config.h"
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The key directory: --dir, else the config's ota/keys. */
static int
s_keys_dir (labctl_t *ctx, const char *dir, char *out, size_t outlen)
{
    if (dir) {
        snprintf (out, outlen, "%s", dir);
        return 0;
    }
    char err[1024];
    const char *cfgpath = ctx->config_path ? ctx->config_path : getenv ("LAB_CONFIG");
    lab_config_t *cfg = lab_config_load (cfgpath ? cfgpath : "compose/lab.cfg", err, sizeof err);
    if (!cfg) {
        fprintf (stderr, "labctl: %s\n", err);
        return -1;
    }
    snprintf (out, outlen, "%s", lab_config_get (cfg, "ota/keys", "var/keys"));
    lab_config_destroy (&cfg);
    return 0;
}

int
labctl_cmd_keys (labctl_t *ctx, int argc, char **argv)
{
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else {
            fprintf (stderr, "usage: labctl keys [--dir DIR]\n"
                             "  makes the lab's keys that do not exist yet in DIR (default: the config's\n"
                             "  ota/keys): %s (OTA signing, private, 0600), %s (its public half),\n"
                             "  espnow.pmk and espnow-A+B.lmk (ESP-NOW pairing of the config's boards, 0600)\n",
                     OTA_SIGN_KEY_FILE, OTA_SIGN_PUB_FILE);
            return strcmp (argv[i], "--help") ? BUS_EUSAGE : BUS_OK;
        }
    }
    char kd[1024], err[1024];
    if (s_keys_dir (ctx, dir, kd, sizeof kd))
        return BUS_ERROR;
    int rc = ota_sign_keygen (kd, err, sizeof err);
    if (rc < 0) {
        fprintf (stderr, "labctl: %s\n", err);
        return BUS_ERROR;
    }
    printf ("%s/%s: %s\n", kd, OTA_SIGN_KEY_FILE, rc ? "made" : "exists, kept");
    /* ESP-NOW pairing: the PMK and an LMK for every pair of the config's
     * boards (without a config, only the signing key). */
    const char *cfgpath = ctx->config_path ? ctx->config_path : getenv ("LAB_CONFIG");
    lab_config_t *cfg = lab_config_load (cfgpath ? cfgpath : "compose/lab.cfg", err, sizeof err);
    if (!cfg)
        return BUS_OK;
    const char *names[OTA_PAIR_MAX_BOARDS + 1];
    int n = 0;
    for (zconfig_t *b = zconfig_child (zconfig_locate (lab_config_root (cfg), "boards")); b && n <= OTA_PAIR_MAX_BOARDS;
         b = zconfig_next (b))
        names[n++] = zconfig_name (b);
    rc = ota_pair_keygen (kd, names, n, err, sizeof err);
    lab_config_destroy (&cfg);
    if (rc < 0) {
        fprintf (stderr, "labctl: %s\n", err);
        return BUS_ERROR;
    }
    printf ("%s: ESP-NOW pairing for %d boards, %d key file(s) made\n", kd, n, rc);
    return BUS_OK;
}

/* labctl ota sign IMAGE [-o OUT] [--dir DIR]: OUT (default IMAGE, replaced
 * atomically) = IMAGE + the signature trailer. */
int
labctl_ota_sign (labctl_t *ctx, int argc, char **argv)
{
    const char *image = NULL, *out = NULL, *dir = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp (argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp (argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (argv[i][0] != '-' && !image)
            image = argv[i];
        else
            image = NULL, i = argc;
    }
    if (!image) {
        fprintf (stderr, "usage: labctl ota sign IMAGE [-o OUT] [--dir KEYDIR]\n");
        return BUS_EUSAGE;
    }
    char kd[1024], err[1024];
    if (s_keys_dir (ctx, dir, kd, sizeof kd))
        return BUS_ERROR;
    ota_image_t img;
    /* Any file the user names: its own directory is the "image directory". */
    char copy[1024], base[1024];
    snprintf (copy, sizeof copy, "%s", image);
    snprintf (base, sizeof base, "%s", image);
    if (ota_image_load (&img, dirname (copy), image[0] == '/' ? image : basename (base), 64u << 20, true, err,
                        sizeof err)) {
        fprintf (stderr, "labctl: %s\n", err);
        return errno == ENOENT ? BUS_ENOTFOUND : BUS_ERROR;
    }
    if (ota_sign_is_signed (img.data, img.size)) {
        fprintf (stderr, "labctl: %s is already signed\n", image);
        ota_image_free (&img);
        return BUS_ERROR;
    }
    ota_sign_t *key = ota_sign_load (kd, err, sizeof err);
    uint8_t trailer[OTA_SIG_TRAILER_LEN];
    if (!key || ota_sign_trailer (key, img.data, img.size, trailer, err, sizeof err)) {
        fprintf (stderr, "labctl: %s\n", err);
        ota_sign_destroy (&key);
        ota_image_free (&img);
        return BUS_ERROR;
    }
    ota_sign_destroy (&key);
    char tmp[1100];
    snprintf (tmp, sizeof tmp, "%s.tmp", out ? out : image);
    FILE *f = fopen (tmp, "wb");
    bool ok = f && fwrite (img.data, 1, img.size, f) == img.size && fwrite (trailer, 1, sizeof trailer, f) == sizeof trailer;
    if (f && fclose (f))
        ok = false;
    if (!ok || rename (tmp, out ? out : image)) {
        fprintf (stderr, "labctl: cannot write %s: %s\n", out ? out : image, strerror (errno));
        unlink (tmp);
        ota_image_free (&img);
        return BUS_ERROR;
    }
    printf ("%s: %s %s signed (ECDSA P-256, %u + %u bytes)\n", out ? out : image, img.project, img.version,
            img.size, OTA_SIG_TRAILER_LEN);
    ota_image_free (&img);
    return BUS_OK;
}
