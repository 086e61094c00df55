/* labsim_board - a simulated board: board_core behind a paced pty + TCP
 * UART, on the simulated radio (see labsim_board.h). */
#include "services/labsim/labsim_board.h"
#include "bus/bus_client.h"
#include "app_desc.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define RING_SIZE (64 * 1024)
#define BURST_MAX 256           /* bytes of pacing credit a board may save up */
#define REBOOT_DELAY_US 50000   /* reset line held, ROM banner, app start */

struct _labsim_board_t {
    char name[64];
    uint8_t mac[6];
    long baud;
    char runtime_dir[512];
    char link_path[600];
    char port_path[620];
    char version[LINK_BOOT_STR_MAX + 1];
    labsim_radio_t *radio;
    int node;
    int master, slave, listener, client;
    int tcp_port;
    bool up;                  /* powered and running */
    bool vanished;
    uint64_t reboot_at_us;    /* 0: none pending */
    char reboot_reason[16];
    labsim_fault_t fault;
    bool tx_latched;          /* TX_FLAKY after a reset: silent until a power cycle */
    bool crash_image;         /* the flashed image panics after boot */
    uint64_t crash_at_us;
    unsigned rng;
    /* UART output to the host, paced. */
    uint8_t *ring;
    size_t ring_head, ring_count;
    double tx_credit, rx_credit;
    uint64_t last_tick_us;
    uint64_t boot_us;
    board_core_t core;
    void *app;
    labsim_board_boot_fn *on_boot;
    labsim_board_flash_fn *on_flash;
    labsim_board_stats_t stats;
    labsim_espnow_t espnow;   /* ESP-NOW peers and keys (RAM: gone on reboot) */
};

static uint64_t
s_now_us (void)
{
    return bus_mono_ns () / 1000u;
}

/* --- UART output ----------------------------------------------------- */

static void
s_uart_put (labsim_board_t *self, const uint8_t *data, size_t len)
{
    if (self->fault == LABSIM_FAULT_TX_SILENT || self->fault == LABSIM_FAULT_TX_DEAD || self->tx_latched
        || self->vanished) {
        self->stats.dropped += len;
        return;
    }
    for (size_t i = 0; i < len; i++) {
        if (self->ring_count >= RING_SIZE) {
            self->stats.dropped += len - i;
            return;
        }
        uint8_t c = data[i];
        /* Corruption hits roughly one byte in 64, like a marginal cable. */
        if (self->fault == LABSIM_FAULT_CORRUPT && rand_r (&self->rng) % 64 == 0) {
            c ^= (uint8_t) (1u << (rand_r (&self->rng) % 8));
            self->stats.corrupted++;
        }
        self->ring[(self->ring_head + self->ring_count++) % RING_SIZE] = c;
    }
}

static void
s_uart_text (labsim_board_t *self, const char *text)
{
    s_uart_put (self, (const uint8_t *) text, strlen (text));
}

/* --- the core's port ------------------------------------------------- */

static int
s_port_radio_send (void *ctx, const uint8_t mac[6], const uint8_t *data, size_t len)
{
    labsim_board_t *self = ctx;
    if (len > LABSIM_RADIO_FRAME_MAX)
        return -1;
    /* As the bench firmware does: an unknown destination becomes an
     * unencrypted peer (paired boards were added encrypted at boot). */
    if (!labsim_espnow_find (&self->espnow, mac)) {
        labsim_espnow_err_t rc = labsim_espnow_add_peer (&self->espnow, mac, false, NULL);
        if (rc != LABSIM_ESPNOW_OK)
            return -1;
    }
    /* ESP-NOW reports success for unicast only when acked; we keep it simple
     * and report "handed to the radio", which is what broadcast does too. */
    labsim_radio_send (self->radio, self->node, mac, data, len, s_now_us ());
    return 0;
}

static void
s_port_uart_write (void *ctx, const uint8_t *data, size_t len)
{
    s_uart_put (ctx, data, len);
}

static uint64_t
s_port_now (void *ctx)
{
    (void) ctx;
    return s_now_us ();
}

