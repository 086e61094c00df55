/* link_frame - COBS-framed link frames and the resynchronising reader
 * (see link_frame.h and docs/serial-protocol.md). */
#include "link_frame.h"
#include "lab_crc32.h"
#include <string.h>

/* S_CLOSED: just after a frame's closing 0x00, which may also open the next
 * frame but is never text. */
enum { S_TEXT = 0, S_ZERO = 1, S_FRAME = 2, S_CLOSED = 3 };

/* COBS: each block starts with a code byte = 1 + number of non-zero bytes
 * that follow before the next zero (or before the block limit, code 0xFF,
 * where no zero is implied). Returns bytes written (caller sized OUT). */
static size_t
s_cobs_encode (const uint8_t *in, size_t len, uint8_t *out)
{
    size_t code_at = 0, o = 1;
    uint8_t code = 1;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == 0) {
            out[code_at] = code;
            code_at = o++;
            code = 1;
            continue;
        }
        out[o++] = in[i];
        if (++code == 0xFF) {
            out[code_at] = code;
            code_at = o++;
            code = 1;
        }
    }
    out[code_at] = code;
    return o;
}

/* Returns decoded length, or -1 on malformed input. */
static long
s_cobs_decode (const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < len) {
        uint8_t code = in[i++];
        if (code == 0)
            return -1;
        if (i + (size_t) (code - 1) > len)
            return -1;
        if (o + (size_t) (code - 1) > cap)
            return -1;
        memcpy (out + o, in + i, (size_t) (code - 1));
        o += (size_t) (code - 1);
        i += (size_t) (code - 1);
        /* A zero follows every block except a full one and the last one. */
        if (code != 0xFF && i < len) {
            if (o >= cap)
                return -1;
            out[o++] = 0;
        }
    }
    return (long) o;
}

size_t
link_frame_encode (uint8_t *out, size_t cap, uint8_t type, uint16_t seq, const void *payload,
                   size_t len)
{
    if (len > LINK_MAX_PAYLOAD)
        return 0;
    size_t body_len = LINK_HDR_SIZE + len + LINK_CRC_SIZE;
    size_t need = 2 + body_len + body_len / 254 + 1 + 1;
    if (need > cap)
        return 0;
    /* Build the plain body at the tail of OUT, then COBS it to the front:
     * COBS output never overtakes its input when the input starts at least
     * body_len/254 + 3 bytes further on. */
    uint8_t *body = out + cap - body_len;
    body[0] = type;
    link_put16 (body + 1, seq);
    link_put16 (body + 3, (uint16_t) len);
    if (len)
        memmove (body + LINK_HDR_SIZE, payload, len);
    link_put32 (body + LINK_HDR_SIZE + len, lab_crc32 (0, body, LINK_HDR_SIZE + len));
    out[0] = LINK_DELIM;
    out[1] = LINK_MARK;
    size_t n = s_cobs_encode (body, body_len, out + 2);
    out[2 + n] = LINK_DELIM;
    return 2 + n + 1;
}

void
link_reader_init (link_reader_t *self, const link_reader_cb_t *cb)
{
    memset (self, 0, sizeof *self);
    self->cb = *cb;
    self->state = S_TEXT;
}

static void
s_error (link_reader_t *self, link_err_t err)
{
    self->errors++;
    if (self->cb.on_error)
        self->cb.on_error (self->cb.ctx, err, self->raw, self->n);
}

static void
s_finish (link_reader_t *self)
{
    long n = s_cobs_decode (self->raw, self->n, self->body, sizeof self->body);
    if (n < 0) {
        s_error (self, LINK_ERR_COBS);
        return;
    }
    if ((size_t) n < LINK_HDR_SIZE + LINK_CRC_SIZE) {
        s_error (self, LINK_ERR_LENGTH);
        return;
    }
    uint16_t plen = link_get16 (self->body + 3);
    if ((size_t) plen + LINK_HDR_SIZE + LINK_CRC_SIZE != (size_t) n) {
        s_error (self, LINK_ERR_LENGTH);
        return;
    }
    uint32_t want = link_get32 (self->body + LINK_HDR_SIZE + plen);
    if (lab_crc32 (0, self->body, LINK_HDR_SIZE + plen) != want) {
        s_error (self, LINK_ERR_CRC);
        return;
    }
    self->frames++;
    if (self->cb.on_frame)
        self->cb.on_frame (self->cb.ctx, self->body[0], link_get16 (self->body + 1),
                           self->body + LINK_HDR_SIZE, plen);
}

static void
s_text (link_reader_t *self, const uint8_t *p, size_t n)
{
    if (n && self->cb.on_text)
        self->cb.on_text (self->cb.ctx, p, n);
}

