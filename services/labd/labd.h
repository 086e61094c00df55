/* labd - the supervisor: starts every service of the lab config in
 * dependency order, restarts them with backoff within a restart intensity,
 * kills hung ones, captures their output, and runs LLM backends one per
 * exclusive group on request. Bus service `labd`; state on
 * state.service.<name> and state.backend.<name>; docs/labd.md. */
#ifndef LABD_H
#define LABD_H

#include <stddef.h>

typedef struct _labd_t labd_t;

/* Loads CONFIG_PATH and prepares the runtime directory (and stops what a
 * killed labd left running). NULL with "file:line: ..." in ERR. */
labd_t *labd_new (const char *config_path, char *err, size_t errlen);
void labd_destroy (labd_t **self_p);
/* Runs until SIGTERM/SIGINT, then stops everything in reverse start order.
 * Returns 0. */
int labd_run (labd_t *self);

#endif
