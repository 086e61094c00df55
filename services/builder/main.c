/* builder - firmware builds, artefacts, firmware history, reflash and
 * diagnose jobs (docs/builds.md). */
#include "services/builder/builder.h"
#include "bus/bus_service.h"
#include <stdio.h>

int
main (int argc, char **argv)
{
    int code = 0;
    const char *config = bus_service_args (argc, argv, "usage: builder [-c CONFIG]\n", &code);
    if (!config)
        return code;
    zsys_set_logident ("builder");
    char err[512] = "";
    lab_config_t *cfg = NULL;
    bus_client_t *bus = bus_service_connect (config, "builder", &cfg, err, sizeof err);
    if (!bus) {
        fprintf (stderr, "builder: %s\n", err);
        return 1;
    }
    builder_t *b = builder_new (cfg, bus, err, sizeof err);
    if (!b) {
        fprintf (stderr, "builder: %s\n", err);
        bus_client_destroy (&bus);
        lab_config_destroy (&cfg);
        return 100;   /* a config error: restarting will not help */
    }
    builder_run (b);
    builder_destroy (&b);
    bus_client_destroy (&bus);
    lab_config_destroy (&cfg);
    return 0;
}
