/* ota-initiator - pushes firmware to boards over ESP-NOW (docs/ota-protocol.md). */
#include "services/ota-initiator/ota_service.h"
#include <czmq.h>
#include <stdio.h>
#include <string.h>

int
main (int argc, char **argv)
{
    const char *config = getenv ("LAB_CONFIG");
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv[i], "-c") && i + 1 < argc)
            config = argv[++i];
        else {
            fprintf (stderr, "usage: ota-initiator [-c CONFIG]\n"
                             "  Serves `ota-initiator` on the bus: push IMAGE TARGET [VIA] [force],\n"
                             "  status [JOB], abort JOB. Images are read from the config's ota/images.\n");
            return strcmp (argv[i], "--help") ? 2 : 0;
        }
    }
    zsys_set_logident ("ota-initiator");
    char err[512] = "";
    ota_service_t *svc = ota_service_new (config ? config : "compose/lab.cfg", err, sizeof err);
    if (!svc) {
        fprintf (stderr, "ota-initiator: %s\n", err);
        return 1;
    }
    ota_service_run (svc);
    ota_service_destroy (&svc);
    return 0;
}
