/* labctl - entry point: global options, then one command from the table. */
#include "services/labctl/labctl.h"
#include "services/labctl/labctl_args.h"
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>

typedef struct {
    const char *name;
    int (*fn) (labctl_t *, int, char **);
    const char *summary;
} s_command_t;

static const s_command_t s_commands[] = {
#define LABCTL_COMMAND(name, fn, summary) { name, fn, summary },
#include "services/labctl/labctl_commands.h"
#undef LABCTL_COMMAND
};

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: labctl [-c CONFIG] [--json] [--timeout MS] COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++)
        fprintf (out, "  %-10s %s\n", s_commands[i].name, s_commands[i].summary);
    fprintf (out,
             "\n`labctl COMMAND --help` describes one command.\n"
             "options:\n"
             "  -c CONFIG     lab config (default $LAB_CONFIG, else compose/lab.cfg)\n"
             "  --json        JSON lines instead of text\n"
             "  --timeout MS  how long a call waits for its reply (default 5000)\n"
             "exit status: 0 ok, 1 error, 2 usage, 3 not running, 4 timeout, 5 busy,\n"
             "             6 denied, 7 not found, 8 protocol error\n");
}

int
main (int argc, char **argv)
{
    /* -c wins; else the config the lab was started with (labd exports it to
     * its children, the demo to its steps); else compose/lab.cfg. */
    const char *env_config = getenv ("LAB_CONFIG");
    labctl_t ctx = { .timeout_ms = 5000, .config_path = env_config && *env_config ? env_config : NULL };
    static struct option longopts[] = {
        { "config", required_argument, 0, 'c' }, { "json", no_argument, 0, 'j' },
        { "timeout", required_argument, 0, 't' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 } };
    int opt;
    /* '+' stops at the command name so commands parse their own options. */
    while ((opt = getopt_long (argc, argv, "+c:h", longopts, NULL)) != -1) {
        switch (opt) {
            case 'c': ctx.config_path = optarg; break;
            case 'j': ctx.json = true; break;
            case 't': {
                long ms;
                if (labctl_parse_long ("--timeout", optarg, 1, 24L * 3600 * 1000, &ms))
                    return BUS_EUSAGE;
                ctx.timeout_ms = (int) ms;
                ctx.timeout_set = true;
                break;
            }
            case 'h': s_usage (stdout); return 0;
            default: s_usage (stderr); return BUS_EUSAGE;
        }
    }
    if (optind >= argc) {
        s_usage (stderr);
        return BUS_EUSAGE;
    }
    /* A config must be a file: a directory opens and reads as an empty
     * config, which would silently mean "the defaults". */
    struct stat st;
    if (ctx.config_path) {
        const char *bad = stat (ctx.config_path, &st) ? strerror (errno)
                          : S_ISREG (st.st_mode)     ? NULL
                                                     : "not a regular file";
        if (bad) {
            fprintf (stderr, "labctl: config %s: %s\n", ctx.config_path, bad);
            return BUS_EUSAGE;
        }
    }
    zsys_init ();
    zsys_set_logident ("labctl");
    const char *name = argv[optind];
    int cmd_argc = argc - optind;
    char **cmd_argv = argv + optind;
    int rc = BUS_EUSAGE;
    bool found = false;
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++)
        if (!strcmp (s_commands[i].name, name)) {
            optind = 0;   /* GNU getopt: full re-initialisation for the command */
            rc = s_commands[i].fn (&ctx, cmd_argc, cmd_argv);
            found = true;
            break;
        }
    if (!found) {
        fprintf (stderr, "labctl: unknown command '%s'\n", name);
        s_usage (stderr);
    }
    /* A command that could not reach the bus reports "error"; with no
     * broker listening at all, the lab is simply not running. */
    if (ctx.not_running && rc == BUS_ERROR)
        rc = BUS_ENOTRUNNING;
    bus_client_destroy (&ctx.bus);
    return rc;
}
