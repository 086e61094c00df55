/* bus_client - publish, subscribe, request/reply and heartbeats over labbus.
 *
 * See bus_client.h for the model. Internals worth knowing:
 * - The publisher is an XPUB connected to the broker's XSUB. The broker's
 *   XSUB subscribes to everything, and that subscription reaches us as a
 *   message on our XPUB: until it has arrived (after connect, or after the
 *   broker restarted and our XPUB reported the unsubscribe), publishes are
 *   queued here, bounded, instead of being dropped by libzmq unseen.
 * - Gap tracking keys on (sender connection, topic) - the broker stamps each
 *   message with the connection it came from - and resets when the epoch
 *   changes (the process restarted and its seq began again at 1). */
#include "bus/bus_client.h"
#include "bus/bus_curve.h"
#include "bus/bus_wire.h"
#include <errno.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

#define PENDING_MAX 10000     /* queued publishes while the broker is away */
#define CONNECT_WAIT_MS 1000
#define STREAMS_MAX 50000     /* (sender, topic) pairs tracked for gaps */

typedef struct {
    uint64_t epoch;
    uint64_t last_seq;
    uint64_t gaps;
} s_stream_t;

typedef struct {
    char *name;
    bus_handler_fn *handler;
    void *arg;
} s_service_t;

struct _bus_request_t {
    bus_client_t *client;
    zframe_t *caller;          /* broker routing id of the caller */
    char corr[32];
    Lab__Envelope *env;
    bool replied;
    bool kept;
};

struct _bus_client_t {
    char *source;
    bus_endpoints_t ep;
    zsock_t *pub;
    zsock_t *sub;
    zsock_t *dealer;
    zpoller_t *poller;
    uint64_t epoch;
    zhashx_t *out_seq;         /* topic -> uint64_t* next seq */
    bool connected;
    zlistx_t *pending;         /* zmsg_t* waiting for the broker */
    zhashx_t *streams;         /* "#conn\ntopic" -> s_stream_t */
    zhashx_t *source_gaps;     /* source -> uint64_t* */
    zhashx_t *malformed_seen;  /* source or topic -> logged once */
    zlistx_t *services;        /* s_service_t* */
    zlistx_t *snapshot;        /* bus_msg_t* from SNAPV, delivered before SUB */
    zcert_t *cert;             /* CURVE client certificate, or NULL */
    uint64_t next_reg_ms;
    int hb_interval_ms;
    uint64_t next_hb_ms;
    uint64_t start_ms;
    uint64_t next_corr;
    bus_counters_t counters;
    char error[512];
};

static uint64_t
s_mono_ms (void)
{
    return bus_mono_ns () / 1000000ull;
}

static void
s_set_error (bus_client_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (self->error, sizeof self->error, fmt, ap);
    va_end (ap);
}

void
bus_endpoints_in_dir (bus_endpoints_t *ep, const char *dir)
{
    memset (ep, 0, sizeof *ep);
    snprintf (ep->pub, sizeof ep->pub, "ipc://%s/pub.sock", dir);
    snprintf (ep->sub, sizeof ep->sub, "ipc://%s/sub.sock", dir);
    snprintf (ep->req, sizeof ep->req, "ipc://%s/req.sock", dir);
}

/* Client side of bus/curve: client_cert (secret file) and the broker's public
 * key from server_public (or server_cert when this host has it). */
static int
s_curve_from_config (bus_endpoints_t *ep, lab_config_t *cfg, char *err, size_t errlen)
{
    const char *cert = lab_config_get (cfg, "bus/curve/client_cert", NULL);
    const char *server = lab_config_get (cfg, "bus/curve/server_public",
                                         lab_config_get (cfg, "bus/curve/server_cert", NULL));
    /* No client_cert: a plain client (or the broker's own config). */
    if (!cert)
        return 0;
    zconfig_t *node = zconfig_locate (lab_config_root (cfg), "bus/curve");
    if (!server)
        return lab_config_error (cfg, node, err, errlen,
                                 "curve: client_cert needs server_public (the broker's public key)");
    snprintf (ep->curve_cert, sizeof ep->curve_cert, "%s", cert);
    char why[256];
    if (bus_curve_load_public (server, ep->curve_server, why, sizeof why))
        return lab_config_error (cfg, node, err, errlen, "curve: %s", why);
    return 0;
}

int
bus_endpoints_from_config (bus_endpoints_t *ep, lab_config_t *cfg, char *err, size_t errlen)
{
    const char *bus_dir = getenv ("LAB_BUS_DIR");
    if (bus_dir && *bus_dir) {
        bus_endpoints_in_dir (ep, bus_dir);
        return 0;
    }
    char dir[512];
    if (lab_config_runtime_dir (cfg, dir, sizeof dir)) {
        snprintf (err, errlen, "cannot create runtime directory %s: %s", dir, strerror (errno));
        return -1;
    }
    bus_endpoints_in_dir (ep, dir);
    if (cfg) {
        const char *keys[3] = { "bus/pub", "bus/sub", "bus/req" };
        char *dst[3] = { ep->pub, ep->sub, ep->req };
        for (int i = 0; i < 3; i++) {
            const char *v = lab_config_get (cfg, keys[i], NULL);
            if (v && strlen (v) >= BUS_ENDPOINT_MAX)
                return lab_config_error (cfg, zconfig_locate (lab_config_root (cfg), keys[i]), err,
                                         errlen, "endpoint too long");
            if (v)
                snprintf (dst[i], BUS_ENDPOINT_MAX, "%s", v);
        }
        if (s_curve_from_config (ep, cfg, err, errlen))
            return -1;
    }
    return 0;
}

