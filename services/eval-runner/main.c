/* eval-runner - runs evaluation plans against LLM backends.
 *
 *   eval-runner -c CONFIG                         bus service (labd runs it)
 *   eval-runner -c CONFIG --plan PLAN [--out DIR] [--retry-errors] [--local-backends] [--no-bus]
 *                                                 one sweep in the foreground
 *
 * Bus service `eval-runner` (LAB_SERVICE_NAME): `run PLAN [--retry-errors]
 * [--out DIR]` starts a sweep in a worker thread and replies at once;
 * `status` replies with the progress; `decide [DIR|PLAN]` replies with the
 * verdict per matched pair (evala, the same decision as `labctl eval
 * decide`; default: the last sweep's output). Backends are started through
 * labd unless --local-backends. */
#include "services/eval-runner/eval_sweep.h"
#include "services/eval-runner/eval_plan.h"
#include "services/eval-runner/analysis/evala_sweep.h"
#include <sys/stat.h>
#include <curl/curl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *config_path;
    lab_config_t *cfg;
    bus_endpoints_t ep;
    bool local_backends;
    eval_progress_t progress;
    atomic_bool stop;
    bool running;
    pthread_t thread;
    char plan[1024];
    char out[1024];
    bool retry_errors;
} runner_t;

static volatile sig_atomic_t s_interrupted;
static runner_t *s_runner;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_interrupted = 1;
    if (s_runner)
        atomic_store (&s_runner->stop, true);
}

/* One sweep with its own bus client and backends (a client per thread). */
static int
s_sweep (runner_t *rn, bool use_bus)
{
    bus_client_t *bus = NULL;
    if (use_bus) {
        const char *name = getenv ("LAB_SERVICE_NAME");
        char source[128];
        snprintf (source, sizeof source, "%s.sweep", name ? name : "eval-runner");
        bus = bus_client_new (source, &rn->ep);
    }
    char logdir[1024];
    snprintf (logdir, sizeof logdir, "%s", rn->out[0] ? rn->out : ".");
    eval_backends_t *be = rn->local_backends || !bus
                              ? eval_backends_new_local (rn->cfg, rn->config_path, rn->out[0] ? logdir : NULL)
                              : eval_backends_new_labd (bus);
    eval_backends_use_config (be, rn->cfg);   /* external backends, API keys */
    eval_sweep_opts_t o = { .plan_path = rn->plan, .out_dir = rn->out[0] ? rn->out : NULL,
                            .retry_errors = rn->retry_errors, .bus = bus, .backends = be,
                            .stop = &rn->stop };
    char err[512] = "";
    int rc = eval_sweep_run (&o, &rn->progress, err, sizeof err);
    if (rc)
        fprintf (stderr, "eval-runner: %s\n", err);
    eval_backends_destroy (&be);
    if (bus) {
        zclock_sleep (200);   /* let the last state leave */
        bus_client_destroy (&bus);
    }
    return rc;
}

static void *
s_thread (void *arg)
{
    runner_t *rn = (runner_t *) arg;
    s_sweep (rn, true);
    return NULL;
}

/* `decide [DIR|PLAN]`: a plan file names its output directory. */
static void
s_decide (runner_t *rn, bus_request_t *rq, const Lab__CommandRequest *cmd)
{
    char dir[1024] = "", err[512] = "";
    struct stat st;
    if (cmd->n_args < 1) {
        pthread_mutex_lock (&rn->progress.lock);
        snprintf (dir, sizeof dir, "%s", rn->progress.out);
        pthread_mutex_unlock (&rn->progress.lock);
        if (!dir[0]) {
            bus_request_reply (rq, BUS_EUSAGE, NULL, "usage: decide DIR|PLAN (no sweep has run yet)");
            return;
        }
    }
    else if (stat (cmd->args[0], &st) == 0 && S_ISREG (st.st_mode)) {
        eval_plan_t plan;
        if (eval_plan_load (&plan, cmd->args[0], err, sizeof err)) {
            bus_request_reply (rq, BUS_ENOTFOUND, NULL, "%s", err);
            return;
        }
        snprintf (dir, sizeof dir, "%s", plan.output);
        eval_plan_free (&plan);
    }
    else
        snprintf (dir, sizeof dir, "%s", cmd->args[0]);
    const evala_opts_t o = EVALA_OPTS_DEFAULT;
    evala_sweep_t *sw = evala_sweep_load (dir, &o, err, sizeof err);
    if (!sw) {
        bus_request_reply (rq, BUS_ENOTFOUND, NULL, "%s", err);
        return;
    }
    char *brief = evala_sweep_brief (sw);
    json_t *j = evala_sweep_json (sw);
    char *s = json_dumps (j, JSON_COMPACT);
    bus_request_reply (rq, evala_sweep_npairs (sw) ? BUS_OK : BUS_ENOTFOUND, s, "%s", brief);
    free (s);
    free (brief);
    json_decref (j);
    evala_sweep_destroy (&sw);
}

