/* sb_port - opens a board's serial port from its URL and gives back a file
 * descriptor to poll, read and write.
 *
 *   /dev/ttyUSB0            a device by path (libserialport)
 *   usb:serial=0001         the USB serial port with that serial number,
 *                           wherever it enumerates (libserialport's list)
 *   usb:10c4:ea60           the first port with that VID:PID
 *   pty:/path               a pseudo-terminal (termios; libserialport
 *                           cannot open ptys)
 *   tcp://host:port         a raw TCP serial server (ser2net raw mode)
 *   sim:NAME                a labsim board: pty:<runtime>/boards/NAME
 *
 * The URL is resolved again at every open, so a board matched by USB serial
 * number is found under a new /dev name after a replug. */
#ifndef SB_PORT_H
#define SB_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _sb_port_t sb_port_t;

/* Checks URL's syntax (no I/O); 0 or -1 with a message. */
int sb_port_check_url (const char *url, char *err, size_t errlen);

sb_port_t *sb_port_new (const char *url, long baud, const char *runtime_dir);
void sb_port_destroy (sb_port_t **self_p);

/* Opens the port; 0, or -1 with sb_port_error set. */
int sb_port_open (sb_port_t *self);
void sb_port_close (sb_port_t *self);
bool sb_port_is_open (sb_port_t *self);
int sb_port_fd (sb_port_t *self);
/* The device path (or host:port) of the last open, for {port} in flash argv. */
const char *sb_port_device (sb_port_t *self);
const char *sb_port_url (sb_port_t *self);
const char *sb_port_error (sb_port_t *self);

/* Non-blocking read; returns bytes, 0 when nothing is there, -1 when the
 * port went away (closed: the caller reconnects). */
long sb_port_read (sb_port_t *self, void *buf, size_t len);
/* Bytes a port may hold that it has not taken yet (about 0.7 s at 921600
 * baud). */
#define SB_PORT_QUEUE_MAX (64 * 1024)
#define SB_PORT_EFULL (-2)

/* Queues all of DATA and writes what the port takes now; never waits.
 * 0; SB_PORT_EFULL when the queue cannot take all of it (nothing queued:
 * a frame goes whole or not at all; the port stays open); -1 when the port
 * is gone (sb_port_error says why). */
int sb_port_write (sb_port_t *self, const void *data, size_t len);
/* Writes more of the queue (call when the fd is writable); 0 or -1. */
int sb_port_flush (sb_port_t *self);
/* Bytes waiting in the queue: poll the fd for writing while non-zero. */
size_t sb_port_queued (sb_port_t *self);
/* Writes refused so far because the queue was full. */
uint64_t sb_port_refused (sb_port_t *self);

/* Modem lines, for the auto-reset circuit (DTR -> IO0, RTS -> EN, inverted
 * by the transistor pair). -1 when the port has no modem lines. */
int sb_port_set_lines (sb_port_t *self, bool dtr, bool rts);

#endif