int
bus_endpoints_resolve (bus_endpoints_t *ep, const char *config_path, char *err, size_t errlen)
{
    const char *bus_dir = getenv ("LAB_BUS_DIR");
    if (bus_dir && *bus_dir) {
        bus_endpoints_in_dir (ep, bus_dir);
        return 0;
    }
    if (!config_path && access ("compose/lab.cfg", R_OK) == 0)
        config_path = "compose/lab.cfg";
    lab_config_t *cfg = NULL;
    if (config_path) {
        cfg = lab_config_load (config_path, err, errlen);
        if (!cfg)
            return -1;
    }
    int rc = bus_endpoints_from_config (ep, cfg, err, errlen);
    lab_config_destroy (&cfg);
    return rc;
}

void
bus_msg_destroy (bus_msg_t **self_p)
{
    assert (self_p);
    bus_msg_t *self = *self_p;
    if (!self)
        return;
    free (self->topic);
    if (self->env)
        lab__envelope__free_unpacked (self->env, NULL);
    free (self);
    *self_p = NULL;
}

void *
bus_msg_body (bus_msg_t *msg, Lab__Envelope__BodyCase want)
{
    if (!msg || !msg->env)
        return NULL;
    if (msg->env->body_case != want || want == LAB__ENVELOPE__BODY__NOT_SET) {
        if (msg->client)
            msg->client->counters.wrong_body++;
        return NULL;
    }
    /* Every member of the body union is a pointer to its message. */
    return (void *) msg->env->blob;
}

static void
s_service_destroy (void **item)
{
    s_service_t *s = (s_service_t *) *item;
    free (s->name);
    free (s);
    *item = NULL;
}

static void
s_zmsg_destroy (void **item)
{
    zmsg_destroy ((zmsg_t **) item);
}

static uint64_t
s_random_epoch (void)
{
    uint64_t e = 0;
    FILE *f = fopen ("/dev/urandom", "rb");
    if (f) {
        if (fread (&e, sizeof e, 1, f) != 1)
            e = 0;
        fclose (f);
    }
    return e ? e : (bus_now_ns () ^ ((uint64_t) getpid () << 32)) | 1;
}

static zsock_t *
s_connect (bus_client_t *self, int type, const char *endpoint)
{
    zsock_t *sock = zsock_new (type);
    if (!sock)
        return NULL;
    zsock_set_linger (sock, 200);
    zsock_set_reconnect_ivl (sock, 50);
    zsock_set_reconnect_ivl_max (sock, BUS_CLIENT_RECONNECT_MAX_MS);
    /* Far above the broker's bus/max_message (1 MB by default): only a
     * peer that is not our broker could send more, and it is cut off. */
    zsock_set_maxmsgsize (sock, 64 << 20);
    if (type == ZMQ_SUB) {
        zsock_set_rcvhwm (sock, 10000);
        /* No ZMTP heartbeats on SUB: while backpressure stops the engine's
         * input (a subscriber slower than its publishers) it cannot read the
         * PINGs, times out, reconnects, and libzmq 4.3.4 then aborts the
         * whole process ("Assertion failed: _input_stopped", libzmq issues
         * #3937 and #4767, unfixed in Debian 12's 4.3.4). TCP keepalive finds
         * a dead broker host instead: the kernel answers its probes whether
         * or not we read. Over ipc a dead broker closes the socket anyway. */
        bus_wire_keepalive (sock);
    }
    else {
        zsock_set_heartbeat_ivl (sock, 1000);
        zsock_set_heartbeat_timeout (sock, 3000);
        zsock_set_sndhwm (sock, 10000);
    }
    /* A DEALER with no usable pipe (broker down, or a CURVE handshake it
     * refused) blocks in send for ever; never wait there. Registrations are
     * resent on a timer; a call sets its own send timeout. */
    if (type == ZMQ_DEALER)
        zsock_set_sndtimeo (sock, 0);
    if (self->cert)
        bus_curve_apply_client (sock, self->cert, self->ep.curve_server);
    if (zsock_connect (sock, "%s", endpoint)) {
        s_set_error (self, "cannot connect to %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
    }
    return sock;
}

static void s_drain_pub (bus_client_t *self);

bus_client_t *
bus_client_new (const char *source, const bus_endpoints_t *ep)
{
    assert (source && ep);
    bus_client_t *self = (bus_client_t *) zmalloc (sizeof (bus_client_t));
    self->source = strdup (source);
    self->ep = *ep;
    self->epoch = s_random_epoch ();
    self->start_ms = s_mono_ms ();
    self->next_corr = 1;
    self->out_seq = zhashx_new ();
    zhashx_set_destructor (self->out_seq, (zhashx_destructor_fn *) zstr_free);
    self->streams = zhashx_new ();
    zhashx_set_destructor (self->streams, (zhashx_destructor_fn *) zstr_free);
    self->source_gaps = zhashx_new ();
    zhashx_set_destructor (self->source_gaps, (zhashx_destructor_fn *) zstr_free);
    self->malformed_seen = zhashx_new ();
    self->pending = zlistx_new ();
    zlistx_set_destructor (self->pending, s_zmsg_destroy);
    self->snapshot = zlistx_new ();
    zlistx_set_destructor (self->snapshot, (zlistx_destructor_fn *) bus_msg_destroy);
    self->services = zlistx_new ();
    zlistx_set_destructor (self->services, s_service_destroy);
    if (ep->curve_cert[0]) {
        char why[256];
        self->cert = bus_curve_load_cert (ep->curve_cert, why, sizeof why);
        if (!self->cert) {
            zsys_error ("bus: %s", why);
            bus_client_destroy (&self);
            return NULL;
        }
    }
    self->pub = s_connect (self, ZMQ_XPUB, ep->pub);
    self->sub = self->pub ? s_connect (self, ZMQ_SUB, ep->sub) : NULL;
    self->dealer = self->sub ? s_connect (self, ZMQ_DEALER, ep->req) : NULL;
    if (!self->dealer) {
        char saved[sizeof self->error];
        memcpy (saved, self->error, sizeof saved);
        bus_client_destroy (&self);
        zsys_error ("bus: %s", saved);
        return NULL;
    }
    self->poller = zpoller_new (self->sub, self->dealer, self->pub, NULL);
    /* Give the broker's subscription a moment to arrive so the first
     * publishes go straight out; if the broker is down they queue. */
    uint64_t deadline = s_mono_ms () + CONNECT_WAIT_MS;
    while (!self->connected && s_mono_ms () < deadline) {
        zmq_pollitem_t item = { zsock_resolve (self->pub), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 20) < 0)
            break;
        s_drain_pub (self);
    }
    return self;
}

