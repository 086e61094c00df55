/* chat_telegram - the Telegram Bot API transport: getUpdates long polling in
 * a background actor (so a 50 s poll never holds up the bus loop),
 * sendMessage from the caller's thread with splitting at 4096 characters and
 * HTTP 429 retry_after honoured. The offset of the next update is persisted
 * once an update has been handled, so a restart neither loses nor repeats a
 * message. The token is never logged: URLs that contain it are never
 * printed. */
#ifndef CHAT_TELEGRAM_H
#define CHAT_TELEGRAM_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _chat_tg_t chat_tg_t;

typedef struct {
    const char *base_url;        /* https://api.telegram.org or a test server */
    const char *token;
    const char *offset_path;
    int poll_timeout_s;          /* getUpdates timeout (long poll) */
    int stale_s;                 /* messages older than this at start are ignored */
} chat_tg_opts_t;

chat_tg_t *chat_tg_new (const chat_tg_opts_t *opts);
void chat_tg_destroy (chat_tg_t **self_p);
/* The actor's pipe: each update arrives as "UPDATE" id sender chat age_s text,
 * or "BAD" reason for one that was malformed (already skipped). */
zactor_t *chat_tg_actor (chat_tg_t *self);
/* Records update ID as handled (persists ID + 1). */
void chat_tg_commit (chat_tg_t *self, int64_t id);
/* Sends TEXT to CHAT (split as needed). Returns 0 or -1. */
int chat_tg_send (chat_tg_t *self, const char *chat, const char *text);

/* Parses one getUpdates response body; calls ON for every usable update.
 * Returns the highest update_id seen (or -1), and counts malformed ones. */
typedef void (chat_tg_update_fn) (void *ctx, int64_t id, const char *sender, const char *chat,
                                   int64_t date, const char *text);
int64_t chat_tg_parse_updates (const char *body, chat_tg_update_fn *on, void *ctx, int *malformed);

#endif
