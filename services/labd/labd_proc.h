/* labd_proc - the process side of supervision: spawning a child with its
 * output on pipes, signalling its process group, reading its memory from
 * /proc, and the pid files that let the next labd clean up after a killed
 * one. */
#ifndef LABD_PROC_H
#define LABD_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Forks and execs ARGV (argv[0] looked up in BINDIR, then PATH) in its own
 * process group, with ENV added to the environment, stdout and stderr on
 * pipes (*OUT_FD, *ERR_FD, non-blocking). The child dies with labd
 * (PR_SET_PDEATHSIG). Returns the pid, or -1 with ERR filled (exec failures
 * surface as exit status 127 of the child). */
pid_t labd_spawn (char *const argv[], char *const env[], const char *bindir, int *out_fd,
                  int *err_fd, char *err, size_t errlen);

/* Signals the whole process group of PID. */
void labd_signal (pid_t pid, int sig);

/* (A process's memory and start time: bus/lab_proc.h.) */

/* Pid files under DIR: NAME.pid holds "pid start_time". */
void labd_pidfile_write (const char *dir, const char *name, pid_t pid, uint64_t start);
void labd_pidfile_remove (const char *dir, const char *name);
/* Kills (SIGKILL, whole group) every process recorded under DIR that is
 * still the same process, and removes the files. Returns how many. */
int labd_pidfile_reap_all (const char *dir);

/* True when something accepts TCP connections at the host:port of URL (or
 * might: a connect still in progress). Never waits. */
bool labd_port_open (const char *url);

#endif
