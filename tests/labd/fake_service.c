/* lab-fake-service - a configurable misbehaving service for labd's tests.
 *   --hb MS            heartbeat on the bus every MS (as LAB_SERVICE_NAME)
 *   --exit-after MS    exit after MS with --code N (default 1)
 *   --hang-after MS    stop heartbeating after MS but stay alive (hung)
 *   --ignore-term      ignore SIGTERM
 *   --journal FILE     append "start NAME" now and "stop NAME" on SIGTERM
 *   --http PORT        serve /health on 127.0.0.1:PORT: 503, then 200 after
 *   --ready-after MS   (default 0; -1 never)
 *   --say TEXT         print TEXT on stdout and stderr at start
 *   --serve NAME       register NAME on the bus and never answer its requests
 *                      (a service that hangs inside a command) */
#include "bus/bus_client.h"
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t s_term;
static void s_on_term (int sig) { (void) sig; s_term = 1; }

typedef struct {
    uint64_t start_ms;
    long ready_after;
} http_t;

static uint64_t s_ms (void) { return bus_mono_ns () / 1000000ull; }

static enum MHD_Result
s_answer (void *cls, struct MHD_Connection *c, const char *url, const char *method,
          const char *version, const char *data, size_t *size, void **con_cls)
{
    (void) method; (void) version; (void) data; (void) size; (void) con_cls;
    http_t *h = (http_t *) cls;
    bool ready = h->ready_after >= 0 && s_ms () - h->start_ms >= (uint64_t) h->ready_after;
    const char *body = ready ? "{\"status\":\"ok\"}" : "{\"status\":\"loading\"}";
    struct MHD_Response *r = MHD_create_response_from_buffer (strlen (body), (void *) body,
                                                              MHD_RESPMEM_PERSISTENT);
    unsigned code = strcmp (url, "/health") ? 404 : ready ? 200 : 503;
    enum MHD_Result rc = MHD_queue_response (c, code, r);
    MHD_destroy_response (r);
    return rc;
}

/* --serve: keep every request unanswered until exit. */
static void
s_keep (bus_request_t *rq, void *arg)
{
    zlist_append ((zlist_t *) arg, bus_request_keep (rq));
}

int
main (int argc, char **argv)
{
    long hb = 0, exit_after = -1, code = 1, hang_after = -1, port = 0;
    bool ignore_term = false;
    const char *journal = NULL, *say = NULL, *serve = NULL;
    http_t http = { s_ms (), 0 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";
        if (!strcmp (a, "--hb")) hb = atol (v), i++;
        else if (!strcmp (a, "--exit-after")) exit_after = atol (v), i++;
        else if (!strcmp (a, "--code")) code = atol (v), i++;
        else if (!strcmp (a, "--hang-after")) hang_after = atol (v), i++;
        else if (!strcmp (a, "--ignore-term")) ignore_term = true;
        else if (!strcmp (a, "--journal")) journal = v, i++;
        else if (!strcmp (a, "--http")) port = atol (v), i++;
        else if (!strcmp (a, "--ready-after")) http.ready_after = atol (v), i++;
        else if (!strcmp (a, "--say")) say = v, i++;
        else if (!strcmp (a, "--serve")) serve = v, i++;
    }
    const char *name = getenv ("LAB_SERVICE_NAME") ? getenv ("LAB_SERVICE_NAME") : "fake";
    zsys_handler_set (NULL);      /* our own SIGTERM handling, not CZMQ's */
    signal (SIGTERM, ignore_term ? SIG_IGN : s_on_term);
    if (journal) {
        FILE *f = fopen (journal, "a");
        if (f) { fprintf (f, "start %s\n", name); fclose (f); }
    }
    if (say) {
        printf ("%s\n", say);
        fprintf (stderr, "%s (stderr)\n", say);
        fflush (stdout);
    }
    struct MHD_Daemon *d = NULL;
    if (port) {
        d = MHD_start_daemon (MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t) port, NULL, NULL, s_answer,
                              &http, MHD_OPTION_END);
        if (!d) { fprintf (stderr, "cannot listen on %ld\n", port); return 3; }
    }
    bus_client_t *bus = NULL;
    zlist_t *kept = zlist_new ();
    if (hb > 0 || serve) {
        bus_endpoints_t ep;
        char err[256];
        if (bus_endpoints_resolve (&ep, getenv ("LAB_CONFIG"), err, sizeof err)) {
            fprintf (stderr, "%s\n", err);
            return 2;
        }
        bus = bus_client_new (name, &ep);
        bus_client_set_heartbeat (bus, (int) hb);
        if (serve)
            bus_client_serve (bus, serve, s_keep, kept);
    }
    uint64_t start = s_ms ();
    while (!s_term) {
        uint64_t now = s_ms ();
        if (exit_after >= 0 && now - start >= (uint64_t) exit_after)
            break;
        bool hung = hang_after >= 0 && now - start >= (uint64_t) hang_after;
        if (bus && !hung)
            bus_client_tick (bus);
        usleep (10000);
    }
    if (journal && s_term) {
        FILE *f = fopen (journal, "a");
        if (f) { fprintf (f, "stop %s\n", name); fclose (f); }
    }
    for (bus_request_t *rq = (bus_request_t *) zlist_pop (kept); rq; rq = (bus_request_t *) zlist_pop (kept))
        bus_request_destroy (&rq);
    zlist_destroy (&kept);
    bus_client_destroy (&bus);
    if (d)
        MHD_stop_daemon (d);
    return s_term ? 0 : (int) code;
}
