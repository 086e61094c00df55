/* labsim - entry point: dispatches to the subcommand. */
#include "services/labsim/labsim.h"
#include <stdio.h>
#include <string.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: labsim COMMAND [ARGS]\n"
             "  boards   run simulated boards (labsim boards --help)\n"
             "  llm      run a simulated OpenAI-compatible LLM server (labsim llm --help)\n"
             "  mkimage  write a well-formed ESP32 test app image (labsim mkimage --help)\n");
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        s_usage (stderr);
        return 2;
    }
    if (!strcmp (argv[1], "--help") || !strcmp (argv[1], "-h")) {
        s_usage (stdout);
        return 0;
    }
    if (!strcmp (argv[1], "boards"))
        return labsim_boards_main (argc - 1, argv + 1);
    if (!strcmp (argv[1], "llm"))
        return labsim_llm_main (argc - 1, argv + 1);
    if (!strcmp (argv[1], "mkimage"))
        return labsim_mkimage_main (argc - 1, argv + 1);
    fprintf (stderr, "labsim: unknown command '%s'\n", argv[1]);
    s_usage (stderr);
    return 2;
}
