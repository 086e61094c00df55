/* labctl_ctl - a client of labd's control socket: one line out, one JSON
 * object back, bounded by a deadline. */
#include "services/labctl/labctl_ctl.h"
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* RUNTIME/labd/ctl.sock for the context's config (as labd computes it). */
static int
s_path (labctl_t *ctx, char *out, size_t outlen)
{
    const char *path = ctx->config_path;
    if (!path && access ("compose/lab.cfg", R_OK) == 0)
        path = "compose/lab.cfg";
    char err[512], runtime[512];
    lab_config_t *cfg = path ? lab_config_load (path, err, sizeof err) : NULL;
    int rc = lab_config_runtime_dir (cfg, runtime, sizeof runtime);
    lab_config_destroy (&cfg);
    if (rc)
        return -1;
    snprintf (out, outlen, "%s/labd/ctl.sock", runtime);
    return 0;
}

static int
s_connect (const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen (path) >= sizeof sa.sun_path)
        return -1;
    snprintf (sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect (fd, (struct sockaddr *) &sa, sizeof sa)) {
        close (fd);
        fd = -1;
    }
    return fd;
}

/* Reads until labd closes, or the deadline. Returns the text (malloc'd) or NULL. */
static char *
s_read_all (int fd, uint64_t deadline_ns)
{
    size_t cap = 4096, len = 0;
    char *buf = (char *) malloc (cap);
    for (;;) {
        uint64_t now = bus_mono_ns ();
        if (now >= deadline_ns)
            break;
        struct pollfd p = { fd, POLLIN, 0 };
        int wait = (int) ((deadline_ns - now) / 1000000ull) + 1;
        if (poll (&p, 1, wait) <= 0)
            continue;
        if (len + 1 == cap) {
            if (cap >= (1u << 24))
                break;            /* no reply of labd's is this big */
            cap *= 2;
            buf = (char *) realloc (buf, cap);
        }
        ssize_t r = read (fd, buf + len, cap - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            buf[len] = 0;
            return buf;
        }
        len += (size_t) r;
    }
    free (buf);
    return NULL;
}

int
labctl_ctl_call (labctl_t *ctx, const char *command, const char *arg, int timeout_ms, char **message,
                 char **json)
{
    *message = *json = NULL;
    char path[700];
    int fd = s_path (ctx, path, sizeof path) ? -1 : s_connect (path);
    if (fd < 0) {
        *message = zsys_sprintf ("no labd listening at %s", path);
        return BUS_ENOTRUNNING;
    }
    char line[600];
    int n = snprintf (line, sizeof line, "%s%s%s\n", command, arg ? " " : "", arg ? arg : "");
    if (n < 0 || (size_t) n >= sizeof line || send (fd, line, (size_t) n, MSG_NOSIGNAL) != n) {
        close (fd);
        *message = zsys_sprintf ("cannot send to labd at %s", path);
        return BUS_ERROR;
    }
    char *text = s_read_all (fd, bus_mono_ns () + (uint64_t) timeout_ms * 1000000ull);
    close (fd);
    if (!text) {
        *message = zsys_sprintf ("labd at %s did not answer within %d ms", path, timeout_ms);
        return BUS_ETIMEOUT;
    }
    json_t *reply = json_loads (text, 0, NULL);
    free (text);
    json_t *status = json_object_get (reply, "status"), *msg = json_object_get (reply, "message");
    if (!json_is_integer (status) || !json_is_string (msg)) {
        json_decref (reply);
        *message = zsys_sprintf ("labd at %s sent a reply that is not its JSON", path);
        return BUS_EPROTO;
    }
    *message = strdup (json_string_value (msg));
    json_t *body = json_object_get (reply, "json");
    if (body)
        *json = json_dumps (body, JSON_COMPACT | JSON_ENCODE_ANY);
    int rc = (int) json_integer_value (status);
    json_decref (reply);
    return rc;
}
