/* chat-gateway - the lab from a phone (Telegram) or the local console. */
#include "services/chat-gateway/chat_gateway.h"
#include "services/chat-gateway/chat_telegram.h"
#include "bus/bus_service.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
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
    if (!c || strcmp (c->command, "console") || c->n_args < 1) {
        bus_request_reply (rq, BUS_EUSAGE, NULL, "chat-gateway: console TEXT");
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
    console_queue_t q = { { 0 }, { 0 }, 0 };
    bus_client_serve (bus, "chat-gateway", s_console, &q);
    chat_tg_t *tg = NULL;
    char token[256];
    if (s_token (cfg, token, sizeof token)) {
        fprintf (stderr, "chat-gateway: cannot read the token file\n");
        return 1;
    }
    if (token[0]) {
        const char *state = lab_config_get (cfg, "lab/state", "var/state");
        mkdir (state, 0755);
        char offset[1024];
        snprintf (offset, sizeof offset, "%s/chat-offset", state);
        long poll = 50, stale = 600;
        zconfig_t *t = zconfig_locate (lab_config_root (cfg), "chat/telegram");
        lab_config_int (cfg, t, "poll_timeout", 50, 1, 120, &poll, err, sizeof err);
        lab_config_int (cfg, t, "stale_after", 600, 1, 86400, &stale, err, sizeof err);
        chat_tg_opts_t o = { lab_config_get (cfg, "chat/telegram/base_url", "https://api.telegram.org"), token,
                             offset, (int) poll, (int) stale };
        tg = chat_tg_new (&o);
        chat_gw_set_sender (gw, s_tg_send, tg);
        memset (token, 0, sizeof token);
    }
    zsys_info ("chat-gateway: console%s", tg ? " and Telegram" : " only (no Telegram token configured)");
    long stale_s = atol (lab_config_get (cfg, "chat/telegram/stale_after", "600"));
    while (!zsys_interrupted) {
        zpoller_t *p = zpoller_new (bus_client_sub_sock (bus), bus_client_req_sock (bus), NULL);
        if (tg)
            zpoller_add (p, chat_tg_actor (tg));
        void *which = zpoller_wait (p, 200);
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
        if (tg && which == chat_tg_actor (tg)) {
            zmsg_t *msg = zmsg_recv (chat_tg_actor (tg));
            char *kind = msg ? zmsg_popstr (msg) : NULL;
            char *id = msg ? zmsg_popstr (msg) : NULL;
            if (kind && !strcmp (kind, "UPDATE") && zmsg_size (msg) == 4) {
                char *sender = zmsg_popstr (msg), *chat = zmsg_popstr (msg), *age = zmsg_popstr (msg),
                     *text = zmsg_popstr (msg);
                char *reply = NULL;
                if (atol (age) > stale_s)
                    reply = strdup ("(ignored: this message waited too long while the lab was down; send it again)");
                else
                    reply = chat_gw_handle (gw, "telegram", sender, chat, text);
                if (reply)
                    chat_tg_send (tg, chat, reply);
                free (reply);
                free (sender);
                free (chat);
                free (age);
                free (text);
            }
            else if (kind && !strcmp (kind, "BAD"))
                zsys_warning ("chat-gateway: skipped a malformed update");
            if (id && atoll (id) >= 0)
                chat_tg_commit (tg, atoll (id));
            free (kind);
            free (id);
            zmsg_destroy (&msg);
        }
        chat_gw_tick (gw);
    }
    chat_tg_destroy (&tg);
    chat_gw_destroy (&gw);
    bus_client_destroy (&bus);
    lab_config_destroy (&cfg);
    return 0;
}
