/* labctl rssi calibrate|watch|status - distances between boards. */
#include "services/labctl/labctl.h"
#include <czmq.h>
#include <string.h>

int
labctl_cmd_rssi (labctl_t *ctx, int argc, char **argv)
{
    if (argc >= 4 && !strcmp (argv[1], "calibrate")) {
        const char *at = NULL, *secs = "5";
        for (int i = 4; i < argc; i++) {
            if (!strcmp (argv[i], "--at") && i + 1 < argc)
                at = argv[++i];
            else if (!strcmp (argv[i], "--seconds") && i + 1 < argc)
                secs = argv[++i];
        }
        if (!at) {
            fprintf (stderr, "usage: labctl rssi calibrate A B --at DIST_M [--seconds S]\n");
            return BUS_EUSAGE;
        }
        const char *args[] = { argv[2], argv[3], at, secs };
        if (ctx->timeout_ms < (int) (atof (secs) * 1000) + 5000)
            ctx->timeout_ms = (int) (atof (secs) * 1000) + 5000;
        return labctl_call_print (ctx, "rssi-ranger", "calibrate", 4, args);
    }
    if (argc == 2 && !strcmp (argv[1], "status"))
        return labctl_call_print (ctx, "rssi-ranger", "distances", 0, NULL);
    if (argc == 2 && !strcmp (argv[1], "watch")) {
        bus_client_t *bus = labctl_bus (ctx);
        if (!bus)
            return BUS_ERROR;
        bus_client_subscribe (bus, "state.distance.");
        while (!zsys_interrupted) {
            bus_msg_t *m = bus_client_recv (bus, 1000);
            const Lab__DistanceEstimate *d = bus_msg_body (m, LAB__ENVELOPE__BODY_DISTANCE);
            if (d) {
                printf ("%s-%s  %6.2f m  [%5.2f - %5.2f]  raw %4.0f dBm  filtered %6.1f dBm  %s\n", d->a, d->b,
                        d->distance_m, d->low_m, d->high_m, d->rssi_raw_dbm, d->rssi_filtered_dbm,
                        d->calibrated ? "" : "(uncalibrated)");
                fflush (stdout);
            }
            bus_msg_destroy (&m);
        }
        return BUS_OK;
    }
    fprintf (stderr, "usage: labctl rssi calibrate A B --at DIST_M [--seconds S]\n"
                     "       labctl rssi watch     live distance per link\n"
                     "       labctl rssi status    current estimates\n");
    return BUS_EUSAGE;
}
