/* chat_telegram - see chat_telegram.h.
 *
 * Exactly once, step by step: the poller journals a batch (fsync) and only
 * then asks getUpdates for the offset above it, which is when the Bot API
 * forgets the batch; the main loop records an update as done together with
 * its reply in one journal line, and a reply as sent once the sender reports
 * it delivered. A crash between any two steps leaves the journal saying what
 * is still to do. The one window left is between a delivery and its record:
 * a reply can then be sent twice, never lost (sendMessage has no idempotency
 * key). */
#include "services/chat-gateway/chat_telegram.h"
#include "bus/lab_curl.h"
#include "services/chat-gateway/chat_journal.h"
#include "services/chat-gateway/chat_sender.h"
#include "services/chat-gateway/chat_updates.h"
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_UPDATES_PER_WORK 8     /* then the bus gets a turn */
#define S_BACKOFF_MAX_MS 30000
#define S_RETRY_AFTER_MAX_S 3600
/* Pieces handed to the sender and not yet finished. The actor's pipe holds
 * 1000 messages before a send would block the main loop; the journal holds
 * the rest. */
#define S_IN_FLIGHT_MAX 100

struct _chat_tg_t {
    char base[512], token[256];
    int poll_timeout_s;
    chat_gw_t *gw;
    chat_journal_t *journal;
    chat_sender_t *sender;
    zactor_t *poller;
    int in_flight;
};

/* --- the poller actor ------------------------------------------------------- */

typedef struct {
    chat_tg_t *tg;
    zsock_t *pipe;
    bool term;
} s_poll_t;

static void
s_poll_pipe (s_poll_t *p)
{
    char *cmd = zstr_recv (p->pipe);
    if (!cmd || !strcmp (cmd, "$TERM"))
        p->term = true;
    free (cmd);
}

/* A 50 s long poll is abandoned as soon as $TERM arrives. */
static int
s_poll_progress (void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void) dt; (void) dn; (void) ut; (void) un;
    s_poll_t *p = (s_poll_t *) arg;
    while (!p->term && (zsock_events (p->pipe) & ZMQ_POLLIN))
        s_poll_pipe (p);
    return p->term ? 1 : 0;
}

/* Waits MS on the pipe; true when $TERM came meanwhile. */
static bool
s_poll_wait (s_poll_t *p, int64_t ms)
{
    zpoller_t *poller = zpoller_new (p->pipe, NULL);
    zpoller_set_nonstop (poller, true);
    int64_t end = zclock_mono () + ms;
    while (!p->term && zclock_mono () < end)
        if (zpoller_wait (poller, (int) (end - zclock_mono ())))
            s_poll_pipe (p);
    zpoller_destroy (&poller);
    return p->term;
}

/* One getUpdates; returns the wait before the next in ms. */
static int64_t
s_poll_once (s_poll_t *p, CURL *curl, int *failures)
{
    chat_tg_t *tg = p->tg;
    char url[1024];
    snprintf (url, sizeof url, "%s/bot%s/getUpdates?timeout=%d&offset=%lld", tg->base, tg->token,
              tg->poll_timeout_s, (long long) chat_journal_next_offset (tg->journal));
    /* a reply over 8 MB is not from the Bot API */
    lab_curl_buf_t b = { .max = 8u << 20 };
    curl_easy_reset (curl);
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT, (long) tg->poll_timeout_s + 10);
    curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, lab_curl_collect);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, s_poll_progress);
    curl_easy_setopt (curl, CURLOPT_XFERINFODATA, p);
    CURLcode rc = curl_easy_perform (curl);
    long status = 0;
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    int64_t wait_ms = 0;
    char err[256] = "";
    if (p->term)
        ;
    else if (rc == CURLE_OK && status == 200) {
        chat_updates_t batch;
        int prc = chat_updates_parse (b.data ? b.data : "", b.len, &batch, err, sizeof err);
        /* Whatever could be read, even ids from an answer that is not JSON,
         * is journaled, so the offset moves past it. */
        int n = batch.n ? chat_journal_receive (tg->journal, &batch) : 0;
        if (n < 0) {
            zsys_error ("chat-gateway: cannot write the chat journal; updates stay with Telegram");
            wait_ms = 5000;
        }
        else if (n > 0)
            zstr_send (p->pipe, "NEW");
        if (prc && !batch.n) {
            zsys_warning ("chat-gateway: getUpdates answer skipped: %s", err);
            (*failures)++;
        }
        else if (n >= 0)
            *failures = 0;
        chat_updates_clear (&batch);
    }
    else {
        /* Never print the URL: it holds the token. */
        char desc[160] = "no answer";
        long retry_after = rc == CURLE_OK ? chat_updates_api_error (b.data, b.len, desc, sizeof desc) : 0;
        (*failures)++;
        if (status == 429 && retry_after > 0) {
            wait_ms = (retry_after < S_RETRY_AFTER_MAX_S ? retry_after : S_RETRY_AFTER_MAX_S) * 1000;
            zsys_info ("chat-gateway: getUpdates rate limited; waiting %ld s as asked", retry_after);
        }
        else
            zsys_warning ("chat-gateway: getUpdates failed (%s, HTTP %ld: %s); retrying",
                          rc == CURLE_OK ? "error answer" : curl_easy_strerror (rc), status, desc);
    }
    if (!wait_ms && *failures) {
        int shift = *failures < 7 ? *failures - 1 : 6;
        wait_ms = 500L << shift;
        if (wait_ms > S_BACKOFF_MAX_MS)
            wait_ms = S_BACKOFF_MAX_MS;
    }
    free (b.data);
    return wait_ms;
}

