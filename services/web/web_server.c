/* web_server - see web_server.h. */
#include "services/web/web_server.h"
#include "bus/bus_client.h"
#include "bus/bus_json.h"
#include "services/web/web_filter.h"
#include "services/web/web_hub.h"
#include "services/web/web_metrics.h"
#include <arpa/inet.h>
#include <czmq.h>
#include <libgen.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATIC_MAX (1 << 20)        /* the page's files are small */
#define KEEPALIVE_MS 10000          /* comment line on an idle event stream */
#define DEFAULT_PORT 8480

/* What the web service subscribes to: everything the page or /metrics uses. */
static const char *const s_topics[] = { "state.", "tel.serial.", "tel.pingpong.", "evt.", NULL };

struct _web_server_t {
    lab_config_t *cfg;
    bus_client_t *bus;
    web_hub_t *hub;
    web_metrics_t *metrics;
    struct MHD_Daemon *httpd;
    char static_dir[1024];
    char password[256];
    char bind[64];
    int port;
    char url[128];
    uint64_t http_requests, http_bad;   /* atomics: HTTP threads count */
};

/* One event-stream connection. */
typedef struct {
    web_server_t *server;
    web_hub_client_t *client;
    bool hello_sent;
} sse_t;

bool
web_server_is_loopback (const char *addr)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton (AF_INET, addr, &a4) == 1)
        return (ntohl (a4.s_addr) >> 24) == 127;
    if (inet_pton (AF_INET6, addr, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK (&a6);
    return false;
}

/* --- configuration ------------------------------------------------------ */

static bool
s_has_index (const char *dir)
{
    char path[1200];
    snprintf (path, sizeof path, "%s/index.html", dir);
    return access (path, R_OK) == 0;
}

/* The page's directory: web/static, else next to the binary (build/bin/web in
 * a checkout, or an installed share/ dir), else under the working directory. */
static int
s_find_static (web_server_t *self, const char *configured, char *err, size_t errlen)
{
    if (configured && *configured) {
        snprintf (self->static_dir, sizeof self->static_dir, "%s", configured);
        if (s_has_index (self->static_dir))
            return 0;
        snprintf (err, errlen, "web/static: no index.html in '%s'", configured);
        return -1;
    }
    char exe[512];
    ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    const char *bindir = n > 0 ? dirname (exe) : ".";
    const char *tries[] = { "%s/../../services/web/static", "%s/../share/labbus/web", NULL };
    for (int i = 0; tries[i]; i++) {
        snprintf (self->static_dir, sizeof self->static_dir, tries[i], bindir);
        if (s_has_index (self->static_dir))
            return 0;
    }
    snprintf (self->static_dir, sizeof self->static_dir, "services/web/static");
    if (s_has_index (self->static_dir))
        return 0;
    snprintf (err, errlen, "cannot find the page's files (index.html); set web/static");
    return -1;
}

static int
s_read_password_file (const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
    FILE *f = fopen (path, "r");
    if (!f) {
        snprintf (err, errlen, "web/password_file: cannot read '%s'", path);
        return -1;
    }
    if (!fgets (out, (int) outlen, f))
        out[0] = 0;
    fclose (f);
    out[strcspn (out, "\r\n")] = 0;
    return 0;
}

static int
s_load_config (web_server_t *self, const web_server_opts_t *opts, char *err, size_t errlen)
{
    zconfig_t *web = zconfig_locate (lab_config_root (self->cfg), "web");
    if (web) {
        static const char *const keys[] = { "bind", "port", "password", "password_file", "static",
                                            "max_clients", "client_queue", NULL };
        if (lab_config_known_keys (self->cfg, web, keys, err, errlen))
            return -1;
    }
    long port = DEFAULT_PORT;
    if (web && lab_config_int (self->cfg, web, "port", DEFAULT_PORT, 0, 65535, &port, err, errlen))
        return -1;
    self->port = opts->port >= 0 ? opts->port : (int) port;
    snprintf (self->bind, sizeof self->bind, "%s",
              opts->bind ? opts->bind : lab_config_get (self->cfg, "web/bind", "127.0.0.1"));
    const char *pw_file = lab_config_get (self->cfg, "web/password_file", "");
    snprintf (self->password, sizeof self->password, "%s", lab_config_get (self->cfg, "web/password", ""));
    if (*pw_file && s_read_password_file (pw_file, self->password, sizeof self->password, err, errlen))
        return -1;
    const char *env_pw = getenv ("LAB_WEB_PASSWORD");
    if (env_pw && *env_pw)
        snprintf (self->password, sizeof self->password, "%s", env_pw);
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton (AF_INET, self->bind, &a4) != 1 && inet_pton (AF_INET6, self->bind, &a6) != 1) {
        zconfig_t *node = web ? zconfig_locate (web, "bind") : NULL;
        if (node)
            return lab_config_error (self->cfg, node, err, errlen, "web/bind: '%s' is not an IP address", self->bind);
        snprintf (err, errlen, "bind address '%s' is not an IP address", self->bind);
        return -1;
    }
    if (!web_server_is_loopback (self->bind) && !*self->password) {
        zconfig_t *node = web ? zconfig_locate (web, "bind") : NULL;
        if (node)
            return lab_config_error (self->cfg, node, err, errlen,
                                     "refusing to serve on non-loopback address %s without web/password",
                                     self->bind);
        snprintf (err, errlen, "refusing to serve on non-loopback address %s without web/password", self->bind);
        return -1;
    }
    return s_find_static (self, lab_config_get (self->cfg, "web/static", ""), err, errlen);
}

