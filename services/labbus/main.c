/* labbus - the broker process: reads the lab config, binds, runs until
 * SIGINT/SIGTERM. */
#include "bus/bus_broker.h"
#include <getopt.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: labbus [-c CONFIG] [--dir DIR] [--pub EP --sub EP --req EP]\n"
             "              [--recorder PATH] [--recorder-max SIZE_BYTES] [--recorder-files N] [-v]\n"
             "  -c CONFIG    lab config (default compose/lab.cfg when present)\n"
             "  --dir DIR    ipc:// endpoints under DIR (pub.sock, sub.sock, req.sock)\n"
             "  --pub/--sub/--req EP   explicit endpoints (publishers, subscribers, requests)\n"
             "  --recorder PATH        flight recorder file ('' disables)\n"
             "Exit status: 0 after a clean stop, 1 on a start-up error, 2 on bad usage.\n");
}

int
main (int argc, char **argv)
{
    const char *config = NULL, *dir = NULL, *pub = NULL, *sub = NULL, *req = NULL;
    const char *recorder = NULL;
    long rec_max = -1, rec_files = -1;
    bool verbose = false;
    static struct option longopts[] = {
        { "config", required_argument, 0, 'c' }, { "dir", required_argument, 0, 'd' },
        { "pub", required_argument, 0, 'P' },    { "sub", required_argument, 0, 'S' },
        { "req", required_argument, 0, 'R' },    { "recorder", required_argument, 0, 'r' },
        { "recorder-max", required_argument, 0, 'm' }, { "recorder-files", required_argument, 0, 'f' },
        { "verbose", no_argument, 0, 'v' },      { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 } };
    int opt;
    while ((opt = getopt_long (argc, argv, "c:vh", longopts, NULL)) != -1) {
        switch (opt) {
            case 'c': config = optarg; break;
            case 'd': dir = optarg; break;
            case 'P': pub = optarg; break;
            case 'S': sub = optarg; break;
            case 'R': req = optarg; break;
            case 'r': recorder = optarg; break;
            case 'm': rec_max = atol (optarg); break;
            case 'f': rec_files = atol (optarg); break;
            case 'v': verbose = true; break;
            case 'h': s_usage (stdout); return 0;
            default: s_usage (stderr); return 2;
        }
    }
    if (optind != argc) {
        s_usage (stderr);
        return 2;
    }
    zsys_init ();
    zsys_set_logident ("labbus");
    char err[1024] = "";
    if (!config && access ("compose/lab.cfg", R_OK) == 0 && !dir)
        config = "compose/lab.cfg";
    lab_config_t *cfg = NULL;
    if (config && !(cfg = lab_config_load (config, err, sizeof err))) {
        fprintf (stderr, "labbus: %s\n", err);
        return 1;
    }
    bus_broker_opts_t opts;
    if (bus_broker_opts_from_config (&opts, cfg, err, sizeof err)) {
        fprintf (stderr, "labbus: %s\n", err);
        lab_config_destroy (&cfg);
        return 1;
    }
    lab_config_destroy (&cfg);
    if (dir)
        bus_endpoints_in_dir (&opts.ep, dir);
    if (pub) snprintf (opts.ep.pub, sizeof opts.ep.pub, "%s", pub);
    if (sub) snprintf (opts.ep.sub, sizeof opts.ep.sub, "%s", sub);
    if (req) snprintf (opts.ep.req, sizeof opts.ep.req, "%s", req);
    if (recorder) snprintf (opts.recorder_path, sizeof opts.recorder_path, "%s", recorder);
    if (rec_max > 0) opts.recorder_max = (size_t) rec_max;
    if (rec_files > 0) opts.recorder_files = (int) rec_files;
    bus_broker_t *broker = bus_broker_new (&opts, err, sizeof err);
    if (!broker) {
        fprintf (stderr, "labbus: %s\n", err);
        return 1;
    }
    if (verbose)
        zsys_info ("labbus: pub %s sub %s req %s recorder %s", opts.ep.pub, opts.ep.sub, opts.ep.req,
                   opts.recorder_path[0] ? opts.recorder_path : "(off)");
    bus_broker_run (broker);
    bus_broker_destroy (&broker);
    return 0;
}
