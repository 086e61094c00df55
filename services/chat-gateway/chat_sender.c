/* chat_sender - see chat_sender.h. The actor waits on its pipe between
 * attempts (never sleep(3)), and a transfer in progress is abandoned when
 * $TERM arrives, so stopping the gateway never waits for a hanging API. */
#include "services/chat-gateway/chat_sender.h"
#include "bus/lab_curl.h"
#include "services/chat-gateway/chat_updates.h"
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_BACKOFF_MAX_S 60
#define S_RETRY_AFTER_MAX_S 3600

typedef struct {
    uint64_t q;
    char *chat, *text;
    int attempts;
    int64_t first_ms;
} s_piece_t;

struct _chat_sender_t {
    char base[512], token[256];
    int timeout_s, give_up_s;
    zactor_t *actor;
};

typedef struct {
    chat_sender_t *opts;
    zsock_t *pipe;
    zlistx_t *queue;             /* s_piece_t, oldest first */
    bool term;
    CURL *curl;
} s_actor_t;

static void
s_piece_free (void **item)
{
    s_piece_t *p = (s_piece_t *) *item;
    free (p->chat);
    free (p->text);
    free (p);
    *item = NULL;
}

chat_send_verdict_t
chat_sender_judge (bool transport_ok, long status, const char *body, size_t len, int attempt, long *wait_s,
                   char *why, size_t whylen)
{
    int shift = attempt > 1 ? attempt - 1 : 0;
    long backoff = shift >= 6 ? S_BACKOFF_MAX_S : 1L << shift;
    *wait_s = 0;
    if (!transport_ok) {
        snprintf (why, whylen, "no answer (timeout or connection error)");
        *wait_s = backoff;
        return CHAT_SEND_RETRY;
    }
    char desc[160];
    long retry_after = chat_updates_api_error (body, len, desc, sizeof desc);
    if (status == 200) {
        json_t *r = body ? json_loadb (body, len, 0, NULL) : NULL;
        bool ok = json_is_true (json_object_get (r, "ok"));
        json_decref (r);
        snprintf (why, whylen, ok ? "delivered" : "HTTP 200 without ok: %s", desc);
        return ok ? CHAT_SEND_DELIVERED : CHAT_SEND_FAILED;
    }
    if (status == 429) {
        /* Flood control: wait as long as told (a missing value: back off). */
        *wait_s = retry_after > 0 ? (retry_after < S_RETRY_AFTER_MAX_S ? retry_after : S_RETRY_AFTER_MAX_S) : backoff;
        snprintf (why, whylen, "HTTP 429 (%s), retry after %ld s", desc, *wait_s);
        return CHAT_SEND_RETRY;
    }
    if (status >= 500) {
        *wait_s = backoff;
        snprintf (why, whylen, "HTTP %ld (%s)", status, desc);
        return CHAT_SEND_RETRY;
    }
    snprintf (why, whylen, "HTTP %ld (%s)", status, desc);
    return CHAT_SEND_FAILED;
}

/* Reads one command from the pipe: a piece to queue, or $TERM. */
static void
s_read_pipe (s_actor_t *a)
{
    zmsg_t *msg = zmsg_recv (a->pipe);
    if (!msg) {
        a->term = true;
        return;
    }
    char *cmd = zmsg_popstr (msg);
    if (cmd && !strcmp (cmd, "$TERM"))
        a->term = true;
    else if (cmd && !strcmp (cmd, "SEND") && zmsg_size (msg) == 3) {
        s_piece_t *p = (s_piece_t *) calloc (1, sizeof (s_piece_t));
        char *q = zmsg_popstr (msg);
        p->q = strtoull (q, NULL, 10);
        free (q);
        p->chat = zmsg_popstr (msg);
        p->text = zmsg_popstr (msg);
        p->first_ms = zclock_mono ();
        zlistx_add_end (a->queue, p);
    }
    free (cmd);
    zmsg_destroy (&msg);
}

/* While a request is in flight: take new pieces, and abandon on $TERM. */
static int
s_progress (void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void) dt; (void) dn; (void) ut; (void) un;
    s_actor_t *a = (s_actor_t *) arg;
    while (!a->term && (zsock_events (a->pipe) & ZMQ_POLLIN))
        s_read_pipe (a);
    return a->term ? 1 : 0;
}

/* One attempt at the oldest piece; returns the wait before the next attempt
 * in ms (0: go on at once). */
