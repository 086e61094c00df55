/* chat-gateway - the lab from a phone (Telegram) or the local console. */
#include "services/chat-gateway/chat_gateway.h"
#include "services/chat-gateway/chat_telegram.h"
#include "bus/bus_service.h"
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    chat_gw_t *gw;
    bus_request_t *rq[32];
    char *text[32];
    int n;
} console_queue_t;

/* Console requests are answered from the main loop, not inside the bus
 * handler, because answering calls other services over the same client. */
static void
s_console (bus_request_t *rq, void *arg)
{
    console_queue_t *q = (console_queue_t *) arg;
    const Lab__CommandRequest *c = bus_request_command (rq);
    if (c && !strcmp (c->command, "counters")) {
        char *json = chat_gw_counters_json (q->gw);
        bus_request_reply (rq, json ? BUS_OK : BUS_ERROR, json, "%s", json ? json : "out of memory");
        free (json);
        return;
    }
    if (!c || strcmp (c->command, "console") || c->n_args < 1) {
        bus_request_reply (rq, BUS_EUSAGE, NULL, "chat-gateway: console TEXT | counters");
        return;
    }
    if (q->n == 32) {
        bus_request_reply (rq, BUS_EBUSY, NULL, "chat-gateway is busy");
        return;
    }
    char text[4200] = "";
    for (size_t i = 0; i < c->n_args; i++) {
        strncat (text, c->args[i], sizeof text - strlen (text) - 2);
        if (i + 1 < c->n_args)
            strcat (text, " ");
    }
    q->text[q->n] = strdup (text);
    q->rq[q->n++] = bus_request_keep (rq);
}

static void
s_tg_send (void *ctx, const char *chat, const char *text)
{
    chat_tg_send ((chat_tg_t *) ctx, chat, text);
}

/* The token from a file or an environment variable; never from argv. */
static int
s_token (lab_config_t *cfg, char *out, size_t len)
{
    const char *file = lab_config_get (cfg, "chat/telegram/token_file", NULL);
    const char *env = lab_config_get (cfg, "chat/telegram/token_env", "TELEGRAM_BOT_TOKEN");
    out[0] = 0;
    if (file) {
        FILE *f = fopen (file, "r");
        if (!f)
            return -1;
        if (!fgets (out, (int) len, f))
            out[0] = 0;
        fclose (f);
        out[strcspn (out, " \r\n")] = 0;
    }
    else if (getenv (env))
        snprintf (out, len, "%s", getenv (env));
    return 0;
}

/* The Telegram transport from chat/telegram; NULL with ERR set when it
 * cannot start (its journal cannot be opened). */
static chat_tg_t *
s_telegram (lab_config_t *cfg, chat_gw_t *gw, const char *token, char *err, size_t errlen)
{
    const char *state = lab_config_get (cfg, "lab/state", "var/state");
    mkdir (state, 0755);
    char journal[1024];
    snprintf (journal, sizeof journal, "%s/chat-journal", state);
    long poll = 50, send_timeout = 15000, give_up = 3600000;
    zconfig_t *t = zconfig_locate (lab_config_root (cfg), "chat/telegram");
    if (lab_config_int (cfg, t, "poll_timeout", 50, 1, 120, &poll, err, errlen)
        || lab_config_duration_ms (cfg, t, "send_timeout", 15000, &send_timeout, err, errlen)
        || lab_config_duration_ms (cfg, t, "send_give_up", 3600000, &give_up, err, errlen))
        return NULL;
    chat_tg_opts_t o = { lab_config_get (cfg, "chat/telegram/base_url", "https://api.telegram.org"), token, journal,
                         (int) poll, (int) (send_timeout + 999) / 1000, (int) (give_up / 1000) };
    return chat_tg_new (&o, gw, err, errlen);
}

int
main (int argc, char **argv)
{
    int code = 0;
    const char *config = bus_service_args (argc, argv,
                                           "usage: chat-gateway [-c CONFIG]\n  The token comes from chat/telegram/token_file "
                                           "or the environment variable named by chat/telegram/token_env.\n",
                                           &code);
    if (!config)
        return code;
    zsys_set_logident ("chat-gateway");
    char err[512] = "";
    lab_config_t *cfg = NULL;
    bus_client_t *bus = bus_service_connect (config, "chat-gateway", &cfg, err, sizeof err);
    if (!bus) {
        fprintf (stderr, "chat-gateway: %s\n", err);
        return 1;
    }
    chat_gw_t *gw = chat_gw_new (cfg, bus, err, sizeof err);
    if (!gw) {
        fprintf (stderr, "chat-gateway: %s\n", err);
        return 1;
    }
    console_queue_t q = { gw, { 0 }, { 0 }, 0 };
    bus_client_serve (bus, "chat-gateway", s_console, &q);
    char token[256];
    if (s_token (cfg, token, sizeof token)) {
        fprintf (stderr, "chat-gateway: cannot read the token file\n");
        return 1;
    }
    bool telegram = token[0] != 0;
    chat_tg_t *tg = telegram ? s_telegram (cfg, gw, token, err, sizeof err) : NULL;
    memset (token, 0, sizeof token);
    if (telegram && !tg) {
        fprintf (stderr, "chat-gateway: %s\n", err);
        return 1;
    }
    if (tg)
        chat_gw_set_sender (gw, s_tg_send, tg);
    zsys_info ("chat-gateway: console%s", tg ? " and Telegram" : " only (no Telegram token configured)");
    bool busy = false;
    while (!zsys_interrupted) {
        zpoller_t *p = zpoller_new (bus_client_sub_sock (bus), bus_client_req_sock (bus), NULL);
        if (tg)
            chat_tg_add_to (tg, p);
        zpoller_wait (p, busy ? 0 : 200);
        zpoller_destroy (&p);
        bus_msg_t *m;
        while ((m = bus_client_recv (bus, 0))) {
            chat_gw_on_bus (gw, m);
            bus_msg_destroy (&m);
        }
        bus_client_tick (bus);
        for (int i = 0; i < q.n; i++) {
            char *reply = chat_gw_handle (gw, "console", "console", "console", q.text[i]);
            bus_request_reply (q.rq[i], BUS_OK, NULL, "%s", reply ? reply : "");
            free (reply);
            free (q.text[i]);
        }
        q.n = 0;
        busy = tg && chat_tg_work (tg);
        chat_gw_tick (gw);
    }
    chat_tg_destroy (&tg);
    chat_gw_destroy (&gw);
    bus_client_destroy (&bus);
    lab_config_destroy (&cfg);
    return 0;
}
