/* bus_broker - the labbus broker loop.
 *
 * Forwarding: XSUB -> XPUB in batches, each message checked to be exactly
 * [topic][envelope that unpacks with a source]; anything else is counted as
 * malformed and dropped here, so one broken publisher cannot poison every
 * subscriber. state.* messages are kept (last value per topic) and sent again
 * whenever a subscription that covers them arrives (XPUB_VERBOSE, so repeated
 * subscriptions are seen too). Existing subscribers may get such a replay a
 * second time; their client drops it as a duplicate by seq.
 *
 * High-water marks: XSUB rcvhwm and XPUB sndhwm 100 000 messages per peer, so
 * bursts are absorbed, but a subscriber that stops reading for long cannot
 * grow the broker without bound: past its mark libzmq drops for that one
 * subscriber (others are unaffected) and the subscriber sees the loss as a seq
 * gap. ZMTP heartbeats are on (1 s interval, 3 s timeout) so dead peers are
 * noticed without traffic. */
#include "bus/bus_broker.h"
#include "bus/bus_cache.h"
#include "bus/bus_conns.h"
#include "bus/bus_curve.h"
#include "bus/bus_json.h"
#include "bus/bus_names.h"
#include "bus/bus_recorder.h"
#include "bus/bus_topic.h"
#include "bus/bus_wire.h"
#include <malloc.h>
#include <unistd.h>

#define BATCH 256

/* Per-peer budget for snapshot requests (a token bucket). */
typedef struct {
    double tokens;
    uint64_t last_ms;
} s_budget_t;

#define SNAP_BURST 20.0         /* requests a peer may make at once */
#define SNAP_PER_S 5.0          /* and then per second */
#define SNAP_PEERS_MAX 10000    /* budgets kept; past that the table starts afresh */


struct _bus_broker_t {
    bus_broker_opts_t opts;
    zsock_t *xsub;
    zsock_t *xpub;
    zsock_t *router;
    zcert_t *cert;              /* CURVE server certificate, or NULL */
    zactor_t *auth;             /* ZAP handler when CURVE is on */
    bus_cache_t *cache;         /* last value of each state.* topic */
    zhashx_t *budgets;          /* peer routing id (hex) -> s_budget_t */
    bus_names_t *names;         /* service name -> holder connection */
    bus_recorder_t *recorder;
    bus_conns_t *conns;         /* who sent what, for the stamps */
    bool stop;
    uint64_t epoch;
    uint64_t seq_stats, seq_hb;
    uint64_t start_ms;
    uint64_t next_stats_ms;
    uint64_t next_flush_ms;
    /* counters */
    uint64_t in_total, out_total, malformed, drops, requests, not_running;
    uint64_t wrong_body;        /* also counted in malformed */
    uint64_t subscriptions, snap_served, snap_refused, snap_items, router_drops;
    uint64_t last_in, last_out, last_stats_ms;
    bool malformed_logged;
    uint64_t refusals_unlogged;
    uint64_t next_refusal_log_ms;
};

static uint64_t
s_ms (void)
{
    return bus_mono_ns () / 1000000ull;
}

void
bus_broker_opts_defaults (bus_broker_opts_t *opts)
{
    memset (opts, 0, sizeof *opts);
    opts->recorder_max = 16u << 20;
    opts->recorder_files = 4;
    opts->stats_interval_ms = 1000;
    opts->reg_expiry_ms = BUS_REG_EXPIRY_MS;
    opts->sndhwm = 100000;
    opts->max_services = BUS_NAMES_MAX_DEFAULT;
    opts->cache_entries = 10000;
    opts->cache_bytes = 16u << 20;
    opts->max_message = 1u << 20;
}

/* bus/curve/names: NAME = "public certificate file" per bound name. */
static int
s_curve_names (bus_broker_opts_t *opts, lab_config_t *cfg, zconfig_t *names, char *err, size_t errlen)
{
    for (zconfig_t *n = names ? zconfig_child (names) : NULL; n; n = zconfig_next (n)) {
        const char *name = zconfig_name (n), *path = zconfig_value (n);
        if (!bus_names_valid (name) || !path || !*path)
            return lab_config_error (cfg, n, err, errlen, "names: NAME = \"public certificate file\"");
        if (opts->n_curve_names == (int) (sizeof opts->curve_names / sizeof opts->curve_names[0]))
            return lab_config_error (cfg, n, err, errlen, "names: at most 32 bound names");
        char why[256];
        int i = opts->n_curve_names;
        if (bus_curve_load_public (path, opts->curve_names[i].key, why, sizeof why))
            return lab_config_error (cfg, n, err, errlen, "names: %s: %s", name, why);
        snprintf (opts->curve_names[i].name, sizeof opts->curve_names[i].name, "%s", name);
        opts->n_curve_names++;
    }
    return 0;
}

