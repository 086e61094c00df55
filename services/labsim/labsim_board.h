/* labsim_board - one simulated board: the real firmware core (board_core)
 * behind a UART that is a pty (stable symlink <runtime>/boards/<name>) and a
 * TCP port (raw, like ser2net), paced at the configured baud rate in both
 * directions, on the simulated radio.
 *
 * Extension seam: other areas extend simulated boards (flash emulation, OTA
 * responder) without editing this file. labsim_board_ext_attach() (in
 * labsim_board_ext.c, a no-op by default; an area that extends boards
 * filters that file out of LABSIM_SRC below its own build.mk marker and
 * provides these functions) runs once per board; it may keep a pointer in
 * the board's app slot and set hooks: on_boot runs at every (re)boot after the
 * core is initialised and before the boot report (re-register core handlers,
 * set version and partition), on_flash handles `labsim flash BOARD IMAGE`. */
#ifndef LABSIM_BOARD_H
#define LABSIM_BOARD_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>
#include "board_core.h"
#include "bus/lab_config.h"
#include "services/labsim/labsim_radio.h"
#include "services/labsim/labsim_espnow.h"

typedef struct _labsim_board_t labsim_board_t;

typedef struct {
    const char *name;
    uint8_t mac[6];
    long baud;                 /* 8N1: baud/10 bytes per second */
    int tcp_port;              /* 0: the kernel chooses */
    const char *runtime_dir;   /* pty symlink and .port file go in <runtime>/boards */
    const char *version;       /* firmware version of the factory image */
} labsim_board_opts_t;

typedef void (labsim_board_boot_fn) (labsim_board_t *board, void *app);
typedef int (labsim_board_flash_fn) (labsim_board_t *board, void *app, const char *image,
                                     char *err, size_t errlen);

labsim_board_t *labsim_board_new (const labsim_board_opts_t *opts, labsim_radio_t *radio,
                                  char *err, size_t errlen);
void labsim_board_destroy (labsim_board_t **self_p);

const char *labsim_board_name (labsim_board_t *self);
const uint8_t *labsim_board_mac (labsim_board_t *self);
int labsim_board_node (labsim_board_t *self);          /* radio node index */
/* The board's ESP-NOW peer table and keys (labsim_espnow.h). */
labsim_espnow_t *labsim_board_espnow (labsim_board_t *self);
board_core_t *labsim_board_core (labsim_board_t *self);
const char *labsim_board_pty_link (labsim_board_t *self);
int labsim_board_tcp_port (labsim_board_t *self);
bool labsim_board_up (labsim_board_t *self);

/* Extension slot and hooks (see the file comment). */
void labsim_board_set_app (labsim_board_t *self, void *app, labsim_board_boot_fn *on_boot,
                           labsim_board_flash_fn *on_flash);
void *labsim_board_app (labsim_board_t *self);

/* Powers the board up: ROM banner, core init, extension on_boot, boot report. */
void labsim_board_start (labsim_board_t *self, const char *reset_reason);
/* Reboots after a short delay, as the chip does (REASON: sw, panic, poweron...). */
void labsim_board_reboot (labsim_board_t *self, const char *reason);
/* Flashes IMAGE: the extension's on_flash, else a built-in that reads the
 * version from the ESP32 app descriptor and boots it from "factory". */
int labsim_board_flash (labsim_board_t *self, const char *image, char *err, size_t errlen);

/* Faults. */
typedef enum {
    LABSIM_FAULT_NONE = 0,
    LABSIM_FAULT_TX_SILENT = 1,   /* UART output dropped */
    LABSIM_FAULT_CORRUPT = 2,     /* bytes of UART output flipped */
    /* The flaky CP2102: after any reset but a power cycle (a flash ends with
     * one) UART output stops, until labsim_board_power_cycle. */
    LABSIM_FAULT_TX_FLAKY = 3,
    LABSIM_FAULT_TX_DEAD = 4,     /* UART output never comes, power cycles or not */
} labsim_fault_t;
/* Power off and on (a switchable USB hub): a power-on boot that also
 * brings a flaky bridge's output back. Faults stay set. */
void labsim_board_power_cycle (labsim_board_t *self);
/* An image carrying this marker (labsim mkimage --crash) panics shortly
 * after every boot: broken code, for /diagnose. Seen on USB flashes. */
#define LABSIM_CRASH_MARKER "LABSIM-CRASH-AT-BOOT"
void labsim_board_set_fault (labsim_board_t *self, labsim_fault_t fault);
/* Panics: Guru Meditation text with a backtrace, then a reboot. */
void labsim_board_panic (labsim_board_t *self);
/* The port disappears (pty closed, symlink removed) / comes back (new pty,
 * same symlink) with a power-on boot, like a USB replug. */
void labsim_board_vanish (labsim_board_t *self);
int labsim_board_restore (labsim_board_t *self, char *err, size_t errlen);

/* Delivers a radio frame to this board. */
void labsim_board_radio_in (labsim_board_t *self, const uint8_t src[6], bool broadcast, int8_t rssi,
                            const uint8_t *data, size_t len);

/* Event loop: fill poll items (max 3) for this board's fds; returns how many. */
int labsim_board_pollitems (labsim_board_t *self, zmq_pollitem_t *items);
/* Does pending work: accept, paced read and write, core timers, reboots.
 * Returns the microseconds it would like to be called again within. */
long labsim_board_tick (labsim_board_t *self);

typedef struct {
    uint64_t uart_out, uart_in, dropped, corrupted;
} labsim_board_stats_t;
void labsim_board_stats (labsim_board_t *self, labsim_board_stats_t *out);

/* Extension entry points, in labsim_board_ext.c (no-op default). */
int labsim_board_ext_attach (labsim_board_t *board, lab_config_t *cfg, zconfig_t *node,
                             char *err, size_t errlen);
void labsim_board_ext_detach (labsim_board_t *board);

#endif
