/* chat_sender - the outgoing queue: sendMessage in a background actor, so a
 * slow, throttled or hanging Bot API never holds up the main loop (labd would
 * take a loop that stops heartbeating for a hung service and kill it).
 *
 * Pieces are sent in the order they were pushed. A 429 waits the
 * parameters.retry_after it names (https://core.telegram.org/bots/api#responseparameters),
 * 5xx answers, timeouts and connection errors back off (1, 2, 4 ... 60 s),
 * other errors (400 bad request, 403 blocked by the user) fail at once, and a
 * piece still not delivered after give_up_s fails. Each outcome comes back
 * on the actor's pipe, for the journal and the audit line:
 *   "DELIVERED" q          "RETRYING" q seconds reason          "FAILED" q reason
 * Persistence is the caller's: it pushes pieces it has journaled and records
 * them as sent when they come back DELIVERED or FAILED. */
#ifndef CHAT_SENDER_H
#define CHAT_SENDER_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _chat_sender_t chat_sender_t;

typedef struct {
    const char *base_url;
    const char *token;
    int timeout_s;               /* one sendMessage request */
    int give_up_s;               /* a piece not delivered after this fails */
} chat_sender_opts_t;

chat_sender_t *chat_sender_new (const chat_sender_opts_t *opts);
void chat_sender_destroy (chat_sender_t **self_p);
zactor_t *chat_sender_actor (chat_sender_t *self);
/* Queues piece Q (at most 4096 characters) for CHAT. */
void chat_sender_push (chat_sender_t *self, uint64_t q, const char *chat, const char *text);

typedef enum { CHAT_SEND_DELIVERED, CHAT_SEND_RETRY, CHAT_SEND_FAILED } chat_send_verdict_t;
/* What to do after one attempt: TRANSPORT_OK false for a timeout or a
 * connection error, else HTTP STATUS and BODY. ATTEMPT counts from 1.
 * *WAIT_S is set for RETRY; WHY says what happened. */
chat_send_verdict_t chat_sender_judge (bool transport_ok, long status, const char *body, size_t len, int attempt,
                                       long *wait_s, char *why, size_t whylen);

#endif