/* Tell the broker our services are gone, so callers get "not running" at
 * once instead of waiting for the registration to expire. The DEALER's
 * linger gives this message time to leave. */
static void
s_unregister (bus_client_t *self)
{
    if (!zlistx_size (self->services))
        return;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, BUS_WIRE_UNREG);
    zmsg_addstr (msg, self->source);
    for (s_service_t *s = (s_service_t *) zlistx_first (self->services); s;
         s = (s_service_t *) zlistx_next (self->services))
        zmsg_addstr (msg, s->name);
    if (zmsg_send (&msg, self->dealer))
        zmsg_destroy (&msg);
}

void
bus_client_destroy (bus_client_t **self_p)
{
    assert (self_p);
    bus_client_t *self = *self_p;
    if (!self)
        return;
    zpoller_destroy (&self->poller);
    s_unregister (self);
    zsock_destroy (&self->dealer);
    zsock_destroy (&self->sub);
    zsock_destroy (&self->pub);
    zcert_destroy (&self->cert);
    zlistx_destroy (&self->pending);
    zlistx_destroy (&self->services);
    zlistx_destroy (&self->snapshot);
    zhashx_destroy (&self->out_seq);
    zhashx_destroy (&self->streams);
    zhashx_destroy (&self->source_gaps);
    zhashx_destroy (&self->malformed_seen);
    free (self->source);
    free (self);
    *self_p = NULL;
}

const char *
bus_client_source (bus_client_t *self)
{
    assert (self);
    return self->source;
}

const char *
bus_client_error (bus_client_t *self)
{
    assert (self);
    return self->error;
}

bool
bus_client_connected (bus_client_t *self)
{
    assert (self);
    s_drain_pub (self);
    return self->connected;
}

zsock_t *
bus_client_sub_sock (bus_client_t *self)
{
    assert (self);
    return self->sub;
}

zsock_t *
bus_client_req_sock (bus_client_t *self)
{
    assert (self);
    return self->dealer;
}

/* ---------------------------------------------------------------------
 * Publishing */

static void
s_flush_pending (bus_client_t *self)
{
    zmsg_t *msg;
    while (self->connected && (msg = (zmsg_t *) zlistx_first (self->pending))) {
        zmsg_t *owned = (zmsg_t *) zlistx_detach (self->pending, NULL);
        if (zmsg_send (&owned, self->pub)) {
            zmsg_destroy (&owned);
            self->counters.publish_dropped++;
        }
        (void) msg;
    }
}

/* Reads the subscription messages the broker's XSUB sends our XPUB: a
 * subscribe means the path is open, an unsubscribe that the broker went away. */
static void
s_drain_pub (bus_client_t *self)
{
    zmq_msg_t m;
    void *handle = zsock_resolve (self->pub);
    while (true) {
        zmq_msg_init (&m);
        if (zmq_msg_recv (&m, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&m);
            break;
        }
        if (zmq_msg_size (&m) >= 1) {
            const uint8_t *d = (const uint8_t *) zmq_msg_data (&m);
            self->connected = d[0] == 1;
        }
        zmq_msg_close (&m);
    }
    if (self->connected)
        s_flush_pending (self);
}

static uint64_t
s_next_seq (bus_client_t *self, const char *topic)
{
    uint64_t *seq = (uint64_t *) zhashx_lookup (self->out_seq, topic);
    if (!seq) {
        seq = (uint64_t *) zmalloc (sizeof (uint64_t));
        zhashx_insert (self->out_seq, topic, seq);
    }
    return ++*seq;
}

