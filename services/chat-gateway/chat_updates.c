/* chat_updates - see chat_updates.h.
 *
 * jansson refuses a whole document for one defect inside a string (bytes
 * that are not UTF-8, a lone surrogate escape, a raw control character), and
 * without JSON_ALLOW_NUL for a \u0000 too. So the body is first copied with
 * every such defect inside a string replaced by the escape \u0000, then
 * loaded with JSON_ALLOW_NUL: a defect ends up as a NUL inside the string
 * that held it, which the per-update checks below find, and only that update
 * is malformed. */
#include "services/chat-gateway/chat_updates.h"
#include "services/chat-gateway/chat_text.h"
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_BAD "\\u0000"

static int
s_hex4 (const char *p, size_t left)
{
    if (left < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = (unsigned char) p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Copies the escape at BODY[I] (a backslash inside a string) to OUT; returns
 * how many input bytes it used. */
static size_t
s_escape (const char *body, size_t len, size_t i, char *out, size_t *o)
{
    if (i + 1 >= len) {
        out[(*o)++] = body[i];
        return 1;
    }
    if (body[i + 1] != 'u') {
        out[(*o)++] = body[i];
        out[(*o)++] = body[i + 1];
        return 2;
    }
    int v = s_hex4 (body + i + 2, len - i - 2);
    if (v < 0) {                        /* not an escape jansson accepts either */
        out[(*o)++] = body[i];
        return 1;
    }
    if (v >= 0xD800 && v <= 0xDBFF && i + 11 < len && body[i + 6] == '\\' && body[i + 7] == 'u') {
        int w = s_hex4 (body + i + 8, len - i - 8);
        if (w >= 0xDC00 && w <= 0xDFFF) {
            memcpy (out + *o, body + i, 12);     /* a surrogate pair: one character */
            *o += 12;
            return 12;
        }
    }
    if (v >= 0xD800 && v <= 0xDFFF) {            /* alone: half a character */
        memcpy (out + *o, S_BAD, 6);
        *o += 6;
        return 6;
    }
    memcpy (out + *o, body + i, 6);
    *o += 6;
    return 6;
}

static char *
s_sanitize (const char *body, size_t len, size_t *outlen)
{
    char *out = (char *) malloc (len * 6 + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    bool in_string = false;
    while (i < len) {
        unsigned char c = (unsigned char) body[i];
        if (!in_string) {
            out[o++] = (char) c;
            in_string = c == '"';
            i++;
        }
        else if (c == '"') {
            out[o++] = '"';
            in_string = false;
            i++;
        }
        else if (c == '\\')
            i += s_escape (body, len, i, out, &o);
        else if (c < 0x20) {
            memcpy (out + o, S_BAD, 6);
            o += 6;
            i++;
        }
        else if (c < 0x80)
            out[o++] = body[i++];
        else {
            size_t k = chat_text_char (body + i, len - i);
            if (k) {
                memcpy (out + o, body + i, k);
                o += k;
                i += k;
            }
            else {
                memcpy (out + o, S_BAD, 6);
                o += 6;
                i++;
            }
        }
    }
    out[o] = 0;
    *outlen = o;
    return out;
}

static chat_update_t *
s_add (chat_updates_t *self, int64_t id, chat_update_kind_t kind, const char *what)
{
    chat_update_t *grown = (chat_update_t *) realloc (self->items, (self->n + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    self->items = grown;
    chat_update_t *u = &self->items[self->n++];
    memset (u, 0, sizeof *u);
    u->id = id;
    u->kind = kind;
    snprintf (u->what, sizeof u->what, "%s", what);
    if (id > self->hi)
        self->hi = id;
    return u;
}

/* An answer that is not JSON even after sanitising: every "update_id": N in
 * it becomes a MALFORMED update, so the offset still moves past them. */
static void
s_scan_ids (const char *body, size_t len, chat_updates_t *out)
{
    static const char key[] = "\"update_id\"";
    const char *end = body + len;
    for (const char *p = body; p < end;) {
        const char *hit = (const char *) memmem (p, (size_t) (end - p), key, sizeof key - 1);
        if (!hit)
            break;
        p = hit + sizeof key - 1;
        while (p < end && isspace ((unsigned char) *p))
            p++;
        if (p >= end || *p != ':')
            continue;
        p++;
        while (p < end && isspace ((unsigned char) *p))
            p++;
        int64_t id = 0;
        int digits = 0;
        while (p < end && isdigit ((unsigned char) *p) && digits < 18) {
            id = id * 10 + (*p++ - '0');
            digits++;
        }
        if (digits)
            s_add (out, id, CHAT_UPDATE_MALFORMED, "the answer holding it is not valid JSON");
    }
}

/* "123" from {"id": 123}; false when absent or not an integer. */
static bool
s_id (json_t *obj, const char *field, char *out, size_t outlen)
{
    json_t *id = json_object_get (json_object_get (obj, field), "id");
    if (!json_is_integer (id))
        return false;
    snprintf (out, outlen, "%" JSON_INTEGER_FORMAT, json_integer_value (id));
    return true;
}

/* The update's type: its one key besides update_id, for the audit line
 * (letters and _ only; anything else is reported as "unknown"). */
static void
s_type (json_t *u, char *out, size_t outlen, json_t **body)
{
    const char *key;
    json_t *v;
    snprintf (out, outlen, "empty update");
    *body = NULL;
    json_object_foreach (u, key, v) {
        if (!strcmp (key, "update_id"))
            continue;
        bool plain = *key && strlen (key) < 40;
        for (const char *c = key; *c && plain; c++)
            plain = islower ((unsigned char) *c) || *c == '_';
        snprintf (out, outlen, "%s", plain ? key : "unknown");
        *body = v;
        return;
    }
}

static void
s_message (chat_updates_t *out, int64_t id, json_t *msg)
{
    chat_update_t tmp;
    memset (&tmp, 0, sizeof tmp);
    bool from = s_id (msg, "from", tmp.sender, sizeof tmp.sender);
    bool chat = s_id (msg, "chat", tmp.chat, sizeof tmp.chat);
    json_t *text = json_object_get (msg, "text");
    json_t *date = json_object_get (msg, "date");
    chat_update_t *u;
    if (!json_is_object (msg) || !chat)
        u = s_add (out, id, CHAT_UPDATE_MALFORMED, "a message without a chat id");
    else if (!from)
        u = s_add (out, id, CHAT_UPDATE_OTHER, "a message without a sender");
    else if (!text)
        u = s_add (out, id, CHAT_UPDATE_OTHER, "a message without text");
    else if (!json_is_string (text))
        u = s_add (out, id, CHAT_UPDATE_MALFORMED, "the text is not a string");
    else if (json_string_length (text) != strlen (json_string_value (text))
             || !chat_text_utf8_valid (json_string_value (text), json_string_length (text)))
        u = s_add (out, id, CHAT_UPDATE_MALFORMED,
                   "the text is not valid Unicode (a NUL, bytes that are not UTF-8, or a lone surrogate)");
    else {
        size_t units = chat_text_utf16_len (json_string_value (text));
        if (units > CHAT_TEXT_UNITS_MAX)
            u = s_add (out, id, CHAT_UPDATE_TOO_LONG, "too long");
        else {
            u = s_add (out, id, CHAT_UPDATE_MESSAGE, "message");
            if (u && !(u->text = strdup (json_string_value (text))))
                u->kind = CHAT_UPDATE_MALFORMED;
        }
        if (u)
            u->units = units;
    }
    if (!u)
        return;
    snprintf (u->sender, sizeof u->sender, "%s", tmp.sender);
    snprintf (u->chat, sizeof u->chat, "%s", tmp.chat);
    u->date = json_is_integer (date) ? json_integer_value (date) : 0;
}

int
chat_updates_parse (const char *body, size_t len, chat_updates_t *out, char *err, size_t errlen)
{
    memset (out, 0, sizeof *out);
    out->hi = -1;
    size_t clean_len = 0;
    char *clean = s_sanitize (body, len, &clean_len);
    json_error_t e;
    json_t *root = clean ? json_loadb (clean, clean_len, JSON_ALLOW_NUL, &e) : NULL;
    free (clean);
    if (!root) {
        s_scan_ids (body, len, out);
        snprintf (err, errlen, "the answer is not JSON (%s)", clean ? e.text : "out of memory");
        return -1;
    }
    json_t *result = json_object_get (root, "result");
    if (!json_is_true (json_object_get (root, "ok")) || !json_is_array (result)) {
        snprintf (err, errlen, "the answer is not a successful getUpdates result");
        json_decref (root);
        return -1;
    }
    size_t i;
    json_t *u;
    json_array_foreach (result, i, u) {
        json_t *id = json_object_get (u, "update_id");
        if (!json_is_integer (id) || json_integer_value (id) < 0)
            continue;            /* nothing to move the offset past; the others do */
        int64_t uid = json_integer_value (id);
        char type[48];
        json_t *ubody;
        s_type (u, type, sizeof type, &ubody);
        if (!strcmp (type, "message"))
            s_message (out, uid, ubody);
        else {
            chat_update_t *o = s_add (out, uid, CHAT_UPDATE_OTHER, type);
            /* The sender, when there is one, for the stranger counter. */
            if (o && json_is_object (ubody))
                s_id (ubody, "from", o->sender, sizeof o->sender);
        }
    }
    json_decref (root);
    return 0;
}

void
chat_update_clear (chat_update_t *u)
{
    free (u->text);
    u->text = NULL;
}

void
chat_updates_clear (chat_updates_t *self)
{
    for (size_t i = 0; i < self->n; i++)
        chat_update_clear (&self->items[i]);
    free (self->items);
    memset (self, 0, sizeof *self);
    self->hi = -1;
}

long
chat_updates_api_error (const char *body, size_t len, char *desc, size_t desclen)
{
    json_t *root = body ? json_loadb (body, len, 0, NULL) : NULL;
    json_t *d = json_object_get (root, "description");
    json_t *ra = json_object_get (json_object_get (root, "parameters"), "retry_after");
    snprintf (desc, desclen, "%s", json_is_string (d) ? json_string_value (d) : "not a Bot API answer");
    /* The description goes into logs: one line of printable text. */
    for (char *c = desc; *c; c++)
        if ((unsigned char) *c < 0x20)
            *c = ' ';
    long retry = json_is_integer (ra) && json_integer_value (ra) > 0 ? (long) json_integer_value (ra) : 0;
    json_decref (root);
    return retry;
}
