/* lab_spawn - see lab_spawn.h. */
#include "bus/lab_spawn.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Like execvp's search, with BINDIR first: the lab's own programs are found
 * next to the one starting them without being installed. */
static int
s_resolve (const char *prog, const char *bindir, char *out, size_t outlen)
{
    if (strchr (prog, '/')) {
        snprintf (out, outlen, "%s", prog);
        return 0;
    }
    if (bindir) {
        snprintf (out, outlen, "%s/%s", bindir, prog);
        if (!access (out, X_OK))
            return 0;
    }
    const char *path = getenv ("PATH");
    char copy[4096];
    snprintf (copy, sizeof copy, "%s", path ? path : "/usr/bin:/bin");
    for (char *save = NULL, *dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save)) {
        snprintf (out, outlen, "%s/%s", *dir ? dir : ".", prog);
        if (!access (out, X_OK))
            return 0;
    }
    return -1;
}

/* environ plus EXTRA: an extra variable replaces the inherited one of the
 * same name. */
static char **
s_envp (char *const extra[])
{
    size_t n = 0, m = 0;
    while (environ && environ[n])
        n++;
    while (extra && extra[m])
        m++;
    char **envp = (char **) calloc (n + m + 1, sizeof (char *));
    if (!envp)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr (environ[i], '=');
        size_t len = eq ? (size_t) (eq - environ[i]) + 1 : strlen (environ[i]);
        bool replaced = false;
        for (size_t j = 0; j < m && !replaced; j++)
            replaced = !strncmp (extra[j], environ[i], len);
        if (!replaced)
            envp[k++] = environ[i];
    }
    for (size_t j = 0; j < m; j++)
        envp[k++] = extra[j];
    envp[k] = NULL;
    return envp;
}

static void
s_close_pair (int p[2])
{
    if (p[0] >= 0)
        close (p[0]);
    if (p[1] >= 0)
        close (p[1]);
}

/* The child's side, between fork and exec: async-signal-safe calls only. */
static void
s_child (const char *path, char *const argv[], char **envp, const char *cwd, int out, int errfd, int devnull,
         pid_t parent)
{
    setpgid (0, 0);
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    if (getppid () != parent)
        _exit (127);          /* the parent died before we got here */
    sigset_t none;
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
    dup2 (out, 1);
    dup2 (errfd, 2);
    dup2 (devnull, 0);
    if (cwd && chdir (cwd))
        _exit (126);
    execve (path, argv, envp);
    static const char msg[] = "cannot execute the program\n";
    ssize_t ignored = write (2, msg, sizeof msg - 1);
    (void) ignored;
    _exit (127);
}

pid_t
lab_spawn (char *const argv[], const lab_spawn_opts_t *opts, int *out_fd, int *err_fd, char *err, size_t errlen)
{
    static const lab_spawn_opts_t none = { 0 };
    if (!opts)
        opts = &none;
    char path[PATH_MAX];
    if (!argv || !argv[0] || !argv[0][0] || s_resolve (argv[0], opts->bindir, path, sizeof path)) {
        snprintf (err, errlen, "cannot find %s%s", argv && argv[0] ? argv[0] : "(nothing)",
                  argv && argv[0] && strchr (argv[0], '/') ? "" : " on PATH");
        return -1;
    }
    if (access (path, X_OK)) {
        snprintf (err, errlen, "cannot run %s: %s", path, strerror (errno));
        return -1;
    }
    if (opts->cwd && access (opts->cwd, X_OK)) {
        snprintf (err, errlen, "working directory %s: %s", opts->cwd, strerror (errno));
        return -1;
    }
    int out[2] = { -1, -1 }, errp[2] = { -1, -1 };
    if (pipe2 (out, O_CLOEXEC) || (!opts->merge_stderr && pipe2 (errp, O_CLOEXEC))) {
        snprintf (err, errlen, "pipe: %s", strerror (errno));
        s_close_pair (out);
        return -1;
    }
    /* A big pipe so a chatty child is not held up while its reader is busy. */
    fcntl (out[0], F_SETPIPE_SZ, 1 << 20);
    if (errp[0] >= 0)
        fcntl (errp[0], F_SETPIPE_SZ, 1 << 20);
    char **envp = s_envp (opts->env);
    int devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t parent = getpid ();
    pid_t pid = envp && devnull >= 0 ? fork () : -1;
    if (pid == 0)
        s_child (path, argv, envp, opts->cwd, out[1], opts->merge_stderr ? out[1] : errp[1], devnull, parent);
    int saved = errno;
    free (envp);
    if (devnull >= 0)
        close (devnull);
    close (out[1]);
    if (errp[1] >= 0)
        close (errp[1]);
    if (pid < 0) {
        close (out[0]);
        if (errp[0] >= 0)
            close (errp[0]);
        snprintf (err, errlen, "fork: %s", strerror (saved));
        return -1;
    }
    setpgid (pid, pid);   /* also here: a signal right after fork must reach the group */
    fcntl (out[0], F_SETFL, O_NONBLOCK);
    *out_fd = out[0];
    if (errp[0] >= 0) {
        fcntl (errp[0], F_SETFL, O_NONBLOCK);
        if (err_fd)
            *err_fd = errp[0];
        else
            close (errp[0]);
    } else if (err_fd)
        *err_fd = -1;
    return pid;
}

