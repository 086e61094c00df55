/* labctl - the one command-line tool for the lab.
 *
 * main.c parses the global options and dispatches to a command function from
 * the table in labctl_commands.h; each command (or family: `ota`, `rssi`,
 * `eval`...) lives in its own labctl_<name>.c. Exit codes follow bus_status_t
 * (README's table): 0 ok, 1 error, 2 usage, 3 not running, 4 timeout, 5 busy,
 * 6 denied, 7 not found, 8 protocol error. */
#ifndef LABCTL_H
#define LABCTL_H

#include <stdbool.h>
#include "bus/bus_client.h"

typedef struct {
    const char *config_path;   /* -c, or NULL for the default */
    bool json;                 /* --json: JSON lines instead of text */
    int timeout_ms;            /* --timeout for calls (default 5000) */
    bool timeout_set;          /* --timeout was given: it wins over a command's own default */
    bool not_running;          /* labctl_bus found no broker listening: exit 3, not 1 */
    bus_client_t *bus;         /* connected on first use by labctl_bus() */
    bus_endpoints_t endpoints;
    bool endpoints_ok;
} labctl_t;

/* The context's bus client, connecting on first use; NULL (error printed)
 * when the endpoints cannot be resolved, or when no broker listens at them
 * (then ctx->not_running is set and main exits 3, "not running"). */
bus_client_t *labctl_bus (labctl_t *ctx);

/* Calls SERVICE COMMAND ARGS, prints the reply (message, or json with --json)
 * and returns the exit code. Most thin commands are just this. */
int labctl_call_print (labctl_t *ctx, const char *service, const char *command,
                       int argc, const char *const *args);

/* Calls labd (status, start, stop, restart) over the bus, or through its
 * control socket when the bus does not answer; prints the reply like
 * labctl_call_print and returns the exit code. */
int labctl_labd_call (labctl_t *ctx, const char *command, int argc, const char *const *args);

/* Every command: int labctl_cmd_<name> (labctl_t *ctx, int argc, char **argv),
 * argv[0] being the command name. */
#define LABCTL_COMMAND(name, fn, summary) int fn (labctl_t *ctx, int argc, char **argv);
#include "services/labctl/labctl_commands.h"
#undef LABCTL_COMMAND

#endif
