/* lab_spawn - starting a child program the way every part of the lab needs
 * it: execve of an argv (never a shell unless the argv says so), in a
 * process group of its own so one signal reaches everything it started,
 * dying with its parent (PR_SET_PDEATHSIG), stdin /dev/null, output on
 * non-blocking pipes. One module for labd's services, the builder's jobs,
 * serial-bridge's flash tools and the eval's memory probes.
 *
 * Everything the child needs (the program's path, its environment) is
 * prepared before fork: in a threaded parent only async-signal-safe calls
 * may run between fork and exec. */
#ifndef LAB_SPAWN_H
#define LAB_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct {
    const char *cwd;         /* working directory; NULL: the parent's */
    const char *bindir;      /* a bare argv[0] is looked for here first; NULL: PATH only */
    char *const *env;        /* extra KEY=VALUE (replacing inherited ones); NULL-terminated, or NULL */
    bool merge_stderr;       /* stderr on the stdout pipe (a log in the order things happened) */
} lab_spawn_opts_t;

/* Starts ARGV. Returns the pid (also its process group id) with *OUT_FD the
 * read end of its stdout and, unless merged, *ERR_FD of its stderr (ERR_FD
 * may be NULL when merged). -1 with ERR filled when it cannot start;
 * failures of the exec itself surface as exit status 127. */
pid_t lab_spawn (char *const argv[], const lab_spawn_opts_t *opts, int *out_fd, int *err_fd, char *err,
                 size_t errlen);

/* SIG to the whole process group of PID (falls back to PID alone). */
void lab_spawn_signal (pid_t pid, int sig);

/* Runs ARGV to its end, at most TIMEOUT_MS (then its group is killed),
 * keeping the first CAP-1 bytes of its stdout in OUT (NUL-terminated; the
 * rest is read and dropped so the child never blocks). Returns its exit
 * status (0..255), or -1 with ERR filled when it could not run, was killed
 * by a signal, or ran out of time. */
int lab_spawn_capture (char *const argv[], int timeout_ms, char *out, size_t cap, char *err, size_t errlen);

/* lab_spawn_capture with OPTS (NULL: none): its own environment, a bin
 * directory, stderr captured along with stdout. */
int lab_spawn_capture_opts (char *const argv[], const lab_spawn_opts_t *opts, int timeout_ms, char *out, size_t cap,
                            char *err, size_t errlen);

#endif
