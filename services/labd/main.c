/* labd - the lab's supervisor. */
#include "services/labd/labd.h"
#include <czmq.h>
#include <stdio.h>
#include <string.h>

int
main (int argc, char **argv)
{
    const char *config = "compose/lab.cfg";
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv[i], "-c") && i + 1 < argc)
            config = argv[++i];
        else if (!strcmp (argv[i], "-h") || !strcmp (argv[i], "--help")) {
            printf ("usage: labd [-c CONFIG]\n"
                    "  Starts every service of CONFIG (default compose/lab.cfg) in dependency\n"
                    "  order, keeps them running, and stops them in reverse order on SIGTERM or\n"
                    "  SIGINT. Serves `labd` on the bus (labctl status|start|stop|restart).\n");
            return 0;
        }
        else {
            fprintf (stderr, "labd: unknown argument '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    /* labd handles signals itself (signalfd). */
    zsys_handler_set (NULL);
    zsys_set_logident ("labd");
    char err[512] = "";
    labd_t *labd = labd_new (config, err, sizeof err);
    if (!labd) {
        fprintf (stderr, "labd: %s\n", err);
        return 1;
    }
    int rc = labd_run (labd);
    labd_destroy (&labd);
    return rc;
}
