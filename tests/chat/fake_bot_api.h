/* fake_bot_api - a Telegram Bot API server for the chat tests, on loopback
 * (libmicrohttpd), built from the Bot API documentation as published at
 * https://core.telegram.org/bots/api (Bot API 7.x):
 * - "getUpdates": updates with an id below `offset` are forgotten for good
 *   ("An update is considered confirmed as soon as getUpdates is called with
 *   an offset higher than its update_id"); at most `limit` (default 100) per
 *   answer; a long poll that returns as soon as there are updates, else after
 *   `timeout` seconds with an empty result.
 * - "sendMessage": JSON body with chat_id and text; text must be 1-4096
 *   characters after entities parsing (counted in UTF-16 code units, like the
 *   entity offsets), else HTTP 400 "Bad Request: message is too long" /
 *   "message text is empty".
 * - "Making requests": answers are {"ok":true,"result":...} or
 *   {"ok":false,"error_code":N,"description":...}; flood control is HTTP 429
 *   with "parameters":{"retry_after":N} ("ResponseParameters").
 * - And what the documentation does not describe but every client meets:
 *   a 502 from the front end as an HTML page (nginx's), and a request that is
 *   never answered (the client has to give up).
 * Faults are armed per method for the next N requests. */
#ifndef FAKE_BOT_API_H
#define FAKE_BOT_API_H

#include <stdbool.h>
#include <stdint.h>

typedef struct _fake_api_t fake_api_t;

typedef enum { FAKE_OK = 0, FAKE_429, FAKE_502, FAKE_HANG } fake_fault_t;

fake_api_t *fake_api_new (const char *token);
void fake_api_destroy (fake_api_t **self_p);
int fake_api_port (fake_api_t *self);

/* Queues a private text message from user FROM (chat = FROM), sent at DATE
 * (0: now). Returns its update_id. */
int64_t fake_api_message (fake_api_t *self, long long from, const char *text, int64_t date);
/* Queues one update given as raw JSON text in which "%ID%" stands for its
 * update_id: the bytes go out exactly as given (NUL escapes, bytes that are
 * not UTF-8, lone surrogates), which is why this is not built with jansson. */
int64_t fake_api_raw (fake_api_t *self, const char *raw);

/* The next N getUpdates / sendMessage requests fail with FAULT (429 with
 * RETRY_AFTER seconds; HANG: held HANG_MS, then the connection is closed). */
void fake_api_fail_polls (fake_api_t *self, int n, fake_fault_t fault, int retry_after);
void fake_api_fail_sends (fake_api_t *self, int n, fake_fault_t fault, int retry_after);
void fake_api_set_hang_ms (fake_api_t *self, int ms);
/* While set, every sendMessage hangs (not delivered). */
void fake_api_hold_sends (fake_api_t *self, bool hold);

/* Messages delivered to CHAT whose text contains NEEDLE. */
int fake_api_sent (fake_api_t *self, const char *chat, const char *needle);
/* Messages delivered to CHAT whose text is exactly TEXT. */
int fake_api_sent_exact (fake_api_t *self, const char *chat, const char *text);
/* getUpdates requests so far, and how many arrived after monotonic ms T. */
int fake_api_polls (fake_api_t *self);
int fake_api_polls_since (fake_api_t *self, uint64_t t_ms);
/* sendMessage requests so far (answered or not). */
int fake_api_send_requests (fake_api_t *self);
/* Updates still held (not yet confirmed by a higher offset). */
int fake_api_pending (fake_api_t *self);
/* sendMessage requests refused with 400 (too long, empty). */
int fake_api_bad_requests (fake_api_t *self);

uint64_t fake_api_ms (void);

#endif
