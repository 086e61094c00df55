/* labsim boards - runs every board of the config whose port is `sim:NAME`
 * (labsim_board.c), the simulated radio between them (labsim_radio.c), and
 * the bus service `labsim` that moves boards, changes the radio and injects
 * faults:
 *   boards                          list boards (json)
 *   move A B DIST_M                 distance between two boards
 *   env A_DBM N NOISE_DB            log-distance model
 *   loss P [BOARD]                  loss probability 0..1 (of BOARD's reception only;
 *                                   `loss -1 BOARD` gives it the radio's again)
 *   latency MS                      radio latency
 *   fault BOARD tx-silent|tx-flaky|tx-dead|corrupt|reboot|panic|vanish|restore
 *   power BOARD (a power cycle: brings a tx-flaky board's output back)
 *   reset BOARD [bootloader]        what the auto-reset circuit does
 *   flash BOARD IMAGE               write IMAGE and boot it
 *   radio                           radio statistics (json) */
#include "services/labsim/labsim.h"
#include "services/labsim/labsim_board.h"
#include "services/labsim/labsim_radio.h"
#include "services/serial-bridge/board_keys.h"
#include "bus/bus_client.h"
#include "bus/bus_json.h"
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BOARDS LABSIM_RADIO_MAX_NODES

typedef struct {
    lab_config_t *cfg;
    labsim_radio_t *radio;
    labsim_board_t *boards[MAX_BOARDS];
    int nboards;
    bus_client_t *bus;
} sim_t;

static labsim_board_t *
s_board (sim_t *sim, const char *name)
{
    for (int i = 0; i < sim->nboards; i++)
        if (!strcmp (labsim_board_name (sim->boards[i]), name))
            return sim->boards[i];
    return NULL;
}

/* labsim/radio/indoor: the realistic channel (labsim_channel.h, docs/rssi.md). */
static int
s_load_channel (lab_config_t *cfg, zconfig_t *radio, labsim_radio_opts_t *o, char *err, size_t errlen)
{
    zconfig_t *r = radio ? zconfig_locate (radio, "indoor") : NULL;
    labsim_channel_defaults (&o->channel);
    if (!r)
        return 0;
    static const char *const keys[] = { "enabled", "shadow_sigma_db", "shadow_decorr_m", "pair_sigma_db",
                                        "tx_sigma_db", "orient_db", "rician_k_db", "static_share",
                                        "coherence_s", "block_per_hour", "block_median_s", "block_min_db",
                                        "block_max_db", "noise_db", "wifi_channel", NULL };
    labsim_channel_opts_t *c = &o->channel;
    long wifi = c->wifi_channel;
    if (lab_config_known_keys (cfg, r, keys, err, errlen)
        || lab_config_bool (cfg, r, "enabled", true, &o->indoor, err, errlen)
        || lab_config_double (cfg, r, "shadow_sigma_db", c->shadow_sigma_db, 0, 20, &c->shadow_sigma_db, err, errlen)
        || lab_config_double (cfg, r, "shadow_decorr_m", c->shadow_decorr_m, 0.01, 1000, &c->shadow_decorr_m, err, errlen)
        || lab_config_double (cfg, r, "pair_sigma_db", c->pair_sigma_db, 0, 20, &c->pair_sigma_db, err, errlen)
        || lab_config_double (cfg, r, "tx_sigma_db", c->tx_sigma_db, 0, 20, &c->tx_sigma_db, err, errlen)
        || lab_config_double (cfg, r, "orient_db", c->orient_db, 0, 20, &c->orient_db, err, errlen)
        || lab_config_double (cfg, r, "rician_k_db", c->rician_k_db, -30, 40, &c->rician_k_db, err, errlen)
        || lab_config_double (cfg, r, "static_share", c->static_share, 0, 1, &c->static_share, err, errlen)
        || lab_config_double (cfg, r, "coherence_s", c->coherence_s, 0.001, 3600, &c->coherence_s, err, errlen)
        || lab_config_double (cfg, r, "block_per_hour", c->block_per_hour, 0, 3600, &c->block_per_hour, err, errlen)
        || lab_config_double (cfg, r, "block_median_s", c->block_median_s, 0.01, 60, &c->block_median_s, err, errlen)
        || lab_config_double (cfg, r, "block_min_db", c->block_min_db, 0, 60, &c->block_min_db, err, errlen)
        || lab_config_double (cfg, r, "block_max_db", c->block_max_db, 0, 60, &c->block_max_db, err, errlen)
        || lab_config_double (cfg, r, "noise_db", c->noise_db, 0, 20, &c->noise_db, err, errlen)
        || lab_config_int (cfg, r, "wifi_channel", wifi, 1, 14, &wifi, err, errlen))
        return -1;
    c->wifi_channel = (int) wifi;
    c->a_dbm = o->a_dbm;
    c->n = o->n;
    return labsim_channel_check (c, err, errlen);
}