int
bus_client_publish (bus_client_t *self, const char *topic, Lab__Envelope *env)
{
    assert (self && topic && env);
    if (!bus_topic_body_ok (topic, env)) {
        self->counters.publish_dropped++;
        s_set_error (self, "publish on %s refused: the topic carries %s, not %s", topic,
                     bus_topic_body_name (bus_topic_body (topic)), bus_topic_body_name (env->body_case));
        return -1;
    }
    env->source = self->source;
    env->seq = s_next_seq (self, topic);
    env->epoch = self->epoch;
    if (!env->ts_ns)
        env->ts_ns = bus_now_ns ();
    size_t size = lab__envelope__get_packed_size (env);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, topic);
    zframe_t *body = zframe_new (NULL, size);
    lab__envelope__pack (env, zframe_data (body));
    zmsg_append (msg, &body);
    self->counters.published++;
    s_drain_pub (self);
    if (self->connected && zlistx_size (self->pending) == 0) {
        if (zmsg_send (&msg, self->pub) == 0)
            return 0;
        zmsg_destroy (&msg);
        self->counters.publish_dropped++;
        s_set_error (self, "publish on %s failed: %s", topic, zmq_strerror (zmq_errno ()));
        return -1;
    }
    if (zlistx_size (self->pending) >= PENDING_MAX) {
        zmsg_destroy (&msg);
        self->counters.publish_dropped++;
        s_set_error (self, "broker unreachable: dropped publish on %s", topic);
        return -1;
    }
    zlistx_add_end (self->pending, msg);
    return 0;
}

int
bus_client_publish_text (bus_client_t *self, const char *topic, const char *text)
{
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    Lab__Blob blob = LAB__BLOB__INIT;
    Lab__SerialLine line = LAB__SERIAL_LINE__INIT;
    Lab__Envelope__BodyCase want = bus_topic_body (topic);
    if (want == LAB__ENVELOPE__BODY_SERIAL_LINE) {
        const char *board = strncmp (topic, "tel.serial.", 11) == 0 ? topic + 11 : "";
        line.board = (char *) board;
        line.text = (char *) text;
        line.rx_ts_ns = bus_now_ns ();
        env.body_case = LAB__ENVELOPE__BODY_SERIAL_LINE;
        env.serial_line = &line;
    }
    else {
        blob.data.data = (uint8_t *) text;
        blob.data.len = strlen (text);
        blob.content_type = (char *) "text/plain";
        env.body_case = LAB__ENVELOPE__BODY_BLOB;
        env.blob = &blob;
    }
    return bus_client_publish (self, topic, &env);
}

/* Could PREFIX cover a state.* topic (the ones the broker keeps)? */
static bool
s_covers_state (const char *prefix)
{
    size_t n = strlen (prefix);
    return strncmp (prefix, "state.", n < 6 ? n : 6) == 0;
}

int
bus_client_subscribe (bus_client_t *self, const char *prefix)
{
    assert (self && prefix);
    zsock_set_subscribe (self->sub, prefix);
    /* Clone pattern: subscribe first, then ask for the current state; what
     * arrives both ways is dropped once as a duplicate (same connection,
     * topic and seq). */
    if (s_covers_state (prefix)) {
        zmsg_t *msg = zmsg_new ();
        zmsg_addstr (msg, BUS_WIRE_SNAP);
        zmsg_addstr (msg, prefix);
        if (zmsg_send (&msg, self->dealer))
            zmsg_destroy (&msg);
    }
    return 0;
}

int
bus_client_unsubscribe (bus_client_t *self, const char *prefix)
{
    assert (self && prefix);
    zsock_set_unsubscribe (self->sub, prefix);
    return 0;
}

/* ---------------------------------------------------------------------
 * Receiving */

/* Best effort: the source string of a packed envelope that failed to unpack
 * (field 1, length-delimited, usually first), for the log line. */
static void
s_guess_source (const uint8_t *data, size_t size, char *out, size_t outlen)
{
    snprintf (out, outlen, "?");
    if (size >= 2 && data[0] == 0x0A && data[1] < 0x80 && (size_t) data[1] + 2 <= size) {
        size_t n = data[1] < outlen - 1 ? data[1] : outlen - 1;
        for (size_t i = 0; i < n; i++)
            out[i] = (data[2 + i] >= 0x20 && data[2 + i] < 0x7F) ? (char) data[2 + i] : '?';
        out[n] = '\0';
    }
}

static void
s_count_malformed (bus_client_t *self, const char *topic, const uint8_t *data, size_t size)
{
    self->counters.malformed++;
    char source[64];
    s_guess_source (data, size, source, sizeof source);
    char key[256];
    snprintf (key, sizeof key, "%s\n%s", source, topic);
    if (!zhashx_lookup (self->malformed_seen, key)) {
        if (zhashx_size (self->malformed_seen) < 1000)
            zhashx_insert (self->malformed_seen, key, (void *) 1);
        zsys_warning ("bus: %s: dropped malformed envelope on '%s' from source '%s' (%zu bytes)",
                      self->source, topic, source, size);
    }
}

/* A body that is not what the topic's family carries: dropped before anyone
 * looks at it (and before seq tracking, so it cannot disturb a stream). */
static void
s_count_wrong_body (bus_client_t *self, const char *topic, const Lab__Envelope *env)
{
    self->counters.wrong_body++;
    char key[256];
    snprintf (key, sizeof key, "body\n%.100s\n%s", env->source, bus_topic_body_name (bus_topic_body (topic)));
    if (!zhashx_lookup (self->malformed_seen, key)) {
        if (zhashx_size (self->malformed_seen) < 1000)
            zhashx_insert (self->malformed_seen, key, (void *) 1);
        zsys_warning ("bus: %s: dropped %s on '%.100s' from source '%.64s' (the topic carries %s)",
                      self->source, bus_topic_body_name (env->body_case), topic, env->source,
                      bus_topic_body_name (bus_topic_body (topic)));
    }
}

