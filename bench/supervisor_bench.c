/* supervisor_bench - labd's restart latency and idle cost.
 *
 *   BENCH supervisor.restart_ms     median, over ROUNDS, of SIGKILL of a
 *                                   service -> its first heartbeat back on the
 *                                   bus (backoff at its minimum, 1 ms)
 *   BENCH supervisor.idle_cpu_pct   labd's CPU use with 8 idle children
 *
 * usage: supervisor-bench BINDIR [ROUNDS] */
#include "bus/bus_client.h"
#include "bus/lab_proc.h"
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <ftw.h>
#include <unistd.h>

static int
s_rm (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove (path);
}

static double s_ms (void) { return (double) bus_mono_ns () / 1e6; }

static pid_t
s_labd (const char *bindir, const char *cfg, const char *dir)
{
    pid_t pid = fork ();
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        setenv ("LAB_RUNTIME_DIR", dir, 1);
        char path[1024], log[1024];
        snprintf (path, sizeof path, "%s/labd", bindir);
        snprintf (log, sizeof log, "%s/labd.out", dir);
        freopen (log, "w", stdout);
        freopen (log, "a", stderr);
        execl (path, "labd", "-c", cfg, (char *) NULL);
        _exit (127);
    }
    return pid;
}

/* pid of NAME from labd's status once it is up; 0 when not (yet). */
static int
s_pid_up (bus_client_t *bus, const char *name)
{
    Lab__CommandReply *reply = NULL;
    if (bus_client_call (bus, "labd", "status", 0, NULL, 1000, &reply) != BUS_OK)
        return 0;
    json_t *all = json_loads (reply->json, 0, NULL);
    lab__command_reply__free_unpacked (reply, NULL);
    int pid = 0;
    size_t i;
    json_t *u;
    json_array_foreach (all, i, u)
        if (!strcmp (json_string_value (json_object_get (u, "name")), name)
            && !strcmp (json_string_value (json_object_get (u, "state")), "up"))
            pid = (int) json_integer_value (json_object_get (u, "pid"));
    json_decref (all);
    return pid;
}

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
    const char *bindir = argc > 1 ? argv[1] : "build/bin";
    int rounds = argc > 2 ? atoi (argv[2]) : 20;
    char dir[] = "/tmp/labbench-sup-XXXXXX";
    if (!mkdtemp (dir))
        return 1;
    char cfg[256];
    snprintf (cfg, sizeof cfg, "%s/lab.cfg", dir);
    FILE *c = fopen (cfg, "w");
    fprintf (c, "lab\n    logs = \"%s/logs\"\nservices\n    labbus\n        command = \"labbus -c ${config}\"\n"
                "    victim\n        command = \"lab-fake-service --hb 1000\"\n        after = \"labbus\"\n"
                "        backoff_min = \"1ms\"\n        backoff_max = \"1ms\"\n        intensity = 60\n",
             dir);
    for (int i = 0; i < 8; i++)
        fprintf (c, "    idle%d\n        command = \"lab-fake-service --hb 1000\"\n        after = \"labbus\"\n", i);
    fclose (c);
    pid_t labd = s_labd (bindir, cfg, dir);
    bus_endpoints_t ep;
    bus_endpoints_in_dir (&ep, dir);
    bus_client_t *bus = bus_client_new ("supervisor-bench", &ep);
    bus_client_subscribe (bus, "hb.victim");
    int pid = 0;
    for (int i = 0; i < 200 && !(pid = s_pid_up (bus, "victim")); i++)
        usleep (50000);
    if (!pid) {
        fprintf (stderr, "supervisor-bench: the service never came up (see %s/labd.out)\n", dir);
        kill (labd, SIGKILL);
        return 1;
    }
    double *ms = (double *) calloc ((size_t) rounds, sizeof (double));
    int done = 0;
    for (int r = 0; r < rounds; r++) {
        bus_msg_t *m;
        while ((m = bus_client_recv (bus, 0)))
            bus_msg_destroy (&m);
        double t0 = s_ms ();
        kill (pid, SIGKILL);
        int newpid = 0;
        while (s_ms () - t0 < 10000 && !newpid) {
            m = bus_client_recv (bus, 100);
            if (m && m->env->body_case == LAB__ENVELOPE__BODY_HEARTBEAT
                && m->env->heartbeat->pid != pid)
                newpid = m->env->heartbeat->pid;
            bus_msg_destroy (&m);
        }
        if (!newpid)
            break;
        ms[done++] = s_ms () - t0;
        pid = newpid;
        usleep (200000);
    }
    qsort (ms, (size_t) done, sizeof (double), s_cmp);
    if (done)
        printf ("BENCH supervisor.restart_ms %.1f ms\n", ms[done / 2]);
    else
        printf ("BENCH supervisor.restart_ms FAIL no heartbeat after SIGKILL\n");
    /* Idle: 9 children heartbeating once a second, nothing else. */
    sleep (2);
    double cpu0 = lab_proc_cpu_s (labd), t0 = s_ms ();
    sleep (10);
    double cpu = lab_proc_cpu_s (labd) - cpu0, wall = (s_ms () - t0) / 1000.0;
    printf ("BENCH supervisor.idle_cpu_pct %.2f %%\n", 100.0 * cpu / wall);
    bus_client_destroy (&bus);
    kill (labd, SIGTERM);
    waitpid (labd, NULL, 0);
    free (ms);
    nftw (dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
