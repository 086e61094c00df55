#pragma once
/* Stand-in: the signatures of mbedTLS 3.6 (ESP-IDF v5.5 components/mbedtls/mbedtls/include/mbedtls/sha256.h);
 * the contents of the context are not modelled. */
#include <stddef.h>
typedef struct mbedtls_sha256_context { unsigned char opaque[128]; } mbedtls_sha256_context;
void mbedtls_sha256_init(mbedtls_sha256_context *ctx);
void mbedtls_sha256_free(mbedtls_sha256_context *ctx);
int mbedtls_sha256_starts(mbedtls_sha256_context *ctx, int is224);
int mbedtls_sha256_update(mbedtls_sha256_context *ctx, const unsigned char *input, size_t ilen);
int mbedtls_sha256_finish(mbedtls_sha256_context *ctx, unsigned char *output);
