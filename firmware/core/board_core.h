/* board_core - the portable firmware core every board runs (real ESP32s and
 * labsim's simulated boards alike).
 *
 * It relays between the UART (link frames, link_frame.h) and the radio
 * (ESP-NOW payloads, espnow_hdr.h): host frames ask it to send ESP-NOW
 * payloads, and every ESP-NOW frame it receives goes to the host with its
 * source MAC, RSSI and channel. It answers pings, runs ping-pong as the
 * sender, sends a boot report and heartbeats, and broadcasts beacons so
 * every peer sees RSSI samples.
 *
 * No heap, no OS calls: the caller owns the board_core_t (static on the
 * board, one per simulated board in labsim) and supplies the outside world
 * as a board_port_t of function pointers. Other modules (OTA responder and
 * initiator, ranging) plug in through the handler registry without editing
 * this file: a handler per ESP-NOW type for radio payloads and a handler per
 * link type for host frames. Not thread-safe: the caller serialises calls
 * (one task on the board, one thread in labsim). */
#ifndef BOARD_CORE_H
#define BOARD_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "espnow_hdr.h"
#include "link_frame.h"

#define BOARD_MAC_LEN 6u
#define BOARD_HANDLERS_MAX 8u
#define BOARD_PP_SIZE_MAX 200u

extern const uint8_t board_broadcast_mac[BOARD_MAC_LEN];

/* The outside world. Every pointer except log and reboot must be set. */
typedef struct {
    void *ctx;
    /* Sends DATA (a whole ESP-NOW payload, header included) to MAC
     * (ff:ff:ff:ff:ff:ff = broadcast). Returns 0 when handed to the radio. */
    int (*radio_send) (void *ctx, const uint8_t mac[BOARD_MAC_LEN], const uint8_t *data, size_t len);
    /* Writes bytes to the UART (frames and log text). */
    void (*uart_write) (void *ctx, const uint8_t *data, size_t len);
    /* Monotonic microseconds. */
    uint64_t (*now_us) (void *ctx);
    /* One line of log text (no newline); the board prints it like ESP_LOGI. */
    void (*log) (void *ctx, const char *line);
    /* Reboots the board; on the board it does not return. */
    void (*reboot) (void *ctx);
} board_port_t;

/* What the board reports in its boot report. The strings are copied. */
typedef struct {
    uint8_t mac[BOARD_MAC_LEN];
    uint8_t channel;
    const char *version;
    const char *partition;      /* running partition: factory, ota_0, ota_1 */
    const char *reset_reason;   /* poweron, sw, panic, wdt, brownout ... */
} board_info_t;

typedef struct board_core board_core_t;

/* A radio payload of a registered ESP-NOW type; HDR is already checked
 * (magic, version, length, CRC). */
typedef void (board_radio_fn) (void *ctx, board_core_t *core, const uint8_t src[BOARD_MAC_LEN],
                               int8_t rssi, const espnow_hdr_t *hdr, const uint8_t *payload,
                               size_t len);
/* A host frame of a registered link type. */
typedef void (board_link_fn) (void *ctx, board_core_t *core, uint16_t seq,
                              const uint8_t *payload, size_t len);
/* Called every board_core_poll (timers of plugged-in modules). */
typedef void (board_poll_fn) (void *ctx, board_core_t *core, uint64_t now_us);

typedef struct {
    uint8_t type;
    void *fn;      /* board_radio_fn or board_link_fn */
    void *ctx;
} board_handler_t;

typedef struct {
    uint32_t uptime_ms;
    uint32_t radio_tx;
    uint32_t radio_tx_fail;
    uint32_t radio_rx;
    uint32_t radio_bad;        /* ESP-NOW payloads failing espnow_frame_decode */
    uint32_t link_rx;
    uint32_t link_err;         /* damaged host frames */
    uint32_t link_unknown;     /* host frames of a type nobody handles */
} board_stats_t;

/* Ping-pong sender state (one run at a time). */
typedef struct {
    bool active;
    uint8_t peer[BOARD_MAC_LEN];
    uint32_t run, count, interval_us, sent, received;
    uint16_t size;
    uint64_t next_us;
    uint64_t last_sent_us;
    uint32_t window_us;        /* how long to wait for the last pong */
} board_pp_t;

