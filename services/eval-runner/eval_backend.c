/* eval_backend - backend start/stop through labd or locally; see eval_backend.h. */
#include "services/eval-runner/eval_backend.h"
#include "services/eval-runner/eval_request.h"
#include "services/eval-runner/eval_memprobe.h"
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_LOCAL 16

typedef struct {
    char name[96];
    pid_t pid;
    long stop_grace_ms;
} s_local_t;

struct _eval_backends_t {
    bus_client_t *bus;            /* labd mode */
    lab_config_t *cfg;            /* local mode */
    char config_path[1024];
    char log_dir[1024];
    s_local_t running[MAX_LOCAL];
};

eval_backends_t *
eval_backends_new_labd (bus_client_t *bus)
{
    eval_backends_t *self = (eval_backends_t *) calloc (1, sizeof (eval_backends_t));
    self->bus = bus;
    return self;
}

eval_backends_t *
eval_backends_new_local (lab_config_t *cfg, const char *config_path, const char *log_dir)
{
    eval_backends_t *self = (eval_backends_t *) calloc (1, sizeof (eval_backends_t));
    self->cfg = cfg;
    snprintf (self->config_path, sizeof self->config_path, "%s", config_path ? config_path : "");
    snprintf (self->log_dir, sizeof self->log_dir, "%s", log_dir ? log_dir : "");
    return self;
}

void
eval_backends_destroy (eval_backends_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    eval_backends_t *self = *self_p;
    for (int i = 0; i < MAX_LOCAL; i++)
        if (self->running[i].pid > 0) {
            eval_backend_info_t info;
            char err[256];
            eval_backends_stop (self, self->running[i].name, &info, err, sizeof err);
        }
    free (self);
    *self_p = NULL;
}

const char *
eval_backends_mode (eval_backends_t *self)
{
    return self->bus ? "labd" : "local";
}

static void
s_root_url (char *out, size_t outlen, const char *base)
{
    snprintf (out, outlen, "%s", base);
    size_t n = strlen (out);
    while (n && out[n - 1] == '/')
        out[--n] = 0;
    if (n >= 3 && !strcmp (out + n - 3, "/v1"))
        out[n - 3] = 0;
}

void
eval_backends_use_config (eval_backends_t *self, lab_config_t *cfg)
{
    self->cfg = cfg;
}

static zconfig_t *
s_backend_node (eval_backends_t *self, const char *name)
{
    char key[256];
    snprintf (key, sizeof key, "backends/%s", name);
    return self->cfg ? zconfig_locate (lab_config_root (self->cfg), key) : NULL;
}

int
eval_backends_api_key (eval_backends_t *self, const char *name, char *out, size_t outlen, char *err,
                       size_t errlen)
{
    out[0] = 0;
    zconfig_t *b = s_backend_node (self, name);
    const char *file = b ? zconfig_get (b, "api_key_file", NULL) : NULL;
    const char *env = b ? zconfig_get (b, "api_key_env", NULL) : NULL;
    if (file && *file) {
        FILE *f = fopen (file, "r");
        if (!f || !fgets (out, (int) outlen, f)) {
            /* The path is no secret; the key never appears. */
            snprintf (err, errlen, "backend %s: cannot read api_key_file %s", name, file);
            if (f)
                fclose (f);
            out[0] = 0;
            return -1;
        }
        fclose (f);
        out[strcspn (out, "\r\n")] = 0;
    }
    else if (env && *env) {
        const char *v = getenv (env);
        if (!v || !*v) {
            snprintf (err, errlen, "backend %s: api_key_env %s is not set", name, env);
            return -1;
        }
        snprintf (out, outlen, "%s", v);
    }
    return 0;
}

static bool s_is_external (zconfig_t *b);

int
eval_backends_memprobe (eval_backends_t *self, const char *name, eval_memprobe_t *p, char *err, size_t errlen)
{
    zconfig_t *b = s_backend_node (self, name);
    return eval_memprobe_parse (p, b ? zconfig_get (b, "memory_probe", NULL) : NULL,
                                s_is_external (b) ? EVAL_PROBE_NONE : EVAL_PROBE_PROC, err, errlen);
}

