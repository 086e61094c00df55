/* labd_ctl - the control socket. Each connection is a small state machine:
 * reading its request line, then writing its reply, then closed. The
 * listening socket and every connection are non-blocking; a connection that
 * has not finished by its deadline is dropped. */
#include "services/labd/labd_ctl.h"
#include "bus/bus_status.h"
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CONN_MAX 8
#define CONN_DEADLINE_MS 2000

typedef struct {
    int fd;                         /* -1: free */
    uint64_t deadline_ms;
    char in[LABD_CTL_LINE_MAX + 1];
    size_t in_len;
    char *out;                      /* the reply, once the request is read */
    size_t out_len, out_sent;
} s_conn_t;

struct _labd_ctl_t {
    int fd;
    char path[108];
    labd_ctl_fn *handler;
    void *arg;
    s_conn_t conn[CONN_MAX];
    uint64_t answered, malformed, dropped;
};

labd_ctl_t *
labd_ctl_new (const char *path, labd_ctl_fn *handler, void *arg, char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen (path) >= sizeof sa.sun_path) {
        snprintf (err, errlen, "control socket path too long: %s", path);
        return NULL;
    }
    snprintf (sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf (err, errlen, "control socket: %s", strerror (errno));
        return NULL;
    }
    unlink (path);
    /* 0600 from the start: no window in which others could connect. */
    mode_t old = umask (0177);
    int rc = bind (fd, (struct sockaddr *) &sa, sizeof sa);
    umask (old);
    if (rc || listen (fd, CONN_MAX)) {
        snprintf (err, errlen, "control socket %s: %s", path, strerror (errno));
        close (fd);
        return NULL;
    }
    labd_ctl_t *self = (labd_ctl_t *) zmalloc (sizeof (labd_ctl_t));
    self->fd = fd;
    snprintf (self->path, sizeof self->path, "%s", path);
    self->handler = handler;
    self->arg = arg;
    for (int i = 0; i < CONN_MAX; i++)
        self->conn[i].fd = -1;
    return self;
}

static void
s_close (s_conn_t *c)
{
    if (c->fd >= 0)
        close (c->fd);
    free (c->out);
    memset (c, 0, sizeof *c);
    c->fd = -1;
}

void
labd_ctl_destroy (labd_ctl_t **self_p)
{
    assert (self_p);
    labd_ctl_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < CONN_MAX; i++)
        s_close (&self->conn[i]);
    close (self->fd);
    unlink (self->path);
    free (self);
    *self_p = NULL;
}

int
labd_ctl_parse (const char *line, size_t len, char command[LABD_CTL_WORD_MAX],
                char args[LABD_CTL_ARGS_MAX][LABD_CTL_WORD_MAX])
{
    if (len > LABD_CTL_LINE_MAX)
        return -1;
    int nwords = 0;
    size_t i = 0;
    while (i < len) {
        unsigned char ch = (unsigned char) line[i];
        if (ch == ' ' || ch == '\t') {
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && line[i] != ' ' && line[i] != '\t') {
            ch = (unsigned char) line[i];
            if (ch < 0x21 || ch > 0x7e)
                return -1;      /* control bytes, NUL, non-ASCII: not a request */
            i++;
        }
        size_t wlen = i - start;
        if (wlen >= LABD_CTL_WORD_MAX || nwords > LABD_CTL_ARGS_MAX)
            return -1;
        char *dst = nwords == 0 ? command : args[nwords - 1];
        memcpy (dst, line + start, wlen);
        dst[wlen] = 0;
        nwords++;
    }
    return nwords == 0 ? -1 : nwords - 1;
}

