/* labctl_reach - a connect() to a ZeroMQ endpoint's address to learn whether
 * a broker is bound there. The broker sees one connection that closes before
 * the ZMTP greeting, which libzmq drops without side effects. */
#include "services/labctl/labctl_reach.h"
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static bool
s_ipc (const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen (path) >= sizeof sa.sun_path)
        return true;             /* cannot ask; let the call find out */
    snprintf (sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return true;
    int rc = connect (fd, (struct sockaddr *) &sa, sizeof sa);
    int e = errno;
    close (fd);
    return rc == 0 || (e != ENOENT && e != ECONNREFUSED && e != ENOTDIR);
}

static bool
s_tcp (const char *hostport, int timeout_ms)
{
    char host[256];
    snprintf (host, sizeof host, "%s", hostport);
    char *colon = strrchr (host, ':');
    if (!colon)
        return true;
    *colon = 0;
    const char *port = colon + 1;
    char *h = host;
    if (*h == '[') {             /* [::1]:port */
        h++;
        char *close = strchr (h, ']');
        if (close)
            *close = 0;
    }
    if (!strcmp (h, "*") || !*h)
        h = "127.0.0.1";
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
    if (getaddrinfo (h, port, &hints, &res) || !res)
        return true;
    bool up = false;
    for (struct addrinfo *a = res; a && !up; a = a->ai_next) {
        int fd = socket (a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            continue;
        if (connect (fd, a->ai_addr, a->ai_addrlen) == 0)
            up = true;
        else if (errno == EINPROGRESS) {
            struct pollfd p = { fd, POLLOUT, 0 };
            int err = 0;
            socklen_t len = sizeof err;
            if (poll (&p, 1, timeout_ms) == 1 && !getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &len)
                && err == 0)
                up = true;
        }
        close (fd);
    }
    freeaddrinfo (res);
    return up;
}

bool
labctl_endpoint_listening (const char *endpoint, int timeout_ms)
{
    if (!strncmp (endpoint, "ipc://", 6))
        return s_ipc (endpoint + 6);
    if (!strncmp (endpoint, "tcp://", 6))
        return s_tcp (endpoint + 6, timeout_ms > 0 ? timeout_ms : 1);
    return true;
}