/* An external backend: wait for its health (with its key), nothing to start. */
static int
s_external_start (eval_backends_t *self, const char *name, zconfig_t *b, long timeout_ms,
                  eval_backend_info_t *info, char *err, size_t errlen)
{
    s_root_url (info->base_url, sizeof info->base_url, zconfig_get (b, "base_url", ""));
    char dflt[300], health[300];
    snprintf (dflt, sizeof dflt, "%s/health", info->base_url);
    snprintf (health, sizeof health, "%s", zconfig_get (b, "health_url", dflt));
    long cfg_timeout = 0;
    if (lab_config_duration_ms (self->cfg, b, "start_timeout", 0, &cfg_timeout, err, errlen) == 0
        && cfg_timeout > 0 && cfg_timeout < timeout_ms)
        timeout_ms = cfg_timeout;
    char key[512];
    if (eval_backends_api_key (self, name, key, sizeof key, err, errlen))
        return -1;
    info->external = true;
    uint64_t t0 = eval_now_ns (), deadline = t0 + (uint64_t) timeout_ms * 1000000ull;
    long last = 0;
    while (eval_now_ns () < deadline) {
        last = eval_http_get_auth (health, key, 1000, NULL);
        if (last == 200 || last == 401 || last == 403)
            break;
        usleep (100000);
    }
    memset (key, 0, sizeof key);
    if (last == 401 || last == 403) {
        snprintf (err, errlen, "backend %s: %s answers %ld: the API key is missing or wrong "
                               "(api_key_file / api_key_env)", name, health, last);
        return -1;
    }
    if (last != 200) {
        snprintf (err, errlen, "external backend %s not healthy after %ld ms (last %s: %ld)", name, timeout_ms,
                  health, last);
        return -1;
    }
    info->health_wait_s = (double) (eval_now_ns () - t0) / 1e9;
    return 0;
}

static bool
s_is_external (zconfig_t *b)
{
    return b && !*zconfig_get (b, "command", "") && *zconfig_get (b, "base_url", "");
}

/* --- labd ----------------------------------------------------------- */

static int
s_labd_call (eval_backends_t *self, const char *cmd, const char *name, long timeout_ms,
             json_t **json_p, char *err, size_t errlen)
{
    char t[32];
    snprintf (t, sizeof t, "%ld", timeout_ms);
    const char *args[] = { name, t };
    Lab__CommandReply *reply = NULL;
    int rc = bus_client_call (self->bus, "labd", cmd, !strcmp (cmd, "backend-start") ? 2 : 1, args,
                              (int) timeout_ms + 10000, &reply);
    if (rc != BUS_OK) {
        snprintf (err, errlen, "labd %s %s: %s", cmd, name, bus_client_error (self->bus));
        return -1;
    }
    if (reply->status != BUS_OK) {
        snprintf (err, errlen, "labd %s %s: %s", cmd, name, reply->message);
        lab__command_reply__free_unpacked (reply, NULL);
        return -1;
    }
    *json_p = reply->json && *reply->json ? json_loads (reply->json, 0, NULL) : NULL;
    if (!*json_p)
        *json_p = json_object ();
    lab__command_reply__free_unpacked (reply, NULL);
    return 0;
}

/* --- local ---------------------------------------------------------- */

static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset (&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind (fd, (struct sockaddr *) &a, sizeof a) == 0
        && getsockname (fd, (struct sockaddr *) &a, &len) == 0)
        port = ntohs (a.sin_port);
    if (fd >= 0)
        close (fd);
    return port;
}

