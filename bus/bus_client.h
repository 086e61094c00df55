/* bus_client - a process's connection to labbus.
 *
 * One client holds three sockets to the broker: an XPUB that publishes into
 * the broker's XSUB (XPUB, not PUB, so we can see the broker's subscription
 * arrive and never publish into the void), a SUB on the broker's XPUB, and a
 * DEALER on the broker's ROUTER for request/reply and service registration.
 *
 * Every message is [topic][packed lab.Envelope]. publish() stamps source, a
 * seq, a per-process epoch and a timestamp. seq counts per (source, topic),
 * from 1: a subscriber sees every message of a topic it subscribes to, but not
 * the source's other topics, so only a per-topic sequence makes a gap mean
 * "lost".
 * Receiving counts seq gaps per (source, epoch) and drops duplicates (the
 * broker replays the last state.* values to new subscribers, so a subscriber
 * can see a value twice); bytes that do not unpack are counted, logged once
 * per source, and dropped. Not thread-safe: one client per thread. */
#ifndef BUS_CLIENT_H
#define BUS_CLIENT_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>
#include "lab.pb-c.h"
#include "bus/bus_clock.h"
#include "bus/bus_status.h"
#include "bus/bus_topic.h"
#include "bus/lab_config.h"

#define BUS_ENDPOINT_MAX 256
/* A client reconnects to a broker that came back within this long (libzmq's
 * reconnect backoff, 50 ms doubling up to this): a supervisor waiting for
 * heartbeats after a broker restart allows for it. */
#define BUS_CLIENT_RECONNECT_MAX_MS 1000

typedef struct _bus_client_t bus_client_t;

typedef struct {
    char pub[BUS_ENDPOINT_MAX];  /* broker XSUB: clients publish here */
    char sub[BUS_ENDPOINT_MAX];  /* broker XPUB: clients subscribe here */
    char req[BUS_ENDPOINT_MAX];  /* broker ROUTER: requests, registration */
    /* CURVE (bus/curve in the config; empty: plain). */
    char curve_cert[BUS_ENDPOINT_MAX];  /* this client's secret certificate file */
    char curve_server[41];              /* the broker's public key, Z85 */
} bus_endpoints_t;

/* ipc:// endpoints under RUNTIME_DIR (pub.sock, sub.sock, req.sock). */
void bus_endpoints_in_dir (bus_endpoints_t *ep, const char *runtime_dir);
/* From the config's `bus` section (pub, sub, req), defaulting to ipc:// under
 * the runtime directory. $LAB_BUS_DIR overrides both (tests use it). */
int bus_endpoints_from_config (bus_endpoints_t *ep, lab_config_t *cfg, char *err, size_t errlen);
/* Endpoints for a process given `-c CONFIG` or nothing: $LAB_BUS_DIR, else the
 * config (default compose/lab.cfg if it exists), else the default runtime dir. */
int bus_endpoints_resolve (bus_endpoints_t *ep, const char *config_path, char *err, size_t errlen);

typedef struct {
    char *topic;
    Lab__Envelope *env;          /* unpacked; owned by the message */
    bus_client_t *client;        /* that received it (counts wrong bodies); may be NULL */
} bus_msg_t;
void bus_msg_destroy (bus_msg_t **self_p);
/* Typed topics (bus_topic.h): MSG's body when its case is WANT, else NULL,
 * counted in the receiving client's wrong_body. Consumers read bodies only
 * through this (never env->xxx after a bare body_case test they might forget):
 *     const Lab__BoardState *b = bus_msg_body (m, LAB__ENVELOPE__BODY_BOARD);
 *     if (!b) return;    (counted; nothing dereferenced)
 * bus_client_recv already drops a message whose body does not match its
 * topic's family, so on a typed topic this only fails when the consumer asks
 * for another type than the family carries. */
void *bus_msg_body (bus_msg_t *msg, Lab__Envelope__BodyCase want);

/* What bus_client_recv does with each [topic][bytes] it takes off the wire,
 * for code that gets messages elsewhere (replay files, fuzz targets): unpack,
 * require a source, require the family's body. Returns the message, or NULL
 * with *WHY = BUS_DECODE_MALFORMED; on BUS_DECODE_WRONG_BODY it returns the
 * message too, only so the caller can log what it drops: do not use its body.
 * With WHY NULL, a wrong body returns NULL like any other rejection. */
typedef enum { BUS_DECODE_OK, BUS_DECODE_MALFORMED, BUS_DECODE_WRONG_BODY } bus_decode_t;
bus_msg_t *bus_msg_decode (const char *topic, const void *data, size_t size, bus_decode_t *why);

/* Connects; waits up to 1 s for the broker to subscribe to us so first
 * messages are not lost (publishes before that are queued in the client, up to
 * a bound, and flushed when the broker appears). Returns NULL only on a bad
 * endpoint; a broker that is down is not an error (the client reconnects). */
bus_client_t *bus_client_new (const char *source, const bus_endpoints_t *ep);
void bus_client_destroy (bus_client_t **self_p);

