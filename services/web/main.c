/* web - the lab's read-only dashboard and Prometheus endpoint (see
 * web_server.h). */
#include "services/web/web_server.h"
#include <czmq.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: web [-c CONFIG] [--bind ADDR] [--port N] [--url-file PATH]\n"
                  "  Serves the dashboard, /events and /metrics from the bus. --port 0\n"
                  "  lets the kernel choose; the URL is written to <runtime>/web.url and\n"
                  "  PATH. Exit status: 0 after a clean stop, 1 on a start-up error,\n"
                  "  2 on bad usage.\n");
}

int
main (int argc, char **argv)
{
    web_server_opts_t opts = { .config_path = "compose/lab.cfg", .port = -1 };
    static struct option longopts[] = { { "config", required_argument, 0, 'c' },
                                        { "bind", required_argument, 0, 'b' },
                                        { "port", required_argument, 0, 'p' },
                                        { "url-file", required_argument, 0, 'u' },
                                        { "help", no_argument, 0, 'h' },
                                        { 0, 0, 0, 0 } };
    int opt;
    while ((opt = getopt_long (argc, argv, "c:h", longopts, NULL)) != -1) {
        char *end;
        switch (opt) {
        case 'c': opts.config_path = optarg; break;
        case 'b': opts.bind = optarg; break;
        case 'p':
            opts.port = (int) strtol (optarg, &end, 10);
            if (*end || opts.port < 0 || opts.port > 65535) {
                fprintf (stderr, "web: bad port '%s'\n", optarg);
                return 2;
            }
            break;
        case 'u': opts.url_file = optarg; break;
        case 'h': s_usage (stdout); return 0;
        default: s_usage (stderr); return 2;
        }
    }
    if (optind != argc) {
        s_usage (stderr);
        return 2;
    }
    zsys_init ();
    zsys_set_logident ("web");
    const char *source = getenv ("LAB_SERVICE_NAME");
    opts.source = source && *source ? source : "web";
    char err[1024] = "";
    web_server_t *server = web_server_new (&opts, err, sizeof err);
    if (!server) {
        fprintf (stderr, "web: %s\n", err);
        return 1;
    }
    printf ("web: serving %s\n", web_server_url (server));
    fflush (stdout);
    web_server_run (server);
    web_server_destroy (&server);
    return 0;
}
