/* chat_cmd - see chat_cmd.h. */
#include "services/chat-gateway/chat_cmd.h"
#include "services/chat-gateway/chat_text.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *word, *sub;
    chat_kind_t kind;
    int min, max;
    bool admin;
    const char *usage;
} s_spec_t;

static const s_spec_t s_specs[] = {
    { "/help", NULL, CHAT_HELP, 0, 0, false, "/help" },
    { "/start", NULL, CHAT_HELP, 0, 0, false, "/start" },
    { "/status", NULL, CHAT_STATUS, 0, 1, false, "/status [BOARD] — services, boards, jobs; a board with its firmware history" },
    { "/tail", NULL, CHAT_TAIL, 1, 2, false, "/tail BOARD [N] — last N lines of a board (default 10)" },
    { "/pingpong", NULL, CHAT_PINGPONG, 2, 3, false, "/pingpong A B [COUNT] — ESP-NOW ping-pong" },
    { "/rssi", NULL, CHAT_RSSI, 0, 0, false, "/rssi — distance per link" },
    { "/ota", "push", CHAT_OTA_PUSH, 2, 3, true, "/ota push IMAGE|latest|HASH BOARD [VIA] — firmware over ESP-NOW" },
    { "/ota", "status", CHAT_OTA_STATUS, 0, 0, false, "/ota status" },
    { "/eval", "run", CHAT_EVAL_RUN, 1, 1, true, "/eval run PLAN — start a sweep" },
    { "/eval", "status", CHAT_EVAL_STATUS, 0, 0, false, "/eval status" },
    { "/eval", "decide", CHAT_EVAL_DECIDE, 0, 1, false, "/eval decide [PLAN] — verdict per pair (default: the last sweep)" },
    { "/restart", NULL, CHAT_RESTART, 1, 1, true, "/restart SERVICE" },
    { "/stop", NULL, CHAT_STOP, 1, 1, true, "/stop SERVICE" },
    { "/flash", NULL, CHAT_FLASH, 2, 2, true, "/flash BOARD IMAGE|latest|HASH" },
    { "/build", NULL, CHAT_BUILD, 1, 1, true, "/build RECIPE — build firmware (/watch JOB)" },
    { "/reflash", NULL, CHAT_REFLASH, 2, 2, true, "/reflash RECIPE BOARD — build, flash or push, confirm the version" },
    { "/diagnose", NULL, CHAT_DIAGNOSE, 1, 2, true, "/diagnose BOARD [SPARE] — code, board or cable? (/watch JOB)" },
    { "/watch", NULL, CHAT_WATCH, 1, 1, false, "/watch JOB — progress messages until the job ends" },
    { "/yes", NULL, CHAT_YES, 0, 0, false, "/yes — confirm the command asked for" },
    { "/no", NULL, CHAT_NO, 0, 0, false, "/no — cancel it" },
};

/* Arguments are names: letters, digits and - _ . / : only. */
static bool
s_arg_ok (const char *a)
{
    if (!*a || strlen (a) >= CHAT_ARG_LEN || a[0] == '-' || strstr (a, ".."))
        return false;
    for (const char *p = a; *p; p++)
        if (!isalnum ((unsigned char) *p) && !strchr ("-_./:", *p))
            return false;
    return true;
}

int
chat_cmd_parse (const char *text, chat_cmd_t *cmd)
{
    memset (cmd, 0, sizeof *cmd);
    cmd->kind = CHAT_UNKNOWN;
    /* Telegram's limit, in its units: 4096 two-byte characters are fine. */
    if (!text || chat_text_utf16_len (text) > CHAT_TEXT_UNITS_MAX) {
        snprintf (cmd->error, sizeof cmd->error, "message too long");
        return -1;
    }
    /* Free text (however long or wordy) is not a command: it gets the help. */
    const char *first = text + strspn (text, " \t\r\n");
    if (*first != '/') {
        snprintf (cmd->error, sizeof cmd->error, "not a command");
        return -1;
    }
    char words[8][CHAT_ARG_LEN];
    int n = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (!*p)
            break;
        size_t len = strcspn (p, " \t\r\n");
        if (n == 8 || len >= CHAT_ARG_LEN) {
            snprintf (cmd->error, sizeof cmd->error, "too many or too long words");
            return -1;
        }
        memcpy (words[n], p, len);
        words[n][len] = 0;
        n++;
        p += len;
    }
    if (n == 0 || words[0][0] != '/') {
        snprintf (cmd->error, sizeof cmd->error, "not a command");
        return -1;
    }
    /* "/status@labbot" in group chats */
    char *at = strchr (words[0], '@');
    if (at)
        *at = 0;
    for (char *c = words[0]; *c; c++)
        *c = (char) tolower ((unsigned char) *c);
    bool known_word = false;
    for (size_t i = 0; i < sizeof s_specs / sizeof *s_specs; i++) {
        const s_spec_t *s = &s_specs[i];
        if (strcmp (s->word, words[0]))
            continue;
        known_word = true;
        int first = 1;
        if (s->sub) {
            if (n < 2 || strcmp (s->sub, words[1]))
                continue;
            first = 2;
        }
        int argc = n - first;
        if (argc < s->min || argc > s->max) {
            snprintf (cmd->error, sizeof cmd->error, "usage: %s", s->usage);
            return -1;
        }
        for (int k = 0; k < argc; k++) {
            if (!s_arg_ok (words[first + k])) {
                snprintf (cmd->error, sizeof cmd->error, "'%.40s' is not a valid name (usage: %s)",
                          words[first + k], s->usage);
                return -1;
            }
            snprintf (cmd->argv[k], CHAT_ARG_LEN, "%s", words[first + k]);
        }
        cmd->argc = argc;
        cmd->kind = s->kind;
        return 0;
    }
    snprintf (cmd->error, sizeof cmd->error, known_word ? "unknown subcommand of %s" : "unknown command %s",
              words[0]);
    return -1;
}

bool
chat_cmd_is_admin (chat_kind_t kind)
{
    for (size_t i = 0; i < sizeof s_specs / sizeof *s_specs; i++)
        if (s_specs[i].kind == kind)
            return s_specs[i].admin;
    return false;
}

const char *
chat_cmd_name (chat_kind_t kind)
{
    static const char *names[] = { "help", "status", "tail", "pingpong", "rssi", "ota_push", "ota_status",
                                   "eval_run", "eval_status", "eval_decide", "restart", "stop", "flash",
                                   "watch", "yes", "no", "build", "reflash", "diagnose", "unknown" };
    return (unsigned) kind <= CHAT_UNKNOWN ? names[kind] : "unknown";
}

const char *
chat_cmd_help (void)
{
    static char help[2048];
    if (!help[0]) {
        size_t o = (size_t) snprintf (help, sizeof help, "Lab commands:\n");
        for (size_t i = 2; i < sizeof s_specs / sizeof *s_specs; i++)
            o += (size_t) snprintf (help + o, sizeof help - o, "%s%s\n", s_specs[i].usage,
                                    s_specs[i].admin ? " (admin, asks to confirm)" : "");
    }
    return help;
}
