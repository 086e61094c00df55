#pragma once
/* Stand-in: mbedTLS 3.6 ecdsa.h signatures. */
#include "mbedtls/ecp.h"
int mbedtls_ecdsa_verify(mbedtls_ecp_group *grp, const unsigned char *buf, size_t blen, const mbedtls_ecp_point *Q,
                         const mbedtls_mpi *r, const mbedtls_mpi *s);
