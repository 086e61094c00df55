/* labd_ctl - labd's local control socket: a way into the supervisor that
 * does not need the bus, so the lab can be brought back from the host when
 * the broker is down.
 *
 * A unix stream socket at RUNTIME/labd/ctl.sock, mode 0600 in a 0700
 * directory: file permissions are its only protection (whoever may open it
 * may start and stop services). One request per connection, one line:
 * "COMMAND [ARG...]\n" (at most LABD_CTL_LINE_MAX bytes); one reply, a JSON
 * object {"status": N, "message": "...", "json": ...}, then labd closes.
 * Everything is non-blocking and bounded (connections, line length, a
 * deadline per connection), so a client that stalls costs labd nothing. */
#ifndef LABD_CTL_H
#define LABD_CTL_H

#include <czmq.h>
#include <stddef.h>
#include <stdint.h>

#define LABD_CTL_LINE_MAX 512
#define LABD_CTL_ARGS_MAX 4
#define LABD_CTL_WORD_MAX 128

typedef struct _labd_ctl_t labd_ctl_t;

/* Runs COMMAND with ARGC ARGS; returns a bus_status_t and sets *MESSAGE
 * (and *JSON, may stay NULL); the strings are malloc'd and the caller of
 * the handler frees them. */
typedef int (labd_ctl_fn) (const char *command, int argc, const char *const *args, char **json,
                           char **message, void *arg);

/* Binds PATH (a stale socket file left by a killed labd is replaced; the
 * caller holds labd's lock, so no other labd owns it). NULL with ERR. */
labd_ctl_t *labd_ctl_new (const char *path, labd_ctl_fn *handler, void *arg, char *err, size_t errlen);
void labd_ctl_destroy (labd_ctl_t **self_p);

/* Adds the sockets to watch to ITEMS (at most MAX); returns how many. */
int labd_ctl_pollitems (labd_ctl_t *self, zmq_pollitem_t *items, int max);
/* Accepts, reads, answers and closes what is ready, without waiting;
 * drops connections older than their deadline. Call every loop turn. */
void labd_ctl_work (labd_ctl_t *self, uint64_t now_ms);

/* Splits one request line into COMMAND and up to LABD_CTL_ARGS_MAX words
 * (blank-separated, printable ASCII only). Returns the number of args, or
 * -1 for an empty, over-long or malformed line. */
int labd_ctl_parse (const char *line, size_t len, char command[LABD_CTL_WORD_MAX],
                    char args[LABD_CTL_ARGS_MAX][LABD_CTL_WORD_MAX]);

/* Counters: requests answered, requests refused as malformed, connections
 * dropped at their deadline or for lack of room. */
void labd_ctl_counters (labd_ctl_t *self, uint64_t *answered, uint64_t *malformed, uint64_t *dropped);

#endif
