/* fw_job - one builder job (build, flash, ota, reflash, diagnose) run in a
 * thread of its own (a zactor) with its own bus client, so the service's
 * loop never waits on a build, a flash or a boot: it keeps answering
 * requests and heartbeats while jobs run.
 *
 * The job publishes its progress on state.build.<job> (BuildJobState) and a
 * build's output, line by line, on log.build.<job> (text Blobs). It owns nothing persistent: it asks the service over its pipe to
 * store an artefact ("built" ROW -> "stored" PATH ERROR), records history
 * through it ("history" EVENT) and ends with "done" FINAL-JSON. $TERM from
 * the service stops it (a running build's process group is killed). */
#ifndef FW_JOB_H
#define FW_JOB_H

#include <czmq.h>
#include <limits.h>
#include "bus/bus_client.h"
#include "services/builder/fw_recipe.h"

typedef enum { FW_JOB_BUILD, FW_JOB_FLASH, FW_JOB_OTA, FW_JOB_REFLASH, FW_JOB_DIAGNOSE } fw_job_kind_t;

typedef struct {
    fw_job_kind_t kind;
    char id[16];
    fw_recipe_t recipe;           /* build, reflash: a copy (argv shared, read-only) */
    bool has_recipe;
    char board[FW_NAME_MAX];
    fw_deliver_t how;
    char via[FW_NAME_MAX];        /* espnow: the initiator board */
    /* flash, ota: the kept artefact to deliver */
    char image[PATH_MAX];
    char sha256[65];
    char version[33];
    uint64_t size;
    char image_recipe[FW_NAME_MAX];
    char prev_version[33];        /* the board's version before: a rollback comes back to it */
    char images_dir[PATH_MAX];    /* ota-initiator only reads images from here */
    int boot_timeout_ms;
    bus_endpoints_t ep;
    char piddir[PATH_MAX];        /* a running build's pid file, for the next builder */
    /* diagnose */
    char spare[FW_NAME_MAX];      /* another board, for ping-pong */
    char good_image[PATH_MAX];    /* known-good image ("" none) */
    char good_version[33];
    char good_sha256[65];
    char **power;                 /* argv that power-cycles the board ({board}), or NULL */
} fw_job_args_t;

const char *fw_job_kind_name (fw_job_kind_t kind);

/* The zactor body: zactor_new (fw_job_actor, args). ARGS stays the
 * caller's and must outlive the actor. */
void fw_job_actor (zsock_t *pipe, void *args);

#endif
