/* sim_sig - ota_sig_t (firmware/core/ota_sig.h) on the host's libcrypto, for
 * labsim's boards and the host tests: SHA-256 and ECDSA P-256 verification
 * against the lab's public key (a PEM file, as `labctl keys` writes it).
 * The board does the same with mbedTLS (firmware/bench/main/bench_sig.c). */
#ifndef SIM_SIG_H
#define SIM_SIG_H

#include "ota_sig.h"

typedef struct _sim_sig_t sim_sig_t;

/* Verifies with the public key in PUB_PATH, read when first needed (so a key
 * made after the simulator started counts); a missing or unreadable key
 * makes every verification fail. */
sim_sig_t *sim_sig_new (const char *pub_path);
void sim_sig_destroy (sim_sig_t **self_p);
const ota_sig_t *sim_sig_ops (sim_sig_t *self);

#endif
