/* labsim_radio - the simulated 2.4 GHz medium between simulated boards.
 *
 * Per-link distance (symmetric, default from the config), RSSI from the
 * log-distance model RSSI = A - 10 n log10(d) + N(0, noise), a loss
 * probability, a fixed latency and an air rate that makes a frame take
 * len*8/rate on the air. Frames are queued with their delivery time; the
 * owner drains the queue with labsim_radio_due. Broadcast (ff:ff:...) goes to
 * every other board; unicast to the board with that MAC; a board never hears
 * its own transmission, so sending to your own MAC delivers nothing.
 *
 * Broadcast and unicast differ as ESP-NOW's do (ESP-IDF v5.5,
 * docs/en/api-reference/network/esp_now.rst and components/esp_wifi/
 * include/esp_now.h): a broadcast frame goes to every board in range, is
 * never encrypted (a broadcast peer cannot be added with encrypt = true) and
 * is neither acknowledged nor retried by the 802.11 MAC, so each receiver
 * loses it on its own; a unicast frame is acknowledged by the receiver and
 * the sender's MAC retries it (`mac_retries`, default 0: each unicast
 * delivery then fails like a broadcast one). Loss is per receiver: the
 * radio's `loss`, or the board's own receive loss when it has one
 * (labsim_radio_rx_loss).
 *
 * With `indoor` set, RSSI comes from labsim_channel instead (shadowing that
 * depends on where the board stands, offsets, fading, body blocking, 1 dB
 * steps), each link has a bearing as well as a distance, and a frame below
 * the receiver's sensitivity is lost. */
#ifndef LABSIM_RADIO_H
#define LABSIM_RADIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "services/labsim/labsim_channel.h"

#define LABSIM_RADIO_MAX_NODES 16
/* ESP32 receive sensitivity at 1 Mbps (802.11b), datasheet: about -97 dBm. */
#define LABSIM_RADIO_SENSITIVITY_DBM (-97)
#define LABSIM_RADIO_FRAME_MAX 250

typedef struct {
    double a_dbm;        /* RSSI at 1 m */
    double n;            /* path-loss exponent */
    double noise_db;     /* standard deviation of the gaussian noise */
    double loss;         /* probability a frame is lost */
    double latency_ms;   /* fixed delay on top of the air time */
    double air_bps;      /* air rate in bits per second */
    double distance_m;   /* default distance between any two boards */
    unsigned seed;
    int mac_retries;     /* unicast: extra attempts the MAC makes (broadcast: none) */
    bool indoor;                    /* RSSI from the channel below */
    labsim_channel_opts_t channel;  /* a_dbm, n and seed above win over its own */
} labsim_radio_opts_t;

typedef struct {
    int from, to;        /* node indices */
    int8_t rssi;
    bool broadcast;      /* sent to ff:ff:ff:ff:ff:ff: never encrypted */
    uint64_t due_us;
    size_t len;
    uint8_t data[LABSIM_RADIO_FRAME_MAX];
} labsim_radio_frame_t;

typedef struct _labsim_radio_t labsim_radio_t;

labsim_radio_t *labsim_radio_new (const labsim_radio_opts_t *opts);
void labsim_radio_destroy (labsim_radio_t **self_p);

/* Adds a node with MAC; returns its index or -1. */
int labsim_radio_add (labsim_radio_t *self, const uint8_t mac[6]);
/* Node index of MAC, -1 when unknown. */
int labsim_radio_find (labsim_radio_t *self, const uint8_t mac[6]);
/* A node that is off (rebooting, vanished) neither sends nor hears. */
void labsim_radio_set_up (labsim_radio_t *self, int node, bool up);

int labsim_radio_move (labsim_radio_t *self, int a, int b, double distance_m);
double labsim_radio_distance (labsim_radio_t *self, int a, int b);
/* Moves B to DISTANCE along BEARING (degrees) from A: a new spot with its own
 * shadowing. labsim_radio_move keeps the link's bearing. */
int labsim_radio_place (labsim_radio_t *self, int a, int b, double distance_m, double bearing_deg);
double labsim_radio_bearing (labsim_radio_t *self, int a, int b);
/* Turns NODE to YAW degrees (its antenna pattern); indoor channel only. */
void labsim_radio_orient (labsim_radio_t *self, int node, double yaw_deg);
/* The channel, NULL unless indoor. */
labsim_channel_t *labsim_radio_channel (labsim_radio_t *self);
void labsim_radio_env (labsim_radio_t *self, double a_dbm, double n, double noise_db);
void labsim_radio_loss (labsim_radio_t *self, double p);
/* NODE's own receive loss (0..1); a negative P goes back to the radio's. */
void labsim_radio_rx_loss (labsim_radio_t *self, int node, double p);
/* NODE's receive loss in effect. */
double labsim_radio_node_loss (labsim_radio_t *self, int node);
const labsim_radio_opts_t *labsim_radio_opts (labsim_radio_t *self);

/* The model without noise, for tests: A - 10 n log10(d). */
double labsim_radio_mean_rssi (labsim_radio_t *self, double distance_m);
/* What FROM -> TO gets at the link's spot without fading, blocking or noise:
 * the path loss alone, or with the indoor channel its shadowing and offsets. */
double labsim_radio_local_mean (labsim_radio_t *self, int from, int to);

/* Queues FROM's transmission to DST (broadcast or a MAC). Returns the number
 * of receivers queued (0 for your own MAC or an unknown one). */
int labsim_radio_send (labsim_radio_t *self, int from, const uint8_t dst[6], const uint8_t *data,
                       size_t len, uint64_t now_us);
/* Pops the next frame due at NOW_US into *out; false when none is due. */
bool labsim_radio_due (labsim_radio_t *self, uint64_t now_us, labsim_radio_frame_t *out);
/* Microseconds until the next frame is due (-1 when the queue is empty). */
long labsim_radio_next_us (labsim_radio_t *self, uint64_t now_us);

typedef struct {
    uint64_t sent, delivered, lost, to_self;
    uint64_t broadcasts;            /* of sent */
    uint64_t retries;               /* unicast attempts the MAC repeated */
    uint64_t below_sensitivity;     /* counted in lost too */
} labsim_radio_stats_t;
void labsim_radio_stats (labsim_radio_t *self, labsim_radio_stats_t *out);

#endif
