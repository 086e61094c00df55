/* labctl_ctl - labctl's way to labd that does not need the bus: labd's
 * control socket (RUNTIME/labd/ctl.sock, docs/labd.md). Used when the
 * broker does not answer, so `labctl status|start|stop|restart` can still
 * bring the lab back from the host. */
#ifndef LABCTL_CTL_H
#define LABCTL_CTL_H

#include "services/labctl/labctl.h"

/* Sends COMMAND [ARG] to labd's control socket and waits up to TIMEOUT_MS.
 * Returns the reply's status with *MESSAGE and *JSON (malloc'd; *JSON may
 * be NULL), or BUS_ENOTRUNNING when no labd listens there, BUS_ETIMEOUT,
 * BUS_EPROTO for a reply that is not labd's JSON (*MESSAGE says which). */
int labctl_ctl_call (labctl_t *ctx, const char *command, const char *arg, int timeout_ms, char **message,
                     char **json);

#endif
