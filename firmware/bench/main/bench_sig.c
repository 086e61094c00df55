/* bench_sig - ota_sig_t on the board: SHA-256 and ECDSA P-256 verification
 * with mbedTLS (ESP-IDF's, v3.6 in ESP-IDF v5.5) against the lab's public
 * key built into the image (CMakeLists.txt: EMBED_FILES ota-sign.pub.bin, 65
 * bytes, 0x04 || X || Y). Host builds link tests/firmware/bench_sig_host.c
 * instead, which does the same on libcrypto.
 *
 * One verification at a time (the responder is single-threaded), so the
 * contexts are this file's statics, set up once. */
#include "bench.h"
#include <string.h>
#include "mbedtls/ecdsa.h"
#include "mbedtls/ecp.h"
#include "mbedtls/sha256.h"

extern const uint8_t ota_sign_pub_bin_start[] asm ("_binary_ota_sign_pub_bin_start");
extern const uint8_t ota_sign_pub_bin_end[] asm ("_binary_ota_sign_pub_bin_end");

static mbedtls_sha256_context s_sha;
static ota_sig_t s_ops;

static void s_start (void *ctx) { (void) ctx; mbedtls_sha256_starts (&s_sha, 0); }
static void s_update (void *ctx, const uint8_t *d, size_t n) { (void) ctx; mbedtls_sha256_update (&s_sha, d, n); }
static void s_finish (void *ctx, uint8_t out[32]) { (void) ctx; mbedtls_sha256_finish (&s_sha, out); }

static int
s_verify (void *ctx, const uint8_t hash[32], const uint8_t sig[OTA_SIG_LEN])
{
    (void) ctx;
    size_t key_len = (size_t) (ota_sign_pub_bin_end - ota_sign_pub_bin_start);
    if (key_len != 65 || ota_sign_pub_bin_start[0] != 0x04)
        return -1;                       /* no key built in: nothing verifies */
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    mbedtls_ecp_group_init (&grp);
    mbedtls_ecp_point_init (&q);
    mbedtls_mpi_init (&r);
    mbedtls_mpi_init (&s);
    int rc = mbedtls_ecp_group_load (&grp, MBEDTLS_ECP_DP_SECP256R1);
    if (!rc)
        rc = mbedtls_ecp_point_read_binary (&grp, &q, ota_sign_pub_bin_start, key_len);
    if (!rc)
        rc = mbedtls_mpi_read_binary (&r, sig, 32);
    if (!rc)
        rc = mbedtls_mpi_read_binary (&s, sig + 32, 32);
    if (!rc)
        rc = mbedtls_ecdsa_verify (&grp, hash, 32, &q, &r, &s);
    mbedtls_mpi_free (&s);
    mbedtls_mpi_free (&r);
    mbedtls_ecp_point_free (&q);
    mbedtls_ecp_group_free (&grp);
    return rc ? -1 : 0;
}

const ota_sig_t *
bench_sig_init (void)
{
    mbedtls_sha256_init (&s_sha);
    s_ops = (ota_sig_t) { NULL, s_start, s_update, s_finish, s_verify };
    return &s_ops;
}