/* Updates the (source, topic) stream; returns false for a duplicate. */
static bool
s_track_seq (bus_client_t *self, const char *topic, const Lab__Envelope *env)
{
    /* Per sender connection (the broker's stamp), not per claimed source:
     * a forged message then starts its own stream and cannot poison the
     * real sender's (a huge seq would make every later message look like a
     * duplicate). Without a stamp (not through a broker), per source. */
    char key[512];
    if (env->conn)
        snprintf (key, sizeof key, "#%" PRIx64 "\n%s", env->conn, topic);
    else
        snprintf (key, sizeof key, "%s\n%s", env->source, topic);
    s_stream_t *st = (s_stream_t *) zhashx_lookup (self->streams, key);
    if (!st && zhashx_size (self->streams) >= STREAMS_MAX)
        zhashx_purge (self->streams);   /* bounded: forget, start every stream afresh */
    if (!st) {
        st = (s_stream_t *) zmalloc (sizeof (s_stream_t));
        st->epoch = env->epoch;
        st->last_seq = env->seq;
        zhashx_insert (self->streams, key, st);
        return true;
    }
    if (st->epoch != env->epoch) {
        st->epoch = env->epoch;
        st->last_seq = env->seq;
        return true;
    }
    if (env->seq <= st->last_seq) {
        self->counters.duplicates++;
        return false;
    }
    uint64_t missing = env->seq - st->last_seq - 1;
    st->last_seq = env->seq;
    if (missing) {
        st->gaps += missing;
        self->counters.gaps += missing;
        uint64_t *g = (uint64_t *) zhashx_lookup (self->source_gaps, env->source);
        if (!g) {
            g = (uint64_t *) zmalloc (sizeof (uint64_t));
            zhashx_insert (self->source_gaps, env->source, g);
        }
        *g += missing;
    }
    return true;
}

/* bus_msg_decode with *TOPIC_P (malloc'd) taken over into the message (set
 * NULL) when one is returned; left to the caller otherwise. */
static bus_msg_t *
s_decode (char **topic_p, const void *data, size_t size, bus_decode_t *why, bool keep_wrong)
{
    *why = BUS_DECODE_OK;
    if (!*topic_p) {
        *why = BUS_DECODE_MALFORMED;
        return NULL;
    }
    Lab__Envelope *env = lab__envelope__unpack (NULL, size, (const uint8_t *) data);
    if (!env || !env->source || !*env->source) {
        if (env)
            lab__envelope__free_unpacked (env, NULL);
        *why = BUS_DECODE_MALFORMED;
        return NULL;
    }
    if (!bus_topic_body_ok (*topic_p, env)) {
        *why = BUS_DECODE_WRONG_BODY;
        if (!keep_wrong) {
            lab__envelope__free_unpacked (env, NULL);
            return NULL;
        }
    }
    bus_msg_t *out = (bus_msg_t *) zmalloc (sizeof (bus_msg_t));
    out->topic = *topic_p;
    *topic_p = NULL;
    out->env = env;     /* on a wrong body, handed back only so the caller can log */
    return out;
}

bus_msg_t *
bus_msg_decode (const char *topic, const void *data, size_t size, bus_decode_t *why)
{
    bus_decode_t dummy;
    char *copy = topic ? strdup (topic) : NULL;
    bus_msg_t *m = s_decode (&copy, data, size, why ? why : &dummy, why != NULL);
    free (copy);
    return m;
}

/* Takes one message off SUB; NULL when it was dropped (malformed, wrong body,
 * duplicate). */
static bus_msg_t *
s_read_sub (bus_client_t *self)
{
    zmsg_t *msg = zmsg_recv (self->sub);
    if (!msg)
        return NULL;
    bus_msg_t *out = NULL;
    char *topic = zmsg_popstr (msg);
    zframe_t *body = zmsg_pop (msg);
    if (!topic || !body || zmsg_size (msg) != 0) {
        s_count_malformed (self, topic ? topic : "?", NULL, 0);
        goto done;
    }
    bus_decode_t why;
    out = s_decode (&topic, zframe_data (body), zframe_size (body), &why, true);
    if (why == BUS_DECODE_MALFORMED)
        s_count_malformed (self, topic, zframe_data (body), zframe_size (body));
    else if (why == BUS_DECODE_WRONG_BODY) {
        s_count_wrong_body (self, out->topic, out->env);
        bus_msg_destroy (&out);
    }
    else if (!s_track_seq (self, out->topic, out->env))
        bus_msg_destroy (&out);
    else {
        self->counters.received++;
        out->client = self;
    }
done:
    free (topic);
    zframe_destroy (&body);
    zmsg_destroy (&msg);
    return out;
}

/* ---------------------------------------------------------------------
 * Services and requests */

static void
s_send_reg (bus_client_t *self)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, BUS_WIRE_REG);
    zmsg_addstr (msg, self->source);
    for (s_service_t *s = (s_service_t *) zlistx_first (self->services); s;
         s = (s_service_t *) zlistx_next (self->services))
        zmsg_addstr (msg, s->name);
    if (zmsg_send (&msg, self->dealer))
        zmsg_destroy (&msg);
    self->next_reg_ms = s_mono_ms () + BUS_REG_INTERVAL_MS;
}

