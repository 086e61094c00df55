/* chat_text - chat text as Telegram counts it. The Bot API's limits (4096
 * characters per message) and its entity offsets are in UTF-16 code units, so
 * lengths here are too; text is checked as UTF-8 before anything looks at it,
 * and long replies are cut at line ends and never inside a character. */
#ifndef CHAT_TEXT_H
#define CHAT_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Telegram's limit for one message's text, in UTF-16 code units
 * (https://core.telegram.org/bots/api#sendmessage: "1-4096 characters"). */
#define CHAT_TEXT_UNITS_MAX 4096

/* True when S[0..LEN) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) without NUL. */
bool chat_text_utf8_valid (const char *s, size_t len);
/* Bytes of the well-formed UTF-8 character at S (LEN bytes left), or 0
 * when the bytes there are not one (or are a NUL). */
size_t chat_text_char (const char *s, size_t len);
/* Length of valid UTF-8 S in UTF-16 code units (characters above U+FFFF
 * count two, as in Telegram's entity offsets). */
size_t chat_text_utf16_len (const char *s);
/* A copy of S with every byte that is not part of a well-formed UTF-8
 * character replaced by U+FFFD, so that text from the bus (board output,
 * service replies) can always be sent as JSON. Caller frees. */
char *chat_text_sanitize (const char *s);
/* Splits valid UTF-8 TEXT into pieces of at most MAX_UNITS UTF-16 code
 * units, at a line end where one is in the second half of the piece, and
 * never inside a character. Writes up to MAX_PIECES malloc'd pieces to OUT;
 * returns how many (text beyond them is left out). */
int chat_text_split (const char *text, size_t max_units, char **out, int max_pieces);

#endif
