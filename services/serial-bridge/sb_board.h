/* sb_board - one board as serial-bridge sees it: its port (reconnecting when
 * it vanishes), the link reader splitting log text from frames, and what goes
 * on the bus and into the board's log file:
 *   tel.serial.<board>  SerialLine per text line, with the time of its last byte
 *   tel.frame.<board>   BoardFrame per frame (both directions; crc_ok false for
 *                       damaged ones, whose raw bytes are hex-dumped to the log)
 *   tel.rssi.<board>    RssiSample per ESP-NOW frame the board received
 *   state.board.<board> BoardState on change and every second
 *   evt.alert.board_silent.<board>, evt.alert.board_panic.<board>,
 *   evt.alert.board_reset.<board>   Alert
 * Frames that commands wait for (boot report, ping-pong, send status) are
 * handed to the owner through the on_frame callback. */
#ifndef SB_BOARD_H
#define SB_BOARD_H

#include <stdbool.h>
#include <stdint.h>
#include "bus/bus_client.h"
#include "link_frame.h"
#include "services/serial-bridge/sb_port.h"

typedef struct _sb_board_t sb_board_t;

typedef struct {
    const char *name;
    const char *url;
    long baud;
    long silent_after_ms;     /* 0: never alert */
    const char *reset;        /* dtr-rts, frame, none */
    const char *flash;        /* argv template, may be NULL */
    const char *elf;          /* for addr2line, may be NULL */
    const char *addr2line;    /* e.g. xtensa-esp32-elf-addr2line, may be NULL */
    bool hexdump;             /* every frame both ways into the log */
    const char *log_path;     /* NULL: no log file */
    long log_max;
    int log_files;
    const char *runtime_dir;
    const uint8_t *mac;       /* from the config, may be NULL */
} sb_board_opts_t;

typedef void (sb_frame_fn) (void *ctx, sb_board_t *board, uint8_t type, uint16_t seq,
                            const uint8_t *payload, size_t len);
/* Name of the board with MAC (for RssiSample.sender), or NULL. */
typedef const char *(sb_mac_name_fn) (void *ctx, const uint8_t mac[6]);

sb_board_t *sb_board_new (const sb_board_opts_t *opts, bus_client_t *bus, char *err, size_t errlen);
void sb_board_destroy (sb_board_t **self_p);
void sb_board_set_callbacks (sb_board_t *self, sb_frame_fn *on_frame, sb_mac_name_fn *mac_name,
                             void *ctx);

const char *sb_board_name (sb_board_t *self);
bool sb_board_connected (sb_board_t *self);
bool sb_board_released (sb_board_t *self);
/* MAC from the last boot report (or the config); false when unknown. */
bool sb_board_mac (sb_board_t *self, uint8_t mac[6]);
const char *sb_board_version (sb_board_t *self);
uint64_t sb_board_boots (sb_board_t *self);
const char *sb_board_flash_template (sb_board_t *self);
const char *sb_board_device (sb_board_t *self);

/* The fd to poll (-1 when not connected). */
int sb_board_fd (sb_board_t *self);
/* Reads what is there and processes it. */
void sb_board_on_readable (sb_board_t *self);
/* The pipe of a child the board waits for (addr2line symbolising a panic),
 * -1 when none: poll it for reading and call sb_board_on_child. */
int sb_board_child_fd (sb_board_t *self);
void sb_board_on_child (sb_board_t *self);
/* Timers: reconnect, silence, state publishing, partial lines, panics. */
void sb_board_tick (sb_board_t *self, uint64_t now_ms);

/* Sends a frame: queued whole and written as the port takes it, never
 * waiting. Returns its seq; -1 when the board is not connected;
 * SB_PORT_EFULL when the board has stopped reading and its queue is full
 * (nothing sent; the port stays open). */
int sb_board_send_frame (sb_board_t *self, uint8_t type, const void *payload, size_t len);
/* The same for text: 0, -1 or SB_PORT_EFULL. */
int sb_board_write_text (sb_board_t *self, const char *text);
/* Output waiting for the port: poll its fd for writing, then call
 * sb_board_on_writable. */
bool sb_board_want_write (sb_board_t *self);
void sb_board_on_writable (sb_board_t *self);
size_t sb_board_queued (sb_board_t *self);
/* Gives the port up (flashing) / takes it back. */
void sb_board_release (sb_board_t *self);
int sb_board_acquire (sb_board_t *self);
/* Resets the board the configured way; the next boot is expected (no alert). */
int sb_board_reset (sb_board_t *self, bool bootloader, char *err, size_t errlen);
void sb_board_expect_reset (sb_board_t *self, uint64_t for_ms);

/* The last N text lines, oldest first, "HH:MM:SS.mmm text\n" each (caller frees). */
char *sb_board_tail (sb_board_t *self, int n);
/* BoardState as JSON (caller frees). */
char *sb_board_json (sb_board_t *self);
void sb_board_publish_state (sb_board_t *self);

#endif