static void
s_port_log (void *ctx, const char *line)
{
    labsim_board_t *self = ctx;
    char buf[256];
    snprintf (buf, sizeof buf, "I (%u) labcore: %s\r\n",
              (unsigned) ((s_now_us () - self->boot_us) / 1000u), line);
    s_uart_text (self, buf);
}

static void
s_port_reboot (void *ctx)
{
    labsim_board_reboot (ctx, "sw");
}

/* --- pty and TCP ----------------------------------------------------- */

static int
s_open_pty (labsim_board_t *self, char *err, size_t errlen)
{
    int m = posix_openpt (O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (m < 0 || grantpt (m) || unlockpt (m)) {
        snprintf (err, errlen, "%s: cannot create a pty: %s", self->name, strerror (errno));
        if (m >= 0)
            close (m);
        return -1;
    }
    fcntl (m, F_SETFD, FD_CLOEXEC);
    const char *slave_path = ptsname (m);
    /* We hold the slave open ourselves so the master never sees a hangup
     * while no host has the port open (a real UART does not care either). */
    int s = open (slave_path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (s < 0) {
        snprintf (err, errlen, "%s: cannot open %s: %s", self->name, slave_path, strerror (errno));
        close (m);
        return -1;
    }
    struct termios tio;
    if (tcgetattr (s, &tio) == 0) {
        cfmakeraw (&tio);
        cfsetspeed (&tio, B921600);
        tcsetattr (s, TCSANOW, &tio);
    }
    char tmp[700];
    snprintf (tmp, sizeof tmp, "%s.tmp%d", self->link_path, (int) getpid ());
    unlink (tmp);
    if (symlink (slave_path, tmp) || rename (tmp, self->link_path)) {
        snprintf (err, errlen, "%s: cannot link %s: %s", self->name, self->link_path, strerror (errno));
        unlink (tmp);
        close (s);
        close (m);
        return -1;
    }
    self->master = m;
    self->slave = s;
    return 0;
}

static void
s_close_pty (labsim_board_t *self)
{
    if (self->master >= 0)
        close (self->master);
    if (self->slave >= 0)
        close (self->slave);
    self->master = self->slave = -1;
    unlink (self->link_path);
}

static int
s_open_listener (labsim_board_t *self, int port, char *err, size_t errlen)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port),
                              .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    socklen_t sl = sizeof sa;
    if (fd < 0 || bind (fd, (struct sockaddr *) &sa, sizeof sa) || listen (fd, 2)
        || getsockname (fd, (struct sockaddr *) &sa, &sl)) {
        snprintf (err, errlen, "%s: cannot listen on 127.0.0.1:%d: %s", self->name, port,
                  strerror (errno));
        if (fd >= 0)
            close (fd);
        return -1;
    }
    self->listener = fd;
    self->tcp_port = ntohs (sa.sin_port);
    FILE *f = fopen (self->port_path, "w");
    if (f) {
        fprintf (f, "%d\n", self->tcp_port);
        fclose (f);
    }
    return 0;
}

static void
s_close_client (labsim_board_t *self)
{
    if (self->client >= 0)
        close (self->client);
    self->client = -1;
}

/* --- life cycle ------------------------------------------------------ */

labsim_board_t *
labsim_board_new (const labsim_board_opts_t *opts, labsim_radio_t *radio, char *err, size_t errlen)
{
    labsim_board_t *self = calloc (1, sizeof *self);
    self->ring = malloc (RING_SIZE);
    snprintf (self->name, sizeof self->name, "%s", opts->name);
    memcpy (self->mac, opts->mac, 6);
    self->baud = opts->baud > 0 ? opts->baud : 921600;
    snprintf (self->runtime_dir, sizeof self->runtime_dir, "%s", opts->runtime_dir);
    snprintf (self->version, sizeof self->version, "%s", opts->version ? opts->version : "1.0.0");
    self->master = self->slave = self->listener = self->client = -1;
    self->radio = radio;
    self->rng = (unsigned) (opts->mac[5] * 7919u + 17u);
    char dir[600];
    snprintf (dir, sizeof dir, "%s/boards", opts->runtime_dir);
    mkdir (dir, 0700);
    snprintf (self->link_path, sizeof self->link_path, "%s/%s", dir, self->name);
    snprintf (self->port_path, sizeof self->port_path, "%s/%s.port", dir, self->name);
    self->node = labsim_radio_add (radio, self->mac);
    if (self->node < 0) {
        snprintf (err, errlen, "%s: too many boards on the radio", self->name);
        labsim_board_destroy (&self);
        return NULL;
    }
    if (s_open_pty (self, err, errlen) || s_open_listener (self, opts->tcp_port, err, errlen)) {
        labsim_board_destroy (&self);
        return NULL;
    }
    return self;
}