int
bus_broker_opts_from_config (bus_broker_opts_t *opts, lab_config_t *cfg, char *err, size_t errlen)
{
    bus_broker_opts_defaults (opts);
    if (bus_endpoints_from_config (&opts->ep, cfg, err, errlen))
        return -1;
    if (!cfg)
        return 0;
    zconfig_t *bus = zconfig_locate (lab_config_root (cfg), "bus");
    static const char *const bus_keys[] = { "pub", "sub", "req", "recorder", "heartbeat",
                                            "service_expiry", "sndhwm", "curve", "max_services",
                                            "cache_entries", "cache_bytes", "max_message", NULL };
    if (bus && lab_config_known_keys (cfg, bus, bus_keys, err, errlen))
        return -1;
    long v;
    if (lab_config_duration_ms (cfg, bus, "service_expiry", BUS_REG_EXPIRY_MS, &v, err, errlen))
        return -1;
    opts->reg_expiry_ms = (int) v;
    if (lab_config_int (cfg, bus, "sndhwm", 100000, 1000, 10000000, &v, err, errlen))
        return -1;
    opts->sndhwm = (int) v;
    if (lab_config_int (cfg, bus, "max_services", BUS_NAMES_MAX_DEFAULT, 1, 100000, &v, err, errlen))
        return -1;
    opts->max_services = (size_t) v;
    if (lab_config_int (cfg, bus, "cache_entries", 10000, 1, 10000000, &v, err, errlen))
        return -1;
    opts->cache_entries = (size_t) v;
    if (lab_config_size (cfg, bus, "cache_bytes", 16 << 20, &v, err, errlen))
        return -1;
    opts->cache_bytes = (size_t) v;
    if (lab_config_size (cfg, bus, "max_message", 1 << 20, &v, err, errlen))
        return -1;
    if (v < 4096)
        return lab_config_error (cfg, zconfig_locate (bus, "max_message"), err, errlen,
                                 "max_message: at least 4K");
    opts->max_message = (size_t) v;
    zconfig_t *curve = bus ? zconfig_locate (bus, "curve") : NULL;
    if (curve) {
        static const char *const curve_keys[] = { "server_cert", "server_public", "clients",
                                                  "client_cert", "names", NULL };
        if (lab_config_known_keys (cfg, curve, curve_keys, err, errlen))
            return -1;
        const char *cert = lab_config_get (cfg, "bus/curve/server_cert", "");
        const char *clients = lab_config_get (cfg, "bus/curve/clients", "");
        if (!*cert != !*clients)
            return lab_config_error (cfg, curve, err, errlen,
                                     "curve: the broker needs both server_cert and clients");
        snprintf (opts->curve_cert, sizeof opts->curve_cert, "%s", cert);
        snprintf (opts->curve_clients, sizeof opts->curve_clients, "%s", clients);
        if (s_curve_names (opts, cfg, zconfig_locate (curve, "names"), err, errlen))
            return -1;
    }
    zconfig_t *rec = bus ? zconfig_locate (bus, "recorder") : NULL;
    if (rec) {
        static const char *const rec_keys[] = { "path", "max_size", "files", NULL };
        if (lab_config_known_keys (cfg, rec, rec_keys, err, errlen))
            return -1;
        const char *path = lab_config_get (cfg, "bus/recorder/path", NULL);
        if (path)
            snprintf (opts->recorder_path, sizeof opts->recorder_path, "%s", path);
        if (lab_config_size (cfg, rec, "max_size", 16 << 20, &v, err, errlen))
            return -1;
        if (v < 4096)
            return lab_config_error (cfg, zconfig_locate (rec, "max_size"), err, errlen,
                                     "max_size: at least 4K");
        opts->recorder_max = (size_t) v;
        if (lab_config_int (cfg, rec, "files", 4, 1, 100, &v, err, errlen))
            return -1;
        opts->recorder_files = (int) v;
    }
    return 0;
}

static zsock_t *
s_bind (int type, const char *ep, int hwm, size_t maxmsg, zcert_t *cert, char *err, size_t errlen)
{
    zsock_t *s = zsock_new (type);
    if (!s) {
        snprintf (err, errlen, "cannot create socket");
        return NULL;
    }
    zsock_set_linger (s, 0);
    if (type == ZMQ_XSUB) {
        /* The socket whose input backpressure can stop (publishers faster
         * than the broker, or the broker frozen): no ZMTP heartbeats there,
         * see bus_client.c's s_connect (libzmq #3937); TCP keepalive. */
        bus_wire_keepalive (s);
    }
    else {
        zsock_set_heartbeat_ivl (s, 1000);
        zsock_set_heartbeat_timeout (s, 3000);
    }
    zsock_set_sndhwm (s, hwm);
    zsock_set_rcvhwm (s, hwm);
    /* Before bind: the listener copies the options its connections get. A
     * peer that sends a larger message is disconnected by libzmq before the
     * bytes are buffered, so a 100 MB envelope never reaches anyone. */
    zsock_set_maxmsgsize (s, (int) maxmsg);
    if (cert)
        bus_curve_apply_server (s, cert);
    if (zsock_bind (s, "%s", ep) < 0) {
        snprintf (err, errlen, "cannot bind %s: %s", ep, zmq_strerror (zmq_errno ()));
        zsock_destroy (&s);
    }
    return s;
}

/* A bus other hosts can reach must authenticate them: refuse to start
 * otherwise. With CURVE configured, start the ZAP handler first so no
 * connection is ever accepted unchecked. */
