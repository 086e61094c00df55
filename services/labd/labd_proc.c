/* labd_proc - see labd_proc.h. */
#include "services/labd/labd_proc.h"
#include "bus/lab_proc.h"
#include "bus/lab_spawn.h"
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
            lab_spawn_signal (pid, SIGKILL);
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
