/* chat_cmd - the closed set of chat commands, parsed strictly. Text that is
 * not one of them gets the help; nothing is ever passed to a shell. */
#ifndef CHAT_CMD_H
#define CHAT_CMD_H

#include <stdbool.h>
#include <stddef.h>

#define CHAT_ARGS_MAX 4
#define CHAT_ARG_LEN 128
#define CHAT_TEXT_MAX 4096         /* bytes kept of a command's text (commands are ASCII names) */

typedef enum {
    CHAT_HELP, CHAT_STATUS, CHAT_TAIL, CHAT_PINGPONG, CHAT_RSSI, CHAT_OTA_PUSH, CHAT_OTA_STATUS,
    CHAT_EVAL_RUN, CHAT_EVAL_STATUS, CHAT_EVAL_DECIDE, CHAT_RESTART, CHAT_STOP, CHAT_FLASH, CHAT_WATCH,
    CHAT_YES, CHAT_NO, CHAT_BUILD, CHAT_REFLASH, CHAT_DIAGNOSE, CHAT_UNKNOWN
} chat_kind_t;

typedef struct {
    chat_kind_t kind;
    int argc;
    char argv[CHAT_ARGS_MAX][CHAT_ARG_LEN];
    char error[256];             /* set when the text is a command used wrongly */
} chat_cmd_t;

/* Parses TEXT. Returns 0 with CMD filled, or -1 with CMD->error saying what
 * was wrong (kind CHAT_UNKNOWN for free text). */
int chat_cmd_parse (const char *text, chat_cmd_t *cmd);
/* Commands with side effects: admin-only and confirmed first. */
bool chat_cmd_is_admin (chat_kind_t kind);
const char *chat_cmd_name (chat_kind_t kind);
const char *chat_cmd_help (void);

#endif