void
labsim_board_destroy (labsim_board_t **self_p)
{
    labsim_board_t *self = *self_p;
    if (!self)
        return;
    s_close_pty (self);
    s_close_client (self);
    if (self->listener >= 0) {
        close (self->listener);
        unlink (self->port_path);
    }
    free (self->ring);
    free (self);
    *self_p = NULL;
}

const char *labsim_board_name (labsim_board_t *self) { return self->name; }
const uint8_t *labsim_board_mac (labsim_board_t *self) { return self->mac; }
int labsim_board_node (labsim_board_t *self) { return self->node; }
board_core_t *labsim_board_core (labsim_board_t *self) { return &self->core; }
const char *labsim_board_pty_link (labsim_board_t *self) { return self->link_path; }
int labsim_board_tcp_port (labsim_board_t *self) { return self->tcp_port; }
bool labsim_board_up (labsim_board_t *self) { return self->up && !self->vanished; }
void *labsim_board_app (labsim_board_t *self) { return self->app; }

void
labsim_board_set_app (labsim_board_t *self, void *app, labsim_board_boot_fn *on_boot,
                      labsim_board_flash_fn *on_flash)
{
    self->app = app;
    self->on_boot = on_boot;
    self->on_flash = on_flash;
}

static const char *
s_rom_reset (const char *reason)
{
    if (!strcmp (reason, "poweron"))
        return "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)";
    if (!strcmp (reason, "panic") || !strcmp (reason, "sw"))
        return "rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)";
    if (!strcmp (reason, "wdt"))
        return "rst:0x7 (TG0WDT_SYS_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)";
    return "rst:0x10 (RTCWDT_RTC_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)";
}

void
labsim_board_start (labsim_board_t *self, const char *reset_reason)
{
    self->boot_us = s_now_us ();
    self->up = true;
    labsim_radio_set_up (self->radio, self->node, !self->vanished);
    char banner[256];
    snprintf (banner, sizeof banner, "ets Jun  8 2016 00:22:57\r\n\r\n%s\r\n", s_rom_reset (reset_reason));
    s_uart_text (self, banner);
    board_port_t port = { .ctx = self, .radio_send = s_port_radio_send,
                          .uart_write = s_port_uart_write, .now_us = s_port_now,
                          .log = s_port_log, .reboot = s_port_reboot };
    board_info_t info = { .channel = 1, .version = self->version, .partition = "factory",
                          .reset_reason = reset_reason };
    memcpy (info.mac, self->mac, 6);
    labsim_espnow_reset (&self->espnow);
    board_core_init (&self->core, &port, &info);
    if (self->on_boot)
        self->on_boot (self, self->app);
    board_core_boot (&self->core);
    self->crash_at_us = self->crash_image ? s_now_us () + 300000 : 0;
}

void
labsim_board_reboot (labsim_board_t *self, const char *reason)
{
    self->up = false;
    labsim_radio_set_up (self->radio, self->node, false);
    snprintf (self->reboot_reason, sizeof self->reboot_reason, "%s", reason);
    self->reboot_at_us = s_now_us () + REBOOT_DELAY_US;
    self->crash_at_us = 0;
    if (self->fault == LABSIM_FAULT_TX_FLAKY)
        self->tx_latched = true;
}

void
labsim_board_power_cycle (labsim_board_t *self)
{
    labsim_board_reboot (self, "poweron");
    self->tx_latched = false;
}

