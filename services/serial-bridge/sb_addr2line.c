/* sb_addr2line - one addr2line child and its output, driven by the
 * caller's loop: start, then work() on every turn (and when its fd is
 * readable) until done and reaped. */
#include "services/serial-bridge/sb_addr2line.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUT_MAX (16 * 1024)
#define PCS_MAX 32

struct _sb_addr2line_t {
    pid_t pid;              /* 0 once reaped */
    int fd;                 /* -1 once the output is complete */
    uint64_t deadline_ms;
    bool timed_out;
    char out[OUT_MAX];
    size_t len;
};

sb_addr2line_t *
sb_addr2line_start (const char *addr2line, const char *elf, const char *line, uint64_t now_ms,
                    int timeout_ms)
{
    const char *colon = strchr (line, ':');
    if (!addr2line || !elf || !colon)
        return NULL;
    char *argv[4 + PCS_MAX + 1] = { (char *) addr2line, "-pfiaC", "-e", (char *) elf };
    int argc = 4;
    char *copy = strdup (colon + 1), *save = NULL;
    for (char *tok = strtok_r (copy, " ", &save); tok && argc < 4 + PCS_MAX;
         tok = strtok_r (NULL, " ", &save)) {
        char *c = strchr (tok, ':');   /* PC:SP pairs: the PC only */
        if (c)
            *c = 0;
        if (!strncmp (tok, "0x", 2) && tok[2])
            argv[argc++] = tok;
    }
    argv[argc] = NULL;
    int fds[2];
    if (argc == 4 || pipe2 (fds, O_CLOEXEC)) {
        free (copy);
        return NULL;
    }
    pid_t pid = fork ();
    if (pid == 0) {
        dup2 (fds[1], 1);
        int null = open ("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2 (null, 0);
            dup2 (null, 2);
        }
        execvp (argv[0], argv);
        _exit (127);
    }
    free (copy);
    close (fds[1]);
    if (pid < 0) {
        close (fds[0]);
        return NULL;
    }
    fcntl (fds[0], F_SETFL, fcntl (fds[0], F_GETFL) | O_NONBLOCK);
    sb_addr2line_t *self = (sb_addr2line_t *) calloc (1, sizeof (sb_addr2line_t));
    self->pid = pid;
    self->fd = fds[0];
    self->deadline_ms = now_ms + (uint64_t) timeout_ms;
    return self;
}

static void
s_reap (sb_addr2line_t *self)
{
    if (self->pid > 0 && waitpid (self->pid, NULL, WNOHANG) == self->pid)
        self->pid = 0;
}

void
sb_addr2line_destroy (sb_addr2line_t **self_p)
{
    sb_addr2line_t *self = *self_p;
    if (!self)
        return;
    if (self->fd >= 0)
        close (self->fd);
    if (self->pid > 0) {
        kill (self->pid, SIGKILL);
        s_reap (self);
    }
    free (self);
    *self_p = NULL;
}

int
sb_addr2line_fd (sb_addr2line_t *self)
{
    return self->fd;
}

void
sb_addr2line_work (sb_addr2line_t *self, uint64_t now_ms)
{
    while (self->fd >= 0) {
        char buf[4096];
        ssize_t r = read (self->fd, buf, sizeof buf);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        if (r <= 0) {
            close (self->fd);
            self->fd = -1;
            break;
        }
        size_t take = (size_t) r < OUT_MAX - 1 - self->len ? (size_t) r : OUT_MAX - 1 - self->len;
        memcpy (self->out + self->len, buf, take);
        self->len += take;
        self->out[self->len] = 0;
    }
    if (self->fd >= 0 && now_ms >= self->deadline_ms) {
        self->timed_out = true;
        close (self->fd);
        self->fd = -1;
        if (self->pid > 0)
            kill (self->pid, SIGKILL);
    }
    s_reap (self);
}

bool
sb_addr2line_done (sb_addr2line_t *self)
{
    return self->fd < 0;
}

bool
sb_addr2line_reaped (sb_addr2line_t *self)
{
    return self->pid == 0;
}

const char *
sb_addr2line_output (sb_addr2line_t *self)
{
    return self->out;
}

bool
sb_addr2line_timed_out (sb_addr2line_t *self)
{
    return self->timed_out;
}
