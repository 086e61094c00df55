/* labctl_bus - the bus commands: status, sub, pub, call, replay; and the
 * helpers every other command uses (labctl_bus, labctl_call_print). */
#include "services/labctl/labctl.h"
#include "bus/bus_json.h"
#include "bus/bus_recorder.h"
#include "services/labctl/labctl_args.h"
#include "services/labctl/labctl_reach.h"
#include "services/labctl/labctl_ctl.h"
#include <fnmatch.h>
#include <getopt.h>
#include <time.h>
#include <unistd.h>

bus_client_t *
labctl_bus (labctl_t *ctx)
{
    if (ctx->bus)
        return ctx->bus;
    char err[1024];
    if (!ctx->endpoints_ok) {
        if (bus_endpoints_resolve (&ctx->endpoints, ctx->config_path, err, sizeof err)) {
            fprintf (stderr, "labctl: %s\n", err);
            return NULL;
        }
        ctx->endpoints_ok = true;
    }
    /* A broker that is not there: say so now, not after the timeout. */
    if (!labctl_endpoint_listening (ctx->endpoints.req, ctx->timeout_ms < 1000 ? ctx->timeout_ms : 1000)) {
        fprintf (stderr, "labctl: no broker listening at %s\n", ctx->endpoints.req);
        ctx->not_running = true;
        return NULL;
    }
    char source[64];
    snprintf (source, sizeof source, "labctl-%d", (int) getpid ());
    ctx->bus = bus_client_new (source, &ctx->endpoints);
    if (!ctx->bus)
        fprintf (stderr, "labctl: cannot connect to the bus at %s\n", ctx->endpoints.req);
    return ctx->bus;
}

int
labctl_call_print (labctl_t *ctx, const char *service, const char *command, int argc,
                   const char *const *args)
{
    bus_client_t *bus = labctl_bus (ctx);
    if (!bus)
        return BUS_ERROR;
    Lab__CommandReply *reply = NULL;
    int rc = bus_client_call (bus, service, command, argc, args, ctx->timeout_ms, &reply);
    if (rc != BUS_OK) {
        if (ctx->json)
            printf ("{\"status\":%d,\"error\":\"%s\"}\n", rc, bus_status_name (rc));
        fprintf (stderr, "labctl: %s: %s\n", service, bus_client_error (bus));
        return rc;
    }
    rc = reply->status;
    if (ctx->json)
        printf ("%s\n", reply->json && *reply->json ? reply->json : "{}");
    else if (reply->message && *reply->message)
        fprintf (rc == BUS_OK ? stdout : stderr, "%s\n", reply->message);
    lab__command_reply__free_unpacked (reply, NULL);
    return rc;
}

/* ------------------------------------------------------------------ */

static void
s_format_time (uint64_t ts_ns, char *out, size_t outlen)
{
    time_t secs = (time_t) (ts_ns / 1000000000ull);
    struct tm tm;
    localtime_r (&secs, &tm);
    char hms[16];
    strftime (hms, sizeof hms, "%H:%M:%S", &tm);
    snprintf (out, outlen, "%s.%03u", hms, (unsigned) ((ts_ns / 1000000ull) % 1000));
}