const char *bus_client_source (bus_client_t *self);
/* Text of the last error on this client. */
const char *bus_client_error (bus_client_t *self);
/* True once the broker's subscription has reached our publisher. */
bool bus_client_connected (bus_client_t *self);

/* Publishes ENV on TOPIC; fills source, seq, epoch and ts_ns (ts_ns only when
 * zero). ENV stays the caller's. Returns 0, or -1 when it was dropped (also
 * when its body is not the one TOPIC's family carries, bus_topic.h). */
int bus_client_publish (bus_client_t *self, const char *topic, Lab__Envelope *env);
/* Publishes TEXT (handy for tests and `labctl pub`) in the body TOPIC's
 * family carries: a SerialLine on tel.serial.<board> (board from the topic),
 * a Blob (text/plain) on log.*, evt.chat.* and untyped families; -1 on a
 * family whose body is not text. */
int bus_client_publish_text (bus_client_t *self, const char *topic, const char *text);

int bus_client_subscribe (bus_client_t *self, const char *prefix);
int bus_client_unsubscribe (bus_client_t *self, const char *prefix);

/* Next subscribed message, waiting up to TIMEOUT_MS (-1 forever). Meanwhile
 * serves requests to registered names and sends heartbeats. NULL on timeout
 * or interrupt. */
bus_msg_t *bus_client_recv (bus_client_t *self, int timeout_ms);
/* Does the periodic work (heartbeat, registration refresh, pending requests)
 * without taking subscribed messages; for loops that poll other sockets. */
void bus_client_tick (bus_client_t *self);
/* The sockets a caller's own poller should watch; when one is readable call
 * bus_client_recv (self, 0) for SUB, bus_client_tick (self) for DEALER. */
zsock_t *bus_client_sub_sock (bus_client_t *self);
zsock_t *bus_client_req_sock (bus_client_t *self);

/* --- heartbeat ------------------------------------------------------- */
/* Publishes hb.<source> every INTERVAL_MS (0, the default, disables; services
 * use 1000). labd treats the first heartbeat as "ready" and K missed ones as
 * "hung", so a service calls this once at start and then keeps calling
 * bus_client_recv or bus_client_tick from its loop. */
void bus_client_set_heartbeat (bus_client_t *self, int interval_ms);

/* --- request/reply ---------------------------------------------------- */
typedef struct _bus_request_t bus_request_t;
typedef void (bus_handler_fn) (bus_request_t *rq, void *arg);

/* Registers NAME; requests to it call HANDLER. The broker forgets a name whose
 * heartbeats stop (3 s) and the client re-registers after a broker restart. */
int bus_client_serve (bus_client_t *self, const char *name, bus_handler_fn *handler, void *arg);

/* The request; body is usually a CommandRequest (bus_request_command). */
const Lab__Envelope *bus_request_envelope (bus_request_t *rq);
/* The CommandRequest body, or NULL when the request carries another body. */
const Lab__CommandRequest *bus_request_command (bus_request_t *rq);
/* Replies with a CommandReply. Exactly one reply per request. */
int bus_request_reply (bus_request_t *rq, int status, const char *json, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
/* Replies with any envelope body (e.g. JudgeResult). */
int bus_request_reply_envelope (bus_request_t *rq, Lab__Envelope *env);
/* Called inside a handler to answer later (a long-running command): returns
 * a request the caller owns until it replies (which frees it) or destroys it. */
bus_request_t *bus_request_keep (bus_request_t *rq);
void bus_request_destroy (bus_request_t **self_p);

/* Sends COMMAND with ARGS to SERVICE and waits up to TIMEOUT_MS. Returns 0
 * with *reply_p set (check its status; free it with
 * lab__command_reply__free_unpacked (reply, NULL)), or a bus_status_t (BUS_ENOTRUNNING at
 * once when no one serves SERVICE, BUS_ETIMEOUT) with bus_client_error set. */
int bus_client_call (bus_client_t *self, const char *service, const char *command,
                     int argc, const char *const *args, int timeout_ms,
                     Lab__CommandReply **reply_p);
/* The same with any request envelope; *reply_p is the whole reply envelope
 * (free with lab__envelope__free_unpacked). */
int bus_client_call_envelope (bus_client_t *self, const char *service, Lab__Envelope *req,
                              int timeout_ms, Lab__Envelope **reply_p);

/* --- counters --------------------------------------------------------- */
typedef struct {
    uint64_t published;
    uint64_t publish_dropped;    /* queued past the bound while disconnected */
    uint64_t received;
    uint64_t gaps;               /* messages missing from seq sequences */
    uint64_t duplicates;         /* seen twice, dropped */
    uint64_t malformed;          /* did not unpack, dropped */
    uint64_t wrong_body;         /* body not what the topic's family carries, dropped */
    uint64_t requests_served;
} bus_counters_t;
void bus_client_counters (bus_client_t *self, bus_counters_t *out);
/* Gaps seen from one source (0 when unknown). */
uint64_t bus_client_gaps_from (bus_client_t *self, const char *source);

/* bus_now_ns (wall) and bus_mono_ns (monotonic): bus/bus_clock.h. */

#endif