struct board_core {
    board_port_t port;
    uint8_t mac[BOARD_MAC_LEN];
    uint8_t channel;
    char version[LINK_BOOT_STR_MAX + 1];
    char partition[LINK_BOOT_STR_MAX + 1];
    char reset_reason[LINK_BOOT_STR_MAX + 1];
    link_reader_t reader;
    uint16_t link_seq;
    uint32_t espnow_seq;
    uint64_t boot_us;
    uint32_t heartbeat_ms;     /* 0 = off; default 1000 */
    uint64_t next_heartbeat_us;
    uint32_t beacon_ms;        /* 0 = off; default 1000 */
    uint64_t next_beacon_us;
    board_pp_t pp;
    board_stats_t stats;
    /* The frame being dispatched to a radio handler was sent to the
     * broadcast address (never encrypted; ESP-NOW's recv info des_addr). */
    bool rx_broadcast;
    board_handler_t radio_handlers[BOARD_HANDLERS_MAX];
    board_handler_t link_handlers[BOARD_HANDLERS_MAX];
    struct { board_poll_fn *fn; void *ctx; } pollers[BOARD_HANDLERS_MAX];
    uint8_t txbuf[LINK_MAX_WIRE];
    uint8_t airbuf[ESPNOW_MAX_FRAME];
    uint8_t scratch[LINK_MAX_PAYLOAD];
};

/* Sets up SELF (caller-owned storage). Call board_core_boot next. */
void board_core_init (board_core_t *self, const board_port_t *port, const board_info_t *info);
/* Updates what the boot report says (labsim after a flash/reboot, OTA after
 * switching partitions). NULL strings keep the current value. */
void board_core_set_identity (board_core_t *self, const char *version, const char *partition,
                              const char *reset_reason);
/* Logs the boot line and sends the boot report frame. */
void board_core_boot (board_core_t *self);

/* Entry points. */
void board_core_uart_in (board_core_t *self, const uint8_t *data, size_t len);
void board_core_radio_in (board_core_t *self, const uint8_t src[BOARD_MAC_LEN], int8_t rssi,
                          const uint8_t *data, size_t len);
/* The same, saying whether the frame was addressed to the broadcast address
 * (ESP-IDF >= 5.0: esp_now_recv_info_t.des_addr); handlers see it as
 * rx_broadcast. board_core_radio_in is this with false. */
void board_core_radio_in_to (board_core_t *self, const uint8_t src[BOARD_MAC_LEN], bool broadcast, int8_t rssi,
                             const uint8_t *data, size_t len);
/* Timers: heartbeat, beacon, ping-pong. Call often (every few ms). */
void board_core_poll (board_core_t *self);

/* Registry. Registering a type again replaces its handler; fn NULL removes
 * it. Returns 0, or -1 when the table is full. A radio handler sees the
 * payload after the core has reported it to the host as LINK_T_ESPNOW_RX. */
int board_core_set_handler (board_core_t *self, uint8_t espnow_type, board_radio_fn *fn, void *ctx);
int board_core_set_link_handler (board_core_t *self, uint8_t link_type, board_link_fn *fn, void *ctx);
int board_core_add_poller (board_core_t *self, board_poll_fn *fn, void *ctx);

/* For modules: send to the host / the radio / the log. */
int board_core_send_link (board_core_t *self, uint8_t type, const void *payload, size_t len);
/* Wraps PAYLOAD in an espnow_hdr_t (the core's sequence) and sends it. */
int board_core_send_espnow (board_core_t *self, const uint8_t mac[BOARD_MAC_LEN], uint8_t type,
                            const void *payload, size_t len);
void board_core_log (board_core_t *self, const char *line);
/* Asks the port to reboot (OTA responder after switching partitions). */
void board_core_reboot (board_core_t *self);

void board_core_set_heartbeat (board_core_t *self, uint32_t interval_ms);
void board_core_set_beacon (board_core_t *self, uint32_t interval_ms);
const board_stats_t *board_core_stats (board_core_t *self);

/* Ping body on the air (ESPNOW_T_PING / PONG): run:u32 seq:u32 t_us:u64 then padding. */
#define BOARD_PING_BODY 16u

#endif
