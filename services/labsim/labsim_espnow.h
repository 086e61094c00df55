/* labsim_espnow - a simulated board's ESP-NOW peer table and keys, with the
 * rules of ESP-IDF v5.5 (components/esp_wifi/include/esp_now.h):
 *  - at most ESP_NOW_MAX_TOTAL_PEER_NUM (20) peers, of which at most
 *    CONFIG_ESP_WIFI_ESPNOW_MAX_ENCRYPT_NUM (default 7) encrypted;
 *  - an encrypted peer needs the PMK (esp_now_set_pmk) and its own LMK;
 *  - broadcast frames cannot be encrypted;
 *  - a unicast frame between two boards arrives only when both sides agree:
 *    both unencrypted, or both encrypted with the same PMK and LMK (CCMP);
 *    otherwise the receiving radio drops it (counted here).
 * The table lives in RAM: a reboot empties it, and the board's boot sets it
 * up again from what was provisioned over USB. */
#ifndef LABSIM_ESPNOW_H
#define LABSIM_ESPNOW_H

#include <stdbool.h>
#include <stdint.h>

#define LABSIM_ESPNOW_MAX_PEERS 20
#define LABSIM_ESPNOW_MAX_ENCRYPT 7
#define LABSIM_ESPNOW_KEY_LEN 16

typedef struct {
    uint8_t mac[6];
    bool encrypt;
    uint8_t lmk[LABSIM_ESPNOW_KEY_LEN];
} labsim_espnow_peer_t;

typedef struct {
    uint8_t pmk[LABSIM_ESPNOW_KEY_LEN];
    bool pmk_set;
    labsim_espnow_peer_t peers[LABSIM_ESPNOW_MAX_PEERS];
    int npeers;
    uint32_t rx_dropped;        /* frames this board's radio could not accept (keys disagree) */
} labsim_espnow_t;

typedef enum {
    LABSIM_ESPNOW_OK = 0,
    LABSIM_ESPNOW_ERR_ARG,      /* ESP_ERR_ESPNOW_ARG: encrypted broadcast, encryption without a PMK */
    LABSIM_ESPNOW_ERR_FULL,     /* ESP_ERR_ESPNOW_FULL */
    LABSIM_ESPNOW_ERR_EXIST,    /* ESP_ERR_ESPNOW_EXIST */
} labsim_espnow_err_t;

/* Empty table (power-on, reboot); keeps the drop counter. */
void labsim_espnow_reset (labsim_espnow_t *self);
void labsim_espnow_set_pmk (labsim_espnow_t *self, const uint8_t pmk[LABSIM_ESPNOW_KEY_LEN]);
labsim_espnow_err_t labsim_espnow_add_peer (labsim_espnow_t *self, const uint8_t mac[6], bool encrypt,
                                            const uint8_t lmk[LABSIM_ESPNOW_KEY_LEN]);
const labsim_espnow_peer_t *labsim_espnow_find (const labsim_espnow_t *self, const uint8_t mac[6]);
/* Whether a frame sent by TX (MAC TX_MAC) arrives at RX (MAC RX_MAC); when
 * not, RX counts the drop. */
bool labsim_espnow_accept (const labsim_espnow_t *tx, const uint8_t tx_mac[6], labsim_espnow_t *rx,
                           const uint8_t rx_mac[6]);
/* The same for a frame the sender addressed to DST: a broadcast frame is
 * never encrypted, whatever peers the two boards have, and the receiving
 * radio hands it up even when it has the sender as an encrypted peer
 * (ESP-IDF v5.5: only esp_now_recv_info_t.des_addr tells the application;
 * espressif/esp-idf#8574). So a frame to ff:ff:ff:ff:ff:ff from anyone
 * claiming a paired board's MAC arrives. */
bool labsim_espnow_accept_to (const labsim_espnow_t *tx, const uint8_t tx_mac[6], labsim_espnow_t *rx,
                              const uint8_t rx_mac[6], bool broadcast);

#endif
