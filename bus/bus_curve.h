/* bus_curve - CURVE security for the bus (ZeroMQ CURVE through CZMQ's zcert
 * and zauth).
 *
 * A bus reachable from other hosts must not be open: the broker refuses to
 * bind a tcp:// endpoint that is not loopback unless it has a server
 * certificate and a directory of allowed client public certificates. Keys are
 * made with `labctl keygen NAME` (zcert files: NAME public, NAME_secret). */
#ifndef BUS_CURVE_H
#define BUS_CURVE_H

#include <czmq.h>
#include <stdbool.h>

/* True for ipc://, inproc:// and tcp:// on 127.0.0.0/8, ::1 or localhost. */
bool bus_curve_endpoint_is_local (const char *endpoint);

/* Loads a secret certificate file; NULL with ERR filled on failure. */
zcert_t *bus_curve_load_cert (const char *path, char *err, size_t errlen);

/* Reads the Z85 public key (40 chars + NUL) from a certificate file, public
 * or secret. */
int bus_curve_load_public (const char *path, char out[41], char *err, size_t errlen);

/* Makes SOCK a CURVE server with CERT (before bind). */
void bus_curve_apply_server (zsock_t *sock, zcert_t *cert);
/* Makes SOCK a CURVE client with CERT towards SERVER_PUBLIC (before connect). */
void bus_curve_apply_client (zsock_t *sock, zcert_t *cert, const char *server_public);

/* Starts the ZAP handler allowing the public certificates in CLIENTS_DIR;
 * NULL with ERR filled on failure. Destroy with zactor_destroy. */
zactor_t *bus_curve_auth_new (const char *clients_dir, char *err, size_t errlen);

/* Writes a new key pair DIR/NAME and DIR/NAME_secret. */
int bus_curve_keygen (const char *dir, const char *name, char *err, size_t errlen);

#endif