/* Replaces ${config}, ${port}, ${runtime} in IN. */
static void
s_expand (char *out, size_t outlen, const char *in, const char *config, int port)
{
    char portbuf[16];
    snprintf (portbuf, sizeof portbuf, "%d", port);
    const char *runtime = getenv ("LAB_RUNTIME_DIR");
    size_t o = 0;
    while (*in && o + 1 < outlen) {
        const char *rep = NULL;
        size_t skip = 0;
        if (!strncmp (in, "${config}", 9))
            rep = config, skip = 9;
        else if (!strncmp (in, "${port}", 7))
            rep = portbuf, skip = 7;
        else if (!strncmp (in, "${runtime}", 10))
            rep = runtime ? runtime : "/tmp", skip = 10;
        if (rep) {
            o += (size_t) snprintf (out + o, outlen - o, "%s", rep);
            if (o >= outlen)
                o = outlen - 1;
            in += skip;
        }
        else
            out[o++] = *in++;
    }
    out[o] = 0;
}

/* Splits on spaces, "quotes" group; at most MAX-1 words; modifies S. */
static int
s_split (char *s, char **argv, int max)
{
    int n = 0;
    while (*s && n < max - 1) {
        while (*s == ' ')
            s++;
        if (!*s)
            break;
        if (*s == '"') {
            argv[n++] = ++s;
            while (*s && *s != '"')
                s++;
        }
        else {
            argv[n++] = s;
            while (*s && *s != ' ')
                s++;
        }
        if (*s)
            *s++ = 0;
    }
    argv[n] = NULL;
    return n;
}

static int
s_local_start (eval_backends_t *self, const char *name, long timeout_ms, eval_backend_info_t *info,
               char *err, size_t errlen)
{
    char key[256];
    snprintf (key, sizeof key, "backends/%s", name);
    zconfig_t *b = zconfig_locate (lab_config_root (self->cfg), key);
    if (!b) {
        snprintf (err, errlen, "no backend %s in %s", name, lab_config_path (self->cfg));
        return -1;
    }
    int port = s_free_port ();
    char cmd[2048], base[256], health[256];
    s_expand (cmd, sizeof cmd, zconfig_get (b, "command", ""), self->config_path, port);
    s_expand (base, sizeof base, zconfig_get (b, "base_url", ""), self->config_path, port);
    s_root_url (info->base_url, sizeof info->base_url, base);
    char dflt_health[300];
    snprintf (dflt_health, sizeof dflt_health, "%s/health", info->base_url);
    s_expand (health, sizeof health, zconfig_get (b, "health_url", dflt_health), self->config_path, port);
    long grace = 5000, cfg_timeout = 0;
    lab_config_duration_ms (self->cfg, b, "stop_grace", 5000, &grace, err, errlen);
    if (lab_config_duration_ms (self->cfg, b, "start_timeout", 0, &cfg_timeout, err, errlen) == 0
        && cfg_timeout > 0 && cfg_timeout < timeout_ms)
        timeout_ms = cfg_timeout;
    char *argv[64];
    if (s_split (cmd, argv, 64) == 0) {
        snprintf (err, errlen, "backend %s has no command", name);
        return -1;
    }
    /* The first word is looked up next to this program first, as labd does. */
    char self_exe[1024], prog[1400];
    ssize_t n = readlink ("/proc/self/exe", self_exe, sizeof self_exe - 1);
    self_exe[n > 0 ? n : 0] = 0;
    snprintf (prog, sizeof prog, "%s/%s", dirname (self_exe), argv[0]);
    if (strchr (argv[0], '/') || access (prog, X_OK) != 0)
        snprintf (prog, sizeof prog, "%s", argv[0]);
    int slot = -1;
    for (int i = 0; i < MAX_LOCAL && slot < 0; i++)
        if (self->running[i].pid <= 0)
            slot = i;
    if (slot < 0) {
        snprintf (err, errlen, "too many local backends");
        return -1;
    }
    uint64_t t0 = eval_now_ns ();
    pid_t pid = fork ();
    if (pid == 0) {
        if (self->log_dir[0]) {
            char log[1200];
            snprintf (log, sizeof log, "%s/backend-%s.log", self->log_dir, name);
            int fd = open (log, O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0) {
                dup2 (fd, 1);
                dup2 (fd, 2);
                close (fd);
            }
        }
        setpgid (0, 0);
        /* A local backend must not outlive the runner that started it. */
        prctl (PR_SET_PDEATHSIG, SIGTERM);
        execvp (prog, argv);
        _exit (127);
    }
    if (pid < 0) {
        snprintf (err, errlen, "fork: %s", strerror (errno));
        return -1;
    }
    snprintf (self->running[slot].name, sizeof self->running[slot].name, "%s", name);
    self->running[slot].pid = pid;
    self->running[slot].stop_grace_ms = grace;
    info->pid = pid;
    uint64_t deadline = t0 + (uint64_t) timeout_ms * 1000000ull;
    long last = 0;
    while (eval_now_ns () < deadline) {
        int status;
        if (waitpid (pid, &status, WNOHANG) == pid) {
            self->running[slot].pid = 0;
            snprintf (err, errlen, "backend %s exited (status %d) before it was healthy", name,
                      WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status));
            return -1;
        }
        last = eval_http_get (health, 1000, NULL);
        if (last == 200) {
            info->health_wait_s = (double) (eval_now_ns () - t0) / 1e9;
            return 0;
        }
        usleep (50000);
    }
    snprintf (err, errlen, "backend %s not healthy after %ld ms (last /health: %ld)", name,
              timeout_ms, last);
    eval_backends_stop (self, name, info, err + strlen (err), errlen - strlen (err));
    return -1;
}