static void
s_handle (bus_request_t *rq, void *arg)
{
    runner_t *rn = (runner_t *) arg;
    const Lab__CommandRequest *cmd = bus_request_command (rq);
    if (!cmd) {
        bus_request_reply (rq, BUS_EUSAGE, NULL, "expected a command");
        return;
    }
    if (!strcmp (cmd->command, "status")) {
        json_t *j = eval_progress_json (&rn->progress);
        char *s = json_dumps (j, JSON_COMPACT);
        const char *sweep = json_string_value (json_object_get (j, "sweep"));
        if (!*sweep)
            bus_request_reply (rq, BUS_OK, s, "no sweep has run yet");
        else
            bus_request_reply (rq, BUS_OK, s, "sweep %s %s: %lld/%lld rows, %lld errors, cohort %s (%lld/%lld), ETA %.0f s",
                               sweep, json_string_value (json_object_get (j, "state")),
                               json_integer_value (json_object_get (j, "done")),
                               json_integer_value (json_object_get (j, "total")),
                               json_integer_value (json_object_get (j, "errors")),
                               json_string_value (json_object_get (j, "cohort")),
                               json_integer_value (json_object_get (j, "cohorts_done")),
                               json_integer_value (json_object_get (j, "cohorts_total")),
                               json_number_value (json_object_get (j, "eta_s")));
        free (s);
        json_decref (j);
        return;
    }
    if (!strcmp (cmd->command, "run")) {
        if (cmd->n_args < 1) {
            bus_request_reply (rq, BUS_EUSAGE, NULL, "usage: run PLAN [--retry-errors] [--out DIR]");
            return;
        }
        if (rn->running) {
            pthread_mutex_lock (&rn->progress.lock);
            bool busy = !strcmp (rn->progress.state, "running") || !strcmp (rn->progress.state, "idle");
            pthread_mutex_unlock (&rn->progress.lock);
            if (busy) {
                bus_request_reply (rq, BUS_EBUSY, NULL, "a sweep is running: %s", rn->progress.sweep);
                return;
            }
            pthread_join (rn->thread, NULL);
            rn->running = false;
        }
        snprintf (rn->plan, sizeof rn->plan, "%s", cmd->args[0]);
        rn->out[0] = 0;
        rn->retry_errors = false;
        for (size_t i = 1; i < cmd->n_args; i++) {
            if (!strcmp (cmd->args[i], "--retry-errors"))
                rn->retry_errors = true;
            else if (!strcmp (cmd->args[i], "--out") && i + 1 < cmd->n_args)
                snprintf (rn->out, sizeof rn->out, "%s", cmd->args[++i]);
        }
        pthread_mutex_lock (&rn->progress.lock);
        snprintf (rn->progress.state, sizeof rn->progress.state, "idle");
        rn->progress.sweep[0] = 0;
        pthread_mutex_unlock (&rn->progress.lock);
        atomic_store (&rn->stop, false);
        if (pthread_create (&rn->thread, NULL, s_thread, rn)) {
            bus_request_reply (rq, BUS_ERROR, NULL, "cannot start the sweep thread");
            return;
        }
        rn->running = true;
        /* Reply once the sweep knows its name and size (or failed to load). */
        for (int i = 0; i < 500; i++) {
            pthread_mutex_lock (&rn->progress.lock);
            bool ready = strcmp (rn->progress.state, "idle") != 0;
            pthread_mutex_unlock (&rn->progress.lock);
            if (ready)
                break;
            zclock_sleep (10);
        }
        json_t *j = eval_progress_json (&rn->progress);
        char *s = json_dumps (j, JSON_COMPACT);
        const char *state = json_string_value (json_object_get (j, "state"));
        if (!strcmp (state, "failed"))
            bus_request_reply (rq, BUS_ERROR, s, "%s", json_string_value (json_object_get (j, "error")));
        else
            bus_request_reply (rq, BUS_OK, s, "sweep %s started: %u/%u rows already done",
                               rn->progress.sweep, rn->progress.done, rn->progress.total);
        free (s);
        json_decref (j);
        return;
    }
    if (!strcmp (cmd->command, "decide")) {
        s_decide (rn, rq, cmd);
        return;
    }
    bus_request_reply (rq, BUS_EUSAGE, NULL, "unknown command %s (run PLAN, status, decide [DIR|PLAN])", cmd->command);
}

