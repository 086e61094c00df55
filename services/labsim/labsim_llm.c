/* labsim llm - placeholder until the subcommand lands. */
#include "services/labsim/labsim.h"
#include <stdio.h>

int
labsim_llm_main (int argc, char **argv)
{
    (void) argc;
    (void) argv;
    fprintf (stderr, "labsim llm: not built yet\n");
    return 1;
}
