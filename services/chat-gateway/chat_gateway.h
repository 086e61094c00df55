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

typedef struct _chat_gw_t chat_gw_t;

/* Sends TEXT to CHAT on TRANSPORT ("telegram"); set by the transport. */
typedef void (chat_send_fn) (void *ctx, const char *chat, const char *text);

chat_gw_t *chat_gw_new (lab_config_t *cfg, bus_client_t *bus, char *err, size_t errlen);
void chat_gw_destroy (chat_gw_t **self_p);
void chat_gw_set_sender (chat_gw_t *self, chat_send_fn *fn, void *ctx);

/* Handles one message. Returns the reply (caller frees), or NULL when the
 * sender gets nothing (not allowed, and no refusal text configured). The
 * console transport passes SENDER "console" (the local user, trusted). */
char *chat_gw_handle (chat_gw_t *self, const char *transport, const char *sender, const char *chat,
                      const char *text);
/* Bus messages the gateway subscribed to (state cache, alerts, watches). */
void chat_gw_on_bus (chat_gw_t *self, bus_msg_t *msg);
/* Timers: watches, expired confirmations. */
void chat_gw_tick (chat_gw_t *self);

/* Splits TEXT into pieces of at most MAX bytes, at line ends where it can.
 * Returns the number of pieces written to OUT (each malloc'd). */
int chat_split (const char *text, size_t max, char **out, int max_pieces);

#endif