static int
s_local_stop (eval_backends_t *self, const char *name, eval_backend_info_t *info, char *err,
              size_t errlen)
{
    (void) err;
    (void) errlen;
    for (int i = 0; i < MAX_LOCAL; i++) {
        s_local_t *r = &self->running[i];
        if (r->pid <= 0 || strcmp (r->name, name))
            continue;
        info->peak_rss_kb = eval_proc_vmhwm_kb (r->pid);
        kill (r->pid, SIGTERM);
        uint64_t deadline = eval_now_ns () + (uint64_t) r->stop_grace_ms * 1000000ull;
        int status;
        bool gone = false;
        while (!gone && eval_now_ns () < deadline) {
            if (waitpid (r->pid, &status, WNOHANG) == r->pid)
                gone = true;
            else
                usleep (10000);
        }
        if (!gone) {
            kill (-r->pid, SIGKILL);
            kill (r->pid, SIGKILL);
            waitpid (r->pid, &status, 0);
        }
        r->pid = 0;
        return 0;
    }
    return 0;
}

int
eval_backends_start (eval_backends_t *self, const char *name, long timeout_ms,
                     eval_backend_info_t *info, char *err, size_t errlen)
{
    memset (info, 0, sizeof *info);
    zconfig_t *node = s_backend_node (self, name);
    if (s_is_external (node))
        return s_external_start (self, name, node, timeout_ms, info, err, errlen);
    if (!self->bus)
        return s_local_start (self, name, timeout_ms, info, err, errlen);
    json_t *j = NULL;
    if (s_labd_call (self, "backend-start", name, timeout_ms, &j, err, errlen))
        return -1;
    const char *base = json_string_value (json_object_get (j, "base_url"));
    s_root_url (info->base_url, sizeof info->base_url, base ? base : "");
    info->pid = (pid_t) json_integer_value (json_object_get (j, "pid"));
    info->health_wait_s = json_number_value (json_object_get (j, "health_wait_s"));
    json_decref (j);
    if (!info->base_url[0]) {
        snprintf (err, errlen, "labd backend-start %s: reply has no base_url", name);
        return -1;
    }
    return 0;
}

int
eval_backends_stop (eval_backends_t *self, const char *name, eval_backend_info_t *info,
                    char *err, size_t errlen)
{
    if (s_is_external (s_backend_node (self, name)))
        return 0;   /* not ours to stop; its memory comes from its probe */
    if (!self->bus)
        return s_local_stop (self, name, info, err, errlen);
    json_t *j = NULL;
    if (s_labd_call (self, "backend-stop", name, 30000, &j, err, errlen))
        return -1;
    info->peak_rss_kb = (uint64_t) json_number_value (json_object_get (j, "peak_rss_kb"));
    if (!info->peak_rss_kb)
        info->peak_rss_kb = (uint64_t) json_integer_value (json_object_get (j, "peak_rss_kb"));
    json_decref (j);
    return 0;
}
