/* bus_json - any protobuf-c message as JSON, by reflection over its
 * descriptor, so labctl, the flight-recorder replay and the web page print
 * every body without per-type code. Fields at their default value (0, "",
 * false, empty) are left out, as proto3 JSON does. */
#ifndef BUS_JSON_H
#define BUS_JSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include "lab.pb-c.h"

/* A new JSON object for MSG (caller owns the reference). */
json_t *bus_json_from_message (const ProtobufCMessage *msg);
/* {"topic":..., "source":..., "seq":..., "ts_ns":..., "<body>":{...}} as a
 * compact string; free() it. */
char *bus_json_envelope (const char *topic, const Lab__Envelope *env);
/* A JSON string for S (NUL-terminated) or the LEN bytes at S, whatever they
 * hold: invalid UTF-8 sequences become U+FFFD, so a hostile name or version
 * still yields valid JSON (jansson refuses invalid UTF-8 and would return
 * NULL). Never NULL for a NULL S: "" then. */
json_t *bus_json_text (const char *s);
json_t *bus_json_textn (const char *s, size_t len);
/* The name of the envelope's body ("serial_line", "alert", ...) or "none". */
const char *bus_json_body_name (const Lab__Envelope *env);

#endif
