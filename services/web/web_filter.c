/* web_filter - see web_filter.h. */
#include "services/web/web_filter.h"
#include <stdio.h>
#include <string.h>

static bool
s_topic_char (char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
           || c == '_' || c == '-' || c == ':';
}

/* Adds the item TEXT[0..LEN) (already split on commas). */
static int
s_add (web_filter_t *self, const char *text, size_t len, char *err, size_t errlen)
{
    while (len > 0 && (*text == ' ' || *text == '\t')) {
        text++;
        len--;
    }
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    if (len > 0 && text[len - 1] == '*')
        len--;          /* "state.*" is the prefix "state." */
    if (len == 0) {
        /* "" is skipped; "*" alone means everything. */
        return 0;
    }
    if (len >= WEB_FILTER_PREFIX_MAX) {
        snprintf (err, errlen, "topic prefix longer than %d characters", WEB_FILTER_PREFIX_MAX - 1);
        return -1;
    }
    for (size_t i = 0; i < len; i++)
        if (!s_topic_char (text[i])) {
            snprintf (err, errlen, "bad character 0x%02x in topic prefix", (unsigned char) text[i]);
            return -1;
        }
    if (self->count == WEB_FILTER_MAX) {
        snprintf (err, errlen, "more than %d topic prefixes", WEB_FILTER_MAX);
        return -1;
    }
    memcpy (self->prefix[self->count], text, len);
    self->prefix[self->count][len] = 0;
    self->count++;
    return 0;
}

int
web_filter_parse (web_filter_t *self, const char *text, char *err, size_t errlen)
{
    memset (self, 0, sizeof *self);
    if (!text)
        return 0;
    bool all = false;
    const char *p = text;
    for (;;) {
        const char *comma = strchr (p, ',');
        size_t len = comma ? (size_t) (comma - p) : strlen (p);
        /* A lone "*" matches everything whatever else is listed. */
        const char *q = p;
        size_t l = len;
        while (l > 0 && (*q == ' ' || *q == '\t')) {
            q++;
            l--;
        }
        while (l > 0 && (q[l - 1] == ' ' || q[l - 1] == '\t'))
            l--;
        if (l == 1 && *q == '*')
            all = true;
        else if (s_add (self, p, len, err, errlen)) {
            self->count = 0;
            return -1;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    if (all)
        self->count = 0;
    return 0;
}

bool
web_filter_match (const web_filter_t *self, const char *topic)
{
    if (self->count == 0)
        return true;
    for (int i = 0; i < self->count; i++)
        if (strncmp (topic, self->prefix[i], strlen (self->prefix[i])) == 0)
            return true;
    return false;
}
