/* bus_topic - the table of topic families and their body types.
 *
 * Keep this table and docs/bus.md ("Topics") the same: a new family is added
 * in both. Families are matched as whole words: `tel.serial` covers
 * `tel.serial` and `tel.serial.<anything>`, never `tel.serialx`. The table is
 * small and scanned linearly; the broker calls this once per message.
 * Not typed (yet): evt.chat.* (chat-gateway sends text Blobs; the web page's
 * chat counters also read ChatMessage bodies there), so its readers switch on
 * the body case. */
#include "bus/bus_topic.h"
#include <string.h>

typedef struct {
    const char *family;
    Lab__Envelope__BodyCase body;
    size_t len;
} s_family_t;

/* sizeof - 1: the length without strlen on every message. */
#define F(name, body) { name, body, sizeof name - 1 }

static const s_family_t s_families[] = {
    F ("tel.serial", LAB__ENVELOPE__BODY_SERIAL_LINE),
    F ("tel.frame", LAB__ENVELOPE__BODY_BOARD_FRAME),
    F ("tel.rssi", LAB__ENVELOPE__BODY_RSSI),
    F ("tel.pingpong", LAB__ENVELOPE__BODY_PINGPONG),
    F ("cmd.espnow", LAB__ENVELOPE__BODY_BOARD_FRAME),
    F ("state.bus", LAB__ENVELOPE__BODY_BUS_STATS),
    F ("state.service", LAB__ENVELOPE__BODY_SERVICE),
    F ("state.backend", LAB__ENVELOPE__BODY_BACKEND),
    F ("state.board", LAB__ENVELOPE__BODY_BOARD),
    F ("state.ota", LAB__ENVELOPE__BODY_OTA),
    F ("state.distance", LAB__ENVELOPE__BODY_DISTANCE),
    F ("state.eval", LAB__ENVELOPE__BODY_EVAL_SWEEP),
    F ("state.build", LAB__ENVELOPE__BODY_BUILD_JOB),
    F ("state.fwhistory", LAB__ENVELOPE__BODY_FW_HISTORY),
    F ("evt.alert", LAB__ENVELOPE__BODY_ALERT),
    F ("evt.eval", LAB__ENVELOPE__BODY_EVAL_ROW),
    F ("evt.flash", LAB__ENVELOPE__BODY_FW_EVENT),
    F ("evt.rssi.moved", LAB__ENVELOPE__BODY_RSSI_MOVED),
    F ("hb", LAB__ENVELOPE__BODY_HEARTBEAT),
    F ("log", LAB__ENVELOPE__BODY_BLOB),
};
#define FAMILIES (sizeof s_families / sizeof s_families[0])

Lab__Envelope__BodyCase
bus_topic_body_n (const char *topic, size_t len)
{
    if (!topic)
        return LAB__ENVELOPE__BODY__NOT_SET;
    for (size_t i = 0; i < FAMILIES; i++) {
        size_t flen = s_families[i].len;
        if (len >= flen && memcmp (topic, s_families[i].family, flen) == 0
            && (len == flen || topic[flen] == '.'))
            return s_families[i].body;
    }
    return LAB__ENVELOPE__BODY__NOT_SET;
}

Lab__Envelope__BodyCase
bus_topic_body (const char *topic)
{
    return bus_topic_body_n (topic, topic ? strlen (topic) : 0);
}

bool
bus_topic_body_ok_n (const char *topic, size_t len, const Lab__Envelope *env)
{
    if (!env)
        return false;
    Lab__Envelope__BodyCase want = bus_topic_body_n (topic, len);
    return want == LAB__ENVELOPE__BODY__NOT_SET || env->body_case == want;
}

bool
bus_topic_body_ok (const char *topic, const Lab__Envelope *env)
{
    return bus_topic_body_ok_n (topic, topic ? strlen (topic) : 0, env);
}

const char *
bus_topic_body_name (Lab__Envelope__BodyCase body)
{
    if (body == LAB__ENVELOPE__BODY__NOT_SET)
        return "none";
    const ProtobufCFieldDescriptor *f
        = protobuf_c_message_descriptor_get_field (&lab__envelope__descriptor, (unsigned) body);
    if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE || !f->descriptor)
        return "unknown";
    return ((const ProtobufCMessageDescriptor *) f->descriptor)->short_name;
}

bool
bus_topic_family_at (size_t i, const char **family, Lab__Envelope__BodyCase *body)
{
    if (i >= FAMILIES)
        return false;
    if (family)
        *family = s_families[i].family;
    if (body)
        *body = s_families[i].body;
    return true;
}
