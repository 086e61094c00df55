/* chat_telegram - the Telegram Bot API transport, put together: getUpdates
 * long polling in a background actor that writes every batch to the journal
 * (fsync'd) before it asks for the next offset; the main loop's share of the
 * work (take journaled updates, have the gateway answer them, record them as
 * done with their replies, hand owed replies to the sender actor, record what
 * the sender reports); and sends that never block. A getUpdates 429 waits
 * its retry_after. The token is never logged: URLs that contain it are never
 * printed. docs/chat.md. */
#ifndef CHAT_TELEGRAM_H
#define CHAT_TELEGRAM_H

#include "services/chat-gateway/chat_gateway.h"
#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _chat_tg_t chat_tg_t;

typedef struct {
    const char *base_url;        /* https://api.telegram.org or a test server */
    const char *token;
    const char *journal_path;
    int poll_timeout_s;          /* getUpdates timeout (long poll) */
    int send_timeout_s;          /* one sendMessage request */
    int send_give_up_s;          /* an undelivered reply fails after this */
} chat_tg_opts_t;

/* Opens the journal (replaying it) and starts polling and sending; replies
 * owed from before a restart go out first. GW answers the updates. NULL with
 * ERR set when the journal cannot be opened. */
chat_tg_t *chat_tg_new (const chat_tg_opts_t *opts, chat_gw_t *gw, char *err, size_t errlen);
void chat_tg_destroy (chat_tg_t **self_p);
/* Adds the actors' pipes to the caller's poller: when one is readable, call
 * chat_tg_work. */
void chat_tg_add_to (chat_tg_t *self, zpoller_t *poller);
/* Does what is due without waiting. Returns true when updates are still
 * waiting (call again soon, after serving the bus). */
bool chat_tg_work (chat_tg_t *self);
/* Queues TEXT for CHAT (journaled first; split as needed). Returns 0 or -1. */
int chat_tg_send (chat_tg_t *self, const char *chat, const char *text);

#endif