static int64_t
s_attempt (s_actor_t *a, s_piece_t *p)
{
    char url[1024];
    snprintf (url, sizeof url, "%s/bot%s/sendMessage", a->opts->base, a->opts->token);
    json_t *body = json_pack ("{s:s, s:s}", "chat_id", p->chat, "text", p->text);
    char *json = body ? json_dumps (body, JSON_COMPACT) : NULL;
    json_decref (body);
    char q[32];
    snprintf (q, sizeof q, "%llu", (unsigned long long) p->q);
    if (!json) {             /* the caller cleans text to UTF-8; this cannot be sent */
        zstr_sendx (a->pipe, "FAILED", q, "the text cannot be encoded as JSON", NULL);
        zlistx_first (a->queue);
        zlistx_delete (a->queue, zlistx_cursor (a->queue));
        return 0;
    }
    /* a sendMessage answer over 1 MB is not from the Bot API */
    lab_curl_buf_t b = { .max = 1u << 20 };
    struct curl_slist *h = curl_slist_append (NULL, "Content-Type: application/json");
    CURL *c = a->curl;
    curl_easy_reset (c);
    curl_easy_setopt (c, CURLOPT_URL, url);
    curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (c, CURLOPT_TIMEOUT, (long) a->opts->timeout_s);
    curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt (c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt (c, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, lab_curl_collect);
    curl_easy_setopt (c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt (c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt (c, CURLOPT_XFERINFOFUNCTION, s_progress);
    curl_easy_setopt (c, CURLOPT_XFERINFODATA, a);
    CURLcode rc = curl_easy_perform (c);
    long status = 0;
    curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all (h);
    free (json);
    if (a->term) {
        free (b.data);
        return 0;
    }
    p->attempts++;
    long wait_s = 0;
    char why[256];
    chat_send_verdict_t v = chat_sender_judge (rc == CURLE_OK, status, b.data, b.len, p->attempts, &wait_s, why,
                                               sizeof why);
    free (b.data);
    if (v == CHAT_SEND_RETRY && zclock_mono () + wait_s * 1000 - p->first_ms > (int64_t) a->opts->give_up_s * 1000) {
        char longer[300];
        snprintf (longer, sizeof longer, "given up after %d attempts: %s", p->attempts, why);
        snprintf (why, sizeof why, "%s", longer);
        v = CHAT_SEND_FAILED;
    }
    if (v == CHAT_SEND_RETRY) {
        char secs[32];
        snprintf (secs, sizeof secs, "%ld", wait_s);
        zstr_sendx (a->pipe, "RETRYING", q, secs, why, NULL);
        return wait_s * 1000;
    }
    zstr_sendx (a->pipe, v == CHAT_SEND_DELIVERED ? "DELIVERED" : "FAILED", q, why, NULL);
    zlistx_first (a->queue);
    zlistx_delete (a->queue, zlistx_cursor (a->queue));
    return 0;
}

static void
s_sender (zsock_t *pipe, void *arg)
{
    s_actor_t a = { (chat_sender_t *) arg, pipe, zlistx_new (), false, curl_easy_init () };
    zlistx_set_destructor (a.queue, s_piece_free);
    zsock_signal (pipe, 0);
    int64_t next_ms = 0;
    zpoller_t *poller = zpoller_new (pipe, NULL);
    /* A signal to the process is the main loop's business; this actor stops
     * on $TERM only, so the pipe always has a reader. */
    zpoller_set_nonstop (poller, true);
    while (!a.term) {
        int64_t now = zclock_mono ();
        int timeout = -1;
        if (zlistx_size (a.queue))
            timeout = next_ms > now ? (int) (next_ms - now) : 0;
        if (timeout != 0) {
            if (zpoller_wait (poller, timeout))
                s_read_pipe (&a);
            continue;
        }
        /* Take what arrived meanwhile, then one attempt at the oldest. */
        while (!a.term && (zsock_events (pipe) & ZMQ_POLLIN))
            s_read_pipe (&a);
        if (a.term)
            break;
        s_piece_t *p = (s_piece_t *) zlistx_first (a.queue);
        next_ms = zclock_mono () + s_attempt (&a, p);
    }
    zpoller_destroy (&poller);
    curl_easy_cleanup (a.curl);
    zlistx_destroy (&a.queue);
}

chat_sender_t *
chat_sender_new (const chat_sender_opts_t *o)
{
    chat_sender_t *self = (chat_sender_t *) calloc (1, sizeof (chat_sender_t));
    snprintf (self->base, sizeof self->base, "%s", o->base_url);
    snprintf (self->token, sizeof self->token, "%s", o->token);
    self->timeout_s = o->timeout_s > 0 ? o->timeout_s : 15;
    self->give_up_s = o->give_up_s > 0 ? o->give_up_s : 3600;
    self->actor = zactor_new (s_sender, self);
    return self;
}

void
chat_sender_destroy (chat_sender_t **self_p)
{
    chat_sender_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->actor);
    memset (self->token, 0, sizeof self->token);
    free (self);
    *self_p = NULL;
}

zactor_t *chat_sender_actor (chat_sender_t *self) { return self->actor; }

void
chat_sender_push (chat_sender_t *self, uint64_t q, const char *chat, const char *text)
{
    char id[32];
    snprintf (id, sizeof id, "%llu", (unsigned long long) q);
    zstr_sendx (self->actor, "SEND", id, chat, text, NULL);
}
