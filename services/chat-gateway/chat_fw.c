/* chat_fw - see chat_fw.h. */
#include "services/chat-gateway/chat_fw.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
chat_fw_is_ref (const char *word)
{
    if (!strcmp (word, "latest"))
        return true;
    size_t n = strlen (word);
    if (n < 6 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr ("0123456789abcdef", word[i]))
            return false;
    return true;
}

bool
chat_fw_handles (const chat_cmd_t *c)
{
    switch (c->kind) {
        case CHAT_BUILD: case CHAT_REFLASH: case CHAT_DIAGNOSE: return true;
        case CHAT_FLASH: return c->argc == 2 && chat_fw_is_ref (c->argv[1]);
        case CHAT_OTA_PUSH: return c->argc >= 2 && chat_fw_is_ref (c->argv[0]);
        case CHAT_STATUS: return c->argc == 1;
        default: return false;
    }
}

/* The board as the bridge sees it, then what was put on it. */
static char *
s_status_board (const chat_cmd_t *c, chat_fw_call_fn *call, void *ctx)
{
    const char *board[] = { c->argv[0] };
    char *link = call (ctx, "serial-bridge", "status", 1, board, 3000);
    char *history = call (ctx, "builder", "history", 1, board, 3000);
    char *out = NULL;
    if (asprintf (&out, "%s\n\nFirmware history:\n%s", link ? link : "", history ? history : "") < 0)
        out = NULL;
    free (link);
    free (history);
    return out;
}

char *
chat_fw_run (const chat_cmd_t *c, chat_fw_call_fn *call, void *ctx)
{
    const char *a[CHAT_ARGS_MAX];
    for (int i = 0; i < CHAT_ARGS_MAX; i++)
        a[i] = c->argv[i];
    switch (c->kind) {
        case CHAT_BUILD: return call (ctx, "builder", "build", 1, a, 5000);
        case CHAT_REFLASH: return call (ctx, "builder", "reflash", 2, a, 5000);
        case CHAT_DIAGNOSE: return call (ctx, "builder", "diagnose", c->argc, a, 5000);
        case CHAT_FLASH: return call (ctx, "builder", "flash", 2, a, 5000);
        case CHAT_OTA_PUSH: {
            /* /ota push REF BOARD [VIA] -> builder ota BOARD REF [VIA] */
            const char *args[] = { a[1], a[0], a[2] };
            return call (ctx, "builder", "ota", c->argc, args, 5000);
        }
        case CHAT_STATUS: return s_status_board (c, call, ctx);
        default: return strdup ("not a firmware command");
    }
}

bool
chat_fw_watch_text (const Lab__Envelope *e, char *text, size_t len, bool *over)
{
    if (!e || e->body_case != LAB__ENVELOPE__BODY_BUILD_JOB || !e->build_job)
        return false;
    const Lab__BuildJobState *s = e->build_job;
    *over = !strcmp (s->state, "done") || !strcmp (s->state, "failed");
    if (!strcmp (s->state, "failed")) {
        size_t o = (size_t) snprintf (text, len, "%s %s FAILED: %s", s->job, s->kind, s->error);
        /* A failed build's last lines say why; the phone gets the last few. */
        size_t first = s->n_last_lines > 5 ? s->n_last_lines - 5 : 0;
        for (size_t i = first; i < s->n_last_lines && o < len; i++)
            o += (size_t) snprintf (text + o, len - o, "\n| %s", s->last_lines[i]);
    }
    else if (!strcmp (s->state, "done") && !strcmp (s->kind, "diagnose"))
        snprintf (text, len, "%s diagnose %s: %s", s->job, s->board, s->verdict);
    else if (!strcmp (s->state, "done") && !strcmp (s->kind, "build"))
        snprintf (text, len, "%s build ok %s %s, %llu bytes, sha256 %.12s, %.1f s", s->job, s->recipe, s->version,
                  (unsigned long long) s->artefact_size, s->sha256, s->build_s);
    else if (!strcmp (s->state, "done"))
        snprintf (text, len, "%s %s ok %s -> %s %s booted (%s, %.1f s)", s->job, s->kind, s->recipe, s->board,
                  s->booted_version, s->how, s->elapsed_s);
    else
        snprintf (text, len, "%s %s: %s (%.0f s)", s->job, s->kind, s->step, s->elapsed_s);
    return true;
}

size_t
chat_fw_job_line (const Lab__Envelope *e, char *out, size_t len)
{
    if (!e || e->body_case != LAB__ENVELOPE__BODY_BUILD_JOB || !e->build_job || !len)
        return 0;
    const Lab__BuildJobState *s = e->build_job;
    if (!strcmp (s->state, "done") || !strcmp (s->state, "failed"))
        return 0;
    int n = snprintf (out, len, "%s %s %s%s%s: %s\n", s->kind, s->job, s->recipe, s->board[0] ? " -> " : "", s->board,
                      s->step);
    return n < 0 ? 0 : (size_t) n < len ? (size_t) n : len - 1;
}
