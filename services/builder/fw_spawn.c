/* fw_spawn - see fw_spawn.h. */
#include "services/builder/fw_spawn.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <unistd.h>

extern char **environ;

/* PATH lookup done before fork: between fork and exec in a threaded
 * process only async-signal-safe calls are allowed. */
static int
s_resolve (const char *prog, char *out, size_t outlen)
{
    if (strchr (prog, '/')) {
        snprintf (out, outlen, "%s", prog);
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

/* environ plus EXTRA, built before fork (the child only execs). */
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
        /* An extra variable replaces the inherited one of the same name. */
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

pid_t
fw_spawn (char *const argv[], const char *cwd, char *const env[], int *out_fd, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (!argv || !argv[0] || s_resolve (argv[0], path, sizeof path)) {
        snprintf (err, errlen, "cannot find %s on PATH", argv && argv[0] ? argv[0] : "(nothing)");
        return -1;
    }
    if (access (cwd, X_OK)) {
        snprintf (err, errlen, "working directory %s: %s", cwd, strerror (errno));
        return -1;
    }
    int fds[2];
    if (pipe2 (fds, O_CLOEXEC)) {
        snprintf (err, errlen, "pipe: %s", strerror (errno));
        return -1;
    }
    fcntl (fds[0], F_SETPIPE_SZ, 1 << 20);
    char **envp = s_envp (env);
    int devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t parent = getpid ();
    pid_t pid = envp && devnull >= 0 ? fork () : -1;
    if (pid == 0) {
        setpgid (0, 0);
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () != parent)
            _exit (127);
        sigset_t none;
        sigemptyset (&none);
        sigprocmask (SIG_SETMASK, &none, NULL);
        dup2 (fds[1], 1);
        dup2 (fds[1], 2);
        dup2 (devnull, 0);
        if (chdir (cwd))
            _exit (126);
        execve (path, argv, envp);
        static const char msg[] = "cannot execute the recipe's program\n";
        ssize_t ignored = write (2, msg, sizeof msg - 1);
        (void) ignored;
        _exit (127);
    }
    int saved = errno;
    free (envp);
    if (devnull >= 0)
        close (devnull);
    close (fds[1]);
    if (pid < 0) {
        close (fds[0]);
        snprintf (err, errlen, "fork: %s", strerror (saved));
        return -1;
    }
    setpgid (pid, pid);   /* also here: a kill right after fork must reach the group */
    fcntl (fds[0], F_SETFL, O_NONBLOCK);
    *out_fd = fds[0];
    return pid;
}

void
fw_spawn_kill_group (pid_t pid, int sig)
{
    if (pid > 0)
        kill (-pid, sig);
}
