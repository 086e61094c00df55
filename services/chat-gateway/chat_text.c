/* chat_text - see chat_text.h. */
#include "services/chat-gateway/chat_text.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Length of the well-formed UTF-8 character at P (N bytes left) and its code
 * point, or 0 when the bytes there are not one. The ranges are RFC 3629's
 * table (section 4), which is what rules out overlongs and surrogates. */
static size_t
s_char (const unsigned char *p, size_t n, uint32_t *cp)
{
    if (n == 0)
        return 0;
    unsigned char c = p[0];
    if (c < 0x80) {
        *cp = c;
        return c ? 1 : 0;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;         /* D800..DFFF are surrogates, not characters */
    }
    else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    }
    else
        return 0;
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    uint32_t v = c & (0xFF >> (len + 1));
    v = (v << 6) | (p[1] & 0x3F);
    for (size_t i = 2; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    *cp = v;
    return len;
}

size_t
chat_text_char (const char *s, size_t len)
{
    uint32_t cp;
    return s_char ((const unsigned char *) s, len, &cp);
}

bool
chat_text_utf8_valid (const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *) s;
    uint32_t cp;
    while (len) {
        size_t k = s_char (p, len, &cp);
        if (!k)
            return false;
        p += k;
        len -= k;
    }
    return true;
}

size_t
chat_text_utf16_len (const char *s)
{
    size_t units = 0;
    for (const unsigned char *p = (const unsigned char *) s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            units += *p >= 0xF0 ? 2 : 1;
    return units;
}

char *
chat_text_sanitize (const char *s)
{
    size_t len = strlen (s);
    /* Each bad byte becomes three (EF BF BD). */
    char *out = (char *) malloc (len * 3 + 1);
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *) s;
    size_t o = 0;
    uint32_t cp;
    while (len) {
        size_t k = s_char (p, len, &cp);
        if (k) {
            memcpy (out + o, p, k);
            o += k;
        }
        else {
            memcpy (out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            k = 1;
        }
        p += k;
        len -= k;
    }
    out[o] = 0;
    return out;
}

/* Bytes of TEXT that hold at most MAX_UNITS UTF-16 units, ending on a
 * character boundary. */
static size_t
s_prefix (const char *text, size_t max_units)
{
    size_t units = 0, i = 0;
    const unsigned char *p = (const unsigned char *) text;
    while (p[i]) {
        size_t w = p[i] >= 0xF0 ? 2 : 1;
        if (units + w > max_units)
            break;
        units += w;
        i++;
        while (p[i] && (p[i] & 0xC0) == 0x80)
            i++;
    }
    return i;
}

int
chat_text_split (const char *text, size_t max_units, char **out, int max_pieces)
{
    int n = 0;
    const char *p = text;
    if (max_units < 2)
        max_units = 2;           /* room for one character above U+FFFF */
    while (*p && n < max_pieces) {
        size_t take = s_prefix (p, max_units);
        if (p[take]) {
            /* Back up to a line end, unless that leaves too little. */
            size_t cut = take;
            while (cut > take / 2 && p[cut - 1] != '\n')
                cut--;
            if (cut > take / 2)
                take = cut;
        }
        out[n++] = strndup (p, take);
        p += take;
    }
    return n;
}