static void
s_usage (FILE *f)
{
    fprintf (f, "usage: eval-runner [-c CONFIG] [--plan PLAN [--out DIR] [--retry-errors]]\n"
                "                   [--local-backends] [--no-bus]\n"
                "Without --plan: serves `eval-runner` on the bus (run PLAN, status, decide [DIR|PLAN]).\n"
                "With --plan: runs one sweep in the foreground and exits (0 when complete).\n");
}

int
main (int argc, char **argv)
{
    runner_t rn;
    memset (&rn, 0, sizeof rn);
    eval_progress_init (&rn.progress);
    rn.config_path = getenv ("LAB_CONFIG");
    bool no_bus = false;
    const char *plan = NULL;
    static struct option opts[] = { { "config", required_argument, 0, 'c' },
                                    { "plan", required_argument, 0, 'p' },
                                    { "out", required_argument, 0, 'o' },
                                    { "retry-errors", no_argument, 0, 'r' },
                                    { "local-backends", no_argument, 0, 'l' },
                                    { "no-bus", no_argument, 0, 'n' },
                                    { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    int o;
    while ((o = getopt_long (argc, argv, "c:p:o:rlnh", opts, NULL)) != -1) {
        switch (o) {
        case 'c': rn.config_path = optarg; break;
        case 'p': plan = optarg; break;
        case 'o': snprintf (rn.out, sizeof rn.out, "%s", optarg); break;
        case 'r': rn.retry_errors = true; break;
        case 'l': rn.local_backends = true; break;
        case 'n': no_bus = true; break;
        case 'h': s_usage (stdout); return 0;
        default: s_usage (stderr); return 2;
        }
    }
    if (!rn.config_path)
        rn.config_path = "compose/lab.cfg";
    char err[512];
    rn.cfg = lab_config_load (rn.config_path, err, sizeof err);
    if (!rn.cfg) {
        fprintf (stderr, "eval-runner: %s\n", err);
        return 1;
    }
    if (!no_bus && bus_endpoints_resolve (&rn.ep, rn.config_path, err, sizeof err)) {
        fprintf (stderr, "eval-runner: %s\n", err);
        lab_config_destroy (&rn.cfg);
        return 1;
    }
    curl_global_init (CURL_GLOBAL_DEFAULT);
    zsys_handler_set (NULL);
    s_runner = &rn;
    signal (SIGTERM, s_on_signal);
    signal (SIGINT, s_on_signal);
    signal (SIGPIPE, SIG_IGN);
    int rc = 0;
    if (plan) {
        snprintf (rn.plan, sizeof rn.plan, "%s", plan);
        rc = s_sweep (&rn, !no_bus) ? 1 : 0;
        if (rc == 0)
            printf ("eval-runner: sweep %s done: %u/%u rows, %u errors, %u cohorts skipped, %u retries\n",
                    rn.progress.sweep, rn.progress.done, rn.progress.total, rn.progress.errors,
                    rn.progress.skipped, rn.progress.retries);
    }
    else {
        const char *name = getenv ("LAB_SERVICE_NAME");
        bus_client_t *bus = bus_client_new (name ? name : "eval-runner", &rn.ep);
        if (!bus) {
            fprintf (stderr, "eval-runner: cannot connect to the bus\n");
            rc = 1;
        }
        else {
            bus_client_set_heartbeat (bus, 1000);
            bus_client_serve (bus, "eval-runner", s_handle, &rn);
            printf ("eval-runner: serving eval-runner (%s backends)\n",
                    rn.local_backends ? "local" : "labd");
            fflush (stdout);
            while (!s_interrupted) {
                bus_msg_t *m = bus_client_recv (bus, 200);
                bus_msg_destroy (&m);
            }
            atomic_store (&rn.stop, true);
            if (rn.running)
                pthread_join (rn.thread, NULL);
            bus_client_destroy (&bus);
        }
    }
    curl_global_cleanup ();
    lab_config_destroy (&rn.cfg);
    return rc;
}