/* --- HTTP ---------------------------------------------------------------- */

static enum MHD_Result
s_queue (struct MHD_Connection *c, unsigned int status, struct MHD_Response *r, const char *type)
{
    MHD_add_response_header (r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header (r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header (r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response (c, status, r);
    MHD_destroy_response (r);
    return ret;
}

static enum MHD_Result
s_text (struct MHD_Connection *c, unsigned int status, const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer (strlen (text), (void *) text,
                                                              MHD_RESPMEM_MUST_COPY);
    return s_queue (c, status, r, "text/plain; charset=utf-8");
}

static const char *
s_content_type (const char *name)
{
    const char *dot = strrchr (name, '.');
    if (!dot)
        return NULL;
    if (!strcmp (dot, ".html"))
        return "text/html; charset=utf-8";
    if (!strcmp (dot, ".js"))
        return "text/javascript; charset=utf-8";
    if (!strcmp (dot, ".css"))
        return "text/css; charset=utf-8";
    if (!strcmp (dot, ".svg"))
        return "image/svg+xml";
    return NULL;
}

/* A file of the page: NAME is a bare file name (no directories) with a known
 * extension, so no request can reach outside the static directory. */
static enum MHD_Result
s_static (web_server_t *self, struct MHD_Connection *c, const char *name)
{
    const char *type = s_content_type (name);
    bool ok = type && name[0] != '.' && strlen (name) < 64;
    for (const char *p = name; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.';
    if (!ok)
        return s_text (c, MHD_HTTP_NOT_FOUND, "not found\n");
    char path[1200];
    snprintf (path, sizeof path, "%s/%s", self->static_dir, name);
    FILE *f = fopen (path, "rb");
    if (!f)
        return s_text (c, MHD_HTTP_NOT_FOUND, "not found\n");
    char *data = malloc (STATIC_MAX);
    size_t n = data ? fread (data, 1, STATIC_MAX, f) : 0;
    fclose (f);
    if (!data)
        return s_text (c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    struct MHD_Response *r = MHD_create_response_from_buffer (n, data, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header (r, "Content-Security-Policy",
                             "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'");
    return s_queue (c, MHD_HTTP_OK, r, type);
}

static void
s_self_figures (web_server_t *self, web_metrics_self_t *w)
{
    web_hub_stats_t hs;
    web_hub_stats (self->hub, &hs);
    memset (w, 0, sizeof *w);
    w->sse_clients = hs.clients;
    w->sse_clients_total = hs.clients_total;
    w->sse_clients_dropped = hs.clients_dropped;
    w->sse_refused = hs.refused;
    w->sse_events = hs.delivered;
    w->http_requests = __atomic_load_n (&self->http_requests, __ATOMIC_RELAXED);
    w->http_bad_requests = __atomic_load_n (&self->http_bad, __ATOMIC_RELAXED);
}

static enum MHD_Result
s_metrics (web_server_t *self, struct MHD_Connection *c)
{
    web_metrics_self_t w;
    s_self_figures (self, &w);
    char *text = web_metrics_render (self->metrics, &w);
    if (!text)
        return s_text (c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    struct MHD_Response *r = MHD_create_response_from_buffer (strlen (text), text, MHD_RESPMEM_MUST_FREE);
    return s_queue (c, MHD_HTTP_OK, r, "text/plain; version=0.0.4; charset=utf-8");
}

static ssize_t
s_sse_read (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) pos;
    sse_t *s = cls;
    if (!s->hello_sent) {
        /* Tell the browser to come back quickly after a drop. */
        static const char hello[] = "retry: 1000\n\n";
        s->hello_sent = true;
        if (max >= sizeof hello - 1) {
            memcpy (buf, hello, sizeof hello - 1);
            return (ssize_t) (sizeof hello - 1);
        }
    }
    ssize_t n = web_hub_client_read (s->server->hub, s->client, buf, max, KEEPALIVE_MS);
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (n == 0) {
        /* Idle: a comment line keeps proxies open and finds dead peers. 0 is
         * not a valid return with MHD's own threads. */
        if (max < 3)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        memcpy (buf, ":\n\n", 3);
        return 3;
    }
    return n;
}

static void
s_sse_free (void *cls)
{
    sse_t *s = cls;
    web_hub_detach (s->server->hub, &s->client);
    free (s);
}

static enum MHD_Result
s_events (web_server_t *self, struct MHD_Connection *c)
{
    const char *topics = MHD_lookup_connection_value (c, MHD_GET_ARGUMENT_KIND, "topics");
    web_filter_t filter;
    char err[160], msg[200];
    if (web_filter_parse (&filter, topics, err, sizeof err)) {
        __atomic_fetch_add (&self->http_bad, 1, __ATOMIC_RELAXED);
        snprintf (msg, sizeof msg, "topics: %s\n", err);
        return s_text (c, MHD_HTTP_BAD_REQUEST, msg);
    }
    sse_t *s = calloc (1, sizeof *s);
    if (!s)
        return s_text (c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    s->server = self;
    s->client = web_hub_attach (self->hub, &filter);
    if (!s->client) {
        free (s);
        return s_text (c, MHD_HTTP_SERVICE_UNAVAILABLE, "too many event-stream clients\n");
    }
    struct MHD_Response *r = MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, 16 * 1024,
                                                                s_sse_read, s, s_sse_free);
    if (!r) {
        s_sse_free (s);
        return MHD_NO;
    }
    MHD_add_response_header (r, "X-Accel-Buffering", "no");
    return s_queue (c, MHD_HTTP_OK, r, "text/event-stream; charset=utf-8");
}

/* Constant-time comparison so the password cannot be guessed by timing. */
static bool
s_same (const char *a, const char *b)
{
    size_t la = strlen (a), lb = strlen (b);
    unsigned diff = (unsigned) (la ^ lb);
    for (size_t i = 0; i < la; i++)
        diff |= (unsigned char) a[i] ^ (unsigned char) b[lb ? i % lb : 0];
    return diff == 0;
}

static bool
s_authorised (web_server_t *self, struct MHD_Connection *c)
{
    if (!*self->password)
        return true;
    char *pass = NULL;
    char *user = MHD_basic_auth_get_username_password (c, &pass);
    bool ok = user && pass && !strcmp (user, "lab") && s_same (pass, self->password);
    if (user)
        MHD_free (user);
    if (pass)
        MHD_free (pass);
    return ok;
}

static enum MHD_Result
s_handle (void *cls, struct MHD_Connection *c, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void) version;
    (void) upload_data;
    (void) upload_data_size;
    (void) con_cls;
    web_server_t *self = cls;
    __atomic_fetch_add (&self->http_requests, 1, __ATOMIC_RELAXED);
    if (strcmp (method, MHD_HTTP_METHOD_GET) != 0 && strcmp (method, MHD_HTTP_METHOD_HEAD) != 0) {
        /* Read-only: the page has no actions. */
        __atomic_fetch_add (&self->http_bad, 1, __ATOMIC_RELAXED);
        return s_text (c, MHD_HTTP_METHOD_NOT_ALLOWED, "read-only: GET only\n");
    }
    if (!s_authorised (self, c)) {
        __atomic_fetch_add (&self->http_bad, 1, __ATOMIC_RELAXED);
        static const char denied[] = "password required\n";
        struct MHD_Response *r = MHD_create_response_from_buffer (sizeof denied - 1, (void *) denied,
                                                                  MHD_RESPMEM_PERSISTENT);
        enum MHD_Result ret = MHD_queue_basic_auth_fail_response (c, "labbus", r);
        MHD_destroy_response (r);
        return ret;
    }
    if (!strcmp (url, "/"))
        return s_static (self, c, "index.html");
    if (!strcmp (url, "/events"))
        return s_events (self, c);
    if (!strcmp (url, "/metrics"))
        return s_metrics (self, c);
    if (!strcmp (url, "/healthz"))
        return s_text (c, MHD_HTTP_OK, "ok\n");
    if (url[0] == '/' && !strchr (url + 1, '/'))
        return s_static (self, c, url + 1);
    return s_text (c, MHD_HTTP_NOT_FOUND, "not found\n");
}

static int
s_listen (web_server_t *self, char *err, size_t errlen)
{
    struct sockaddr_in a4;
    struct sockaddr_in6 a6;
    struct sockaddr *sa;
    unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD
                         | MHD_USE_ERROR_LOG;
    memset (&a4, 0, sizeof a4);
    memset (&a6, 0, sizeof a6);
    if (inet_pton (AF_INET, self->bind, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons ((uint16_t) self->port);
        sa = (struct sockaddr *) &a4;
    }
    else {
        inet_pton (AF_INET6, self->bind, &a6.sin6_addr);
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons ((uint16_t) self->port);
        sa = (struct sockaddr *) &a6;
        flags |= MHD_USE_IPv6;
    }
    long max_clients = 32;
    zconfig_t *web = zconfig_locate (lab_config_root (self->cfg), "web");
    if (web && lab_config_int (self->cfg, web, "max_clients", 32, 1, 1000, &max_clients, err, errlen))
        return -1;
    self->httpd = MHD_start_daemon (flags, (uint16_t) self->port, NULL, NULL, s_handle, self,
                                    MHD_OPTION_SOCK_ADDR, sa,
                                    /* room for the event streams plus page loads and scrapes */
                                    MHD_OPTION_CONNECTION_LIMIT, (unsigned int) (max_clients + 16),
                                    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int) (max_clients + 8),
                                    MHD_OPTION_END);
    if (!self->httpd) {
        snprintf (err, errlen, "cannot listen on %s port %d", self->bind, self->port);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->httpd, MHD_DAEMON_INFO_BIND_PORT);
    if (info && info->port)
        self->port = info->port;
    bool v6 = strchr (self->bind, ':') != NULL;
    snprintf (self->url, sizeof self->url, "http://%s%s%s:%d/", v6 ? "[" : "", self->bind,
              v6 ? "]" : "", self->port);
    return 0;
}

static void
s_write_url (const char *path, const char *url)
{
    char tmp[1100];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen (tmp, "w");
    if (!f)
        return;
    fprintf (f, "%s\n", url);
    fclose (f);
    rename (tmp, path);     /* readers never see half a URL */
}

web_server_t *
web_server_new (const web_server_opts_t *opts, char *err, size_t errlen)
{
    web_server_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->cfg = lab_config_load (opts->config_path, err, errlen);
    if (!self->cfg || s_load_config (self, opts, err, errlen))
        goto fail;
    long queue = 1 << 20;
    zconfig_t *web = zconfig_locate (lab_config_root (self->cfg), "web");
    if (web && lab_config_size (self->cfg, web, "client_queue", 1 << 20, &queue, err, errlen))
        goto fail;
    if (queue < 4096)
        queue = 4096;
    long max_clients = 32;
    if (web && lab_config_int (self->cfg, web, "max_clients", 32, 1, 1000, &max_clients, err, errlen))
        goto fail;
    web_hub_limits_t limits = { .max_clients = (int) max_clients,
                                .client_queue_msgs = 4096,
                                .client_queue_bytes = (size_t) queue,
                                .state_topics = 1024,
                                .serial_lines = 200 };
    self->hub = web_hub_new (&limits);
    self->metrics = web_metrics_new ();
    bus_endpoints_t ep;
    if (bus_endpoints_resolve (&ep, opts->config_path, err, errlen))
        goto fail;
    self->bus = bus_client_new (opts->source, &ep);
    if (!self->bus) {
        snprintf (err, errlen, "cannot connect to the bus at %s", ep.sub);
        goto fail;
    }
    for (int i = 0; s_topics[i]; i++)
        bus_client_subscribe (self->bus, s_topics[i]);
    bus_client_set_heartbeat (self->bus, 1000);
    if (s_listen (self, err, errlen))
        goto fail;
    char runtime[512], path[700];
    if (lab_config_runtime_dir (self->cfg, runtime, sizeof runtime) == 0) {
        snprintf (path, sizeof path, "%s/web.url", runtime);
        s_write_url (path, self->url);
    }
    if (opts->url_file && *opts->url_file)
        s_write_url (opts->url_file, self->url);
    return self;
fail:
    web_server_destroy (&self);
    return NULL;
}

void
web_server_destroy (web_server_t **self_p)
{
    web_server_t *self = *self_p;
    if (!self)
        return;
    if (self->hub)
        web_hub_close (self->hub);      /* event streams end, their threads return */
    if (self->httpd)
        MHD_stop_daemon (self->httpd);
    web_hub_destroy (&self->hub);
    web_metrics_destroy (&self->metrics);
    bus_client_destroy (&self->bus);
    lab_config_destroy (&self->cfg);
    free (self);
    *self_p = NULL;
}

const char *
web_server_url (web_server_t *self)
{
    return self->url;
}

void
web_server_run (web_server_t *self)
{
    while (!zsys_interrupted) {
        bus_msg_t *m = bus_client_recv (self->bus, 500);
        if (!m)
            continue;
        char *json = bus_json_envelope (m->topic, m->env);
        web_metrics_update (self->metrics, m->topic, m->env);
        if (json)
            web_hub_publish (self->hub, m->topic, json);
        free (json);
        bus_msg_destroy (&m);
        bus_counters_t bc;
        bus_client_counters (self->bus, &bc);
        web_metrics_set_bus (self->metrics, bc.received, bc.gaps, bc.malformed, bc.duplicates);
    }
}
