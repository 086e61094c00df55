/* eval_backend - starting and stopping the LLM backend of a cohort.
 *
 * The real path is labd (`backend-start NAME [timeout_ms]` replies once
 * /health is 200, `backend-stop NAME` once the process is gone and its port
 * closed, with the peak RSS it sampled). The local mode does the same itself
 * from the lab config's backends section (command, base_url, health_url,
 * start_timeout, stop_grace), for tests and for hosts without labd;
 * `${port}` in those values is a free loopback port chosen at start.
 * A backend with a base_url and no command is external in both modes. */
#ifndef EVAL_BACKEND_H
#define EVAL_BACKEND_H

#include <stdint.h>
#include <sys/types.h>
#include "bus/bus_client.h"
#include "bus/lab_config.h"
#include "services/eval-runner/eval_memprobe.h"
#include "services/eval-runner/eval_http.h"   /* eval_http_get, for its users */

typedef struct {
    char base_url[256];      /* server root, without /v1 */
    pid_t pid;
    double health_wait_s;
    uint64_t peak_rss_kb;    /* after stop */
    bool external;           /* base_url only: already running, never started or stopped here */
} eval_backend_info_t;

typedef struct _eval_backends_t eval_backends_t;

/* Through labd on BUS (borrowed). */
eval_backends_t *eval_backends_new_labd (bus_client_t *bus);
/* Locally from CFG (borrowed); CONFIG_PATH expands ${config}; LOG_DIR gets
 * each backend's output (NULL: inherit). */
eval_backends_t *eval_backends_new_local (lab_config_t *cfg, const char *config_path,
                                          const char *log_dir);
void eval_backends_destroy (eval_backends_t **self_p);

/* Starts NAME and waits for its health (at most TIMEOUT_MS). */
int eval_backends_start (eval_backends_t *self, const char *name, long timeout_ms,
                         eval_backend_info_t *info, char *err, size_t errlen);
/* Stops NAME and waits until it is gone; fills info->peak_rss_kb. */
int eval_backends_stop (eval_backends_t *self, const char *name, eval_backend_info_t *info,
                        char *err, size_t errlen);
/* "labd" or "local". */
const char *eval_backends_mode (eval_backends_t *self);

/* The lab config (borrowed) for labd mode too: external backends (a
 * base_url and no command: a server that already runs, here or on another
 * host) are used directly, with no start, no stop and no port wait; and
 * API keys are read from it. */
void eval_backends_use_config (eval_backends_t *self, lab_config_t *cfg);

/* The API key of backend NAME into OUT ("" when it has none): from the
 * file `api_key_file` (first line) or the environment variable
 * `api_key_env`. -1 with ERR when one is configured but unreadable. The
 * key is only ever put in an Authorization header: never logged, never in
 * argv, never on the bus. */
int eval_backends_api_key (eval_backends_t *self, const char *name, char *out, size_t outlen, char *err,
                           size_t errlen);

/* The memory probe of backend NAME (its `memory_probe`; default proc for a
 * backend that is started here or by labd, none for an external one). */
int eval_backends_memprobe (eval_backends_t *self, const char *name, eval_memprobe_t *p, char *err, size_t errlen);



#endif
