/* fw_spawn - starts a build as a one-shot child: execve (never a shell) in
 * the recipe's directory, in a process group of its own so a timeout kills
 * everything the build started, stdout and stderr merged on one pipe (the
 * log reads in the order things happened), stdin /dev/null, and dying with
 * the thread that started it (PR_SET_PDEATHSIG).
 *
 * labd_spawn does the same for services but has no working directory and
 * keeps stderr apart; a build needs both the other way. */
#ifndef FW_SPAWN_H
#define FW_SPAWN_H

#include <sys/types.h>

/* ARGV[0] with a '/' is taken as it is (relative to CWD), else looked up
 * on PATH. ENV: extra KEY=VALUE strings (NULL-terminated, may be NULL).
 * Returns the pid (also the process group id) with *OUT_FD the read end
 * (non-blocking), or -1 with ERR filled. */
pid_t fw_spawn (char *const argv[], const char *cwd, char *const env[], int *out_fd, char *err, size_t errlen);

/* SIGKILL to the whole group of PID (it is the group leader). */
void fw_spawn_kill_group (pid_t pid, int sig);

#endif
