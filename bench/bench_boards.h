/* bench_boards - what the serial benches share: a temporary directory for
 * the bus and the programs' runtime files, the programs started from the
 * build's bin directory with their output in a log, a broker, boards as raw
 * ptys whose master side the bench writes, and waiting until serial-bridge
 * has opened every port. */
#ifndef BENCH_BOARDS_H
#define BENCH_BOARDS_H

#include <stddef.h>
#include <sys/types.h>

/* mkdtemp (TMPL) and point LAB_BUS_DIR and LAB_RUNTIME_DIR there, for this
 * process and the programs it starts. -1 when the directory cannot be made. */
int bench_boards_tmpdir (char *tmpl);

/* Removes DIR and everything in it (sockets, configs, logs). */
void bench_boards_rmdir (const char *dir);

/* Starts BIN_DIR/PROG with ARGV, stdout and stderr in LOG (truncated); the
 * child gets SIGTERM when the bench dies. Returns its pid, -1 on failure. */
pid_t bench_boards_spawn (const char *bin_dir, const char *prog, char *const argv[], const char *log);

/* SIGTERM, up to 1 s to exit, then SIGKILL; reaps it. */
void bench_boards_stop (pid_t pid);

/* labbus on DIR's endpoints without a recorder, log in DIR/labbus.log,
 * given 300 ms to bind. */
pid_t bench_boards_broker (const char *bin_dir, const char *dir);

/* A board: a pty in raw mode; NAME gets the slave's path. -1 on failure. */
int bench_boards_pty (int *master, int *slave, char *name, size_t namelen);

/* Waits up to TIMEOUT_MS until serial-bridge opened each of the N ports: it
 * asks for a boot report when it opens one, so a byte shows up on our side.
 * Leaves the masters non-blocking. Returns how many were opened. */
int bench_boards_wait_open (const int *master, int n, int timeout_ms);

#endif
