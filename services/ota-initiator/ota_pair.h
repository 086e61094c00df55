/* ota_pair - the lab's ESP-NOW pairing keys: one primary master key (PMK)
 * for the lab and one local master key (LMK) per pair of boards, kept as
 * files in the key directory (ota/keys) and provisioned into each board over
 * USB, never sent over the air.
 *
 * Files (all mode 0600, 32 hex digits and a newline): espnow.pmk, and
 * espnow-A+B.lmk for boards A and B (names in byte order). ESP-IDF limits a
 * board to CONFIG_ESP_WIFI_ESPNOW_MAX_ENCRYPT_NUM (default 7) encrypted
 * peers, so a lab pairs at most 8 boards with each other. */
#ifndef OTA_PAIR_H
#define OTA_PAIR_H

#include <stddef.h>
#include <stdint.h>

#define OTA_PAIR_KEY_LEN 16
#define OTA_PAIR_MAX_BOARDS 8

/* Makes the PMK and an LMK for every pair of the N boards NAMES that do not
 * exist yet. Returns how many files it made, -1 with a message in ERR. */
int ota_pair_keygen (const char *dir, const char *const *names, int n, char *err, size_t errlen);
/* Reads the PMK; -1 when missing or malformed. */
int ota_pair_pmk (const char *dir, uint8_t pmk[OTA_PAIR_KEY_LEN]);
/* Reads the LMK of boards A and B (either order); -1 when they are not
 * paired. */
int ota_pair_lmk (const char *dir, const char *a, const char *b, uint8_t lmk[OTA_PAIR_KEY_LEN]);

#endif