static int
s_security (bus_broker_t *self, char *err, size_t errlen)
{
    const char *eps[3] = { self->opts.ep.pub, self->opts.ep.sub, self->opts.ep.req };
    if (!self->opts.curve_cert[0]) {
        for (int i = 0; i < 3; i++)
            if (!bus_curve_endpoint_is_local (eps[i])) {
                snprintf (err, errlen,
                          "%s is reachable from other hosts: configure bus/curve "
                          "(server_cert, clients; keys from `labctl keygen`)",
                          eps[i]);
                return -1;
            }
        return 0;
    }
    self->cert = bus_curve_load_cert (self->opts.curve_cert, err, errlen);
    if (!self->cert)
        return -1;
    self->auth = bus_curve_auth_new (self->opts.curve_clients, err, errlen);
    return self->auth ? 0 : -1;
}

bus_broker_t *
bus_broker_new (const bus_broker_opts_t *opts, char *err, size_t errlen)
{
    bus_broker_t *self = (bus_broker_t *) zmalloc (sizeof (bus_broker_t));
    self->opts = *opts;
    self->cache = bus_cache_new (opts->cache_entries, opts->cache_bytes);
    self->budgets = zhashx_new ();
    zhashx_set_destructor (self->budgets, (zhashx_destructor_fn *) zstr_free);
    self->names = bus_names_new (opts->reg_expiry_ms, opts->max_services);
    for (int i = 0; i < opts->n_curve_names; i++)
        bus_names_bind_key (self->names, opts->curve_names[i].name, opts->curve_names[i].key);
    self->start_ms = s_ms ();
    self->last_stats_ms = self->start_ms;
    self->epoch = bus_now_ns () ^ ((uint64_t) getpid () << 40);
    if (s_security (self, err, errlen)) {
        bus_broker_destroy (&self);
        return NULL;
    }
    self->xsub = s_bind (ZMQ_XSUB, opts->ep.pub, opts->sndhwm, opts->max_message, self->cert, err, errlen);
    /* Subscriptions are short; nothing else comes in on XPUB. */
    self->xpub = self->xsub ? s_bind (ZMQ_XPUB, opts->ep.sub, opts->sndhwm, 4096, self->cert, err, errlen)
                            : NULL;
    self->router
        = self->xpub ? s_bind (ZMQ_ROUTER, opts->ep.req, 10000, opts->max_message, self->cert, err, errlen) : NULL;
    if (!self->router) {
        bus_broker_destroy (&self);
        return NULL;
    }
    zsock_set_sndtimeo (self->router, 0);   /* never block on a slow requester */
    self->conns = bus_conns_new (self->xsub, !strncmp (opts->ep.pub, "ipc://", 6), self->epoch);
    zsock_set_router_mandatory (self->router, 1);
    /* Subscribe upstream to everything: each publisher's XPUB sees this and
     * knows the path is open (bus_client.c relies on it). */
    uint8_t all = 1;
    zmq_send (zsock_resolve (self->xsub), &all, 1, 0);
    if (opts->recorder_path[0]) {
        self->recorder = bus_recorder_new (opts->recorder_path, opts->recorder_max,
                                           opts->recorder_files, err, errlen);
        if (!self->recorder) {
            bus_broker_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
bus_broker_destroy (bus_broker_t **self_p)
{
    assert (self_p);
    bus_broker_t *self = *self_p;
    if (!self)
        return;
    bus_conns_destroy (&self->conns);
    zsock_destroy (&self->router);
    zsock_destroy (&self->xpub);
    zsock_destroy (&self->xsub);
    zactor_destroy (&self->auth);
    zcert_destroy (&self->cert);
    bus_cache_destroy (&self->cache);
    zhashx_destroy (&self->budgets);
    bus_names_destroy (&self->names);
    bus_recorder_destroy (&self->recorder);
    free (self);
    *self_p = NULL;
}

void
bus_broker_stop (bus_broker_t *self)
{
    assert (self);
    self->stop = true;
}

/* ------------------------------------------------------------------ */

static bool
s_is_state (const void *topic, size_t len)
{
    return len > 6 && memcmp (topic, "state.", 6) == 0;
}

static void
s_cache_put (bus_broker_t *self, zmq_msg_t *topic, zmq_msg_t *body)
{
    bus_cache_put (self->cache, zmq_msg_data (topic), zmq_msg_size (topic), zmq_msg_data (body),
                   zmq_msg_size (body));
}

/* Checks one message's shape: the envelope must unpack and name a source,
 * and its body must be the one the topic's family carries (bus_topic.h).
 * Returns NULL when it is fine, else why not. */
static const char *
s_invalid (zmq_msg_t *topic, zmq_msg_t *body)
{
    size_t tlen = zmq_msg_size (topic);
    if (tlen == 0 || tlen > 512)
        return "bad topic length";
    Lab__Envelope *env = lab__envelope__unpack (NULL, zmq_msg_size (body), (const uint8_t *) zmq_msg_data (body));
    const char *why = NULL;
    if (!env || !env->source || !*env->source)
        why = "bad envelope";
    else if (!bus_topic_body_ok_n ((const char *) zmq_msg_data (topic), tlen, env))
        why = "wrong body";
    if (env)
        lab__envelope__free_unpacked (env, NULL);
    return why;
}

static void
s_note_malformed (bus_broker_t *self, const char *why, zmq_msg_t *topic)
{
    self->malformed++;
    if (!self->malformed_logged) {
        int tlen = topic ? (int) zmq_msg_size (topic) : 0;
        zsys_warning ("labbus: dropped malformed message (%s) on topic '%.*s'; further ones are only counted",
                      why, tlen > 80 ? 80 : tlen, topic ? (const char *) zmq_msg_data (topic) : "");
        self->malformed_logged = true;
    }
}

/* Sends TOPIC+BODY to subscribers (copies, so the caller keeps its msgs). */
static void
s_publish_raw (bus_broker_t *self, const void *topic, size_t tlen, const void *body, size_t blen)
{
    void *xpub = zsock_resolve (self->xpub);
    if (zmq_send (xpub, topic, tlen, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0
        || zmq_send (xpub, body, blen, ZMQ_DONTWAIT) < 0)
        self->drops++;
    else
        self->out_total++;
}

/* Appends the sender's stamp (connection id, pid) to BODY: the bytes the
 * publisher sent stay as they were, the stamp's fields come last and so win
 * over any the publisher wrote itself. */
static void
s_stamp (bus_broker_t *self, zmq_msg_t *topic, zmq_msg_t *body)
{
    size_t slen;
    const uint8_t *stamp = bus_conns_stamp (self->conns, topic, &slen);
    size_t blen = zmq_msg_size (body);
    zmq_msg_t stamped;
    if (zmq_msg_init_size (&stamped, blen + slen))
        return;
    memcpy (zmq_msg_data (&stamped), zmq_msg_data (body), blen);
    memcpy ((uint8_t *) zmq_msg_data (&stamped) + blen, stamp, slen);
    zmq_msg_move (body, &stamped);     /* releases what BODY held */
    zmq_msg_close (&stamped);
}

/* Forwards up to BATCH messages that are waiting on XSUB. */
static void
s_forward (bus_broker_t *self)
{
    void *xsub = zsock_resolve (self->xsub);
    void *xpub = zsock_resolve (self->xpub);
    bus_conns_events (self->conns);     /* new connections before their messages */
    for (int i = 0; i < BATCH; i++) {
        zmq_msg_t topic, body;
        zmq_msg_init (&topic);
        if (zmq_msg_recv (&topic, xsub, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&topic);
            return;
        }
        self->in_total++;
        if (!zmq_msg_more (&topic)) {
            s_note_malformed (self, "one frame", &topic);
            zmq_msg_close (&topic);
            continue;
        }
        zmq_msg_init (&body);
        zmq_msg_recv (&body, xsub, 0);
        bool extra = zmq_msg_more (&body);
        while (zmq_msg_more (&body)) {      /* swallow any surplus frames */
            zmq_msg_t junk;
            zmq_msg_init (&junk);
            zmq_msg_recv (&junk, xsub, 0);
            bool more = zmq_msg_more (&junk);
            zmq_msg_close (&junk);
            if (!more)
                break;
        }
        const char *why = extra ? "too many frames" : s_invalid (&topic, &body);
        if (why) {
            if (!strcmp (why, "wrong body"))
                self->wrong_body++;
            s_note_malformed (self, why, &topic);
            zmq_msg_close (&topic);
            zmq_msg_close (&body);
            continue;
        }
        s_stamp (self, &topic, &body);
        if (self->recorder)
            bus_recorder_write (self->recorder, bus_now_ns (), (const char *) zmq_msg_data (&topic),
                                zmq_msg_size (&topic), zmq_msg_data (&body), zmq_msg_size (&body));
        if (s_is_state (zmq_msg_data (&topic), zmq_msg_size (&topic)))
            s_cache_put (self, &topic, &body);
        if (zmq_msg_send (&topic, xpub, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0
            || zmq_msg_send (&body, xpub, ZMQ_DONTWAIT) < 0) {
            self->drops++;
            zmq_msg_close (&topic);
            zmq_msg_close (&body);
        }
        else
            self->out_total++;
    }
}

/* Subscriptions arriving on XPUB are only read and counted: state is no
 * longer replayed to everyone on a subscription (one peer's storm of
 * subscriptions cost every subscriber a replay), but sent to the one client
 * that asks for it (SNAP on the request socket, Clone pattern). */
static void
s_on_subscription (bus_broker_t *self)
{
    void *xpub = zsock_resolve (self->xpub);
    for (int i = 0; i < BATCH; i++) {
        zmq_msg_t m;
        zmq_msg_init (&m);
        int rc = zmq_msg_recv (&m, xpub, ZMQ_DONTWAIT);
        zmq_msg_close (&m);
        if (rc < 0)
            break;
        self->subscriptions++;
    }
}

/* Publishes one of the broker's own messages (state.bus, hb.labbus). */
static void
s_publish_own (bus_broker_t *self, const char *topic, Lab__Envelope *env, uint64_t *seq)
{
    env->source = (char *) BUS_BROKER_SERVICE;
    env->seq = ++*seq;
    env->epoch = self->epoch;
    env->ts_ns = bus_now_ns ();
    env->conn = self->epoch << 32;      /* the broker's own "connection" */
    env->sender_pid = getpid ();
    size_t size = lab__envelope__get_packed_size (env);
    uint8_t *buf = (uint8_t *) malloc (size ? size : 1);
    lab__envelope__pack (env, buf);
    size_t tlen = strlen (topic);
    if (self->recorder)
        bus_recorder_write (self->recorder, env->ts_ns, topic, tlen, buf, size);
    if (s_is_state (topic, tlen)) {
        zmq_msg_t t, b;
        zmq_msg_init_data (&t, (void *) topic, tlen, NULL, NULL);
        zmq_msg_init_data (&b, buf, size, NULL, NULL);
        s_cache_put (self, &t, &b);
        zmq_msg_close (&t);
        zmq_msg_close (&b);
    }
    s_publish_raw (self, topic, tlen, buf, size);
    free (buf);
}

/* The reply to `labbus status`: counters and registered services. */
static char *
s_status_json (bus_broker_t *self)
{
    json_t *o = json_object ();
    json_object_set_new (o, "uptime_s", json_real ((double) ((s_ms () - self->start_ms) / 100) / 10.0));
    json_object_set_new (o, "msgs_in", json_integer ((json_int_t) self->in_total));
    json_object_set_new (o, "msgs_out", json_integer ((json_int_t) self->out_total));
    json_object_set_new (o, "drops", json_integer ((json_int_t) self->drops));
    json_object_set_new (o, "malformed", json_integer ((json_int_t) self->malformed));
    json_object_set_new (o, "wrong_body", json_integer ((json_int_t) self->wrong_body));
    bus_cache_stats_t cs;
    bus_cache_stats (self->cache, &cs);
    json_t *cache = json_object ();
    json_object_set_new (cache, "entries", json_integer ((json_int_t) cs.entries));
    json_object_set_new (cache, "bytes", json_integer ((json_int_t) cs.bytes));
    json_object_set_new (cache, "evicted", json_integer ((json_int_t) cs.evicted));
    json_object_set_new (cache, "too_big", json_integer ((json_int_t) cs.too_big));
    json_object_set_new (cache, "max_entries", json_integer ((json_int_t) self->opts.cache_entries));
    json_object_set_new (cache, "max_bytes", json_integer ((json_int_t) self->opts.cache_bytes));
    json_object_set_new (o, "cache", cache);
    json_t *snap = json_object ();
    json_object_set_new (snap, "served", json_integer ((json_int_t) self->snap_served));
    json_object_set_new (snap, "refused", json_integer ((json_int_t) self->snap_refused));
    json_object_set_new (snap, "items", json_integer ((json_int_t) self->snap_items));
    json_object_set_new (o, "snapshots", snap);
    json_object_set_new (o, "subscriptions", json_integer ((json_int_t) self->subscriptions));
    json_object_set_new (o, "reply_drops", json_integer ((json_int_t) self->router_drops));
    json_object_set_new (o, "requests", json_integer ((json_int_t) self->requests));
    json_object_set_new (o, "not_running", json_integer ((json_int_t) self->not_running));
    json_object_set_new (o, "recorder_bytes",
                         json_integer ((json_int_t) (self->recorder ? bus_recorder_bytes (self->recorder) : 0)));
    bus_names_stats_t ns;
    bus_names_stats (self->names, &ns);
    json_t *refused = json_object ();
    json_object_set_new (refused, "taken", json_integer ((json_int_t) ns.refused_taken));
    json_object_set_new (refused, "unreg", json_integer ((json_int_t) ns.refused_unreg));
    json_object_set_new (refused, "key", json_integer ((json_int_t) ns.refused_key));
    json_object_set_new (refused, "limit", json_integer ((json_int_t) ns.refused_limit));
    json_object_set_new (refused, "bad_name", json_integer ((json_int_t) ns.refused_bad));
    json_object_set_new (o, "names_refused", refused);
    json_object_set_new (o, "services", bus_names_json (self->names, s_ms ()));
    char *out = json_dumps (o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (o);
    return out;
}

static void
s_publish_stats (bus_broker_t *self)
{
    uint64_t now = s_ms ();
    bus_names_expire (self->names, now);
    double dt = (double) (now - self->last_stats_ms) / 1000.0;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    Lab__BusStats st = LAB__BUS_STATS__INIT;
    st.msgs_in_total = self->in_total;
    st.msgs_out_total = self->out_total;
    st.msgs_in_per_s = dt > 0 ? (double) (self->in_total - self->last_in) / dt : 0;
    st.msgs_out_per_s = dt > 0 ? (double) (self->out_total - self->last_out) / dt : 0;
    st.drops_total = self->drops;
    st.malformed_total = self->malformed;
    st.requests_total = self->requests;
    st.not_running_total = self->not_running;
    st.wrong_body_total = self->wrong_body;
    st.uptime_s = (double) (now - self->start_ms) / 1000.0;
    st.recorder_bytes = self->recorder ? bus_recorder_bytes (self->recorder) : 0;
    zlistx_t *names = bus_names_list (self->names);
    size_t n = zlistx_size (names), i = 0;
    char **list = (char **) zmalloc ((n + 1) * sizeof (char *));
    for (char *s = (char *) zlistx_first (names); s; s = (char *) zlistx_next (names))
        list[i++] = s;
    st.services = list;
    st.n_services = n;
    env.body_case = LAB__ENVELOPE__BODY_BUS_STATS;
    env.bus_stats = &st;
    s_publish_own (self, "state.bus", &env, &self->seq_stats);
    free (list);
    zlistx_destroy (&names);
    self->last_in = self->in_total;
    self->last_out = self->out_total;
    self->last_stats_ms = now;

    Lab__Envelope hbenv = LAB__ENVELOPE__INIT;
    Lab__Heartbeat hb = LAB__HEARTBEAT__INIT;
    hb.service = (char *) BUS_BROKER_SERVICE;
    hb.pid = getpid ();
    hb.uptime_s = st.uptime_s;
    hb.interval_ms = (uint32_t) self->opts.stats_interval_ms;
    hbenv.body_case = LAB__ENVELOPE__BODY_HEARTBEAT;
    hbenv.heartbeat = &hb;
    s_publish_own (self, "hb." BUS_BROKER_SERVICE, &hbenv, &self->seq_hb);
}

static void
s_send_err (bus_broker_t *self, zframe_t *to, const char *corr, int status, const char *text)
{
    zmsg_t *m = zmsg_new ();
    zmsg_append (m, &to);
    zmsg_addstr (m, BUS_WIRE_ERR);
    zmsg_addstr (m, corr);
    zmsg_addstrf (m, "%d", status);
    zmsg_addstr (m, text);
    if (zmsg_send (&m, self->router))
        zmsg_destroy (&m);
}

/* Answers requests addressed to the broker itself. */
static void
s_self_request (bus_broker_t *self, zframe_t *caller, const char *corr, zframe_t *body)
{
    Lab__Envelope *req = lab__envelope__unpack (NULL, zframe_size (body), zframe_data (body));
    const char *cmd = req && req->body_case == LAB__ENVELOPE__BODY_REQUEST ? req->request->command : NULL;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    Lab__CommandReply rep = LAB__COMMAND_REPLY__INIT;
    char text[256];
    char *json = NULL;
    if (cmd && (!strcmp (cmd, "status") || !strcmp (cmd, "services"))) {
        json = s_status_json (self);
        snprintf (text, sizeof text, "%zu services registered", bus_names_size (self->names));
        rep.status = BUS_OK;
    }
    else {
        snprintf (text, sizeof text, "labbus: unknown command '%s' (try status, services)", cmd ? cmd : "");
        rep.status = BUS_EUSAGE;
    }
    rep.message = text;
    rep.json = json ? json : (char *) "";
    env.body_case = LAB__ENVELOPE__BODY_REPLY;
    env.reply = &rep;
    env.source = (char *) BUS_BROKER_SERVICE;
    env.corr_id = req ? req->corr_id : 0;
    env.ts_ns = bus_now_ns ();
    env.epoch = self->epoch;
    size_t size = lab__envelope__get_packed_size (&env);
    zframe_t *out = zframe_new (NULL, size);
    lab__envelope__pack (&env, zframe_data (out));
    zmsg_t *m = zmsg_new ();
    zmsg_append (m, &caller);
    zmsg_addstr (m, BUS_WIRE_REP);
    zmsg_addstr (m, corr);
    zmsg_append (m, &out);
    if (zmsg_send (&m, self->router))
        zmsg_destroy (&m);
    free (json);
    if (req)
        lab__envelope__free_unpacked (req, NULL);
}

/* Is the connection with routing id ID still there? A PING to it fails at
 * once under ROUTER_MANDATORY when it is gone (clients ignore PING). */
static bool
s_conn_alive (zframe_t *id, void *arg)
{
    bus_broker_t *self = (bus_broker_t *) arg;
    zmsg_t *m = zmsg_new ();
    zframe_t *to = zframe_dup (id);
    zmsg_append (m, &to);
    zmsg_addstr (m, BUS_WIRE_PING);
    if (zmsg_send (&m, self->router) == 0)
        return true;
    zmsg_destroy (&m);
    return false;
}

/* The ZAP User-Id of the connection a frame came from (the client's public
 * key with CURVE), or NULL on a plain bus. */
static const char *
s_user_id (zframe_t *frame)
{
    const char *uid = frame ? zframe_meta (frame, "User-Id") : NULL;
    return uid && *uid ? uid : NULL;
}

/* Reads the rest of the current multipart message without keeping it. */
static void
s_drain_router (bus_broker_t *self)
{
    void *h = zsock_resolve (self->router);
    int more = zsock_rcvmore (self->router);
    while (more) {
        zmq_msg_t junk;
        zmq_msg_init (&junk);
        if (zmq_msg_recv (&junk, h, 0) < 0) {
            zmq_msg_close (&junk);
            break;
        }
        more = zmq_msg_more (&junk);
        zmq_msg_close (&junk);
    }
}

static void
s_log_refusal (bus_broker_t *self, const char *what, const char *name, const char *source)
{
    /* One line per refusal would let an attacker fill the log: one per second. */
    uint64_t now = s_ms ();
    self->refusals_unlogged++;
    if (now < self->next_refusal_log_ms)
        return;
    zsys_warning ("labbus: refused %s of '%.64s' by '%.64s' (%" PRIu64 " refusals since the last line)",
                  what, name, source ? source : "?", self->refusals_unlogged);
    self->refusals_unlogged = 0;
    self->next_refusal_log_ms = now + 1000;
}

/* REG source name... from FROM: at most BUS_NAMES_PER_REG names, read one
 * frame at a time so an oversize registration is never held in memory. */
static void
s_on_reg (bus_broker_t *self, zframe_t *from, zframe_t *verb)
{
    char *source = zsock_rcvmore (self->router) ? zstr_recv (self->router) : NULL;
    char *names[BUS_NAMES_PER_REG];
    size_t n = 0;
    bool oversize = false;
    while (source && zsock_rcvmore (self->router)) {
        if (n == BUS_NAMES_PER_REG) {
            oversize = true;
            s_drain_router (self);
            break;
        }
        names[n++] = zstr_recv (self->router);
    }
    if (oversize) {
        /* libzmq queued every frame of it (a multipart message counts once
         * against the high-water mark); give that memory back now. */
        malloc_trim (0);
        bus_names_refuse_oversize (self->names);
        s_log_refusal (self, "oversize registration", names[0] ? names[0] : "", source);
    }
    const char *key = s_user_id (verb);
    for (size_t i = 0; i < n; i++) {
        if (!oversize && names[i]) {
            bool known = bus_names_holder (self->names, names[i], s_ms ()) != NULL;
            bus_names_result_t r = bus_names_register (self->names, names[i], source, from, key, s_ms (),
                                                       s_conn_alive, self);
            if (r == BUS_NAMES_OK && !known)
                zsys_info ("labbus: service '%s' registered by %s", names[i], source);
            else if (r != BUS_NAMES_OK)
                s_log_refusal (self, r == BUS_NAMES_TAKEN ? "registration (held by a live client)"
                                     : r == BUS_NAMES_KEY ? "registration (bound to another key)"
                                     : r == BUS_NAMES_FULL ? "registration (registry full)"
                                                           : "registration (bad name)",
                               names[i], source);
        }
        free (names[i]);
    }
    if (!source)
        self->malformed++;
    free (source);
}

/* UNREG source name...: only the holder's own connection removes a name. */
static void
s_on_unreg (bus_broker_t *self, zframe_t *from)
{
    char *source = zsock_rcvmore (self->router) ? zstr_recv (self->router) : NULL;
    for (size_t i = 0; source && zsock_rcvmore (self->router); i++) {
        if (i == BUS_NAMES_PER_REG) {
            s_drain_router (self);
            break;
        }
        char *name = zstr_recv (self->router);
        if (name && bus_names_holder (self->names, name, s_ms ())) {
            if (bus_names_unregister (self->names, name, from))
                zsys_info ("labbus: service '%s' unregistered by %s", name, source);
            else
                s_log_refusal (self, "unregistration", name, source);
        }
        free (name);
    }
    free (source);
}

/* REQ service corr envelope: forward to the name's holder, or answer. */
static void
s_on_req (bus_broker_t *self, zframe_t *from, zmsg_t *msg)
{
    char *service = zmsg_popstr (msg);
    char *corr = zmsg_popstr (msg);
    zframe_t *body = zmsg_pop (msg);
    self->requests++;
    zframe_t *holder = bus_names_holder (self->names, service, s_ms ());
    if (!strcmp (service, BUS_BROKER_SERVICE))
        s_self_request (self, zframe_dup (from), corr, body);
    else if (!holder) {
        char text[300];
        snprintf (text, sizeof text, "%.64s is not running", service);
        self->not_running++;
        s_send_err (self, zframe_dup (from), corr, BUS_ENOTRUNNING, text);
    }
    else {
        zmsg_t *fwd = zmsg_new ();
        zframe_t *to = zframe_dup (holder);
        zmsg_append (fwd, &to);
        zmsg_addstr (fwd, BUS_WIRE_REQ);
        zframe_t *caller = zframe_dup (from);
        zmsg_append (fwd, &caller);
        zmsg_addstr (fwd, corr);
        zmsg_append (fwd, &body);
        if (zmsg_send (&fwd, self->router)) {
            /* ROUTER_MANDATORY: the service's connection is gone. */
            zmsg_destroy (&fwd);
            bus_names_remove (self->names, service);
            char text[300];
            snprintf (text, sizeof text, "%.64s is not running (connection lost)", service);
            self->not_running++;
            s_send_err (self, zframe_dup (from), corr, BUS_ENOTRUNNING, text);
        }
    }
    zframe_destroy (&body);
    free (service);
    free (corr);
}

/* Takes one token from FROM's snapshot budget; false when it has none. */
static bool
s_snap_allowed (bus_broker_t *self, zframe_t *from)
{
    char *key = zframe_strhex (from);
    s_budget_t *b = (s_budget_t *) zhashx_lookup (self->budgets, key);
    uint64_t now = s_ms ();
    if (!b) {
        if (zhashx_size (self->budgets) >= SNAP_PEERS_MAX)
            zhashx_purge (self->budgets);
        b = (s_budget_t *) zmalloc (sizeof (s_budget_t));
        b->tokens = SNAP_BURST;
        b->last_ms = now;
        zhashx_insert (self->budgets, key, b);
    }
    free (key);
    b->tokens += (double) (now - b->last_ms) / 1000.0 * SNAP_PER_S;
    if (b->tokens > SNAP_BURST)
        b->tokens = SNAP_BURST;
    b->last_ms = now;
    if (b->tokens < 1.0)
        return false;
    b->tokens -= 1.0;
    return true;
}

typedef struct {
    bus_broker_t *self;
    zframe_t *to;
    bool full;
} s_snap_t;

/* Sends [to][SNAPV][topic][body]; stops the walk when the peer's queue is full. */
static int
s_snap_one (const char *topic, size_t tlen, const void *body, size_t blen, void *arg)
{
    s_snap_t *sn = (s_snap_t *) arg;
    void *router = zsock_resolve (sn->self->router);
    if (zmq_send (router, zframe_data (sn->to), zframe_size (sn->to), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        sn->full = true;
        return 1;
    }
    /* Once the first frame is accepted, the rest of the message is too. */
    zmq_send (router, BUS_WIRE_SNAPV, strlen (BUS_WIRE_SNAPV), ZMQ_SNDMORE);
    zmq_send (router, topic, tlen, ZMQ_SNDMORE);
    zmq_send (router, body, blen, 0);
    sn->self->snap_items++;
    return 0;
}

/* SNAP prefix: the cached state.* values under PREFIX, to this peer only,
 * then SNAPEND prefix. Rate-limited per peer: a storm costs the storming
 * peer its own snapshots, nobody else anything. */
static void
s_on_snap (bus_broker_t *self, zframe_t *from)
{
    char *prefix = zsock_rcvmore (self->router) ? zstr_recv (self->router) : NULL;
    s_drain_router (self);
    if (!prefix) {
        self->malformed++;
        return;
    }
    bool ok = s_snap_allowed (self, from);
    if (ok) {
        s_snap_t sn = { self, from, false };
        bus_cache_each (self->cache, prefix, strlen (prefix), s_snap_one, &sn);
        if (sn.full)
            self->router_drops++;
        self->snap_served++;
    }
    else
        self->snap_refused++;
    zmsg_t *end = zmsg_new ();
    zframe_t *to = zframe_dup (from);
    zmsg_append (end, &to);
    zmsg_addstr (end, BUS_WIRE_SNAPEND);
    zmsg_addstr (end, prefix);
    zmsg_addstr (end, ok ? "ok" : "refused");
    if (zmsg_send (&end, self->router)) {
        zmsg_destroy (&end);
        self->router_drops++;
    }
    free (prefix);
}

static void
s_on_router (bus_broker_t *self)
{
    zframe_t *from = zframe_recv (self->router);
    zframe_t *verb = from && zsock_rcvmore (self->router) ? zframe_recv (self->router) : NULL;
    if (!from || !verb) {
        self->malformed++;
        s_drain_router (self);
    }
    else if (zframe_streq (verb, BUS_WIRE_REG))
        s_on_reg (self, from, verb);
    else if (zframe_streq (verb, BUS_WIRE_UNREG))
        s_on_unreg (self, from);
    else if (zframe_streq (verb, BUS_WIRE_SNAP))
        s_on_snap (self, from);
    else {
        /* The other verbs have a handful of frames: more is malformed. */
        zmsg_t *msg = zmsg_new ();
        while (zsock_rcvmore (self->router) && zmsg_size (msg) < 4) {
            zframe_t *f = zframe_recv (self->router);
            if (!f)
                break;
            zmsg_append (msg, &f);
        }
        bool extra = zsock_rcvmore (self->router);
        s_drain_router (self);
        if (!extra && zframe_streq (verb, BUS_WIRE_REQ) && zmsg_size (msg) == 3)
            s_on_req (self, from, msg);
        else if (!extra && zframe_streq (verb, BUS_WIRE_REP) && zmsg_size (msg) == 3) {
            /* [to][corr][envelope] -> [to][REP][corr][envelope] */
            zframe_t *to = zmsg_pop (msg);
            zmsg_pushstr (msg, BUS_WIRE_REP);
            zmsg_prepend (msg, &to);
            if (zmsg_send (&msg, self->router))
                zmsg_destroy (&msg);   /* caller gone: nothing to tell */
        }
        else
            self->malformed++;
        zmsg_destroy (&msg);
    }
    zframe_destroy (&from);
    zframe_destroy (&verb);
}

int
bus_broker_run_once (bus_broker_t *self, int timeout_ms)
{
    assert (self);
    zmq_pollitem_t items[] = {
        { zsock_resolve (self->xsub), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (self->xpub), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (self->router), 0, ZMQ_POLLIN, 0 },
        { bus_conns_monitor (self->conns), 0, ZMQ_POLLIN, 0 },
    };
    uint64_t now = s_ms ();
    if (now >= self->next_stats_ms) {
        s_publish_stats (self);
        self->next_stats_ms = now + (uint64_t) self->opts.stats_interval_ms;
    }
    if (self->recorder && now >= self->next_flush_ms) {
        bus_recorder_flush (self->recorder);
        self->next_flush_ms = now + 200;
    }
    uint64_t next = self->next_stats_ms;
    if (self->recorder && self->next_flush_ms < next)
        next = self->next_flush_ms;
    int wait = next > now ? (int) (next - now) : 0;
    if (timeout_ms >= 0 && wait > timeout_ms)
        wait = timeout_ms;
    int rc = zmq_poll (items, items[3].socket ? 4 : 3, wait);
    if (rc < 0)
        return -1;
    if (items[3].revents & ZMQ_POLLIN)
        bus_conns_events (self->conns);
    if (items[1].revents & ZMQ_POLLIN)
        s_on_subscription (self);
    if (items[0].revents & ZMQ_POLLIN)
        s_forward (self);
    if (items[2].revents & ZMQ_POLLIN)
        for (int i = 0; i < 64 && (zsock_events (self->router) & ZMQ_POLLIN); i++)
            s_on_router (self);
    return 0;
}

int
bus_broker_run (bus_broker_t *self)
{
    assert (self);
    while (!self->stop && !zsys_interrupted)
        if (bus_broker_run_once (self, 1000) < 0 && errno != EINTR)
            break;
    if (self->recorder)
        bus_recorder_flush (self->recorder);
    return 0;
}
