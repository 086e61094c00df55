/* lab_test - helpers shared by the integration tests: temporary directories,
 * starting and stopping the real programs from the build directory, and
 * bounded waiting. Tests find programs under $LAB_BUILD/bin (default build). */
#ifndef LAB_TEST_H
#define LAB_TEST_H

#include <stdbool.h>
#include <sys/types.h>
#include "bus/bus_client.h"

/* A fresh directory under /tmp (caller frees the string; lab_test_rmdir removes it). */
char *lab_test_tmpdir (const char *tag);
void lab_test_rmdir (const char *dir);

/* Path of a program in the build's bin directory. */
void lab_test_bin (const char *name, char *out, size_t outlen);

/* Runs ARGV to its end without a shell (a bare argv[0] is looked for in
 * the build's bin directory first, then on PATH), with LAB_BUS_DIR=BUS_DIR
 * when BUS_DIR is given, for at most TIMEOUT_MS; the first CAP-1 bytes of
 * its stdout in OUT. Returns its exit status, -1 when it could not run, was
 * killed or ran out of time (printed on stderr). */
int lab_test_capture (char *const argv[], const char *bus_dir, int timeout_ms, char *out, size_t cap);

/* Starts build/bin/NAME with ARGV (NULL-terminated, argv[0] included);
 * stdout/stderr go to LOG when given. Returns the pid or -1. The child dies
 * with the test process (PR_SET_PDEATHSIG). */
pid_t lab_test_spawn (const char *name, const char *const argv[], const char *log);
/* Sends SIG, waits up to TIMEOUT_MS, then SIGKILL. Returns the wait status. */
int lab_test_stop (pid_t pid, int sig, int timeout_ms);

/* Starts labbus with endpoints in DIR and waits until it answers a status
 * call (at most 5 s). EXTRA args may be NULL. Returns pid or -1. */
pid_t lab_test_start_broker (const char *dir, const char *const extra[]);

/* Polls PRED every 10 ms for up to TIMEOUT_MS. */
bool lab_test_wait (bool (*pred) (void *arg), void *arg, int timeout_ms);

#endif