/* One line for a human: time, topic, source#seq, then the body's fields. */
static void
s_print_human (const char *topic, const Lab__Envelope *env)
{
    char when[32];
    s_format_time (env->ts_ns, when, sizeof when);
    const char *text = NULL;
    if (env->body_case == LAB__ENVELOPE__BODY_SERIAL_LINE)
        text = env->serial_line->text;
    else if (env->body_case == LAB__ENVELOPE__BODY_BLOB && env->blob->content_type
             && !strncmp (env->blob->content_type, "text/", 5)) {
        printf ("%s %-28s %s#%" PRIu64 " %.*s\n", when, topic, env->source, env->seq,
                (int) env->blob->data.len, (const char *) env->blob->data.data);
        return;
    }
    if (text) {
        printf ("%s %-28s %s#%" PRIu64 " %s\n", when, topic, env->source, env->seq, text);
        return;
    }
    json_t *body = NULL;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field (&lab__envelope__descriptor, (unsigned) env->body_case);
    if (f) {
        const ProtobufCMessage *m = *(ProtobufCMessage *const *) ((const uint8_t *) env + f->offset);
        body = m ? bus_json_from_message (m) : NULL;
    }
    char *s = body ? json_dumps (body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    printf ("%s %-28s %s#%" PRIu64 " %s %s\n", when, topic, env->source, env->seq,
            bus_json_body_name (env), s ? s : "{}");
    free (s);
    json_decref (body);
}

static void
s_print (labctl_t *ctx, const char *topic, const Lab__Envelope *env)
{
    if (ctx->json) {
        char *s = bus_json_envelope (topic, env);
        printf ("%s\n", s);
        free (s);
    }
    else
        s_print_human (topic, env);
    fflush (stdout);
}

/* ZeroMQ filters by prefix: subscribe to the literal part of a glob and
 * match the rest here. */
static void
s_subscribe_pattern (bus_client_t *bus, const char *pattern)
{
    size_t literal = strcspn (pattern, "*?[");
    char *prefix = strndup (pattern, literal);
    bus_client_subscribe (bus, prefix);
    free (prefix);
}

static bool
s_topic_wanted (int npatterns, char **patterns, const char *topic)
{
    if (npatterns == 0)
        return true;
    for (int i = 0; i < npatterns; i++) {
        const char *p = patterns[i];
        if (strpbrk (p, "*?[") ? fnmatch (p, topic, 0) == 0 : strncmp (topic, p, strlen (p)) == 0)
            return true;
    }
    return false;
}

int
labctl_cmd_sub (labctl_t *ctx, int argc, char **argv)
{
    long count = -1;
    double timeout = -1;
    static struct option longopts[] = {
        { "count", required_argument, 0, 'n' }, { "timeout", required_argument, 0, 't' },
        { "json", no_argument, 0, 'j' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    int opt;
    while ((opt = getopt_long (argc, argv, "n:t:h", longopts, NULL)) != -1) {
        switch (opt) {
            case 'n':
                if (labctl_parse_long ("--count", optarg, 1, LONG_MAX, &count))
                    return BUS_EUSAGE;
                break;
            case 't':
                if (labctl_parse_double ("--timeout", optarg, 0, 1e9, &timeout))
                    return BUS_EUSAGE;
                break;
            case 'j': ctx->json = true; break;
            case 'h':
                printf ("usage: labctl sub [PATTERN...] [--count N] [--timeout SECONDS] [--json]\n"
                        "Prints live messages whose topic starts with PATTERN (all when none);\n"
                        "a pattern with * ? [ is matched as a glob against the whole topic\n"
                        "(tel.*.board-a). The current value of matching state.* topics comes first.\n"
                        "Exits after N messages or SECONDS (status 4 when the time ran out\n"
                        "before N messages arrived), or on Ctrl-C.\n");
                return 0;
            default: return BUS_EUSAGE;
        }
    }
    bus_client_t *bus = labctl_bus (ctx);
    if (!bus)
        return BUS_ERROR;
    if (optind >= argc)
        bus_client_subscribe (bus, "");
    for (int i = optind; i < argc; i++)
        s_subscribe_pattern (bus, argv[i]);
    uint64_t deadline = timeout >= 0 ? bus_mono_ns () + (uint64_t) (timeout * 1e9) : UINT64_MAX;
    long seen = 0;
    while (!zsys_interrupted && (count < 0 || seen < count)) {
        uint64_t now = bus_mono_ns ();
        if (now >= deadline)
            break;
        int wait = deadline == UINT64_MAX ? 500 : (int) ((deadline - now) / 1000000ull);
        if (wait > 500)
            wait = 500;
        bus_msg_t *msg = bus_client_recv (bus, wait);
        if (!msg)
            continue;
        if (!s_topic_wanted (argc - optind, argv + optind, msg->topic)) {
            bus_msg_destroy (&msg);
            continue;
        }
        s_print (ctx, msg->topic, msg->env);
        bus_msg_destroy (&msg);
        seen++;
    }
    bus_counters_t c;
    bus_client_counters (bus, &c);
    if (c.gaps || c.malformed)
        fprintf (stderr, "labctl: %" PRIu64 " messages missing (seq gaps), %" PRIu64 " malformed\n",
                 c.gaps, c.malformed);
    return (count >= 0 && seen < count) ? BUS_ETIMEOUT : BUS_OK;
}

int
labctl_cmd_pub (labctl_t *ctx, int argc, char **argv)
{
    if (argc < 3 || !strcmp (argv[1], "--help")) {
        fprintf (argc < 3 ? stderr : stdout,
                 "usage: labctl pub TOPIC TEXT...\nPublishes TEXT (words joined by spaces) as a text message on TOPIC.\n");
        return argc < 3 ? BUS_EUSAGE : 0;
    }
    /* An empty topic would reach every subscriber of "" and no one else. */
    if (!*argv[1] || strpbrk (argv[1], " \t\r\n")) {
        fprintf (stderr, "labctl: pub: topic '%s' must be non-empty and without blanks\n", argv[1]);
        return BUS_EUSAGE;
    }
    bus_client_t *bus = labctl_bus (ctx);
    if (!bus)
        return BUS_ERROR;
    char text[8192] = "";
    size_t used = 0;
    for (int i = 2; i < argc; i++) {
        int w = snprintf (text + used, sizeof text - used, "%s%s", i > 2 ? " " : "", argv[i]);
        if (w < 0 || (size_t) w >= sizeof text - used) {
            fprintf (stderr, "labctl: message too long (max %zu bytes)\n", sizeof text - 1);
            return BUS_EUSAGE;
        }
        used += (size_t) w;
    }
    if (bus_client_publish_text (bus, argv[1], text)) {
        fprintf (stderr, "labctl: %s\n", bus_client_error (bus));
        return BUS_ERROR;
    }
    /* Wait until the broker has it: XPUB queues until the subscription is in. */
    for (int i = 0; i < 100 && !bus_client_connected (bus); i++)
        zclock_sleep (20);
    if (!bus_client_connected (bus)) {
        fprintf (stderr, "labctl: broker not reachable; message not delivered\n");
        return BUS_ENOTRUNNING;
    }
    return BUS_OK;
}

int
labctl_cmd_call (labctl_t *ctx, int argc, char **argv)
{
    if (argc < 3 || !strcmp (argv[1], "--help")) {
        fprintf (argc < 3 ? stderr : stdout,
                 "usage: labctl call SERVICE COMMAND [ARGS...]\n"
                 "Sends COMMAND to the service registered as SERVICE and prints its reply\n"
                 "(--json: the reply's JSON). Exit status is the reply's status.\n");
        return argc < 3 ? BUS_EUSAGE : 0;
    }
    return labctl_call_print (ctx, argv[1], argv[2], argc - 3, (const char *const *) argv + 3);
}

/* TEXT parsed as JSON, or null when it is missing or not JSON: a reply is
 * never pasted into our output as it came. */
static json_t *
s_json_or_null (const char *text)
{
    json_t *j = text && *text ? json_loads (text, JSON_DECODE_ANY, NULL) : NULL;
    return j ? j : json_null ();
}

/* status: the broker's view, then labd's service table when labd runs. */
int
labctl_cmd_status (labctl_t *ctx, int argc, char **argv)
{
    if (argc > 1) {
        bool help = argc == 2 && !strcmp (argv[1], "--help");
        fprintf (help ? stdout : stderr,
                 "usage: labctl status\nShows bus statistics, registered services and, when labd runs,\n"
                 "the state of every supervised service.\n");
        return help ? 0 : BUS_EUSAGE;
    }
    bus_client_t *bus = labctl_bus (ctx);
    Lab__CommandReply *reply = NULL;
    int rc = bus ? bus_client_call (bus, "labbus", "status", 0, NULL, ctx->timeout_ms, &reply)
                 : BUS_ENOTRUNNING;
    if (rc != BUS_OK) {
        /* No bus: labd's table through its control socket, if labd runs. */
        if (bus)
            fprintf (stderr, "labctl: broker: %s\n", bus_client_error (bus));
        if (!ctx->json)
            printf ("bus: not answering\n\n");
        char *message = NULL, *json = NULL;
        int crc = labctl_ctl_call (ctx, "status", NULL, ctx->timeout_ms, &message, &json);
        if (ctx->json) {
            json_t *o = json_pack ("{s:n,s:o}", "bus", "labd", s_json_or_null (crc == BUS_OK ? json : NULL));
            char *text = o ? json_dumps (o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
            printf ("%s\n", text ? text : "{\"bus\":null,\"labd\":null}");
            free (text);
            json_decref (o);
        }
        else
            printf ("%s%s\n", crc == BUS_OK ? "" : "labd: ", message ? message : "");
        free (message);
        free (json);
        if (crc != BUS_OK)
            return bus ? rc : BUS_ENOTRUNNING;
        ctx->not_running = false;
        return BUS_OK;
    }
    json_t *j = json_loads (reply->json, 0, NULL);
    json_t *out = ctx->json ? json_object () : NULL;
    if (out)
        json_object_set (out, "bus", j ? j : json_null ());
    else if (j) {
        printf ("bus: up %.0f s, %" JSON_INTEGER_FORMAT " in / %" JSON_INTEGER_FORMAT
                " out, %" JSON_INTEGER_FORMAT " drops, %" JSON_INTEGER_FORMAT " malformed\n",
                json_real_value (json_object_get (j, "uptime_s")),
                json_integer_value (json_object_get (j, "msgs_in")),
                json_integer_value (json_object_get (j, "msgs_out")),
                json_integer_value (json_object_get (j, "drops")),
                json_integer_value (json_object_get (j, "malformed")));
        json_t *cache = json_object_get (j, "cache"), *snap = json_object_get (j, "snapshots");
        if (cache && snap)
            printf ("state cache: %" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT " topics, %" JSON_INTEGER_FORMAT
                    " bytes, %" JSON_INTEGER_FORMAT " evicted; snapshots: %" JSON_INTEGER_FORMAT " served, %"
                    JSON_INTEGER_FORMAT " refused; %" JSON_INTEGER_FORMAT " wrong bodies dropped\n",
                    json_integer_value (json_object_get (cache, "entries")),
                    json_integer_value (json_object_get (cache, "max_entries")),
                    json_integer_value (json_object_get (cache, "bytes")),
                    json_integer_value (json_object_get (cache, "evicted")),
                    json_integer_value (json_object_get (snap, "served")),
                    json_integer_value (json_object_get (snap, "refused")),
                    json_integer_value (json_object_get (j, "wrong_body")));
        json_t *ref = json_object_get (j, "names_refused");
        if (ref)
            printf ("names refused: %" JSON_INTEGER_FORMAT " held by another client, %" JSON_INTEGER_FORMAT
                    " unregistrations, %" JSON_INTEGER_FORMAT " wrong key, %" JSON_INTEGER_FORMAT
                    " over limits, %" JSON_INTEGER_FORMAT " bad names\n",
                    json_integer_value (json_object_get (ref, "taken")),
                    json_integer_value (json_object_get (ref, "unreg")),
                    json_integer_value (json_object_get (ref, "key")),
                    json_integer_value (json_object_get (ref, "limit")),
                    json_integer_value (json_object_get (ref, "bad_name")));
        json_t *svcs = json_object_get (j, "services");
        printf ("registered services: %zu\n", json_array_size (svcs));
        size_t i;
        json_t *s;
        json_array_foreach (svcs, i, s)
            printf ("  %-20s (from %s)\n", json_string_value (json_object_get (s, "name")),
                    json_string_value (json_object_get (s, "source")));
    }
    json_decref (j);
    lab__command_reply__free_unpacked (reply, NULL);
    /* labd's table, when the supervisor is running: over the bus, else
     * through its control socket (labd not yet registered with a broker
     * that just restarted). */
    rc = bus_client_call (bus, "labd", "status", 0, NULL, ctx->timeout_ms, &reply);
    if (rc == BUS_OK) {
        if (out) {
            /* A reply that is not JSON is shown as null, never pasted in. */
            json_object_set_new (out, "labd", s_json_or_null (reply->json));
        }
        else if (reply->message && *reply->message)
            printf ("\n%s\n", reply->message);
        lab__command_reply__free_unpacked (reply, NULL);
    }
    else {
        char *message = NULL, *json = NULL;
        int crc = labctl_ctl_call (ctx, "status", NULL, ctx->timeout_ms, &message, &json);
        if (out)
            json_object_set_new (out, "labd", s_json_or_null (crc == BUS_OK ? json : NULL));
        else if (crc == BUS_OK)
            printf ("\n%s\n", message);
        else
            printf ("\nlabd: %s\n", bus_client_error (bus));
        free (message);
        free (json);
    }
    if (out) {
        char *text = json_dumps (out, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf ("%s\n", text ? text : "{}");
        free (text);
        json_decref (out);
    }
    return BUS_OK;
}

/* ------------------------------------------------------------------ */

typedef struct {
    labctl_t *ctx;
    uint64_t since_ns;
    const char *prefix;
    long printed;
    long malformed;
} s_replay_t;

static int
s_replay_one (uint64_t ts_ns, const char *topic, const uint8_t *body, size_t len, void *arg)
{
    s_replay_t *r = (s_replay_t *) arg;
    if (ts_ns < r->since_ns || (r->prefix && strncmp (topic, r->prefix, strlen (r->prefix))))
        return 0;
    Lab__Envelope *env = lab__envelope__unpack (NULL, len, body);
    if (!env) {
        r->malformed++;
        return 0;
    }
    s_print (r->ctx, topic, env);
    lab__envelope__free_unpacked (env, NULL);
    r->printed++;
    return 0;
}

/* "300" or "5m" ago, or an absolute ISO time "2026-11-24T10:00:00". */
static int
s_parse_since (const char *text, uint64_t *out)
{
    struct tm tm = { 0 };
    const char *end = strptime (text, "%Y-%m-%dT%H:%M:%S", &tm);
    if (end && !*end) {
        tm.tm_isdst = -1;
        *out = (uint64_t) mktime (&tm) * 1000000000ull;
        return 0;
    }
    char *unit;
    double v = strtod (text, &unit);
    if (unit == text || v < 0)
        return -1;
    double scale = !*unit || !strcmp (unit, "s") ? 1 : !strcmp (unit, "m") ? 60 : !strcmp (unit, "h") ? 3600 : -1;
    if (scale < 0)
        return -1;
    uint64_t ago = (uint64_t) (v * scale * 1e9);
    uint64_t now = bus_now_ns ();
    *out = now > ago ? now - ago : 0;
    return 0;
}

int
labctl_cmd_replay (labctl_t *ctx, int argc, char **argv)
{
    s_replay_t r = { .ctx = ctx };
    const char *file = NULL;
    long files = -1;
    static struct option longopts[] = {
        { "since", required_argument, 0, 's' }, { "topic", required_argument, 0, 't' },
        { "file", required_argument, 0, 'f' }, { "files", required_argument, 0, 'n' },
        { "json", no_argument, 0, 'j' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    int opt;
    while ((opt = getopt_long (argc, argv, "s:t:f:h", longopts, NULL)) != -1) {
        switch (opt) {
            case 's':
                if (s_parse_since (optarg, &r.since_ns)) {
                    fprintf (stderr, "labctl: --since: '%s' is neither a duration (90, 5m, 2h) nor a time (2026-11-24T10:00:00)\n", optarg);
                    return BUS_EUSAGE;
                }
                break;
            case 't': r.prefix = optarg; break;
            case 'f': file = optarg; break;
            case 'n':
                if (labctl_parse_long ("--files", optarg, 1, 100, &files))
                    return BUS_EUSAGE;
                break;
            case 'j': ctx->json = true; break;
            case 'h':
                printf ("usage: labctl replay [--since 5m|ISO-TIME] [--topic PREFIX] [--file PATH] [--json]\n"
                        "Prints the broker's flight recorder, oldest first.\n");
                return 0;
            default: return BUS_EUSAGE;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "labctl: replay: unexpected argument '%s' (try --help)\n", argv[optind]);
        return BUS_EUSAGE;
    }
    char path[512];
    char err[1024];
    if (file)
        snprintf (path, sizeof path, "%s", file);
    else {
        const char *cfgpath = ctx->config_path ? ctx->config_path : "compose/lab.cfg";
        lab_config_t *cfg = lab_config_load (cfgpath, err, sizeof err);
        if (!cfg) {
            fprintf (stderr, "labctl: %s\n", err);
            return BUS_ERROR;
        }
        const char *p = lab_config_get (cfg, "bus/recorder/path", NULL);
        long n;
        if (files < 0 && !lab_config_int (cfg, zconfig_locate (lab_config_root (cfg), "bus/recorder"), "files",
                                          4, 1, 100, &n, err, sizeof err))
            files = n;
        snprintf (path, sizeof path, "%s", p ? p : "");
        lab_config_destroy (&cfg);
        if (!*path) {
            fprintf (stderr, "labctl: the config has no bus/recorder/path\n");
            return BUS_ERROR;
        }
    }
    long corrupt = 0;
    long n = bus_recorder_read (path, files > 0 ? (int) files : 4, s_replay_one, &r, &corrupt);
    if (n < 0) {
        fprintf (stderr, "labctl: no flight recorder at %s\n", path);
        return BUS_ENOTFOUND;
    }
    if (corrupt || r.malformed)
        fprintf (stderr, "labctl: %ld damaged records, %ld malformed envelopes skipped\n", corrupt, r.malformed);
    return BUS_OK;
}
