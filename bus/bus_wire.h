/* bus_wire - the request/registration protocol between clients (DEALER) and
 * the broker (ROUTER). Internal to bus/; documented in docs/bus.md.
 *
 *   client -> broker  REG  source name...          register / refresh names
 *   client -> broker  UNREG source name...        the client is going away
 *   client -> broker  REQ  service corr envelope   call a service
 *   client -> broker  REP  client-id corr envelope a service's reply
 *   broker -> service REQ  client-id corr envelope
 *   broker -> client  REP  corr envelope
 *   broker -> client  ERR  corr status message     e.g. 3 "not running"
 *   client -> broker  SNAP prefix                  the cached state.* values
 *   broker -> client  SNAPV topic envelope         one of them
 *   broker -> client  SNAPEND prefix ok|refused    the last (refused: over
 *                                                  the peer's rate)
 *   broker -> client  PING                         is this connection alive?
 *                                                  (clients ignore it)
 *
 * corr is the decimal correlation id; client-id is the broker's routing id of
 * the caller, opaque to the service. */
#ifndef BUS_WIRE_H
#define BUS_WIRE_H

#include <czmq.h>

#define BUS_WIRE_REG "REG"
#define BUS_WIRE_REQ "REQ"
#define BUS_WIRE_REP "REP"
#define BUS_WIRE_UNREG "UNREG"
#define BUS_WIRE_ERR "ERR"
#define BUS_WIRE_PING "PING"
#define BUS_WIRE_SNAP "SNAP"
#define BUS_WIRE_SNAPV "SNAPV"
#define BUS_WIRE_SNAPEND "SNAPEND"

/* The broker answers requests to this name itself. */
#define BUS_BROKER_SERVICE "labbus"

/* Registrations are refreshed every BUS_REG_INTERVAL_MS and expire after
 * BUS_REG_EXPIRY_MS without a refresh. */
#define BUS_REG_INTERVAL_MS 1000
#define BUS_REG_EXPIRY_MS 3000

/* TCP keepalive for the sockets whose input backpressure can stop (a
 * client's SUB, the broker's XSUB), where ZMTP heartbeats make libzmq 4.3.4
 * abort (see bus_client.c's s_connect): the kernel answers the probes
 * whether or not we read, and a dead peer host is found in about 11 s. */
static inline void
bus_wire_keepalive (zsock_t *sock)
{
    zsock_set_tcp_keepalive (sock, 1);
    zsock_set_tcp_keepalive_idle (sock, 5);
    zsock_set_tcp_keepalive_intvl (sock, 2);
    zsock_set_tcp_keepalive_cnt (sock, 3);
}

#endif
