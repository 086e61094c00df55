/* chat_updates - a Telegram getUpdates answer, decoded defensively.
 *
 * Whatever one update holds (a NUL as \u0000, bytes that are not UTF-8, a
 * lone UTF-16 surrogate such as a cut emoji, a missing field, a type the
 * gateway does not handle), it comes out as one chat_update_t with its id, so
 * the caller can always move the offset past it: the Bot API only forgets an
 * update once a later getUpdates asks for an offset above its id
 * (https://core.telegram.org/bots/api#getupdates). An update that cannot be
 * understood is MALFORMED with the reason; the others of the same answer are
 * unaffected. Answers that are not JSON at all are scanned for update ids, so
 * even those cannot hold the line. */
#ifndef CHAT_UPDATES_H
#define CHAT_UPDATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    CHAT_UPDATE_MESSAGE,         /* a text message: sender, chat, date, text */
    CHAT_UPDATE_TOO_LONG,        /* a text over CHAT_TEXT_UNITS_MAX; units says how long */
    CHAT_UPDATE_OTHER,           /* an update the gateway does not act on; what names it */
    CHAT_UPDATE_MALFORMED        /* cannot be understood; what says why */
} chat_update_kind_t;

typedef struct {
    int64_t id;
    chat_update_kind_t kind;
    char sender[24];             /* decimal user id; "" when unknown */
    char chat[24];               /* decimal chat id; "" when unknown */
    int64_t date;                /* unix time the message was sent; 0 when unknown */
    size_t units;                /* text length in UTF-16 code units */
    char *text;                  /* MESSAGE only: valid UTF-8, no NUL (malloc'd) */
    char what[96];
} chat_update_t;

typedef struct {
    chat_update_t *items;
    size_t n;
    int64_t hi;                  /* highest update id seen, -1 when none */
} chat_updates_t;

/* Decodes BODY[0..LEN) (need not be terminated). Returns 0 with OUT filled
 * (possibly empty), or -1 when the body is not a successful getUpdates
 * answer; OUT may still hold MALFORMED entries for ids found in it, and
 * ERR says what was wrong. */
int chat_updates_parse (const char *body, size_t len, chat_updates_t *out, char *err, size_t errlen);
void chat_updates_clear (chat_updates_t *self);
void chat_update_clear (chat_update_t *u);

/* Reads a Bot API error answer ({"ok":false,"error_code":429,
 * "description":..., "parameters":{"retry_after":N}}, see
 * https://core.telegram.org/bots/api#making-requests and
 * #responseparameters). Returns retry_after in seconds (0 when absent) and
 * copies the description (or "not a Bot API answer") to DESC. */
long chat_updates_api_error (const char *body, size_t len, char *desc, size_t desclen);

#endif
