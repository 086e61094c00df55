#pragma once
/* Stand-in: mbedTLS 3.6 ecp.h signatures. */
#include <stddef.h>
#include "mbedtls/bignum.h"
typedef enum { MBEDTLS_ECP_DP_NONE = 0, MBEDTLS_ECP_DP_SECP256R1 = 3 } mbedtls_ecp_group_id;
typedef struct mbedtls_ecp_group { void *opaque[32]; } mbedtls_ecp_group;
typedef struct mbedtls_ecp_point { mbedtls_mpi X, Y, Z; } mbedtls_ecp_point;
void mbedtls_ecp_group_init(mbedtls_ecp_group *grp);
void mbedtls_ecp_group_free(mbedtls_ecp_group *grp);
void mbedtls_ecp_point_init(mbedtls_ecp_point *pt);
void mbedtls_ecp_point_free(mbedtls_ecp_point *pt);
int mbedtls_ecp_group_load(mbedtls_ecp_group *grp, mbedtls_ecp_group_id id);
int mbedtls_ecp_point_read_binary(const mbedtls_ecp_group *grp, mbedtls_ecp_point *P, const unsigned char *buf, size_t ilen);