/* The reply for one request line, as a malloc'd JSON text with a newline. */
static char *
s_answer (labd_ctl_t *self, const char *line, size_t len)
{
    char command[LABD_CTL_WORD_MAX], args[LABD_CTL_ARGS_MAX][LABD_CTL_WORD_MAX];
    int n = labd_ctl_parse (line, len, command, args);
    int status;
    char *json = NULL, *message = NULL;
    if (n < 0) {
        self->malformed++;
        status = BUS_EUSAGE;
        message = strdup ("malformed request: expected one line \"COMMAND [ARG...]\" of printable ASCII");
    }
    else {
        const char *argv[LABD_CTL_ARGS_MAX];
        for (int i = 0; i < n; i++)
            argv[i] = args[i];
        status = self->handler (command, n, argv, &json, &message, self->arg);
        self->answered++;
    }
    json_t *reply = json_pack ("{s:i, s:s}", "status", status, "message", message ? message : "");
    json_t *body = json ? json_loads (json, JSON_DECODE_ANY, NULL) : NULL;
    if (body)
        json_object_set_new (reply, "json", body);
    char *text = json_dumps (reply, JSON_COMPACT);
    json_decref (reply);
    free (json);
    free (message);
    size_t tlen = strlen (text);
    char *out = (char *) realloc (text, tlen + 2);
    out[tlen] = '\n';
    out[tlen + 1] = 0;
    return out;
}

static void
s_accept (labd_ctl_t *self, uint64_t now)
{
    for (;;) {
        int fd = accept4 (self->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        s_conn_t *c = NULL;
        for (int i = 0; i < CONN_MAX && !c; i++)
            if (self->conn[i].fd < 0)
                c = &self->conn[i];
        if (!c) {
            self->dropped++;
            close (fd);
            continue;
        }
        c->fd = fd;
        c->deadline_ms = now + CONN_DEADLINE_MS;
    }
}

/* Reads what is there; once a full line is in, builds the reply. */
static void
s_read (labd_ctl_t *self, s_conn_t *c)
{
    while (!c->out) {
        ssize_t r = read (c->fd, c->in + c->in_len, sizeof c->in - 1 - c->in_len);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (r <= 0 && c->in_len == 0) {
            s_close (c);
            return;
        }
        if (r > 0)
            c->in_len += (size_t) r;
        char *nl = (char *) memchr (c->in, '\n', c->in_len);
        bool full = c->in_len == sizeof c->in - 1;
        if (!nl && !full && r > 0)
            continue;
        /* A line, an over-long line, or end of input without a newline. */
        size_t len = nl ? (size_t) (nl - c->in) : full ? sizeof c->in : c->in_len;
        if (len && c->in[len - 1] == '\r' && nl)
            len--;
        c->out = s_answer (self, c->in, len);
        c->out_len = strlen (c->out);
    }
}

static void
s_write (s_conn_t *c)
{
    while (c->out_sent < c->out_len) {
        ssize_t w = send (c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (w <= 0)
            break;
        c->out_sent += (size_t) w;
    }
    s_close (c);
}

void
labd_ctl_work (labd_ctl_t *self, uint64_t now_ms)
{
    assert (self);
    s_accept (self, now_ms);
    for (int i = 0; i < CONN_MAX; i++) {
        s_conn_t *c = &self->conn[i];
        if (c->fd < 0)
            continue;
        if (now_ms > c->deadline_ms) {
            self->dropped++;
            s_close (c);
            continue;
        }
        if (!c->out)
            s_read (self, c);
        if (c->fd >= 0 && c->out)
            s_write (c);
    }
}

int
labd_ctl_pollitems (labd_ctl_t *self, zmq_pollitem_t *items, int max)
{
    assert (self);
    int n = 0;
    if (n < max)
        items[n++] = (zmq_pollitem_t) { NULL, self->fd, ZMQ_POLLIN, 0 };
    for (int i = 0; i < CONN_MAX && n < max; i++)
        if (self->conn[i].fd >= 0)
            items[n++] = (zmq_pollitem_t) { NULL, self->conn[i].fd,
                                            (short) (self->conn[i].out ? ZMQ_POLLOUT : ZMQ_POLLIN), 0 };
    return n;
}

void
labd_ctl_counters (labd_ctl_t *self, uint64_t *answered, uint64_t *malformed, uint64_t *dropped)
{
    assert (self);
    *answered = self->answered;
    *malformed = self->malformed;
    *dropped = self->dropped;
}