/* True when IMAGE carries LABSIM_CRASH_MARKER (near its start, where
 * labsim mkimage puts it). */
static bool
s_image_crashes (const char *image)
{
    FILE *f = fopen (image, "rb");
    if (!f)
        return false;
    char buf[4096];
    size_t n = fread (buf, 1, sizeof buf, f);
    fclose (f);
    return memmem (buf, n, LABSIM_CRASH_MARKER, strlen (LABSIM_CRASH_MARKER)) != NULL;
}

void
labsim_board_panic (labsim_board_t *self)
{
    s_uart_text (self, "Guru Meditation Error: Core  0 panic'ed (LoadProhibited). Exception was unhandled.\r\n"
                       "Core  0 register dump:\r\n"
                       "PC      : 0x400d1234  PS      : 0x00060330  A0      : 0x800d5678\r\n"
                       "\r\n"
                       "Backtrace: 0x400d1234:0x3ffb1f80 0x400d5675:0x3ffb1fa0 0x40088e9d:0x3ffb1fc0\r\n"
                       "\r\n"
                       "Rebooting...\r\n");
    labsim_board_reboot (self, "panic");
}

/* The version an image file says it is (firmware/core/app_desc.h); an
 * image without an application description boots as "unknown". */
static int
s_image_version (const char *image, char *version, size_t len, char *err, size_t errlen)
{
    FILE *f = fopen (image, "rb");
    if (!f) {
        snprintf (err, errlen, "cannot open %s: %s", image, strerror (errno));
        return -1;
    }
    uint8_t buf[APP_DESC_HEAD_LEN];
    size_t n = fread (buf, 1, sizeof buf, f);
    fclose (f);
    app_desc_t d;
    app_desc_err_t rc = app_desc_read (buf, n, &d);
    if (rc == APP_DESC_NO_DESC) {
        snprintf (version, len, "unknown");
        return 0;
    }
    if (rc != APP_DESC_OK) {
        snprintf (err, errlen, "%s: %s", image, app_desc_strerror (rc));
        return -1;
    }
    snprintf (version, len, "%s", d.version);
    return 0;
}

int
labsim_board_flash (labsim_board_t *self, const char *image, char *err, size_t errlen)
{
    self->crash_image = s_image_crashes (image);
    if (self->on_flash)
        return self->on_flash (self, self->app, image, err, errlen);
    char version[LINK_BOOT_STR_MAX + 1];
    if (s_image_version (image, version, sizeof version, err, errlen))
        return -1;
    snprintf (self->version, sizeof self->version, "%s", version);
    /* esptool ends with a hard reset through RTS. */
    labsim_board_reboot (self, "poweron");
    return 0;
}

void
labsim_board_set_fault (labsim_board_t *self, labsim_fault_t fault)
{
    self->fault = fault;
}

void
labsim_board_vanish (labsim_board_t *self)
{
    self->vanished = true;
    self->up = false;
    labsim_radio_set_up (self->radio, self->node, false);
    s_close_pty (self);
    s_close_client (self);
    self->ring_count = 0;
}

int
labsim_board_restore (labsim_board_t *self, char *err, size_t errlen)
{
    self->fault = LABSIM_FAULT_NONE;
    self->tx_latched = false;
    if (!self->vanished)
        return 0;
    if (s_open_pty (self, err, errlen))
        return -1;
    self->vanished = false;
    labsim_board_reboot (self, "poweron");
    return 0;
}

void
labsim_board_radio_in (labsim_board_t *self, const uint8_t src[6], bool broadcast, int8_t rssi,
                       const uint8_t *data, size_t len)
{
    if (self->up && !self->vanished)
        board_core_radio_in_to (&self->core, src, broadcast, rssi, data, len);
}

/* --- event loop ------------------------------------------------------ */

