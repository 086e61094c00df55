/* labctl_reach - is anything listening at a bus endpoint? Asked with a plain
 * socket, because a ZeroMQ connect never fails: without this a command to a
 * lab that is not running waits for its whole timeout instead of saying
 * "not running" at once. */
#ifndef LABCTL_REACH_H
#define LABCTL_REACH_H

#include <stdbool.h>

/* False when nothing accepts connections at ENDPOINT: an ipc:// path that
 * does not exist or refuses, a tcp://host:port that refuses or does not
 * answer within TIMEOUT_MS. True otherwise (other transports: true, as
 * there is no way to ask). */
bool labctl_endpoint_listening (const char *endpoint, int timeout_ms);

#endif
