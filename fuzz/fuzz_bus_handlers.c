/* fuzz_bus_handlers - untrusted envelopes on any topic through what a
 * service does with a bus message: the client's ingress check
 * (bus_msg_decode: unpack, source, the topic's body type), then the handlers
 * that run in the web service (JSON for the page, /metrics), chat-gateway's
 * (its state cache, alerts and /watch; fed even what the ingress check
 * refused, as a replay or an untyped path could) and the typed body accessor
 * every consumer reads through. Input: the topic up to the first
 * newline, then the packed envelope. Asserts that any JSON produced parses
 * and that no accessor hands out a body of another case. */
#include "bus/bus_client.h"
#include "bus/bus_json.h"
#include "services/chat-gateway/chat_gateway.h"
#include "services/web/web_metrics.h"
#include <stdlib.h>
#include <string.h>

static web_metrics_t *s_metrics;
static chat_gw_t *s_chat;
static lab_config_t *s_chat_cfg;

/* chat-gateway with no bus (it only reads what it is handed) and no logs. */
static void
s_chat_init (void)
{
    char err[256];
    s_chat_cfg = lab_config_load_str ("chat\n    watch_every = \"1s\"\n", "fuzz.cfg", err, sizeof err);
    s_chat = s_chat_cfg ? chat_gw_new (s_chat_cfg, NULL, err, sizeof err) : NULL;
}

static void
s_chat_feed (const char *topic, const uint8_t *data, size_t size)
{
    Lab__Envelope *env = lab__envelope__unpack (NULL, size, data);
    if (!env || !s_chat)
        goto done;
    bus_msg_t m = { (char *) topic, env, NULL };
    chat_gw_on_bus (s_chat, &m);
    env = m.env;        /* the gateway keeps state.* envelopes (sets it NULL) */
    if (!strncmp (topic, "state.ota.", 10) && strlen (topic) < 80) {
        char cmd[100];
        snprintf (cmd, sizeof cmd, "/watch %s", topic + 10);
        free (chat_gw_handle (s_chat, "console", "console", "console", cmd));
    }
done:
    if (env)
        lab__envelope__free_unpacked (env, NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_metrics) {
        s_metrics = web_metrics_new ();
        s_chat_init ();
    }
    const uint8_t *nl = memchr (data, '\n', size);
    if (!nl)
        return 0;
    size_t tlen = (size_t) (nl - data);
    char *topic = strndup ((const char *) data, tlen);
    s_chat_feed (topic, nl + 1, size - tlen - 1);
    bus_msg_t *m = bus_msg_decode (topic, nl + 1, size - tlen - 1, NULL);
    free (topic);
    if (!m)
        return 0;
    if (!bus_topic_body_ok (m->topic, m->env))
        abort ();   /* the ingress check let a wrong body through */
    Lab__Envelope__BodyCase want = bus_topic_body (m->topic);
    for (unsigned i = 0; i < lab__envelope__descriptor.n_fields; i++) {
        Lab__Envelope__BodyCase c = (Lab__Envelope__BodyCase) lab__envelope__descriptor.fields[i].id;
        if (!(lab__envelope__descriptor.fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue;
        void *body = bus_msg_body (m, c);
        if (body && (c != m->env->body_case || (want && c != want)))
            abort ();
    }
    char *json = bus_json_envelope (m->topic, m->env);
    json_error_t err;
    json_t *back = json ? json_loads (json, 0, &err) : NULL;
    if (!back)
        abort ();   /* invalid JSON reached a reader */
    json_decref (back);
    free (json);
    web_metrics_update (s_metrics, m->topic, m->env);
    char *text = web_metrics_render (s_metrics, NULL);
    free (text);
    bus_msg_destroy (&m);
    return 0;
}
