/* fw_ctx - what a running job (fw_job.c) shares with the step modules that
 * run inside it (fw_diagnose.c): its bus client, its published state, and
 * the helpers every step uses. Internal to the builder. */
#ifndef FW_CTX_H
#define FW_CTX_H

#include "services/builder/fw_job.h"

#define FW_LAST_LINES 20
#define FW_EVIDENCE_MAX 16

typedef struct {
    fw_job_args_t *a;
    zsock_t *pipe;
    bus_client_t *bus;
    uint64_t t0_ms;
    bool term;                     /* the service asked us to stop */
    /* published as state.build.<job> */
    char state[16], step[256], error[512];
    char sha256[65], version[33], booted[33], how[16], verdict[64];
    int exit_status, exit_signal;
    bool timed_out;
    double build_s, deliver_s;
    uint64_t size;
    char *lines[FW_LAST_LINES];    /* ring of the build's last output lines */
    int nlines, line_head;
    char *evidence[FW_EVIDENCE_MAX];
    int nevidence;
    char artefact[PATH_MAX];       /* the kept image after a build or given */
    char source[160];              /* "ota:<job>@<ts>" of the OTA job's final state */
} fw_ctx_t;

uint64_t fw_ms (void);
/* Publishes state.build.<job> now. */
void fw_ctx_publish (fw_ctx_t *c);
/* Sets state and step (printf) and publishes. */
void fw_ctx_step (fw_ctx_t *c, const char *state, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
/* Adds one line of evidence (diagnose) and publishes it as the step too. */
void fw_ctx_evidence (fw_ctx_t *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Calls SERVICE COMMAND ARGS; returns the reply status (bus_status_t) with
 * its message in MSG. */
int fw_ctx_call (fw_ctx_t *c, const char *service, const char *command, int argc, const char *const *args,
                 int timeout_ms, char *msg, size_t msglen);
/* Sleeps MS while watching the pipe; false when told to stop. */
bool fw_ctx_sleep (fw_ctx_t *c, int ms);
/* Delivers the artefact in c->artefact (version c->version) to BOARD HOW
 * (VIA for espnow) and waits for the boot report; records the history
 * event. Returns 0 when the board booted what was delivered. */
int fw_ctx_deliver (fw_ctx_t *c, const char *board, fw_deliver_t how, const char *via);

/* fw_diagnose.c */
int fw_diagnose_run (fw_ctx_t *c);

#endif