static int
s_load_radio (lab_config_t *cfg, labsim_radio_opts_t *o, char *err, size_t errlen)
{
    zconfig_t *r = zconfig_locate (lab_config_root (cfg), "labsim/radio");
    static const char *const keys[] = { "a_dbm", "n", "noise_db", "loss", "latency", "air_rate",
                                        "distance", "seed", "indoor", "mac_retries", "rx_loss", NULL };
    long latency_ms = 2, seed = 1, retries = 0;
    if (r && lab_config_known_keys (cfg, r, keys, err, errlen))
        return -1;
    if (lab_config_double (cfg, r, "a_dbm", -45, -120, 20, &o->a_dbm, err, errlen)
        || lab_config_double (cfg, r, "n", 2.5, 1.0, 6.0, &o->n, err, errlen)
        || lab_config_double (cfg, r, "noise_db", 2.0, 0, 30, &o->noise_db, err, errlen)
        || lab_config_double (cfg, r, "loss", 0, 0, 1, &o->loss, err, errlen)
        || lab_config_duration_ms (cfg, r, "latency", 2, &latency_ms, err, errlen)
        || lab_config_double (cfg, r, "air_rate", 1e6, 1e3, 1e8, &o->air_bps, err, errlen)
        || lab_config_double (cfg, r, "distance", 2.0, 0.01, 10000, &o->distance_m, err, errlen)
        || lab_config_int (cfg, r, "seed", 1, 0, 1L << 30, &seed, err, errlen)
        || lab_config_int (cfg, r, "mac_retries", 0, 0, 31, &retries, err, errlen))
        return -1;
    o->mac_retries = (int) retries;
    o->latency_ms = (double) latency_ms;
    o->seed = (unsigned) seed;
    return s_load_channel (cfg, r, o, err, errlen);
}

/* labsim/radio/rx_loss: BOARD = P, a board's own receive loss (one board
 * far off or behind a wall while the others hear well). */
static int
s_load_rx_loss (sim_t *sim, char *err, size_t errlen)
{
    zconfig_t *r = zconfig_locate (lab_config_root (sim->cfg), "labsim/radio/rx_loss");
    for (zconfig_t *e = r ? zconfig_child (r) : NULL; e; e = zconfig_next (e)) {
        labsim_board_t *b = s_board (sim, zconfig_name (e));
        double p;
        if (!b)
            return lab_config_error (sim->cfg, e, err, errlen, "no simulated board '%s'", zconfig_name (e));
        if (lab_config_double (sim->cfg, r, zconfig_name (e), 0, 0, 1, &p, err, errlen))
            return -1;
        labsim_radio_rx_loss (sim->radio, labsim_board_node (b), p);
    }
    return 0;
}

