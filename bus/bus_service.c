/* bus_service - see bus_service.h. */
#include "bus/bus_service.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
bus_service_args (int argc, char **argv, const char *usage, int *exit_code)
{
    const char *config = getenv ("LAB_CONFIG");
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv[i], "-c") && i + 1 < argc)
            config = argv[++i];
        else {
            bool help = !strcmp (argv[i], "--help") || !strcmp (argv[i], "-h");
            fprintf (help ? stdout : stderr, "%s", usage);
            *exit_code = help ? 0 : 2;
            return NULL;
        }
    }
    return config && *config ? config : "compose/lab.cfg";
}

bus_client_t *
bus_service_connect (const char *config_path, const char *name, lab_config_t **cfg_out, char *err,
                     size_t errlen)
{
    *cfg_out = lab_config_load (config_path, err, errlen);
    bus_endpoints_t ep;
    if (!*cfg_out || bus_endpoints_from_config (&ep, *cfg_out, err, errlen)) {
        lab_config_destroy (cfg_out);
        return NULL;
    }
    const char *source = getenv ("LAB_SERVICE_NAME");
    bus_client_t *bus = bus_client_new (source && *source ? source : name, &ep);
    if (!bus) {
        snprintf (err, errlen, "cannot connect to the bus at %s", ep.req);
        lab_config_destroy (cfg_out);
        return NULL;
    }
    bus_client_set_heartbeat (bus, 1000);
    return bus;
}
