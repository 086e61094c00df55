/* labd_proc - see labd_proc.h. */
#include "services/labd/labd_proc.h"
#include "bus/lab_proc.h"
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

extern char **environ;

/* Resolves NAME like execvp would, but labd's own directory first so the
 * lab's programs are found without installing them. */
static void
s_resolve (const char *name, const char *bindir, char *out, size_t outlen)
{
    if (strchr (name, '/')) {
        snprintf (out, outlen, "%s", name);
        return;
    }
    snprintf (out, outlen, "%s/%s", bindir, name);
    if (access (out, X_OK) == 0)
        return;
    const char *path = getenv ("PATH");
    char *copy = strdup (path ? path : "/usr/bin:/bin");
    for (char *save = NULL, *dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save)) {
        snprintf (out, outlen, "%s/%s", dir, name);
        if (access (out, X_OK) == 0) {
            free (copy);
            return;
        }
    }
    free (copy);
    snprintf (out, outlen, "%s", name);
}

pid_t
labd_spawn (char *const argv[], char *const env[], const char *bindir, int *out_fd, int *err_fd,
            char *err, size_t errlen)
{
    char path[1024];
    s_resolve (argv[0], bindir, path, sizeof path);
    if (access (path, X_OK)) {
        snprintf (err, errlen, "cannot run %s: %s", argv[0], strerror (errno));
        return -1;
    }
    int out[2], errp[2];
    if (pipe2 (out, O_CLOEXEC) || pipe2 (errp, O_CLOEXEC)) {
        snprintf (err, errlen, "pipe: %s", strerror (errno));
        return -1;
    }
    /* A big pipe so a chatty child is not held up while labd is busy. */
    fcntl (out[0], F_SETPIPE_SZ, 1 << 20);
    fcntl (errp[0], F_SETPIPE_SZ, 1 << 20);
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid < 0) {
        snprintf (err, errlen, "fork: %s", strerror (errno));
        close (out[0]); close (out[1]); close (errp[0]); close (errp[1]);
        return -1;
    }
    if (pid == 0) {
        setpgid (0, 0);
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () != parent)
            _exit (127);          /* labd died before we got here */
        sigset_t none;
        sigemptyset (&none);
        sigprocmask (SIG_SETMASK, &none, NULL);
        dup2 (out[1], 1);
        dup2 (errp[1], 2);
        int devnull = open ("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2 (devnull, 0);
        for (char *const *e = env; e && *e; e++)
            putenv (*e);
        execv (path, argv);
        fprintf (stderr, "labd: exec %s: %s\n", path, strerror (errno));
        _exit (127);
    }
    setpgid (pid, pid);   /* also here, so a signal right after fork reaches the group */
    close (out[1]);
    close (errp[1]);
    fcntl (out[0], F_SETFL, O_NONBLOCK);
    fcntl (errp[0], F_SETFL, O_NONBLOCK);
    *out_fd = out[0];
    *err_fd = errp[0];
    return pid;
}

void
labd_signal (pid_t pid, int sig)
{
    if (pid <= 0)
        return;
    if (kill (-pid, sig) && errno == ESRCH)
        kill (pid, sig);
}

void
labd_pidfile_write (const char *dir, const char *name, pid_t pid, uint64_t start)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s.pid", dir, name);
    FILE *f = fopen (path, "w");
    if (f) {
        fprintf (f, "%d %llu\n", (int) pid, (unsigned long long) start);
        fclose (f);
    }
}

void
labd_pidfile_remove (const char *dir, const char *name)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s.pid", dir, name);
    unlink (path);
}

int
labd_pidfile_reap_all (const char *dir)
{
    DIR *d = opendir (dir);
    if (!d)
        return 0;
    int killed = 0;
    struct dirent *e;
    while ((e = readdir (d))) {
        size_t len = strlen (e->d_name);
        if (len < 5 || strcmp (e->d_name + len - 4, ".pid"))
            continue;
        char path[1024];
        snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen (path, "r");
        int pid = 0;
        unsigned long long start = 0;
        if (f) {
            if (fscanf (f, "%d %llu", &pid, &start) != 2)
                pid = 0;
            fclose (f);
        }
        /* Only the very process we started, and the group it leads: a pid
         * reused by another process has another start time. A leader that is
         * gone already (PR_SET_PDEATHSIG, and pid 1 reaped it at once, as
         * systemd does) can have left children in its group: its number
         * cannot have been reused while that group lives (Linux keeps a pid
         * that is still some group's id), so the group is still ours. */
        uint64_t now_start = pid > 1 ? lab_proc_start_time (pid) : 0;
        if (pid > 1 && start && now_start == start) {
            labd_signal (pid, SIGKILL);
            killed++;
        }
        else if (pid > 1 && start && now_start == 0 && kill (-pid, SIGKILL) == 0)
            killed++;
        unlink (path);
    }
    closedir (d);
    return killed;
}

static int
s_host_port (const char *url, char *host, size_t hostlen, char *port, size_t portlen)
{
    const char *p = strstr (url, "://");
    p = p ? p + 3 : url;
    size_t hl = strcspn (p, ":/");
    if (!hl || hl >= hostlen)
        return -1;
    memcpy (host, p, hl);
    host[hl] = 0;
    if (p[hl] == ':') {
        size_t pl = strcspn (p + hl + 1, "/");
        if (!pl || pl >= portlen)
            return -1;
        memcpy (port, p + hl + 1, pl);
        port[pl] = 0;
    }
    else
        snprintf (port, portlen, "80");
    return 0;
}

bool
labd_port_open (const char *url)
{
    char host[256], port[16];
    if (s_host_port (url, host, sizeof host, port, sizeof port))
        return false;
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
    if (getaddrinfo (host, port, &hints, &res) || !res)
        return false;
    bool open = false;
    for (struct addrinfo *a = res; a && !open; a = a->ai_next) {
        /* Non-blocking: a loopback port answers at once; a connect still
         * in progress counts as open, and the caller asks again later. */
        int s = socket (a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (s < 0)
            continue;
        if (connect (s, a->ai_addr, a->ai_addrlen) == 0)
            open = true;
        else if (errno == EINPROGRESS) {
            /* Loopback settles at once, but is reported on the next look. */
            struct pollfd p = { s, POLLOUT, 0 };
            int err = 0;
            socklen_t len = sizeof err;
            open = poll (&p, 1, 0) == 0
                   || (getsockopt (s, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0);
        }
        close (s);
    }
    freeaddrinfo (res);
    return open;
}