static int
s_load_boards (sim_t *sim, const char *runtime, char *err, size_t errlen)
{
    zconfig_t *root = lab_config_root (sim->cfg);
    static const char *const keys[] = { BOARD_KEYS };
    for (zconfig_t *sec = zconfig_child (root); sec; sec = zconfig_next (sec)) {
        if (strcmp (zconfig_name (sec), "boards"))
            continue;
        for (zconfig_t *b = zconfig_child (sec); b; b = zconfig_next (b)) {
            if (lab_config_known_keys (sim->cfg, b, keys, err, errlen))
                return -1;
            const char *port = zconfig_get (b, "port", "");
            if (strncmp (port, "sim:", 4))
                continue;
            if (sim->nboards >= MAX_BOARDS)
                return lab_config_error (sim->cfg, b, err, errlen, "more than %d simulated boards", MAX_BOARDS);
            labsim_board_opts_t o = { .name = zconfig_name (b), .runtime_dir = runtime,
                                      .version = zconfig_get (b, "version", "1.0.0") };
            long baud, tcp;
            if (lab_config_int (sim->cfg, b, "baud", 921600, 300, 8000000, &baud, err, errlen)
                || lab_config_int (sim->cfg, b, "tcp_port", 0, 0, 65535, &tcp, err, errlen))
                return -1;
            o.baud = baud;
            o.tcp_port = (int) tcp;
            const char *mac = zconfig_get (b, "mac", NULL);
            if (mac && link_mac_parse (mac, o.mac))
                return lab_config_error (sim->cfg, b, err, errlen, "bad mac '%s' (want aa:bb:cc:dd:ee:ff)", mac);
            if (!mac) {
                const uint8_t dflt[6] = { 0x24, 0x6f, 0x28, 0x00, 0x00, (uint8_t) (0xa0 + sim->nboards) };
                memcpy (o.mac, dflt, 6);
            }
            char berr[512];
            labsim_board_t *board = labsim_board_new (&o, sim->radio, berr, sizeof berr);
            if (!board)
                return lab_config_error (sim->cfg, b, err, errlen, "%s", berr);
            sim->boards[sim->nboards++] = board;
            if (labsim_board_ext_attach (board, sim->cfg, b, berr, sizeof berr))
                return lab_config_error (sim->cfg, b, err, errlen, "%s", berr);
        }
    }
    if (s_load_rx_loss (sim, err, errlen))
        return -1;
    if (!sim->nboards) {
        snprintf (err, errlen, "%s: no board with port = \"sim:...\" in a boards section",
                  lab_config_path (sim->cfg));
        return -1;
    }
    return 0;
}

/* --- bus service `labsim` -------------------------------------------- */

