/* labd_unit - one supervised program (a service or an LLM backend): what the
 * config says about it, and what labd knows of it while it runs. */
#ifndef LABD_UNIT_H
#define LABD_UNIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "bus/bus_client.h"
#include "bus/lab_config.h"

#define LABD_NAME_MAX 64
#define LABD_AFTER_MAX 16
#define LABD_HISTORY 64

typedef enum { LABD_RESTART_ALWAYS, LABD_RESTART_ON_FAILURE, LABD_RESTART_NEVER } labd_restart_t;

typedef enum {
    LABD_STOPPED,    /* not running, not wanted (or not started yet) */
    LABD_STARTING,   /* running, not ready: no heartbeat / health yet */
    LABD_UP,
    LABD_BACKOFF,    /* exited; waiting to restart */
    LABD_STOPPING,   /* SIGTERM sent; SIGKILL at the grace deadline */
    LABD_FAILED,     /* restart intensity exceeded; waits for someone */
    LABD_EXITED,     /* exited and its policy says stay down */
} labd_state_t;

const char *labd_state_name (labd_state_t state);

/* A line-splitting buffer for a child's stdout or stderr. */
typedef struct {
    int fd;
    char buf[4096];
    size_t len;
} labd_pipe_t;

typedef struct {
    /* --- from the config --------------------------------------------- */
    char name[LABD_NAME_MAX];
    bool backend;
    int config_line;
    char **argv;                  /* expanded, NULL-terminated */
    char **env;                   /* extra KEY=VALUE, NULL-terminated */
    char after[LABD_AFTER_MAX][LABD_NAME_MAX];
    int nafter;
    labd_restart_t restart;
    int grace_ms;                 /* SIGTERM → SIGKILL */
    int heartbeat_ms;             /* expected interval; 0: up once started */
    int misses;                   /* heartbeats missed before "hung" */
    int start_timeout_ms;         /* STARTING longer than this is a failure */
    int backoff_min_ms, backoff_max_ms;
    int intensity, period_ms;     /* more than INTENSITY restarts in PERIOD: FAILED */
    int reset_after_ms;           /* up this long: backoff starts again from min */
    /* backends */
    bool external;                /* base_url only, no command: never started here */
    char base_url[256];
    char health_url[256];
    char group[LABD_NAME_MAX];

    /* --- while running ----------------------------------------------- */
    labd_state_t state;
    bool wanted;                  /* should be running */
    pid_t pid;
    uint64_t pid_start;           /* /proc start time, to recognise the pid */
    labd_pipe_t out, err;
    uint64_t started_ms, up_ms, last_hb_ms, next_start_ms, stop_deadline_ms;
    uint64_t next_health_ms;
    int backoff_ms;
    uint64_t restart_at[LABD_HISTORY];  /* ring of restart times */
    int restart_head;
    uint32_t restarts;
    int last_status, last_signal;
    uint64_t rss_kb, peak_rss_kb;
    char reason[160];
    FILE *log;
    long log_size;
    bus_request_t *pending;       /* a backend-start/-stop waiting to be answered */
    bool pending_is_start;
    uint64_t pending_deadline_ms;
    uint64_t health_wait_start_ms;
} labd_unit_t;

/* Reads every `services` and `backends` section of CFG (several of each are
 * merged, so each area of a config declares its own). Expands ${config},
 * ${runtime}, ${state}, ${logs}. Returns the number of units in *UNITS_P
 * (caller frees with labd_units_free), or -1 with "file:line: ..." in ERR. */
int labd_units_load (lab_config_t *cfg, const char *config_abs, const char *runtime,
                     labd_unit_t **units_p, char *err, size_t errlen);
void labd_units_free (labd_unit_t *units, int n);

/* Splits a command line on blanks; "double quotes" group words (no other
 * shell syntax: nothing here ever runs a shell). Returns a NULL-terminated
 * argv (free with labd_argv_free) or NULL when a quote is unterminated. */
char **labd_argv_split (const char *line);
void labd_argv_free (char **argv);

#endif