int
bus_client_serve (bus_client_t *self, const char *name, bus_handler_fn *handler, void *arg)
{
    assert (self && name && handler);
    s_service_t *s = (s_service_t *) zmalloc (sizeof (s_service_t));
    s->name = strdup (name);
    s->handler = handler;
    s->arg = arg;
    zlistx_add_end (self->services, s);
    s_send_reg (self);
    return 0;
}

static s_service_t *
s_find_service (bus_client_t *self, const char *name)
{
    for (s_service_t *s = (s_service_t *) zlistx_first (self->services); s;
         s = (s_service_t *) zlistx_next (self->services))
        if (!strcmp (s->name, name))
            return s;
    return NULL;
}

const Lab__Envelope *
bus_request_envelope (bus_request_t *rq)
{
    assert (rq);
    return rq->env;
}

const Lab__CommandRequest *
bus_request_command (bus_request_t *rq)
{
    assert (rq);
    return rq->env->body_case == LAB__ENVELOPE__BODY_REQUEST ? rq->env->request : NULL;
}

void
bus_request_destroy (bus_request_t **self_p)
{
    assert (self_p);
    bus_request_t *self = *self_p;
    if (!self)
        return;
    zframe_destroy (&self->caller);
    if (self->env)
        lab__envelope__free_unpacked (self->env, NULL);
    free (self);
    *self_p = NULL;
}

int
bus_request_reply_envelope (bus_request_t *rq, Lab__Envelope *env)
{
    assert (rq && env);
    if (rq->replied)
        return -1;
    bus_client_t *self = rq->client;
    env->source = self->source;
    env->corr_id = rq->env->corr_id;
    env->epoch = self->epoch;
    if (!env->ts_ns)
        env->ts_ns = bus_now_ns ();
    size_t size = lab__envelope__get_packed_size (env);
    zframe_t *body = zframe_new (NULL, size);
    lab__envelope__pack (env, zframe_data (body));
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, BUS_WIRE_REP);
    zmsg_append (msg, &rq->caller);
    zmsg_addstr (msg, rq->corr);
    zmsg_append (msg, &body);
    int rc = zmsg_send (&msg, self->dealer);
    if (rc)
        zmsg_destroy (&msg);
    rq->replied = true;
    self->counters.requests_served++;
    if (rq->kept)
        bus_request_destroy (&rq);
    return rc;
}

int
bus_request_reply (bus_request_t *rq, int status, const char *json, const char *fmt, ...)
{
    char text[4096] = "";
    if (fmt) {
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (text, sizeof text, fmt, ap);
        va_end (ap);
    }
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    Lab__CommandReply reply = LAB__COMMAND_REPLY__INIT;
    reply.status = status;
    reply.message = text;
    reply.json = (char *) (json ? json : "");
    env.body_case = LAB__ENVELOPE__BODY_REPLY;
    env.reply = &reply;
    return bus_request_reply_envelope (rq, &env);
}

bus_request_t *
bus_request_keep (bus_request_t *rq)
{
    assert (rq);
    bus_request_t *kept = (bus_request_t *) zmalloc (sizeof (bus_request_t));
    *kept = *rq;
    kept->kept = true;
    rq->caller = NULL;
    rq->env = NULL;
    rq->replied = true;   /* the original no longer answers */
    return kept;
}

/* Dispatches one REQ [caller][corr][envelope] from the broker. */
static void
s_handle_request (bus_client_t *self, zmsg_t *msg)
{
    zframe_t *caller = zmsg_pop (msg);
    char *corr = zmsg_popstr (msg);
    zframe_t *body = zmsg_pop (msg);
    Lab__Envelope *env = body ? lab__envelope__unpack (NULL, zframe_size (body), zframe_data (body)) : NULL;
    if (!caller || !corr || !env) {
        s_count_malformed (self, "request", body ? zframe_data (body) : NULL, body ? zframe_size (body) : 0);
        zframe_destroy (&caller);
        zframe_destroy (&body);
        free (corr);
        if (env)
            lab__envelope__free_unpacked (env, NULL);
        return;
    }
    bus_request_t rq = { .client = self, .caller = caller, .env = env };
    snprintf (rq.corr, sizeof rq.corr, "%s", corr);
    const char *target = env->body_case == LAB__ENVELOPE__BODY_REQUEST && env->request->service
                             ? env->request->service : NULL;
    s_service_t *svc = target ? s_find_service (self, target) : NULL;
    if (!svc)
        svc = (s_service_t *) zlistx_first (self->services);
    if (!svc)
        bus_request_reply (&rq, BUS_ENOTRUNNING, NULL, "%s serves no service", self->source);
    else {
        svc->handler (&rq, svc->arg);
        if (!rq.replied)
            bus_request_reply (&rq, BUS_ERROR, NULL, "%s: handler gave no reply", svc->name);
    }
    zframe_destroy (&rq.caller);
    if (rq.env)
        lab__envelope__free_unpacked (rq.env, NULL);
    zframe_destroy (&body);
    free (corr);
}

/* One cached state value (SNAPV topic envelope): checked like anything
 * read off SUB, then queued for bus_client_recv. */
