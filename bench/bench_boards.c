/* bench_boards - see bench_boards.h. */
#include "bench/bench_boards.h"
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define BENCH_BOARDS_MAX 64

int
bench_boards_tmpdir (char *tmpl)
{
    if (!mkdtemp (tmpl))
        return -1;
    setenv ("LAB_BUS_DIR", tmpl, 1);
    setenv ("LAB_RUNTIME_DIR", tmpl, 1);
    return 0;
}

void
bench_boards_rmdir (const char *dir)
{
    char path[512];
    snprintf (path, sizeof path, "%s", dir);
    pid_t rm = fork ();
    if (rm == 0) {
        char *rm_argv[] = { "rm", "-rf", path, NULL };
        execvp ("rm", rm_argv);
        _exit (127);
    }
    if (rm > 0)
        waitpid (rm, NULL, 0);
}

pid_t
bench_boards_spawn (const char *bin_dir, const char *prog, char *const argv[], const char *log)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", bin_dir, prog);
    pid_t pid = fork ();
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGTERM);
        int fd = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2 (fd, 1);
            dup2 (fd, 2);
        }
        execv (path, argv);
        _exit (127);
    }
    return pid;
}

void
bench_boards_stop (pid_t pid)
{
    if (pid <= 0)
        return;
    kill (pid, SIGTERM);
    for (int i = 0; i < 50; i++) {
        if (waitpid (pid, NULL, WNOHANG) == pid)
            return;
        usleep (20000);
    }
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
}

pid_t
bench_boards_broker (const char *bin_dir, const char *dir)
{
    char log[512];
    snprintf (log, sizeof log, "%s/labbus.log", dir);
    char *broker_argv[] = { "labbus", "--dir", (char *) dir, "--recorder", "", NULL };
    pid_t broker = bench_boards_spawn (bin_dir, "labbus", broker_argv, log);
    usleep (300000);
    return broker;
}

int
bench_boards_pty (int *master, int *slave, char *name, size_t namelen)
{
    char n[256];
    if (openpty (master, slave, n, NULL, NULL)) {
        perror ("openpty");
        return -1;
    }
    struct termios tio;
    tcgetattr (*slave, &tio);
    cfmakeraw (&tio);
    tcsetattr (*slave, TCSANOW, &tio);
    snprintf (name, namelen, "%s", n);
    return 0;
}

int
bench_boards_wait_open (const int *master, int n, int timeout_ms)
{
    uint8_t buf[512];
    bool seen[BENCH_BOARDS_MAX] = { false };
    int ready = 0;
    if (n > BENCH_BOARDS_MAX)
        n = BENCH_BOARDS_MAX;
    for (int b = 0; b < n; b++)
        fcntl (master[b], F_SETFL, fcntl (master[b], F_GETFL) | O_NONBLOCK);
    for (int waited = 0; waited < timeout_ms && ready < n; waited += 25) {
        usleep (25000);
        for (int b = 0; b < n; b++)
            if (!seen[b] && read (master[b], buf, sizeof buf) > 0) {
                seen[b] = true;
                ready++;
            }
    }
    return ready;
}
