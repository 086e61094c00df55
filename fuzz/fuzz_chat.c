/* fuzz_chat - untrusted chat input: Telegram getUpdates bodies and command
 * text through the strict parser. */
#include "services/chat-gateway/chat_cmd.h"
#include "services/chat-gateway/chat_telegram.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
s_on (void *ctx, int64_t id, const char *sender, const char *chat, int64_t date, const char *text)
{
    (void) ctx; (void) id; (void) sender; (void) chat; (void) date;
    if (text) {
        chat_cmd_t c;
        chat_cmd_parse (text, &c);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = (char *) malloc (size + 1);
    memcpy (text, data, size);
    text[size] = 0;
    int bad = 0;
    chat_tg_parse_updates (text, s_on, NULL, &bad);
    chat_cmd_t c;
    chat_cmd_parse (text, &c);
    free (text);
    return 0;
}