static void
s_on_snapshot_value (bus_client_t *self, zmsg_t *msg)
{
    char *topic = zmsg_popstr (msg);
    zframe_t *body = zmsg_pop (msg);
    if (!topic || !body || zmsg_size (msg)) {
        s_count_malformed (self, topic ? topic : "snapshot", NULL, 0);
        free (topic);
        zframe_destroy (&body);
        return;
    }
    bus_decode_t why;
    bus_msg_t *out = bus_msg_decode (topic, zframe_data (body), zframe_size (body), &why);
    if (why == BUS_DECODE_MALFORMED)
        s_count_malformed (self, topic, zframe_data (body), zframe_size (body));
    else if (why == BUS_DECODE_WRONG_BODY) {
        s_count_wrong_body (self, topic, out->env);
        bus_msg_destroy (&out);
    }
    else if (zlistx_size (self->snapshot) >= PENDING_MAX)
        bus_msg_destroy (&out);      /* bounded; the live stream brings it again */
    else
        zlistx_add_end (self->snapshot, out);
    free (topic);
    zframe_destroy (&body);
}

/* Next queued snapshot value that is not a duplicate, or NULL. */
static bus_msg_t *
s_next_snapshot (bus_client_t *self)
{
    bus_msg_t *m;
    while ((m = (bus_msg_t *) zlistx_first (self->snapshot))) {
        zlistx_detach_cur (self->snapshot);
        if (s_track_seq (self, m->topic, m->env)) {
            self->counters.received++;
            m->client = self;
            return m;
        }
        bus_msg_destroy (&m);
    }
    return NULL;
}

/* Reads one DEALER message. A REP/ERR matching WANT_CORR is returned in
 * *reply_p (REP) or as a status (ERR); others are handled or dropped. Returns
 * -1 when the message was not the awaited reply. */
static int
s_read_dealer (bus_client_t *self, const char *want_corr, Lab__Envelope **reply_p)
{
    zmsg_t *msg = zmsg_recv (self->dealer);
    if (!msg)
        return -1;
    int result = -1;
    char *verb = zmsg_popstr (msg);
    if (verb && !strcmp (verb, BUS_WIRE_REQ))
        s_handle_request (self, msg);
    else if (verb && !strcmp (verb, BUS_WIRE_SNAPV))
        s_on_snapshot_value (self, msg);
    else if (verb && (!strcmp (verb, BUS_WIRE_REP) || !strcmp (verb, BUS_WIRE_ERR))) {
        char *corr = zmsg_popstr (msg);
        if (want_corr && corr && !strcmp (corr, want_corr)) {
            if (!strcmp (verb, BUS_WIRE_REP)) {
                zframe_t *body = zmsg_pop (msg);
                Lab__Envelope *env = body ? lab__envelope__unpack (NULL, zframe_size (body), zframe_data (body)) : NULL;
                if (env) {
                    *reply_p = env;
                    result = BUS_OK;
                }
                else {
                    s_set_error (self, "malformed reply");
                    s_count_malformed (self, "reply", body ? zframe_data (body) : NULL, body ? zframe_size (body) : 0);
                    result = BUS_EPROTO;
                }
                zframe_destroy (&body);
            }
            else {
                char *status = zmsg_popstr (msg);
                char *text = zmsg_popstr (msg);
                result = status ? atoi (status) : BUS_ERROR;
                if (result == BUS_OK)
                    result = BUS_ERROR;
                s_set_error (self, "%s", text ? text : "error");
                free (status);
                free (text);
            }
        }
        free (corr);
    }
    free (verb);
    zmsg_destroy (&msg);
    return result;
}

static void
s_heartbeat (bus_client_t *self)
{
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    Lab__Heartbeat hb = LAB__HEARTBEAT__INIT;
    hb.service = self->source;
    hb.pid = getpid ();
    hb.uptime_s = (double) (s_mono_ms () - self->start_ms) / 1000.0;
    hb.interval_ms = (uint32_t) self->hb_interval_ms;
    char *names[32];
    size_t n = 0;
    for (s_service_t *s = (s_service_t *) zlistx_first (self->services); s && n < 32;
         s = (s_service_t *) zlistx_next (self->services))
        names[n++] = s->name;
    hb.registered = names;
    hb.n_registered = n;
    env.body_case = LAB__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    char topic[256];
    snprintf (topic, sizeof topic, "hb.%s", self->source);
    bus_client_publish (self, topic, &env);
}

void
bus_client_set_heartbeat (bus_client_t *self, int interval_ms)
{
    assert (self);
    self->hb_interval_ms = interval_ms > 0 ? interval_ms : 0;
    self->next_hb_ms = s_mono_ms ();
    if (self->hb_interval_ms)
        bus_client_tick (self);
}

/* Periodic work that is due; returns ms until the next due item (cap 1000). */
static int
s_timers (bus_client_t *self)
{
    uint64_t now = s_mono_ms ();
    s_drain_pub (self);
    if (zlistx_size (self->services) && now >= self->next_reg_ms)
        s_send_reg (self);
    if (self->hb_interval_ms && now >= self->next_hb_ms) {
        s_heartbeat (self);
        self->next_hb_ms = now + (uint64_t) self->hb_interval_ms;
    }
    uint64_t next = now + 1000;
    if (zlistx_size (self->services) && self->next_reg_ms < next)
        next = self->next_reg_ms;
    if (self->hb_interval_ms && self->next_hb_ms < next)
        next = self->next_hb_ms;
    if (!self->connected && zlistx_size (self->pending) && now + 20 < next)
        next = now + 20;   /* look for the broker's subscription soon */
    return next > now ? (int) (next - now) : 0;
}

void
bus_client_tick (bus_client_t *self)
{
    assert (self);
    s_timers (self);
    while (zsock_events (self->dealer) & ZMQ_POLLIN)
        s_read_dealer (self, NULL, NULL);
}

