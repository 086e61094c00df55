/* labctl keygen - CURVE key pairs for a bus reachable from other hosts. */
#include "services/labctl/labctl.h"
#include "bus/bus_curve.h"
#include <stdio.h>
#include <string.h>

int
labctl_cmd_keygen (labctl_t *ctx, int argc, char **argv)
{
    (void) ctx;
    const char *dir = ".";
    const char *name = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (argv[i][0] != '-' && !name)
            name = argv[i];
        else {
            name = NULL;
            break;
        }
    }
    if (!name) {
        fprintf (stderr, "usage: labctl keygen NAME [--dir DIR]\n"
                         "  writes DIR/NAME (public, give it to the broker's clients directory\n"
                         "  or to clients as server_public) and DIR/NAME_secret (keep private)\n");
        return 2;
    }
    char err[256];
    if (bus_curve_keygen (dir, name, err, sizeof err)) {
        fprintf (stderr, "labctl: %s\n", err);
        return 1;
    }
    printf ("wrote %s/%s and %s/%s_secret\n", dir, name, dir, name);
    return 0;
}
