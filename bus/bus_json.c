/* bus_json - protobuf-c messages to JSON through descriptors. */
#include "bus/bus_json.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *s_value (const ProtobufCFieldDescriptor *f, const void *p);

/* Length of the valid UTF-8 sequence at P (at most N bytes), 0 when invalid.
 * Rejects overlong forms, surrogates and code points past U+10FFFF, as
 * jansson does. */
static size_t
s_utf8_len (const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (!len || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if (c == 0xE0 && p[1] < 0xA0)
        return 0;                       /* overlong */
    if (c == 0xED && p[1] >= 0xA0)
        return 0;                       /* surrogate */
    if (c == 0xF0 && p[1] < 0x90)
        return 0;                       /* overlong */
    if (c == 0xF4 && p[1] >= 0x90)
        return 0;                       /* past U+10FFFF */
    return len;
}

json_t *
bus_json_textn (const char *s, size_t len)
{
    if (!s)
        return json_string ("");
    json_t *j = json_stringn (s, len);
    if (j)
        return j;
    /* Invalid UTF-8 (or an embedded NUL jansson refused): rebuild it with
     * U+FFFD for every bad byte. */
    char *out = (char *) malloc (len * 3 + 1);
    if (!out)
        return json_string ("");
    size_t o = 0;
    const unsigned char *p = (const unsigned char *) s;
    for (size_t i = 0; i < len;) {
        size_t k = p[i] ? s_utf8_len (p + i, len - i) : 0;
        if (k) {
            memcpy (out + o, p + i, k);
            o += k;
            i += k;
        }
        else {
            memcpy (out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    j = json_stringn (out, o);
    free (out);
    return j ? j : json_string ("");
}

json_t *
bus_json_text (const char *s)
{
    return bus_json_textn (s, s ? strlen (s) : 0);
}

static json_t *
s_bytes (const ProtobufCBinaryData *b)
{
    /* Text stays text; anything else becomes hex so output stays printable. */
    bool printable = true;
    for (size_t i = 0; i < b->len && printable; i++)
        printable = (b->data[i] >= 0x20 && b->data[i] < 0x7F) || b->data[i] == '\n' || b->data[i] == '\t';
    if (printable)
        return json_stringn ((const char *) b->data, b->len);
    char *hex = (char *) malloc (b->len * 2 + 1);
    for (size_t i = 0; i < b->len; i++)
        snprintf (hex + 2 * i, 3, "%02x", b->data[i]);
    json_t *out = json_string (hex);
    free (hex);
    return out;
}

static json_t *
s_value (const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
        case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
            return json_integer (*(const int32_t *) p);
        case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
            return json_integer (*(const uint32_t *) p);
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
            return json_integer (*(const int64_t *) p);
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
            return json_integer ((json_int_t) *(const uint64_t *) p);
        case PROTOBUF_C_TYPE_FLOAT: return json_real (*(const float *) p);
        case PROTOBUF_C_TYPE_DOUBLE: return json_real (*(const double *) p);
        case PROTOBUF_C_TYPE_BOOL: return json_boolean (*(const protobuf_c_boolean *) p);
        case PROTOBUF_C_TYPE_ENUM: return json_integer (*(const int *) p);
        case PROTOBUF_C_TYPE_STRING: return bus_json_text (*(char *const *) p);
        case PROTOBUF_C_TYPE_BYTES: return s_bytes ((const ProtobufCBinaryData *) p);
        case PROTOBUF_C_TYPE_MESSAGE: {
            const ProtobufCMessage *m = *(ProtobufCMessage *const *) p;
            return m ? bus_json_from_message (m) : json_null ();
        }
    }
    return json_null ();
}

static size_t
s_elem_size (const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
            return 8;
        case PROTOBUF_C_TYPE_BOOL: return sizeof (protobuf_c_boolean);
        case PROTOBUF_C_TYPE_ENUM: return sizeof (int);
        case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE: return sizeof (void *);
        case PROTOBUF_C_TYPE_BYTES: return sizeof (ProtobufCBinaryData);
        default: return 4;
    }
}

/* True when a singular field holds its default value (left out). */
static bool
s_is_default (const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
        case PROTOBUF_C_TYPE_STRING: { const char *s = *(char *const *) p; return !s || !*s; }
        case PROTOBUF_C_TYPE_BYTES: return ((const ProtobufCBinaryData *) p)->len == 0;
        case PROTOBUF_C_TYPE_MESSAGE: return *(void *const *) p == NULL;
        case PROTOBUF_C_TYPE_FLOAT: return *(const float *) p == 0;
        case PROTOBUF_C_TYPE_DOUBLE: return *(const double *) p == 0;
        default: {
            static const uint8_t zero[8] = { 0 };
            return memcmp (p, zero, s_elem_size (f)) == 0;
        }
    }
}

json_t *
bus_json_from_message (const ProtobufCMessage *msg)
{
    json_t *obj = json_object ();
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const uint8_t *base = (const uint8_t *) msg;
        const void *p = base + f->offset;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t which = *(const uint32_t *) (base + f->quantifier_offset);
            if (which != f->id)
                continue;
            json_object_set_new (obj, f->name, s_value (f, p));
            continue;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *) (base + f->quantifier_offset);
            if (!n)
                continue;
            json_t *arr = json_array ();
            const uint8_t *items = *(const uint8_t *const *) p;
            for (size_t k = 0; k < n; k++)
                json_array_append_new (arr, s_value (f, items + k * s_elem_size (f)));
            json_object_set_new (obj, f->name, arr);
            continue;
        }
        if (!s_is_default (f, p))
            json_object_set_new (obj, f->name, s_value (f, p));
    }
    return obj;
}

const char *
bus_json_body_name (const Lab__Envelope *env)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field (&lab__envelope__descriptor, (unsigned) env->body_case);
    return f ? f->name : "none";
}

char *
bus_json_envelope (const char *topic, const Lab__Envelope *env)
{
    json_t *obj = bus_json_from_message ((const ProtobufCMessage *) env);
    json_object_set_new (obj, "topic", bus_json_text (topic));
    char *out = json_dumps (obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (obj);
    return out;
}