static void
s_poller (zsock_t *pipe, void *arg)
{
    s_poll_t p = { (chat_tg_t *) arg, pipe, false };
    zsock_signal (pipe, 0);
    CURL *curl = curl_easy_init ();
    int failures = 0;
    while (!p.term) {
        while (!p.term && (zsock_events (pipe) & ZMQ_POLLIN))
            s_poll_pipe (&p);
        if (p.term)
            break;
        int64_t wait_ms = s_poll_once (&p, curl, &failures);
        if (wait_ms > 0)
            s_poll_wait (&p, wait_ms);
    }
    curl_easy_cleanup (curl);
}

/* --- the main loop's share --------------------------------------------------- */

chat_tg_t *
chat_tg_new (const chat_tg_opts_t *o, chat_gw_t *gw, char *err, size_t errlen)
{
    chat_tg_t *self = (chat_tg_t *) calloc (1, sizeof (chat_tg_t));
    snprintf (self->base, sizeof self->base, "%s", o->base_url);
    snprintf (self->token, sizeof self->token, "%s", o->token);
    self->poll_timeout_s = o->poll_timeout_s > 0 ? o->poll_timeout_s : 50;
    self->gw = gw;
    self->journal = chat_journal_open (o->journal_path, err, errlen);
    if (!self->journal) {
        free (self);
        return NULL;
    }
    if (chat_journal_skipped (self->journal))
        zsys_warning ("chat-gateway: %d journal lines could not be read (a write torn by a crash) and were skipped",
                      chat_journal_skipped (self->journal));
    chat_gw_set_journal (gw, self->journal);
    chat_sender_opts_t so = { o->base_url, o->token, o->send_timeout_s, o->send_give_up_s };
    self->sender = chat_sender_new (&so);
    self->poller = zactor_new (s_poller, self);
    return self;
}

void
chat_tg_destroy (chat_tg_t **self_p)
{
    chat_tg_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->poller);
    chat_sender_destroy (&self->sender);
    if (self->gw)
        chat_gw_set_journal (self->gw, NULL);
    chat_journal_destroy (&self->journal);
    memset (self->token, 0, sizeof self->token);
    free (self);
    *self_p = NULL;
}

void
chat_tg_add_to (chat_tg_t *self, zpoller_t *poller)
{
    zpoller_add (poller, self->poller);
    zpoller_add (poller, chat_sender_actor (self->sender));
}

/* What the sender reports: the journal forgets delivered and failed pieces;
 * every outcome gets an audit line. */
static void
s_outcomes (chat_tg_t *self)
{
    zactor_t *actor = chat_sender_actor (self->sender);
    while (zsock_events (actor) & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv (actor);
        char *kind = msg ? zmsg_popstr (msg) : NULL, *q = msg ? zmsg_popstr (msg) : NULL;
        char *a = msg ? zmsg_popstr (msg) : NULL, *b = msg ? zmsg_popstr (msg) : NULL;
        if (kind && q && a) {
            uint64_t qid = strtoull (q, NULL, 10);
            if (!strcmp (kind, "RETRYING"))
                chat_gw_audit_delivery (self->gw, qid, "retrying", b ? b : "");
            else {
                chat_journal_sent (self->journal, qid);
                self->in_flight--;
                chat_gw_audit_delivery (self->gw, qid, !strcmp (kind, "DELIVERED") ? "delivered" : "failed", a);
            }
        }
        free (kind);
        free (q);
        free (a);
        free (b);
        zmsg_destroy (&msg);
    }
}

bool
chat_tg_work (chat_tg_t *self)
{
    while (zsock_events (self->poller) & ZMQ_POLLIN) {
        char *s = zstr_recv (self->poller);
        free (s);                /* "NEW": a wake-up; the journal holds the updates */
    }
    s_outcomes (self);
    chat_update_t u;
    bool started;
    for (int i = 0; i < S_UPDATES_PER_WORK && chat_journal_take (self->journal, &u, &started); i++) {
        char *reply = chat_gw_on_update (self->gw, &u, started);
        if (chat_journal_done (self->journal, u.id, u.chat, reply))
            zsys_error ("chat-gateway: cannot record update %lld as handled in the journal", (long long) u.id);
        free (reply);
        chat_update_clear (&u);
    }
    uint64_t q;
    char chat[24], *text;
    while (self->in_flight < S_IN_FLIGHT_MAX && chat_journal_next_out (self->journal, &q, chat, sizeof chat, &text)) {
        chat_sender_push (self->sender, q, chat, text);
        self->in_flight++;
        free (text);
    }
    return chat_journal_waiting (self->journal) > 0;
}

int
chat_tg_send (chat_tg_t *self, const char *chat, const char *text)
{
    return chat_journal_send (self->journal, chat, text);
}
