/* serial-bridge - bridges the boards' serial ports to the bus (see
 * serial_bridge.h for the commands it serves). */
#include "services/serial-bridge/serial_bridge.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: serial-bridge [-c CONFIG]\n"
                  "  Opens every board in the config's boards sections and serves\n"
                  "  `serial-bridge` on the bus. Exit status: 0 after a clean stop,\n"
                  "  1 on a start-up error, 2 on bad usage.\n");
}

int
main (int argc, char **argv)
{
    const char *config = "compose/lab.cfg";
    static struct option longopts[] = { { "config", required_argument, 0, 'c' },
                                        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    int opt;
    while ((opt = getopt_long (argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': config = optarg; break;
        case 'h': s_usage (stdout); return 0;
        default: s_usage (stderr); return 2;
        }
    }
    if (optind != argc) {
        s_usage (stderr);
        return 2;
    }
    zsys_init ();
    zsys_set_logident ("serial-bridge");
    const char *source = getenv ("LAB_SERVICE_NAME");
    char err[1024] = "";
    serial_bridge_t *bridge = serial_bridge_new (config, source && *source ? source : "serial-bridge",
                                                 err, sizeof err);
    if (!bridge) {
        fprintf (stderr, "serial-bridge: %s\n", err);
        return 1;
    }
    serial_bridge_run (bridge);
    serial_bridge_destroy (&bridge);
    return 0;
}
