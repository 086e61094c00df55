/* labd_proc - the pid files that let the next labd clean up after a killed
 * one. */
#ifndef LABD_PROC_H
#define LABD_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* (Spawning and signalling a child: bus/lab_spawn.h.) */
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
