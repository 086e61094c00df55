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
        bus_client_subscribe (bus, "evt.rssi.moved.");
        while (!zsys_interrupted) {
            bus_msg_t *m = bus_client_recv (bus, 1000);
            const Lab__DistanceEstimate *d = bus_msg_body (m, LAB__ENVELOPE__BODY_DISTANCE);
            const Lab__RssiMoved *mv = bus_msg_body (m, LAB__ENVELOPE__BODY_RSSI_MOVED);
            if (d) {
                printf ("%s-%s  %6.2f m  [%5.2f - %5.2f] %.0f%%  raw %4.0f dBm  filtered %6.1f dBm  %s\n", d->a,
                        d->b, d->distance_m, d->low_m, d->high_m, 100 * d->interval_level, d->rssi_raw_dbm,
                        d->rssi_filtered_dbm, d->calibrated ? "" : "(uncalibrated)");
                fflush (stdout);
            }
            if (mv) {
                double f = mv->ratio >= 1 ? mv->ratio : 1 / (mv->ratio > 0 ? mv->ratio : 1);
                printf ("%s-%s  MOVED  %+.1f dB: about %.1fx %s (%.2f m -> %.2f m%s)\n", mv->a, mv->b, mv->delta_db, f,
                        mv->ratio >= 1 ? "farther" : "closer", mv->before_m, mv->after_m,
                        mv->calibrated ? "" : ", uncalibrated");
                fflush (stdout);
            }
            bus_msg_destroy (&m);
        }
        return BUS_OK;
    }
    fprintf (stderr, "usage: labctl rssi calibrate A B --at DIST_M [--seconds S]\n"
                     "       labctl rssi watch     live distance per link, and moves\n"
                     "       labctl rssi status    current estimates\n");
    return BUS_EUSAGE;
}