int
labsim_board_pollitems (labsim_board_t *self, zmq_pollitem_t *items)
{
    int n = 0;
    /* Only ask for input when we have pacing credit, or poll would spin. */
    short in = self->rx_credit >= 1.0 ? ZMQ_POLLIN : 0;
    if (self->master >= 0 && in)
        items[n++] = (zmq_pollitem_t) { .fd = self->master, .events = in };
    if (self->listener >= 0)
        items[n++] = (zmq_pollitem_t) { .fd = self->listener, .events = ZMQ_POLLIN };
    if (self->client >= 0 && in)
        items[n++] = (zmq_pollitem_t) { .fd = self->client, .events = in };
    return n;
}

static void
s_accept (labsim_board_t *self)
{
    int fd = accept4 (self->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    /* One host at a time, like ser2net: the newest wins. */
    s_close_client (self);
    int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    self->client = fd;
}

static void
s_read_input (labsim_board_t *self, int fd)
{
    uint8_t buf[BURST_MAX];
    size_t want = (size_t) self->rx_credit;
    if (want > sizeof buf)
        want = sizeof buf;
    if (!want)
        return;
    ssize_t n = read (fd, buf, want);
    if (n <= 0) {
        if (fd == self->client && (n == 0 || (errno != EAGAIN && errno != EINTR)))
            s_close_client (self);
        return;
    }
    self->rx_credit -= (double) n;
    self->stats.uart_in += (uint64_t) n;
    if (self->up)
        board_core_uart_in (&self->core, buf, (size_t) n);
}

static void
s_write_output (labsim_board_t *self)
{
    while (self->ring_count && self->tx_credit >= 1.0) {
        size_t n = self->ring_count;
        size_t contiguous = RING_SIZE - self->ring_head;
        if (n > contiguous)
            n = contiguous;
        if (n > (size_t) self->tx_credit)
            n = (size_t) self->tx_credit;
        const uint8_t *p = self->ring + self->ring_head;
        ssize_t w = n;
        if (self->master >= 0) {
            w = write (self->master, p, n);
            if (w < 0) {
                /* Nobody reads and the pty buffer is full: a UART would
                 * simply lose the bytes. */
                w = (ssize_t) n;
                self->stats.dropped += n;
            }
        }
        if (self->client >= 0 && send (self->client, p, (size_t) w, MSG_NOSIGNAL) < 0
            && errno != EAGAIN)
            s_close_client (self);
        self->ring_head = (self->ring_head + (size_t) w) % RING_SIZE;
        self->ring_count -= (size_t) w;
        self->tx_credit -= (double) w;
        self->stats.uart_out += (uint64_t) w;
    }
}

long
labsim_board_tick (labsim_board_t *self)
{
    uint64_t now = s_now_us ();
    if (!self->last_tick_us)
        self->last_tick_us = now;
    double bytes_per_us = (double) self->baud / 10.0 / 1e6;
    double earned = (double) (now - self->last_tick_us) * bytes_per_us;
    self->last_tick_us = now;
    self->tx_credit += earned;
    self->rx_credit += earned;
    if (self->tx_credit > BURST_MAX)
        self->tx_credit = BURST_MAX;
    if (self->rx_credit > BURST_MAX)
        self->rx_credit = BURST_MAX;

    if (self->listener >= 0)
        s_accept (self);
    if (self->master >= 0)
        s_read_input (self, self->master);
    if (self->client >= 0)
        s_read_input (self, self->client);
    if (self->reboot_at_us && now >= self->reboot_at_us) {
        self->reboot_at_us = 0;
        if (!self->vanished)
            labsim_board_start (self, self->reboot_reason);
    }
    if (self->crash_at_us && now >= self->crash_at_us && self->up) {
        self->crash_at_us = 0;
        labsim_board_panic (self);
    }
    if (self->up && !self->vanished)
        board_core_poll (&self->core);
    s_write_output (self);
    if (self->ring_count)
        return (long) (1.0 / bytes_per_us) + 1;   /* next byte's worth */
    return 5000;
}

void
labsim_board_stats (labsim_board_t *self, labsim_board_stats_t *out)
{
    *out = self->stats;
}

labsim_espnow_t *
labsim_board_espnow (labsim_board_t *self)
{
    return &self->espnow;
}
