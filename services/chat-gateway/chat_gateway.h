/* chat_gateway - the lab answers from a phone: text in (Telegram or the
 * local console), sender checked against the allow-list before anything
 * else, a strictly parsed command, the answer from the bus, an audit line.
 * Alerts from the bus go out to the notify chats, de-duplicated and
 * rate-limited. docs/chat.md. */
#ifndef CHAT_GATEWAY_H
#define CHAT_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include "bus/bus_client.h"
#include "services/chat-gateway/chat_journal.h"
#include "services/chat-gateway/chat_updates.h"

typedef struct _chat_gw_t chat_gw_t;

/* Sends TEXT to CHAT on TRANSPORT ("telegram"); set by the transport. */
typedef void (chat_send_fn) (void *ctx, const char *chat, const char *text);

chat_gw_t *chat_gw_new (lab_config_t *cfg, bus_client_t *bus, char *err, size_t errlen);
void chat_gw_destroy (chat_gw_t **self_p);
void chat_gw_set_sender (chat_gw_t *self, chat_send_fn *fn, void *ctx);

/* The journal that keeps /yes confirmations across a restart and marks a
 * side-effecting command as started (NULL: none, e.g. the console only).
 * Confirmations found in it come back; those that expired while the
 * gateway was down are reported to their chat as expired. */
void chat_gw_set_journal (chat_gw_t *self, chat_journal_t *journal);

/* Answers one Telegram update: the sender is checked first (a stranger gets
 * nothing at all, whatever the update), then the update's kind, age and
 * length; malformed and unhandled updates are counted and audited with their
 * id. STARTED: a side-effecting command from it began before a restart (it
 * is reported, not run again). Returns the reply (caller frees) or NULL. */
char *chat_gw_on_update (chat_gw_t *self, const chat_update_t *u, bool started);
/* An audit line for what became of outgoing piece Q (delivered, retrying,
 * failed). */
void chat_gw_audit_delivery (chat_gw_t *self, uint64_t q, const char *outcome, const char *detail);

typedef struct {
    uint64_t strangers;          /* updates from senders not on the allow-list */
    uint64_t malformed;          /* updates that could not be understood */
    uint64_t ignored;            /* updates of kinds not acted on (edits, callbacks ...) */
    uint64_t too_long;           /* texts over 4096 characters */
    uint64_t stale;              /* waited longer than stale_after */
    uint64_t interrupted;        /* side-effecting commands cut by a restart */
    uint64_t bus_mismatch;       /* bus messages whose body is not what their topic promises */
    uint64_t delivered, retrying, failed;   /* outgoing pieces */
} chat_gw_counters_t;
void chat_gw_counters (chat_gw_t *self, chat_gw_counters_t *out);
/* The counters as a JSON object (caller frees). */
char *chat_gw_counters_json (chat_gw_t *self);

/* Handles one message. Returns the reply (caller frees), or NULL when the
 * sender gets nothing (not allowed). The
 * console transport passes SENDER "console" (the local user, trusted). */
char *chat_gw_handle (chat_gw_t *self, const char *transport, const char *sender, const char *chat,
                      const char *text);
/* Bus messages the gateway subscribed to (state cache, alerts, watches). */
void chat_gw_on_bus (chat_gw_t *self, bus_msg_t *msg);
/* Timers: watches, expired confirmations. */
void chat_gw_tick (chat_gw_t *self);

#endif
