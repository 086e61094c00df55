/* sb_port - serial ports by URL (see sb_port.h). */
#include "services/serial-bridge/sb_port.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <libserialport.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

typedef enum { K_DEV, K_USB_SERIAL, K_USB_VIDPID, K_PTY, K_TCP } kind_t;

struct _sb_port_t {
    char url[512];
    kind_t kind;
    char arg[512];          /* path, serial number, host:port */
    int vid, pid;
    long baud;
    char device[512];
    int fd;
    struct sp_port *sp;     /* real serial ports */
    char error[512];
    /* Bytes accepted but not yet taken by the port: a ring, drained when
     * the port is writable. Bounded, so a board that stops reading costs
     * memory up to SB_PORT_QUEUE_MAX and then refusals, never a wait. */
    uint8_t *q;
    size_t q_head, q_len;
    uint64_t refused;       /* writes refused because the queue was full */
};

static int
s_parse (const char *url, kind_t *kind, char *arg, size_t arglen, int *vid, int *pid,
         const char *runtime, char *err, size_t errlen)
{
    if (!strncmp (url, "pty:", 4) && url[4]) {
        *kind = K_PTY;
        snprintf (arg, arglen, "%s", url + 4);
    } else if (!strncmp (url, "sim:", 4) && url[4]) {
        *kind = K_PTY;
        snprintf (arg, arglen, "%s/boards/%s", runtime ? runtime : ".", url + 4);
    } else if (!strncmp (url, "tcp://", 6) && strchr (url + 6, ':')) {
        *kind = K_TCP;
        snprintf (arg, arglen, "%s", url + 6);
    } else if (!strncmp (url, "usb:serial=", 11) && url[11]) {
        *kind = K_USB_SERIAL;
        snprintf (arg, arglen, "%s", url + 11);
    } else if (!strncmp (url, "usb:", 4)) {
        unsigned v, p;
        char extra;
        if (sscanf (url + 4, "%x:%x%c", &v, &p, &extra) != 2 || v > 0xffff || p > 0xffff) {
            snprintf (err, errlen, "bad port URL '%s' (usb:serial=SN or usb:VID:PID)", url);
            return -1;
        }
        *kind = K_USB_VIDPID;
        *vid = (int) v;
        *pid = (int) p;
    } else if (url[0] == '/') {
        *kind = K_DEV;
        snprintf (arg, arglen, "%s", url);
    } else {
        snprintf (err, errlen,
                  "bad port URL '%s' (want /dev/..., usb:serial=SN, usb:VID:PID, pty:/path, "
                  "tcp://host:port or sim:NAME)", url);
        return -1;
    }
    return 0;
}

int
sb_port_check_url (const char *url, char *err, size_t errlen)
{
    kind_t k;
    char arg[512];
    int v, p;
    return s_parse (url, &k, arg, sizeof arg, &v, &p, ".", err, errlen);
}

sb_port_t *
sb_port_new (const char *url, long baud, const char *runtime_dir)
{
    sb_port_t *self = calloc (1, sizeof *self);
    snprintf (self->url, sizeof self->url, "%s", url);
    self->baud = baud;
    self->fd = -1;
    if (s_parse (url, &self->kind, self->arg, sizeof self->arg, &self->vid, &self->pid,
                 runtime_dir, self->error, sizeof self->error)) {
        free (self);
        return NULL;
    }
    return self;
}

void
sb_port_destroy (sb_port_t **self_p)
{
    if (!*self_p)
        return;
    sb_port_close (*self_p);
    free ((*self_p)->q);
    free (*self_p);
    *self_p = NULL;
}

static speed_t
s_speed (long baud)
{
    switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 500000: return B500000;
    case 576000: return B576000;
    case 1000000: return B1000000;
    case 1500000: return B1500000;
    case 2000000: return B2000000;
    default: return B921600;
    }
}

static int
s_open_pty (sb_port_t *self)
{
    int fd = open (self->arg, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf (self->error, sizeof self->error, "%s: %s", self->arg, strerror (errno));
        return -1;
    }
    struct termios tio;
    if (tcgetattr (fd, &tio) == 0) {
        cfmakeraw (&tio);
        cfsetspeed (&tio, s_speed (self->baud));
        tio.c_cc[VMIN] = 0;
        tio.c_cc[VTIME] = 0;
        tcsetattr (fd, TCSANOW, &tio);
    }
    snprintf (self->device, sizeof self->device, "%s", self->arg);
    self->fd = fd;
    return 0;
}

