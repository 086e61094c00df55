/* web_server - the web service: a read-only dashboard and scrape endpoint
 * fed from the bus.
 *
 *   GET /                  the page (static/index.html and its files)
 *   GET /events?topics=a,b Server-Sent Events: one JSON object per bus
 *                          message whose topic starts with a or b (all when
 *                          absent); the current state.* values and recent
 *                          serial lines come first
 *   GET /metrics           Prometheus text exposition (web_metrics.h)
 *   GET /healthz           "ok"
 *
 * Config section `web`: bind (default 127.0.0.1), port (default 8480; 0 lets
 * the kernel choose), password or password_file (HTTP Basic auth, user
 * "lab"; $LAB_WEB_PASSWORD overrides), static (the page's directory),
 * max_clients, client_queue (bytes per event-stream client). A bind address
 * that is not loopback is refused unless a password is configured.
 *
 * The bus is read on the caller's thread (web_server_run); HTTP runs on
 * libmicrohttpd's threads, one per connection, and never touches the bus. */
#ifndef WEB_SERVER_H
#define WEB_SERVER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct _web_server_t web_server_t;

typedef struct {
    const char *config_path;    /* -c */
    const char *source;         /* bus source name */
    const char *bind;           /* overrides web/bind when set */
    int port;                   /* overrides web/port when >= 0 */
    const char *url_file;       /* also write the URL here when set */
} web_server_opts_t;

/* Loads the config, connects to the bus and starts listening. NULL with a
 * "file:line: ..." or other one-line reason in ERR. */
web_server_t *web_server_new (const web_server_opts_t *opts, char *err, size_t errlen);
void web_server_destroy (web_server_t **self_p);

/* The URL the page is served at, e.g. "http://127.0.0.1:8480/". */
const char *web_server_url (web_server_t *self);

/* Reads the bus until zsys_interrupted. */
void web_server_run (web_server_t *self);

/* True when ADDR (IPv4 or IPv6 text) is a loopback address. */
bool web_server_is_loopback (const char *addr);

#endif
