/* bus_conns - who sent a message: the broker's view of the connections on
 * its publisher socket, so it can stamp every message it forwards with the
 * connection it came from and, on ipc://, the sending process's pid.
 *
 * Subscribers then track seq per (connection, topic) instead of per claimed
 * source name, so one forged message cannot poison another sender's stream;
 * labd believes a heartbeat only when its sender_pid is its child's pid.
 *
 * How: libzmq hands every received message the file descriptor it was read
 * from (ZMQ_SRCFD) and the peer's address; for ipc:// the address carries the
 * peer's uid, gid and pid from SO_PEERCRED (the kernel's word, not the
 * peer's). A socket monitor reports each accepted and closed connection, so a
 * descriptor reused by a new connection gets a new connection id. */
#ifndef BUS_CONNS_H
#define BUS_CONNS_H

#include <czmq.h>
#include <stdint.h>

typedef struct _bus_conns_t bus_conns_t;

/* Watches SOCK (the broker's XSUB, before it binds); IPC: its endpoint is
 * ipc://, so peer addresses carry pids. EPOCH seeds the connection ids so
 * they differ between broker runs. */
bus_conns_t *bus_conns_new (zsock_t *sock, bool ipc, uint64_t epoch);
void bus_conns_destroy (bus_conns_t **self_p);

/* The monitor socket, for the caller's poll loop; call bus_conns_events when
 * it is readable (and before reading a batch from SOCK). */
void *bus_conns_monitor (bus_conns_t *self);
void bus_conns_events (bus_conns_t *self);

/* The stamp for MSG (a frame just received on SOCK): protobuf bytes of the
 * Envelope fields conn and sender_pid, to append to the envelope. Points into
 * SELF; valid until the next call. */
const uint8_t *bus_conns_stamp (bus_conns_t *self, zmq_msg_t *msg, size_t *len);

/* Live connections seen (for statistics). */
size_t bus_conns_size (bus_conns_t *self);

/* The stamp bytes for CONN and PID (OUT holds at least 32 bytes); for the
 * broker's own messages and for tests. Returns the length. */
size_t bus_conns_encode (uint64_t conn, int32_t pid, uint8_t *out);

#endif
