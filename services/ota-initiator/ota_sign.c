/* ota_sign - see ota_sign.h. */
#include "services/ota-initiator/ota_sign.h"
#include <errno.h>
#include <fcntl.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct _ota_sign_t {
    EVP_PKEY *key;
};

/* Writes with O_EXCL and MODE so the file is never, even briefly, readable
 * by others. */
static FILE *
s_create (const char *path, mode_t mode, char *err, size_t errlen)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        snprintf (err, errlen, "cannot create %s: %s", path, strerror (errno));
        return NULL;
    }
    return fdopen (fd, "w");
}

/* mkdir -p: parents 0755, DIR itself 0700 (it holds private keys). */
static int
s_mkdirs (const char *dir)
{
    char path[1024];
    snprintf (path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir (path, 0755) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir (path, 0700) && errno != EEXIST ? -1 : 0;
}

int
ota_sign_keygen (const char *dir, char *err, size_t errlen)
{
    char key[1024], pub[1024];
    snprintf (key, sizeof key, "%s/%s", dir, OTA_SIGN_KEY_FILE);
    snprintf (pub, sizeof pub, "%s/%s", dir, OTA_SIGN_PUB_FILE);
    if (s_mkdirs (dir)) {
        snprintf (err, errlen, "cannot create %s: %s", dir, strerror (errno));
        return -1;
    }
    if (!access (key, F_OK))
        return 0;
    EVP_PKEY *k = EVP_EC_gen ("P-256");
    if (!k) {
        snprintf (err, errlen, "cannot generate an ECDSA P-256 key");
        return -1;
    }
    int rc = -1;
    FILE *f = s_create (key, 0600, err, errlen);
    if (f) {
        bool ok = PEM_write_PrivateKey (f, k, NULL, NULL, 0, NULL, NULL) == 1;
        if (fclose (f) || !ok)
            snprintf (err, errlen, "cannot write %s", key);
        else {
            unlink (pub);
            FILE *p = s_create (pub, 0644, err, errlen);
            if (p) {
                ok = PEM_write_PUBKEY (p, k) == 1;
                rc = fclose (p) || !ok ? -1 : 1;
                if (rc < 0)
                    snprintf (err, errlen, "cannot write %s", pub);
            }
            /* The raw point (0x04 || X || Y) the firmware build embeds. */
            char bin[1100];
            snprintf (bin, sizeof bin, "%s.bin", pub);
            unlink (bin);
            unsigned char *point = NULL;
            size_t plen = rc > 0 ? EVP_PKEY_get1_encoded_public_key (k, &point) : 0;
            FILE *b = plen == 65 ? s_create (bin, 0644, err, errlen) : NULL;
            if (rc > 0 && (!b || fwrite (point, 1, plen, b) != plen || fclose (b))) {
                snprintf (err, errlen, "cannot write %s", bin);
                rc = -1;
            }
            OPENSSL_free (point);
        }
        if (rc < 0)
            unlink (key);
    }
    EVP_PKEY_free (k);
    return rc;
}

ota_sign_t *
ota_sign_load (const char *dir, char *err, size_t errlen)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", dir, OTA_SIGN_KEY_FILE);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat (fd, &st)) {
        snprintf (err, errlen, "no OTA signing key %s (make one with `labctl keys`): %s", path, strerror (errno));
        if (fd >= 0)
            close (fd);
        return NULL;
    }
    if (st.st_mode & 077) {
        snprintf (err, errlen, "OTA signing key %s is readable by others (mode %03o); chmod 600 it", path,
                  (unsigned) (st.st_mode & 0777));
        close (fd);
        return NULL;
    }
    FILE *f = fdopen (fd, "r");
    EVP_PKEY *k = f ? PEM_read_PrivateKey (f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose (f);
    if (!k || EVP_PKEY_get_base_id (k) != EVP_PKEY_EC) {
        snprintf (err, errlen, "%s is not an ECDSA P-256 private key", path);
        EVP_PKEY_free (k);
        return NULL;
    }
    ota_sign_t *self = (ota_sign_t *) calloc (1, sizeof (ota_sign_t));
    self->key = k;
    return self;
}

void
ota_sign_destroy (ota_sign_t **self_p)
{
    ota_sign_t *self = *self_p;
    if (!self)
        return;
    EVP_PKEY_free (self->key);
    free (self);
    *self_p = NULL;
}

int
ota_sign_trailer (ota_sign_t *self, const uint8_t *image, uint32_t len, uint8_t trailer[OTA_SIG_TRAILER_LEN],
                  char *err, size_t errlen)
{
    uint8_t hash[32];
    unsigned int hl = sizeof hash;
    EVP_Digest (image, len, hash, &hl, EVP_sha256 (), NULL);
    unsigned char der[80];
    size_t der_len = sizeof der;
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new (self->key, NULL);
    bool ok = pc && EVP_PKEY_sign_init (pc) == 1 && EVP_PKEY_CTX_set_signature_md (pc, EVP_sha256 ()) == 1
              && EVP_PKEY_sign (pc, der, &der_len, hash, sizeof hash) == 1;
    EVP_PKEY_CTX_free (pc);
    const unsigned char *p = der;
    ECDSA_SIG *es = ok ? d2i_ECDSA_SIG (NULL, &p, (long) der_len) : NULL;
    ota_sig_trailer_t t = { .alg = OTA_SIG_ALG_ECDSA_P256_SHA256, .signed_len = len };
    ok = es && BN_bn2binpad (ECDSA_SIG_get0_r (es), t.sig, 32) == 32
         && BN_bn2binpad (ECDSA_SIG_get0_s (es), t.sig + 32, 32) == 32;
    ECDSA_SIG_free (es);
    if (!ok) {
        snprintf (err, errlen, "signing failed");
        return -1;
    }
    ota_sig_trailer_encode (trailer, &t);
    return 0;
}

bool
ota_sign_is_signed (const uint8_t *image, uint32_t len)
{
    ota_sig_trailer_t t;
    return len > OTA_SIG_TRAILER_LEN && ota_sig_trailer_decode (image + len - OTA_SIG_TRAILER_LEN, len, &t) == 0;
}
