/* labsim_appfill - the content of a labsim test application image.
 *
 * A push's speed with compression depends on what the image holds, so the
 * test image is made to look, to a compressor, like a real ESP-IDF
 * application: mostly Xtensa code (24-bit and 16-bit instructions with the
 * skewed opcode and register use of compiled C, literal pools, the repeated
 * call idioms ESP_LOG and error checks produce), then read-only data (log
 * and format strings, pointer and lookup tables, a few high-entropy tables
 * such as certificates and crypto constants), initialised data and zero
 * padding. docs/ota-protocol.md ("Test images") gives the proportions and
 * the measured zlib level-9 ratio. Deterministic: the same seed and length
 * give the same bytes. */
#ifndef LABSIM_APPFILL_H
#define LABSIM_APPFILL_H

#include <stddef.h>
#include <stdint.h>

/* Fills BUF[0..LEN) with application-like content. */
void labsim_appfill (uint8_t *buf, size_t len, uint32_t seed);
/* Fills BUF[0..LEN) with uniformly random bytes: an image no compressor
 * can shrink (the worst case a compressed push must survive). */
void labsim_appfill_random (uint8_t *buf, size_t len, uint32_t seed);

#endif