static int
s_open_tcp (sb_port_t *self)
{
    char host[256];
    snprintf (host, sizeof host, "%s", self->arg);
    char *colon = strrchr (host, ':');
    *colon = 0;
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
    int rc = getaddrinfo (host, colon + 1, &hints, &ai);
    if (rc) {
        snprintf (self->error, sizeof self->error, "%s: %s", self->arg, gai_strerror (rc));
        return -1;
    }
    int fd = socket (ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect (fd, ai->ai_addr, ai->ai_addrlen)) {
        snprintf (self->error, sizeof self->error, "%s: %s", self->arg, strerror (errno));
        if (fd >= 0)
            close (fd);
        freeaddrinfo (ai);
        return -1;
    }
    freeaddrinfo (ai);
    int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
    snprintf (self->device, sizeof self->device, "%s", self->arg);
    self->fd = fd;
    return 0;
}

/* Finds the device name for a USB match in libserialport's list. */
static int
s_find_usb (sb_port_t *self, char *name, size_t len)
{
    struct sp_port **list = NULL;
    if (sp_list_ports (&list) != SP_OK) {
        snprintf (self->error, sizeof self->error, "cannot list serial ports");
        return -1;
    }
    int found = -1;
    for (int i = 0; list[i] && found < 0; i++) {
        if (sp_get_port_transport (list[i]) != SP_TRANSPORT_USB)
            continue;
        if (self->kind == K_USB_SERIAL) {
            const char *sn = sp_get_port_usb_serial (list[i]);
            if (sn && !strcmp (sn, self->arg))
                found = i;
        } else {
            int v = 0, p = 0;
            if (sp_get_port_usb_vid_pid (list[i], &v, &p) == SP_OK && v == self->vid && p == self->pid)
                found = i;
        }
        if (found >= 0)
            snprintf (name, len, "%s", sp_get_port_name (list[i]));
    }
    sp_free_port_list (list);
    if (found < 0)
        snprintf (self->error, sizeof self->error, "%s: no such USB serial port", self->url);
    return found < 0 ? -1 : 0;
}

static int
s_open_serial (sb_port_t *self, const char *name)
{
    if (sp_get_port_by_name (name, &self->sp) != SP_OK) {
        snprintf (self->error, sizeof self->error, "%s: no such port", name);
        return -1;
    }
    if (sp_open (self->sp, SP_MODE_READ_WRITE) != SP_OK) {
        char *msg = sp_last_error_message ();
        snprintf (self->error, sizeof self->error, "%s: %s", name, msg ? msg : "cannot open");
        sp_free_error_message (msg);
        sp_free_port (self->sp);
        self->sp = NULL;
        return -1;
    }
    sp_set_baudrate (self->sp, (int) self->baud);
    sp_set_bits (self->sp, 8);
    sp_set_parity (self->sp, SP_PARITY_NONE);
    sp_set_stopbits (self->sp, 1);
    sp_set_flowcontrol (self->sp, SP_FLOWCONTROL_NONE);
    /* Opening a port asserts DTR and RTS on Linux, which holds an ESP32
     * DevKitC in reset: release both so the board runs. */
    sp_set_dtr (self->sp, SP_DTR_OFF);
    sp_set_rts (self->sp, SP_RTS_OFF);
    sp_get_port_handle (self->sp, &self->fd);
    fcntl (self->fd, F_SETFL, fcntl (self->fd, F_GETFL) | O_NONBLOCK);
    snprintf (self->device, sizeof self->device, "%s", name);
    return 0;
}

int
sb_port_open (sb_port_t *self)
{
    if (self->fd >= 0)
        return 0;
    char name[512];
    switch (self->kind) {
    case K_PTY: return s_open_pty (self);
    case K_TCP: return s_open_tcp (self);
    case K_DEV: return s_open_serial (self, self->arg);
    default:
        if (s_find_usb (self, name, sizeof name))
            return -1;
        return s_open_serial (self, name);
    }
}

void
sb_port_close (sb_port_t *self)
{
    if (self->sp) {
        sp_close (self->sp);
        sp_free_port (self->sp);
        self->sp = NULL;
    } else if (self->fd >= 0) {
        close (self->fd);
    }
    self->fd = -1;
    self->q_head = self->q_len = 0;     /* what was queued for the old port is moot */
}