bus_msg_t *
bus_client_recv (bus_client_t *self, int timeout_ms)
{
    assert (self);
    uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : s_mono_ms () + (uint64_t) timeout_ms;
    while (true) {
        bus_msg_t *snap = s_next_snapshot (self);
        if (snap)
            return snap;
        if (zsock_events (self->sub) & ZMQ_POLLIN) {
            bus_msg_t *msg = s_read_sub (self);
            if (msg)
                return msg;
            continue;
        }
        int wait = s_timers (self);
        uint64_t now = s_mono_ms ();
        if (now >= deadline)
            return NULL;
        if ((uint64_t) wait > deadline - now)
            wait = (int) (deadline - now);
        void *which = zpoller_wait (self->poller, wait);
        if (which == self->dealer)
            while (zsock_events (self->dealer) & ZMQ_POLLIN)
                s_read_dealer (self, NULL, NULL);
        else if (!which && zpoller_terminated (self->poller))
            return NULL;
    }
}

int
bus_client_call_envelope (bus_client_t *self, const char *service, Lab__Envelope *req,
                          int timeout_ms, Lab__Envelope **reply_p)
{
    assert (self && service && req && reply_p);
    *reply_p = NULL;
    char corr[32];
    snprintf (corr, sizeof corr, "%" PRIu64, self->next_corr++);
    req->source = self->source;
    req->corr_id = strtoull (corr, NULL, 10);
    req->epoch = self->epoch;
    req->ts_ns = bus_now_ns ();
    size_t size = lab__envelope__get_packed_size (req);
    zframe_t *body = zframe_new (NULL, size);
    lab__envelope__pack (req, zframe_data (body));
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, BUS_WIRE_REQ);
    zmsg_addstr (msg, service);
    zmsg_addstr (msg, corr);
    zmsg_append (msg, &body);
    uint64_t deadline = s_mono_ms () + (uint64_t) (timeout_ms > 0 ? timeout_ms : 0);
    zsock_set_sndtimeo (self->dealer, timeout_ms > 0 ? timeout_ms : 0);
    int sent = zmsg_send (&msg, self->dealer);
    int err = zmq_errno ();
    zsock_set_sndtimeo (self->dealer, 0);
    if (sent) {
        zmsg_destroy (&msg);
        if (err == EAGAIN) {
            s_set_error (self, "%s did not answer within %d ms (the broker is not reachable)", service, timeout_ms);
            return BUS_ETIMEOUT;
        }
        s_set_error (self, "cannot send request to %s: %s", service, zmq_strerror (err));
        return BUS_ERROR;
    }
    while (true) {
        uint64_t now = s_mono_ms ();
        if (now >= deadline)
            break;
        zmq_pollitem_t item = { zsock_resolve (self->dealer), 0, ZMQ_POLLIN, 0 };
        int wait = s_timers (self);
        if ((uint64_t) wait > deadline - now)
            wait = (int) (deadline - now);
        if (zmq_poll (&item, 1, wait) < 0) {
            s_set_error (self, "interrupted");
            return BUS_ERROR;
        }
        if (item.revents & ZMQ_POLLIN) {
            int rc = s_read_dealer (self, corr, reply_p);
            if (rc >= 0)
                return rc;
        }
    }
    s_set_error (self, "%s did not answer within %d ms", service, timeout_ms);
    return BUS_ETIMEOUT;
}

int
bus_client_call (bus_client_t *self, const char *service, const char *command, int argc,
                 const char *const *args, int timeout_ms, Lab__CommandReply **reply_p)
{
    assert (self && service && command && reply_p);
    *reply_p = NULL;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    Lab__CommandRequest req = LAB__COMMAND_REQUEST__INIT;
    req.service = (char *) service;
    req.command = (char *) command;
    req.args = (char **) args;
    req.n_args = (size_t) argc;
    req.caller = self->source;
    env.body_case = LAB__ENVELOPE__BODY_REQUEST;
    env.request = &req;
    Lab__Envelope *reply = NULL;
    int rc = bus_client_call_envelope (self, service, &env, timeout_ms, &reply);
    if (rc != BUS_OK)
        return rc;
    if (reply->body_case != LAB__ENVELOPE__BODY_REPLY) {
        lab__envelope__free_unpacked (reply, NULL);
        s_set_error (self, "%s answered with an unexpected body", service);
        return BUS_EPROTO;
    }
    /* Detach the reply body from its envelope so the caller frees one thing. */
    Lab__CommandReply *body = reply->reply;
    size_t size = lab__command_reply__get_packed_size (body);
    uint8_t *buf = (uint8_t *) malloc (size ? size : 1);
    lab__command_reply__pack (body, buf);
    *reply_p = lab__command_reply__unpack (NULL, size, buf);
    free (buf);
    lab__envelope__free_unpacked (reply, NULL);
    if (!*reply_p) {
        s_set_error (self, "malformed reply from %s", service);
        return BUS_EPROTO;
    }
    if ((*reply_p)->status != BUS_OK)
        s_set_error (self, "%s", (*reply_p)->message ? (*reply_p)->message : "error");
    return BUS_OK;
}

void
bus_client_counters (bus_client_t *self, bus_counters_t *out)
{
    assert (self && out);
    *out = self->counters;
}

uint64_t
bus_client_gaps_from (bus_client_t *self, const char *source)
{
    assert (self && source);
    uint64_t *g = (uint64_t *) zhashx_lookup (self->source_gaps, source);
    return g ? *g : 0;
}