void
link_reader_feed (link_reader_t *self, const uint8_t *data, size_t len)
{
    static const uint8_t zero = 0;
    size_t run = 0;   /* start of the pending text run in DATA */
    for (size_t i = 0; i < len; i++) {
        uint8_t c = data[i];
        switch (self->state) {
        case S_TEXT:
            if (c == LINK_DELIM) {
                s_text (self, data + run, i - run);
                self->state = S_ZERO;
            }
            break;
        case S_ZERO:
            if (c == LINK_MARK) {
                self->state = S_FRAME;
                self->n = 0;
            } else if (c == LINK_DELIM) {
                /* Two zeros: the first was text; the second may start a frame. */
                s_text (self, &zero, 1);
            } else {
                s_text (self, &zero, 1);
                self->state = S_TEXT;
                run = i;
            }
            break;
        case S_CLOSED:
            if (c == LINK_MARK) {
                self->state = S_FRAME;
                self->n = 0;
            } else if (c == LINK_DELIM) {
                self->state = S_ZERO;
            } else {
                self->state = S_TEXT;
                run = i;
            }
            break;
        case S_FRAME:
            if (c == LINK_DELIM) {
                s_finish (self);
                self->state = S_CLOSED;
                self->n = 0;
            } else if (self->n >= sizeof self->raw) {
                s_error (self, LINK_ERR_OVERFLOW);
                self->n = 0;
                self->state = S_TEXT;
                run = i;
            } else {
                self->raw[self->n++] = c;
            }
            break;
        }
    }
    if (self->state == S_TEXT)
        s_text (self, data + run, len - run);
}

/* --- boot report ----------------------------------------------------- */

static size_t
s_put_str (uint8_t *p, const char *s)
{
    size_t n = s ? strlen (s) : 0;
    if (n > LINK_BOOT_STR_MAX)
        n = LINK_BOOT_STR_MAX;
    p[0] = (uint8_t) n;
    if (n)
        memcpy (p + 1, s, n);
    return 1 + n;
}

size_t
link_boot_encode (uint8_t *out, size_t cap, const link_boot_t *boot)
{
    if (cap < LINK_MAC_LEN + 1 + 3 * (1 + LINK_BOOT_STR_MAX))
        return 0;
    memcpy (out, boot->mac, LINK_MAC_LEN);
    out[LINK_MAC_LEN] = boot->channel;
    size_t o = LINK_MAC_LEN + 1;
    o += s_put_str (out + o, boot->version);
    o += s_put_str (out + o, boot->partition);
    o += s_put_str (out + o, boot->reset_reason);
    return o;
}

static int
s_get_str (const uint8_t *p, size_t len, size_t *o, char *dst)
{
    if (*o >= len)
        return -1;
    size_t n = p[*o];
    if (n > LINK_BOOT_STR_MAX || *o + 1 + n > len)
        return -1;
    memcpy (dst, p + *o + 1, n);
    dst[n] = 0;
    *o += 1 + n;
    return 0;
}

int
link_boot_decode (const uint8_t *p, size_t len, link_boot_t *boot)
{
    memset (boot, 0, sizeof *boot);
    if (len < LINK_MAC_LEN + 1)
        return -1;
    memcpy (boot->mac, p, LINK_MAC_LEN);
    boot->channel = p[LINK_MAC_LEN];
    size_t o = LINK_MAC_LEN + 1;
    if (s_get_str (p, len, &o, boot->version) || s_get_str (p, len, &o, boot->partition)
        || s_get_str (p, len, &o, boot->reset_reason))
        return -1;
    return o == len ? 0 : -1;
}

/* --- MAC text -------------------------------------------------------- */

static int
s_hex (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
link_mac_parse (const char *text, uint8_t mac[LINK_MAC_LEN])
{
    for (size_t i = 0; i < LINK_MAC_LEN; i++) {
        const char *p = text + i * 3;
        int hi = s_hex (p[0]), lo = hi < 0 ? -1 : s_hex (p[1]);
        if (hi < 0 || lo < 0)
            return -1;
        char sep = p[2];
        if (i < LINK_MAC_LEN - 1 ? (sep != ':' && sep != '-') : sep != 0)
            return -1;
        mac[i] = (uint8_t) (hi << 4 | lo);
    }
    return 0;
}

void
link_mac_format (const uint8_t mac[LINK_MAC_LEN], char out[18])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < LINK_MAC_LEN; i++) {
        out[i * 3] = digits[mac[i] >> 4];
        out[i * 3 + 1] = digits[mac[i] & 15];
        out[i * 3 + 2] = i < LINK_MAC_LEN - 1 ? ':' : 0;
    }
}