bool sb_port_is_open (sb_port_t *self) { return self->fd >= 0; }
int sb_port_fd (sb_port_t *self) { return self->fd; }
const char *sb_port_device (sb_port_t *self) { return *self->device ? self->device : self->arg; }
const char *sb_port_url (sb_port_t *self) { return self->url; }
const char *sb_port_error (sb_port_t *self) { return self->error; }

long
sb_port_read (sb_port_t *self, void *buf, size_t len)
{
    if (self->fd < 0)
        return -1;
    ssize_t n = read (self->fd, buf, len);
    if (n > 0)
        return n;
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    /* EOF on a socket, EIO on a pty whose other side is gone, ENXIO/ENODEV
     * on a USB device that was pulled. */
    snprintf (self->error, sizeof self->error, "%s: %s", sb_port_device (self),
              n == 0 ? "closed" : strerror (errno));
    sb_port_close (self);
    return -1;
}

/* Writes what the port takes now from the ring; 0, or -1 (port gone). */
static int
s_drain (sb_port_t *self)
{
    while (self->q_len && self->fd >= 0) {
        size_t first = self->q_head + self->q_len > SB_PORT_QUEUE_MAX ? SB_PORT_QUEUE_MAX - self->q_head
                                                                       : self->q_len;
        const uint8_t *p = self->q + self->q_head;
        ssize_t n = self->kind == K_TCP ? send (self->fd, p, first, MSG_NOSIGNAL) : write (self->fd, p, first);
        if (n > 0) {
            self->q_head = (self->q_head + (size_t) n) % SB_PORT_QUEUE_MAX;
            self->q_len -= (size_t) n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        snprintf (self->error, sizeof self->error, "%s: %s", sb_port_device (self),
                  n == 0 ? "write returned 0" : strerror (errno));
        return -1;
    }
    return self->fd >= 0 ? 0 : -1;
}

int
sb_port_write (sb_port_t *self, const void *data, size_t len)
{
    if (self->fd < 0) {
        snprintf (self->error, sizeof self->error, "%s: not open", sb_port_device (self));
        return -1;
    }
    /* All or nothing: half a frame on the wire would be garbage to the board. */
    if (len > SB_PORT_QUEUE_MAX - self->q_len) {
        self->refused++;
        snprintf (self->error, sizeof self->error,
                  "%s: not reading (%zu bytes queued, %zu more refused)", sb_port_device (self), self->q_len,
                  len);
        return SB_PORT_EFULL;
    }
    if (!self->q)
        self->q = (uint8_t *) malloc (SB_PORT_QUEUE_MAX);
    const uint8_t *p = data;
    size_t tail = (self->q_head + self->q_len) % SB_PORT_QUEUE_MAX;
    size_t first = len < SB_PORT_QUEUE_MAX - tail ? len : SB_PORT_QUEUE_MAX - tail;
    memcpy (self->q + tail, p, first);
    memcpy (self->q, p + first, len - first);
    self->q_len += len;
    return s_drain (self);
}

int
sb_port_flush (sb_port_t *self)
{
    return s_drain (self);
}

size_t
sb_port_queued (sb_port_t *self)
{
    return self->q_len;
}

uint64_t
sb_port_refused (sb_port_t *self)
{
    return self->refused;
}

int
sb_port_set_lines (sb_port_t *self, bool dtr, bool rts)
{
    if (self->sp) {
        if (sp_set_dtr (self->sp, dtr ? SP_DTR_ON : SP_DTR_OFF) != SP_OK
            || sp_set_rts (self->sp, rts ? SP_RTS_ON : SP_RTS_OFF) != SP_OK)
            goto fail;
        return 0;
    }
    if (self->fd >= 0 && self->kind != K_TCP) {
        int bits = TIOCM_DTR;
        if (ioctl (self->fd, dtr ? TIOCMBIS : TIOCMBIC, &bits))
            goto fail;
        bits = TIOCM_RTS;
        if (ioctl (self->fd, rts ? TIOCMBIS : TIOCMBIC, &bits))
            goto fail;
        return 0;
    }
fail:
    snprintf (self->error, sizeof self->error, "%s: no modem lines (DTR/RTS) on this port",
              sb_port_device (self));
    return -1;
}