static void
s_reply_boards (sim_t *sim, bus_request_t *rq)
{
    char text[1024];
    size_t t = 0;
    json_t *boards = json_array ();
    for (int i = 0; i < sim->nboards; i++) {
        labsim_board_t *b = sim->boards[i];
        char mac[18];
        link_mac_format (labsim_board_mac (b), mac);
        board_core_t *core = labsim_board_core (b);
        /* The version is whatever the last image said it was: jansson. */
        json_t *o = json_object ();
        json_object_set_new (o, "name", bus_json_text (labsim_board_name (b)));
        json_object_set_new (o, "mac", bus_json_text (mac));
        json_object_set_new (o, "pty", bus_json_text (labsim_board_pty_link (b)));
        json_object_set_new (o, "tcp_port", json_integer (labsim_board_tcp_port (b)));
        json_object_set_new (o, "up", json_boolean (labsim_board_up (b)));
        json_object_set_new (o, "version", bus_json_textn (core->version, strnlen (core->version, sizeof core->version)));
        json_object_set_new (o, "partition", bus_json_textn (core->partition, strnlen (core->partition, sizeof core->partition)));
        json_object_set_new (o, "rx_loss", json_real (labsim_radio_node_loss (sim->radio, labsim_board_node (b))));
        json_array_append_new (boards, o);
        if (t < sizeof text)
            t += (size_t) snprintf (text + t, sizeof text - t, "%s%s %s %s", i ? "\n" : "",
                                    labsim_board_name (b), mac, labsim_board_up (b) ? "up" : "down");
    }
    json_t *o = json_pack ("{s:o}", "boards", boards);
    char *json = o ? json_dumps (o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref (o);
    bus_request_reply (rq, BUS_OK, json, "%s", text);
    free (json);
}

static void
s_fault (sim_t *sim, bus_request_t *rq, labsim_board_t *b, const char *what)
{
    char err[512];
    if (!strcmp (what, "tx-silent"))
        labsim_board_set_fault (b, LABSIM_FAULT_TX_SILENT);
    else if (!strcmp (what, "tx-flaky"))
        labsim_board_set_fault (b, LABSIM_FAULT_TX_FLAKY);
    else if (!strcmp (what, "tx-dead"))
        labsim_board_set_fault (b, LABSIM_FAULT_TX_DEAD);
    else if (!strcmp (what, "corrupt"))
        labsim_board_set_fault (b, LABSIM_FAULT_CORRUPT);
    else if (!strcmp (what, "reboot"))
        labsim_board_reboot (b, "sw");
    else if (!strcmp (what, "panic"))
        labsim_board_panic (b);
    else if (!strcmp (what, "vanish"))
        labsim_board_vanish (b);
    else if (!strcmp (what, "restore")) {
        if (labsim_board_restore (b, err, sizeof err)) {
            bus_request_reply (rq, BUS_ERROR, NULL, "%s", err);
            return;
        }
    } else {
        bus_request_reply (rq, BUS_EUSAGE, NULL,
                           "fault BOARD tx-silent|tx-flaky|tx-dead|corrupt|reboot|panic|vanish|restore");
        return;
    }
    (void) sim;
    bus_request_reply (rq, BUS_OK, NULL, "%s: %s", labsim_board_name (b), what);
}

static bool
s_number (const char *s, double *out)
{
    char *end;
    *out = strtod (s, &end);
    return end != s && !*end && isfinite (*out);
}

static void
s_handle (bus_request_t *rq, void *arg)
{
    sim_t *sim = arg;
    const Lab__CommandRequest *cmd = bus_request_command (rq);
    if (!cmd) {
        bus_request_reply (rq, BUS_EPROTO, NULL, "expected a CommandRequest");
        return;
    }
    const char *c = cmd->command;
    int argc = (int) cmd->n_args;
    char *const *argv = cmd->args;
    double x, y, z;
    if (!strcmp (c, "boards")) {
        s_reply_boards (sim, rq);
    } else if (!strcmp (c, "move")) {
        labsim_board_t *a = argc == 3 || argc == 4 ? s_board (sim, argv[0]) : NULL;
        labsim_board_t *b = argc == 3 || argc == 4 ? s_board (sim, argv[1]) : NULL;
        if ((argc != 3 && argc != 4) || !s_number (argv[2], &x) || !(x > 0)
            || (argc == 4 && !s_number (argv[3], &y)))
            bus_request_reply (rq, BUS_EUSAGE, NULL, "move A B DIST_M [BEARING_DEG]");
        else if (!a || !b || a == b)
            bus_request_reply (rq, BUS_ENOTFOUND, NULL, "no such pair of boards");
        else {
            int na = labsim_board_node (a), nb = labsim_board_node (b);
            labsim_radio_place (sim->radio, na, nb, x, argc == 4 ? y : labsim_radio_bearing (sim->radio, na, nb));
            /* The spot's own mean (shadowing, offsets) is labsim's secret; the
             * reply gives the path-loss figure a datasheet would. */
            bus_request_reply (rq, BUS_OK, NULL, "%s <-> %s: %.2f m at %.0f° (path-loss RSSI %.1f dBm)",
                               argv[0], argv[1], x, labsim_radio_bearing (sim->radio, na, nb),
                               labsim_radio_mean_rssi (sim->radio, x));
        }
    } else if (!strcmp (c, "orient")) {
        labsim_board_t *a = argc == 2 ? s_board (sim, argv[0]) : NULL;
        if (argc != 2 || !s_number (argv[1], &x))
            bus_request_reply (rq, BUS_EUSAGE, NULL, "orient BOARD YAW_DEG");
        else if (!a)
            bus_request_reply (rq, BUS_ENOTFOUND, NULL, "no simulated board '%s'", argv[0]);
        else {
            labsim_radio_orient (sim->radio, labsim_board_node (a), x);
            bus_request_reply (rq, BUS_OK, NULL, "%s: facing %.0f°%s", argv[0], x,
                               labsim_radio_channel (sim->radio) ? "" : " (no effect: radio/indoor is off)");
        }
    } else if (!strcmp (c, "env")) {
        if (argc != 3 || !s_number (argv[0], &x) || !s_number (argv[1], &y) || !s_number (argv[2], &z)
            || y <= 0 || z < 0)
            bus_request_reply (rq, BUS_EUSAGE, NULL, "env A_DBM N NOISE_DB");
        else {
            labsim_radio_env (sim->radio, x, y, z);
            bus_request_reply (rq, BUS_OK, NULL, "radio: A %.1f dBm, n %.2f, noise %.1f dB", x, y, z);
        }
    } else if (!strcmp (c, "loss")) {
        labsim_board_t *b = argc == 2 ? s_board (sim, argv[1]) : NULL;
        if ((argc != 1 && argc != 2) || !s_number (argv[0], &x) || x > 1 || (x < 0 && argc == 1))
            bus_request_reply (rq, BUS_EUSAGE, NULL, "loss P [BOARD] (P 0..1; -1 with BOARD: the radio's again)");
        else if (argc == 2 && !b)
            bus_request_reply (rq, BUS_ENOTFOUND, NULL, "no simulated board '%s'", argv[1]);
        else if (b) {
            labsim_radio_rx_loss (sim->radio, labsim_board_node (b), x);
            bus_request_reply (rq, BUS_OK, NULL, "radio: %s receives with loss %.3f", argv[1],
                               labsim_radio_node_loss (sim->radio, labsim_board_node (b)));
        } else {
            labsim_radio_loss (sim->radio, x);
            bus_request_reply (rq, BUS_OK, NULL, "radio: loss %.3f", x);
        }
    } else if (!strcmp (c, "radio")) {
        labsim_radio_stats_t st;
        labsim_radio_stats (sim->radio, &st);
        const labsim_radio_opts_t *o = labsim_radio_opts (sim->radio);
        char json[512];
        snprintf (json, sizeof json,
                  "{\"a_dbm\":%.2f,\"n\":%.3f,\"noise_db\":%.2f,\"loss\":%.3f,\"latency_ms\":%.2f,"
                  "\"sent\":%lu,\"delivered\":%lu,\"lost\":%lu,\"to_self\":%lu}",
                  o->a_dbm, o->n, o->noise_db, o->loss, o->latency_ms, (unsigned long) st.sent,
                  (unsigned long) st.delivered, (unsigned long) st.lost, (unsigned long) st.to_self);
        bus_request_reply (rq, BUS_OK, json, "sent %lu, delivered %lu, lost %lu, to self %lu",
                           (unsigned long) st.sent, (unsigned long) st.delivered,
                           (unsigned long) st.lost, (unsigned long) st.to_self);
    } else if (!strcmp (c, "fault") || !strcmp (c, "reset") || !strcmp (c, "flash") || !strcmp (c, "power")) {
        labsim_board_t *b = argc >= 1 ? s_board (sim, argv[0]) : NULL;
        if (argc < 1 || (!strcmp (c, "fault") && argc != 2) || (!strcmp (c, "flash") && argc != 2)
            || (!strcmp (c, "power") && argc != 1))
            bus_request_reply (rq, BUS_EUSAGE, NULL, "%s BOARD ...", c);
        else if (!b)
            bus_request_reply (rq, BUS_ENOTFOUND, NULL, "no simulated board '%s'", argv[0]);
        else if (!strcmp (c, "fault"))
            s_fault (sim, rq, b, argv[1]);
        else if (!strcmp (c, "power")) {
            labsim_board_power_cycle (b);
            bus_request_reply (rq, BUS_OK, NULL, "%s: power cycled", argv[0]);
        } else if (!strcmp (c, "reset")) {
            /* Download mode would stop the app; a simulated board has no ROM
             * loader, so it only reboots. */
            labsim_board_reboot (b, "poweron");
            bus_request_reply (rq, BUS_OK, NULL, "%s: reset", argv[0]);
        } else {
            char err[512];
            if (labsim_board_flash (b, argv[1], err, sizeof err))
                bus_request_reply (rq, BUS_ERROR, NULL, "%s: %s", argv[0], err);
            else
                bus_request_reply (rq, BUS_OK, NULL, "%s: flashed %s", argv[0], argv[1]);
        }
    } else {
        bus_request_reply (rq, BUS_EUSAGE, NULL,
                           "labsim: boards | move A B M [BEARING] | orient BOARD DEG | env A N NOISE | loss P [BOARD] | radio | "
                           "fault BOARD KIND | reset BOARD | power BOARD | flash BOARD IMAGE");
    }
}

/* --- loop ------------------------------------------------------------ */

static void
s_deliver (sim_t *sim)
{
    labsim_radio_frame_t f;
    uint64_t now = bus_mono_ns () / 1000u;
    while (labsim_radio_due (sim->radio, now, &f)) {
        labsim_board_t *from = NULL, *to = NULL;
        for (int i = 0; i < sim->nboards; i++) {
            if (labsim_board_node (sim->boards[i]) == f.from)
                from = sim->boards[i];
            if (labsim_board_node (sim->boards[i]) == f.to)
                to = sim->boards[i];
        }
        /* The receiving radio drops a unicast frame it cannot decrypt (or
         * one that came unencrypted from a board it expects to encrypt); a
         * broadcast frame is never encrypted and always handed up
         * (labsim_espnow_accept_to): the OTA signature, not the radio, is
         * what protects a broadcast push. */
        if (from && to
            && labsim_espnow_accept_to (labsim_board_espnow (from), labsim_board_mac (from), labsim_board_espnow (to),
                                        labsim_board_mac (to), f.broadcast))
            labsim_board_radio_in (to, labsim_board_mac (from), f.broadcast, f.rssi, f.data, f.len);
    }
}

static void
s_run (sim_t *sim)
{
    zmq_pollitem_t items[2 + MAX_BOARDS * 3];
    long wait_us = 0;
    while (!zsys_interrupted) {
        int n = 0;
        if (sim->bus) {
            items[n++] = (zmq_pollitem_t) { .socket = zsock_resolve (bus_client_req_sock (sim->bus)),
                                            .events = ZMQ_POLLIN };
        }
        for (int i = 0; i < sim->nboards; i++)
            n += labsim_board_pollitems (sim->boards[i], items + n);
        long radio_us = labsim_radio_next_us (sim->radio, bus_mono_ns () / 1000u);
        if (radio_us >= 0 && radio_us < wait_us)
            wait_us = radio_us;
        int timeout_ms = (int) ((wait_us + 999) / 1000);
        zmq_poll (items, n, timeout_ms);
        if (sim->bus)
            bus_client_tick (sim->bus);
        s_deliver (sim);
        wait_us = 10000;
        for (int i = 0; i < sim->nboards; i++) {
            long w = labsim_board_tick (sim->boards[i]);
            if (w < wait_us)
                wait_us = w;
        }
    }
}

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: labsim boards -c CONFIG [--no-bus]\n"
                  "  Runs the boards whose port is \"sim:NAME\"; each UART is a pty linked at\n"
                  "  <runtime>/boards/NAME and a TCP port (<runtime>/boards/NAME.port).\n"
                  "  Serves `labsim` on the bus (boards, move, env, loss, fault, reset, flash).\n");
}

