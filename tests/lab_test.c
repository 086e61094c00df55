/* lab_test - see lab_test.h. */
#include "tests/lab_test.h"
#include "bus/lab_spawn.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

char *
lab_test_tmpdir (const char *tag)
{
    char tmpl[256];
    snprintf (tmpl, sizeof tmpl, "/tmp/labtest-%s-XXXXXX", tag ? tag : "t");
    char *dir = mkdtemp (tmpl);
    return dir ? strdup (dir) : NULL;
}

void
lab_test_rmdir (const char *dir)
{
    if (!dir || strncmp (dir, "/tmp/labtest-", 13))
        return;   /* only ever remove what we made */
    pid_t pid = fork ();
    if (pid == 0) {
        execl ("/bin/rm", "rm", "-rf", dir, (char *) NULL);
        _exit (127);
    }
    if (pid > 0)
        waitpid (pid, NULL, 0);
}

void
lab_test_bin (const char *name, char *out, size_t outlen)
{
    const char *build = getenv ("LAB_BUILD");
    snprintf (out, outlen, "%s/bin/%s", build && *build ? build : "build", name);
}

pid_t
lab_test_spawn (const char *name, const char *const argv[], const char *log)
{
    char path[512];
    lab_test_bin (name, path, sizeof path);
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () != parent)
            _exit (1);
        if (log) {
            int fd = open (log, O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0) {
                dup2 (fd, 1);
                dup2 (fd, 2);
                close (fd);
            }
        }
        execv (path, (char *const *) argv);
        _exit (127);
    }
    return pid;
}

int
lab_test_capture (char *const argv[], const char *bus_dir, int timeout_ms, char *out, size_t cap)
{
    const char *build = getenv ("LAB_BUILD");
    char bindir[512], var[600], why[512];
    snprintf (bindir, sizeof bindir, "%s/bin", build && *build ? build : "build");
    snprintf (var, sizeof var, "LAB_BUS_DIR=%s", bus_dir ? bus_dir : "");
    char *const env[] = { var, NULL };
    lab_spawn_opts_t opts = { .bindir = bindir, .env = bus_dir ? env : NULL };
    int rc = lab_spawn_capture_opts (argv, &opts, timeout_ms, out, cap, why, sizeof why);
    if (rc < 0)
        fprintf (stderr, "%s: %s\n", argv[0], why);
    return rc;
}

int
lab_test_stop (pid_t pid, int sig, int timeout_ms)
{
    if (pid <= 0)
        return -1;
    kill (pid, sig);
    int status = -1;
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        if (waitpid (pid, &status, WNOHANG) == pid)
            return status;
        usleep (10000);
    }
    kill (pid, SIGKILL);
    waitpid (pid, &status, 0);
    return status;
}

pid_t
lab_test_start_broker (const char *dir, const char *const extra[])
{
    const char *argv[32] = { "labbus", "--dir", dir };
    int n = 3;
    for (int i = 0; extra && extra[i] && n < 30; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    char log[512];
    snprintf (log, sizeof log, "%s/labbus.log", dir);
    pid_t pid = lab_test_spawn ("labbus", argv, log);
    if (pid < 0)
        return -1;
    bus_endpoints_t ep;
    bus_endpoints_in_dir (&ep, dir);
    bus_client_t *probe = bus_client_new ("probe", &ep);
    for (int i = 0; probe && i < 50; i++) {
        Lab__CommandReply *reply = NULL;
        if (bus_client_call (probe, "labbus", "status", 0, NULL, 100, &reply) == BUS_OK) {
            lab__command_reply__free_unpacked (reply, NULL);
            bus_client_destroy (&probe);
            return pid;
        }
        zclock_sleep (20);
    }
    bus_client_destroy (&probe);
    lab_test_stop (pid, SIGKILL, 100);
    return -1;
}

bool
lab_test_wait (bool (*pred) (void *arg), void *arg, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        if (pred (arg))
            return true;
        usleep (10000);
    }
    return false;
}