void
lab_spawn_signal (pid_t pid, int sig)
{
    if (pid <= 0)
        return;
    if (kill (-pid, sig) && errno == ESRCH)
        kill (pid, sig);
}

static int64_t
s_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
lab_spawn_capture (char *const argv[], int timeout_ms, char *out, size_t cap, char *err, size_t errlen)
{
    return lab_spawn_capture_opts (argv, NULL, timeout_ms, out, cap, err, errlen);
}

int
lab_spawn_capture_opts (char *const argv[], const lab_spawn_opts_t *opts, int timeout_ms, char *out, size_t cap,
                        char *err, size_t errlen)
{
    if (cap)
        out[0] = 0;
    lab_spawn_opts_t none = { 0 };
    int fd = -1, efd = -1;   /* efd stays -1 when stderr is merged */
    pid_t pid = lab_spawn (argv, opts ? opts : &none, &fd, &efd, err, errlen);
    if (pid < 0)
        return -1;
    size_t n = 0;
    int64_t end = s_ms () + timeout_ms;
    bool open_out = true, open_err = efd >= 0, late = false;
    while (open_out || open_err) {
        int64_t left = end - s_ms ();
        if (left <= 0) {
            late = true;
            break;
        }
        struct pollfd p[2] = { { open_out ? fd : -1, POLLIN, 0 }, { open_err ? efd : -1, POLLIN, 0 } };
        if (poll (p, 2, (int) left) < 0 && errno != EINTR)
            break;
        char buf[4096];
        ssize_t k;
        while (open_out && (k = read (fd, buf, sizeof buf)) != 0) {
            if (k < 0) {
                open_out = errno == EAGAIN || errno == EINTR;
                break;
            }
            size_t take = cap > n + 1 ? cap - n - 1 : 0;
            if (take > (size_t) k)
                take = (size_t) k;
            memcpy (out + n, buf, take);
            n += take;
        }
        if (open_out && k == 0)
            open_out = false;
        /* stderr is drained only so a chatty child cannot fill its pipe. */
        while (open_err && (k = read (efd, buf, sizeof buf)) != 0) {
            if (k < 0) {
                open_err = errno == EAGAIN || errno == EINTR;
                break;
            }
        }
        if (open_err && k == 0)
            open_err = false;
    }
    if (cap)
        out[n] = 0;
    close (fd);
    if (efd >= 0)
        close (efd);
    int status = 0;
    if (late || waitpid (pid, &status, WNOHANG) == 0) {
        /* Closed its output but still running, or out of time: its whole
         * group goes (an ssh it started, a pipeline). */
        if (!late) {
            int64_t left = end - s_ms ();
            while (left > 0 && waitpid (pid, &status, WNOHANG) == 0) {
                struct timespec ts = { 0, 10 * 1000000L };
                nanosleep (&ts, NULL);
                left = end - s_ms ();
            }
            late = left <= 0;
        }
        if (late) {
            lab_spawn_signal (pid, SIGKILL);
            waitpid (pid, &status, 0);
            snprintf (err, errlen, "%s did not finish within %d ms (killed)", argv[0], timeout_ms);
            return -1;
        }
    }
    if (WIFSIGNALED (status)) {
        snprintf (err, errlen, "%s was killed by signal %d", argv[0], WTERMSIG (status));
        return -1;
    }
    return WEXITSTATUS (status);
}
