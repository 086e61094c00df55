/* labsim_espnow - see labsim_espnow.h. */
#include "services/labsim/labsim_espnow.h"
#include <string.h>

static const uint8_t s_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

void
labsim_espnow_reset (labsim_espnow_t *self)
{
    uint32_t dropped = self->rx_dropped;
    memset (self, 0, sizeof *self);
    self->rx_dropped = dropped;
}

void
labsim_espnow_set_pmk (labsim_espnow_t *self, const uint8_t pmk[LABSIM_ESPNOW_KEY_LEN])
{
    memcpy (self->pmk, pmk, LABSIM_ESPNOW_KEY_LEN);
    self->pmk_set = true;
}

const labsim_espnow_peer_t *
labsim_espnow_find (const labsim_espnow_t *self, const uint8_t mac[6])
{
    for (int i = 0; i < self->npeers; i++)
        if (!memcmp (self->peers[i].mac, mac, 6))
            return &self->peers[i];
    return NULL;
}

labsim_espnow_err_t
labsim_espnow_add_peer (labsim_espnow_t *self, const uint8_t mac[6], bool encrypt,
                        const uint8_t lmk[LABSIM_ESPNOW_KEY_LEN])
{
    if (encrypt && (!memcmp (mac, s_bcast, 6) || !self->pmk_set || !lmk))
        return LABSIM_ESPNOW_ERR_ARG;
    if (labsim_espnow_find (self, mac))
        return LABSIM_ESPNOW_ERR_EXIST;
    int encrypted = 0;
    for (int i = 0; i < self->npeers; i++)
        encrypted += self->peers[i].encrypt;
    if (self->npeers == LABSIM_ESPNOW_MAX_PEERS || (encrypt && encrypted == LABSIM_ESPNOW_MAX_ENCRYPT))
        return LABSIM_ESPNOW_ERR_FULL;
    labsim_espnow_peer_t *p = &self->peers[self->npeers++];
    memcpy (p->mac, mac, 6);
    p->encrypt = encrypt;
    if (encrypt)
        memcpy (p->lmk, lmk, LABSIM_ESPNOW_KEY_LEN);
    return LABSIM_ESPNOW_OK;
}

bool
labsim_espnow_accept (const labsim_espnow_t *tx, const uint8_t tx_mac[6], labsim_espnow_t *rx,
                      const uint8_t rx_mac[6])
{
    /* How the sender sent it: encrypted only to an encrypted unicast peer
     * (a sender with no entry for RX sent broadcast: never encrypted). */
    const labsim_espnow_peer_t *out = labsim_espnow_find (tx, rx_mac);
    bool encrypted = out && out->encrypt;
    const labsim_espnow_peer_t *in = labsim_espnow_find (rx, tx_mac);
    bool expects = in && in->encrypt;
    if (!out && !encrypted)
        return true;                       /* broadcast */
    bool ok = encrypted == expects
              && (!encrypted
                  || (tx->pmk_set && rx->pmk_set && !memcmp (tx->pmk, rx->pmk, LABSIM_ESPNOW_KEY_LEN)
                      && !memcmp (out->lmk, in->lmk, LABSIM_ESPNOW_KEY_LEN)));
    if (!ok)
        rx->rx_dropped++;
    return ok;
}

bool
labsim_espnow_accept_to (const labsim_espnow_t *tx, const uint8_t tx_mac[6], labsim_espnow_t *rx,
                         const uint8_t rx_mac[6], bool broadcast)
{
    return broadcast || labsim_espnow_accept (tx, tx_mac, rx, rx_mac);
}
