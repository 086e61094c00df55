/* chat_journal - what the gateway has received, run and still owes, on disk,
 * so that a crash (kill -9, power) neither loses nor repeats a message.
 *
 * The Bot API forgets an update once a getUpdates asks for a higher offset
 * (https://core.telegram.org/bots/api#getupdates), so the poller writes each
 * batch here and fsyncs it *before* it asks for the next offset; the main loop
 * takes updates from here, and records each one as done together with the
 * reply it produced, in one fsync'd line. On start the journal is replayed:
 * updates not done are handled again (a side-effecting command that had
 * started is not run twice: it is reported as interrupted), replies not yet
 * delivered are sent again, and /yes confirmations still open come back.
 *
 * The file is JSON lines (written with jansson), one record per write(2);
 * a line torn by a crash can only be the last one, whose batch was never
 * confirmed to Telegram, and is skipped. It is rewritten with only what is
 * still open when it grows past a bound. Thread-safe: the poller thread calls
 * chat_journal_receive, the main loop everything else. */
#ifndef CHAT_JOURNAL_H
#define CHAT_JOURNAL_H

#include "services/chat-gateway/chat_updates.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _chat_journal_t chat_journal_t;

/* Opens (creating) the journal at PATH and replays it. NULL with ERR set when
 * the file cannot be opened or written. */
chat_journal_t *chat_journal_open (const char *path, char *err, size_t errlen);
void chat_journal_destroy (chat_journal_t **self_p);

/* The getUpdates offset to ask for: one above the highest update written. */
int64_t chat_journal_next_offset (chat_journal_t *self);
/* Writes BATCH's updates at or above the next offset and fsyncs. Returns how
 * many were new, or -1 when the write failed (the offset does not move: the
 * Bot API keeps them). */
int chat_journal_receive (chat_journal_t *self, const chat_updates_t *batch);

/* The oldest update not yet taken, copied into OUT (free its text with
 * chat_update_clear); *STARTED says a side-effecting command from it had
 * begun before a crash. False when none is waiting. */
bool chat_journal_take (chat_journal_t *self, chat_update_t *out, bool *started);
/* A side-effecting command from update ID is about to run. */
int chat_journal_start (chat_journal_t *self, int64_t id);
/* Update ID is handled; REPLY (NULL: none) is owed to CHAT. One record. */
int chat_journal_done (chat_journal_t *self, int64_t id, const char *chat, const char *reply);
/* A message owed to CHAT that answers no update (alerts, watches). */
int chat_journal_send (chat_journal_t *self, const char *chat, const char *text);

/* The next owed message piece not yet handed out (at most 4096 characters,
 * valid UTF-8): its id, chat and text (caller frees). */
bool chat_journal_next_out (chat_journal_t *self, uint64_t *q, char *chat, size_t chatlen, char **text);
/* Owed piece Q was delivered, or given up on: no longer owed. */
int chat_journal_sent (chat_journal_t *self, uint64_t q);
/* How many pieces are still owed, and updates still waiting. */
size_t chat_journal_owed (chat_journal_t *self);
size_t chat_journal_waiting (chat_journal_t *self);

/* Open /yes confirmations: CHAT asked to run TEXT (as typed), until EXPIRES
 * (unix time). One per chat; a new one replaces the old. */
typedef struct {
    char chat[24], sender[24];
    char text[4200];
    int64_t expires;
} chat_journal_ask_t;
int chat_journal_ask (chat_journal_t *self, const chat_journal_ask_t *ask);
int chat_journal_ask_end (chat_journal_t *self, const char *chat);
/* Copies up to MAX open confirmations to OUT; returns how many. */
size_t chat_journal_asks (chat_journal_t *self, chat_journal_ask_t *out, size_t max);

/* Rewrites the file with only what is still open (fsync'd, then renamed). */
int chat_journal_compact (chat_journal_t *self);
/* Lines of the file that could not be read at open (a torn last write). */
int chat_journal_skipped (chat_journal_t *self);
/* Applies one journal line to the in-memory state (what a replay does for
 * each line); for the fuzz target. Returns 0 or -1 when it is not a record. */
int chat_journal_apply (chat_journal_t *self, const char *line, size_t len);

#endif
