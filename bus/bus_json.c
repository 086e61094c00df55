/* bus_json - protobuf-c messages to JSON through descriptors. */
#include "bus/bus_json.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *s_value (const ProtobufCFieldDescriptor *f, const void *p);

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
        case PROTOBUF_C_TYPE_STRING: {
            const char *s = *(char *const *) p;
            json_t *j = json_string (s ? s : "");   /* NULL on invalid UTF-8 */
            return j ? j : json_string ("<invalid utf-8>");
        }
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
    json_object_set_new (obj, "topic", json_string (topic ? topic : ""));
    char *out = json_dumps (obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (obj);
    return out;
}
