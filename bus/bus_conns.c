/* bus_conns - connection ids and sender pids for the broker's stamps. See
 * bus_conns.h. Records are indexed by file descriptor; the monitor's ACCEPTED
 * event (sent by the I/O thread when it accepts, before the handshake that
 * precedes any message) gives a descriptor a fresh id, DISCONNECTED forgets
 * it. A message from a descriptor without a record (an event still in
 * flight) gets a record on the spot. */
#include "bus/bus_conns.h"
#include "lab.pb-c.h"

#define STAMP_MAX 32

typedef struct {
    uint64_t id;
    bool pid_known;
    int32_t pid;
    uint8_t stamp[STAMP_MAX];
    size_t stamp_len;
} s_conn_t;

struct _bus_conns_t {
    zsock_t *monitor;          /* PAIR reading the XSUB's monitor events */
    s_conn_t **by_fd;          /* indexed by file descriptor (small ints) */
    size_t nfd;                /* slots in by_fd */
    size_t live;
    bool ipc;
    uint64_t next_id;
    uint8_t anon[STAMP_MAX];   /* stamp when the descriptor is unknown */
    size_t anon_len;
};

size_t
bus_conns_encode (uint64_t conn, int32_t pid, uint8_t *out)
{
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.conn = conn;
    env.sender_pid = pid;
    assert (lab__envelope__get_packed_size (&env) <= STAMP_MAX);
    return lab__envelope__pack (&env, out);
}

bus_conns_t *
bus_conns_new (zsock_t *sock, bool ipc, uint64_t epoch)
{
    assert (sock);
    bus_conns_t *self = (bus_conns_t *) zmalloc (sizeof (bus_conns_t));

    self->ipc = ipc;
    /* High half from the broker's epoch, low half counts: ids never repeat
     * within a run and hardly ever across runs. */
    self->next_id = (epoch << 32) | 1;
    char ep[64];
    snprintf (ep, sizeof ep, "inproc://labbus-conns-%p", (void *) self);
    if (zmq_socket_monitor (zsock_resolve (sock), ep, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) == 0) {
        self->monitor = zsock_new (ZMQ_PAIR);
        if (self->monitor && zsock_connect (self->monitor, "%s", ep))
            zsock_destroy (&self->monitor);
    }
    self->anon_len = bus_conns_encode (0, 0, self->anon);
    return self;
}

void
bus_conns_destroy (bus_conns_t **self_p)
{
    assert (self_p);
    bus_conns_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->monitor);
    for (size_t i = 0; i < self->nfd; i++)
        free (self->by_fd[i]);
    free (self->by_fd);
    free (self);
    *self_p = NULL;
}

void *
bus_conns_monitor (bus_conns_t *self)
{
    assert (self);
    return self->monitor ? zsock_resolve (self->monitor) : NULL;
}

/* The slot for FD (grown on demand), or NULL for a descriptor out of range. */
static s_conn_t **
s_slot (bus_conns_t *self, int fd)
{
    if (fd < 0 || fd >= (1 << 20))
        return NULL;
    if ((size_t) fd >= self->nfd) {
        size_t n = self->nfd ? self->nfd : 64;
        while (n <= (size_t) fd)
            n *= 2;
        s_conn_t **grown = (s_conn_t **) realloc (self->by_fd, n * sizeof (s_conn_t *));
        if (!grown)
            return NULL;
        memset (grown + self->nfd, 0, (n - self->nfd) * sizeof (s_conn_t *));
        self->by_fd = grown;
        self->nfd = n;
    }
    return &self->by_fd[fd];
}

static void
s_forget (bus_conns_t *self, int fd)
{
    s_conn_t **slot = s_slot (self, fd);
    if (slot && *slot) {
        free (*slot);
        *slot = NULL;
        self->live--;
    }
}

static s_conn_t *
s_new_conn (bus_conns_t *self, int fd)
{
    s_conn_t **slot = s_slot (self, fd);
    if (!slot)
        return NULL;
    s_forget (self, fd);        /* a descriptor reused by a new connection */
    s_conn_t *c = (s_conn_t *) zmalloc (sizeof (s_conn_t));
    c->id = self->next_id++;
    c->stamp_len = bus_conns_encode (c->id, 0, c->stamp);
    *slot = c;
    self->live++;
    return c;
}

void
bus_conns_events (bus_conns_t *self)
{
    assert (self);
    if (!self->monitor)
        return;
    while (zsock_events (self->monitor) & ZMQ_POLLIN) {
        zmsg_t *m = zmsg_recv (self->monitor);
        if (!m)
            break;
        zframe_t *f = zmsg_first (m);
        if (f && zframe_size (f) == 6) {
            uint16_t event;
            int32_t value;
            memcpy (&event, zframe_data (f), 2);
            memcpy (&value, zframe_data (f) + 2, 4);
            if (event == ZMQ_EVENT_ACCEPTED)
                s_new_conn (self, value);
            else if (event == ZMQ_EVENT_DISCONNECTED)
                s_forget (self, value);
        }
        zmsg_destroy (&m);
    }
}

/* The pid at the end of an ipc peer address ("...:uid:gid:pid"), or 0. */
static int32_t
s_peer_pid (const char *addr)
{
    const char *colon = addr ? strrchr (addr, ':') : NULL;
    if (!colon || !colon[1])
        return 0;
    char *end;
    long pid = strtol (colon + 1, &end, 10);
    return *end == '\0' && pid > 0 && pid < INT32_MAX ? (int32_t) pid : 0;
}

const uint8_t *
bus_conns_stamp (bus_conns_t *self, zmq_msg_t *msg, size_t *len)
{
    assert (self && msg && len);
    int fd = zmq_msg_get (msg, ZMQ_SRCFD);
    if (fd < 0) {
        *len = self->anon_len;
        return self->anon;
    }
    s_conn_t **slot = s_slot (self, fd);
    s_conn_t *c = slot ? *slot : NULL;
    if (!c && !(c = s_new_conn (self, fd))) {
        *len = self->anon_len;
        return self->anon;
    }
    if (!c->pid_known) {
        c->pid_known = true;
        c->pid = self->ipc ? s_peer_pid (zmq_msg_gets (msg, "Peer-Address")) : 0;
        c->stamp_len = bus_conns_encode (c->id, c->pid, c->stamp);
    }
    *len = c->stamp_len;
    return c->stamp;
}

size_t
bus_conns_size (bus_conns_t *self)
{
    assert (self);
    return self->live;
}
