/* labsim boards - placeholder until the subcommand lands. */
#include "services/labsim/labsim.h"
#include <stdio.h>

int
labsim_boards_main (int argc, char **argv)
{
    (void) argc;
    (void) argv;
    fprintf (stderr, "labsim boards: not built yet\n");
    return 1;
}
