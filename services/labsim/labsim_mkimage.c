/* labsim mkimage - placeholder until the subcommand lands. */
#include "services/labsim/labsim.h"
#include <stdio.h>

int
labsim_mkimage_main (int argc, char **argv)
{
    (void) argc;
    (void) argv;
    fprintf (stderr, "labsim mkimage: not built yet\n");
    return 1;
}
