/* sim_sig - see sim_sig.h. */
#include "firmware/sim/sim_sig.h"
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _sim_sig_t {
    ota_sig_t ops;
    EVP_MD_CTX *md;
    EVP_PKEY *pub;
    char path[1024];
};

static void
s_start (void *ctx)
{
    sim_sig_t *self = (sim_sig_t *) ctx;
    EVP_DigestInit_ex (self->md, EVP_sha256 (), NULL);
}

static void
s_update (void *ctx, const uint8_t *data, size_t len)
{
    EVP_DigestUpdate (((sim_sig_t *) ctx)->md, data, len);
}

static void
s_finish (void *ctx, uint8_t out[32])
{
    unsigned int n = 32;
    EVP_DigestFinal_ex (((sim_sig_t *) ctx)->md, out, &n);
}

static EVP_PKEY *
s_key (sim_sig_t *self)
{
    if (!self->pub) {
        FILE *f = fopen (self->path, "r");
        if (f) {
            self->pub = PEM_read_PUBKEY (f, NULL, NULL, NULL);
            fclose (f);
        }
    }
    return self->pub;
}

/* r || s -> the DER form libcrypto verifies. */
static int
s_verify (void *ctx, const uint8_t hash[32], const uint8_t sig[OTA_SIG_LEN])
{
    sim_sig_t *self = (sim_sig_t *) ctx;
    EVP_PKEY *key = s_key (self);
    if (!key)
        return -1;
    ECDSA_SIG *es = ECDSA_SIG_new ();
    BIGNUM *r = BN_bin2bn (sig, 32, NULL), *s = BN_bin2bn (sig + 32, 32, NULL);
    if (!es || !r || !s || !ECDSA_SIG_set0 (es, r, s)) {
        BN_free (r);
        BN_free (s);
        ECDSA_SIG_free (es);
        return -1;
    }
    unsigned char *der = NULL;
    int der_len = i2d_ECDSA_SIG (es, &der);
    ECDSA_SIG_free (es);
    int ok = 0;
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new (key, NULL);
    if (der_len > 0 && pc && EVP_PKEY_verify_init (pc) == 1
        && EVP_PKEY_CTX_set_signature_md (pc, EVP_sha256 ()) == 1)
        ok = EVP_PKEY_verify (pc, der, (size_t) der_len, hash, 32) == 1;
    EVP_PKEY_CTX_free (pc);
    OPENSSL_free (der);
    return ok ? 0 : -1;
}

sim_sig_t *
sim_sig_new (const char *pub_path)
{
    sim_sig_t *self = (sim_sig_t *) calloc (1, sizeof (sim_sig_t));
    self->md = EVP_MD_CTX_new ();
    snprintf (self->path, sizeof self->path, "%s", pub_path);
    self->ops = (ota_sig_t) { self, s_start, s_update, s_finish, s_verify };
    return self;
}

void
sim_sig_destroy (sim_sig_t **self_p)
{
    sim_sig_t *self = *self_p;
    if (!self)
        return;
    EVP_MD_CTX_free (self->md);
    EVP_PKEY_free (self->pub);
    free (self);
    *self_p = NULL;
}

const ota_sig_t *
sim_sig_ops (sim_sig_t *self)
{
    return &self->ops;
}
