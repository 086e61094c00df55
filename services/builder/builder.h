/* builder - the service behind `labctl build`, chat /build, /flash, /ota
 * push, /reflash and /diagnose: firmware builds from the lab's recipes, the
 * artefacts they leave (kept by SHA-256), the firmware history of every
 * board, and the jobs that need all of it. docs/builds.md.
 *
 * One thread runs the bus service and owns everything persistent (the
 * builds log, the artefacts, the history); each job runs in a thread of its
 * own (fw_job) and asks this one to record what it did. The service also
 * watches every board's boot reports and raises evt.alert.fw_mismatch.<board>
 * when a board runs a version other than the one last flashed or pushed. */
#ifndef BUILDER_H
#define BUILDER_H

#include "bus/bus_client.h"

typedef struct _builder_t builder_t;

/* CFG and BUS stay the caller's. NULL with ERR ("file:line: ...") when the
 * config is wrong or the state directory cannot be used. */
builder_t *builder_new (lab_config_t *cfg, bus_client_t *bus, char *err, size_t errlen);
/* Stops running jobs (a build's process group is killed). */
void builder_destroy (builder_t **self_p);
/* Runs until interrupted. */
int builder_run (builder_t *self);

#endif