int
labsim_boards_main (int argc, char **argv)
{
    const char *config = NULL;
    bool no_bus = false;
    static struct option longopts[] = { { "config", required_argument, 0, 'c' },
                                        { "no-bus", no_argument, 0, 'n' },
                                        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    int opt;
    optind = 1;
    while ((opt = getopt_long (argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': config = optarg; break;
        case 'n': no_bus = true; break;
        case 'h': s_usage (stdout); return 0;
        default: s_usage (stderr); return 2;
        }
    }
    if (!config || optind != argc) {
        s_usage (stderr);
        return 2;
    }
    zsys_init ();
    zsys_set_logident ("labsim-boards");
    char err[1024] = "", runtime[512];
    sim_t sim = { 0 };
    int rc = 1;
    sim.cfg = lab_config_load (config, err, sizeof err);
    labsim_radio_opts_t ropts = { 0 };
    if (!sim.cfg || s_load_radio (sim.cfg, &ropts, err, sizeof err)
        || lab_config_runtime_dir (sim.cfg, runtime, sizeof runtime)) {
        fprintf (stderr, "labsim boards: %s\n", *err ? err : "cannot make the runtime directory");
        goto done;
    }
    sim.radio = labsim_radio_new (&ropts);
    if (s_load_boards (&sim, runtime, err, sizeof err)) {
        fprintf (stderr, "labsim boards: %s\n", err);
        goto done;
    }
    if (!no_bus) {
        bus_endpoints_t ep;
        if (bus_endpoints_resolve (&ep, config, err, sizeof err)) {
            fprintf (stderr, "labsim boards: %s\n", err);
            goto done;
        }
        const char *source = getenv ("LAB_SERVICE_NAME");
        sim.bus = bus_client_new (source && *source ? source : "labsim-boards", &ep);
        if (!sim.bus) {
            fprintf (stderr, "labsim boards: cannot connect to the bus at %s\n", ep.req);
            goto done;
        }
        bus_client_set_heartbeat (sim.bus, 1000);
        bus_client_serve (sim.bus, "labsim", s_handle, &sim);
    }
    for (int i = 0; i < sim.nboards; i++) {
        labsim_board_start (sim.boards[i], "poweron");
        char mac[18];
        link_mac_format (labsim_board_mac (sim.boards[i]), mac);
        printf ("labsim boards: %s %s on %s and 127.0.0.1:%d\n", labsim_board_name (sim.boards[i]),
                mac, labsim_board_pty_link (sim.boards[i]), labsim_board_tcp_port (sim.boards[i]));
    }
    fflush (stdout);
    s_run (&sim);
    rc = 0;
done:
    for (int i = 0; i < sim.nboards; i++) {
        labsim_board_ext_detach (sim.boards[i]);
        labsim_board_destroy (&sim.boards[i]);
    }
    bus_client_destroy (&sim.bus);
    labsim_radio_destroy (&sim.radio);
    lab_config_destroy (&sim.cfg);
    return rc;
}
