/* fuzz_chat - untrusted chat input: whole Telegram getUpdates answers
 * through the defensive decoder (every update must come out with its id, and
 * a message's text must be valid UTF-8 within Telegram's length), the text
 * of each message through the strict command parser and the reply splitter,
 * and the same bytes as journal lines (a journal torn or damaged on disk). */
#include "services/chat-gateway/chat_cmd.h"
#include "services/chat-gateway/chat_journal.h"
#include "services/chat-gateway/chat_text.h"
#include "services/chat-gateway/chat_updates.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static chat_journal_t *s_journal;
static int s_applied;

static void
s_check_text (const char *text)
{
    chat_cmd_t c;
    chat_cmd_parse (text, &c);
    char *pieces[16];
    int n = chat_text_split (text, 64, pieces, 16);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        if (!chat_text_utf8_valid (pieces[i], strlen (pieces[i])) || chat_text_utf16_len (pieces[i]) > 64)
            abort ();        /* a piece cut inside a character, or too long */
        total += strlen (pieces[i]);
        free (pieces[i]);
    }
    if (n < 16 && total != strlen (text))
        abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    /* A fresh journal now and then, so its state stays small. */
    if (s_journal && ++s_applied % 2000 == 0)
        chat_journal_destroy (&s_journal);
    if (!s_journal) {
        char path[] = "/tmp/fuzz_chat_journal_XXXXXX";
        int fd = mkstemp (path);
        if (fd < 0)
            return 0;
        close (fd);
        char err[256];
        s_journal = chat_journal_open (path, err, sizeof err);
        unlink (path);
        if (!s_journal)
            return 0;
    }
    chat_updates_t batch;
    char err[256];
    chat_updates_parse ((const char *) data, size, &batch, err, sizeof err);
    for (size_t i = 0; i < batch.n; i++) {
        chat_update_t *u = &batch.items[i];
        if (u->id < 0 || u->id > batch.hi)
            abort ();
        if (u->kind == CHAT_UPDATE_MESSAGE) {
            if (!u->text || !chat_text_utf8_valid (u->text, strlen (u->text))
                || chat_text_utf16_len (u->text) > CHAT_TEXT_UNITS_MAX)
                abort ();
            s_check_text (u->text);
        }
    }
    chat_updates_clear (&batch);
    char *clean = (char *) malloc (size + 1);
    memcpy (clean, data, size);
    clean[size] = 0;
    char *text = chat_text_sanitize (clean);
    if (!chat_text_utf8_valid (text, strlen (text)))
        abort ();
    s_check_text (text);
    free (text);
    free (clean);
    chat_journal_apply (s_journal, (const char *) data, size);
    return 0;
}
