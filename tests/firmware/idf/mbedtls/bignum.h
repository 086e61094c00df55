#pragma once
/* Stand-in: mbedTLS 3.6 bignum.h signatures. */
#include <stddef.h>
typedef struct mbedtls_mpi { void *opaque[3]; } mbedtls_mpi;
void mbedtls_mpi_init(mbedtls_mpi *X);
void mbedtls_mpi_free(mbedtls_mpi *X);
int mbedtls_mpi_read_binary(mbedtls_mpi *X, const unsigned char *buf, size_t buflen);
