/* serial_bridge - the serial-bridge service: every board of the config's
 * `boards` sections (sb_board), and the bus service `serial-bridge`:
 *   boards                        every board's state (json)
 *   tail BOARD [N]                last N lines with timestamps
 *   write BOARD TEXT...           text to the board (a newline is added)
 *   frame BOARD TYPE HEX          a link frame (TYPE decimal or 0x..)
 *   espnow BOARD MAC|NAME HEX     an ESP-NOW payload to a MAC (HEX is sent as
 *                                 is when it already is an espnow_hdr frame,
 *                                 else wrapped as ESPNOW_T_APP)
 *   release BOARD / acquire BOARD give the port up for flashing / take it back
 *   reset BOARD [bootloader]      DTR/RTS pulse (or the configured way)
 *   flash BOARD IMAGE             release, run the board's flash argv, acquire,
 *                                 reply with the new boot report
 *   pingpong A B COUNT HZ [SIZE]  ping-pong from A to B; replies when done and
 *                                 publishes PingPongStats on tel.pingpong.<run> */
#ifndef SERIAL_BRIDGE_H
#define SERIAL_BRIDGE_H

#include "bus/bus_client.h"

typedef struct _serial_bridge_t serial_bridge_t;

/* Loads the boards from CONFIG_PATH; NULL with ERR on a config error. */
serial_bridge_t *serial_bridge_new (const char *config_path, const char *source, char *err,
                                    size_t errlen);
void serial_bridge_destroy (serial_bridge_t **self_p);
/* Runs until interrupted (zsys_interrupted). */
void serial_bridge_run (serial_bridge_t *self);

#endif
