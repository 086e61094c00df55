/* chat_fw - the firmware commands of the chat: /build RECIPE, /reflash
 * RECIPE BOARD, /diagnose BOARD [SPARE], /flash BOARD latest|HASH,
 * /ota push latest|HASH BOARD [VIA], /status BOARD, and the /watch text of
 * a builder job. Each is a call to the builder service (docs/builds.md);
 * the gateway keeps its rules (allow-list, admin, /yes) in front of them. */
#ifndef CHAT_FW_H
#define CHAT_FW_H

#include <stdbool.h>
#include <stddef.h>
#include "lab.pb-c.h"
#include "services/chat-gateway/chat_cmd.h"

/* Calls SERVICE COMMAND ARGS on the bus; the answer as chat text (freed by
 * the caller), "error: ..." or "X is not running" included. */
typedef char *(chat_fw_call_fn) (void *ctx, const char *service, const char *command, int argc,
                                 const char *const *args, int timeout_ms);

/* True for "latest" or a SHA-256 prefix (6 to 64 lower-case hex digits):
 * an image the builder keeps, rather than a file name. */
bool chat_fw_is_ref (const char *word);
/* True when C is a command this module answers (a /flash or /ota push of a
 * kept build, /status BOARD, /build, /reflash, /diagnose). */
bool chat_fw_handles (const chat_cmd_t *c);
/* The answer to C (caller frees). */
char *chat_fw_run (const chat_cmd_t *c, chat_fw_call_fn *call, void *ctx);
/* The progress line of a builder job's state for /watch; *OVER when the
 * job has ended. False when E is not a builder job. */
bool chat_fw_watch_text (const Lab__Envelope *e, char *text, size_t len, bool *over);

/* One line for /status's job list when E is a running builder job (its
 * length), else 0 and nothing written: ended jobs stay in the state cache. */
size_t chat_fw_job_line (const Lab__Envelope *e, char *out, size_t len);

#endif
