/* bus_topic - which body each topic family carries: the typed topics of
 * docs/bus.md ("Topics").
 *
 * A topic's family is its leading words up to where the table says:
 * `state.board.board-a` belongs to `state.board`, `hb.labd` to `hb`. Each
 * family in the table carries exactly one body case. Topics of families not in
 * the table (tests, `labctl pub` scratch topics such as `tel.demo.x`) may carry
 * any body; their readers must switch on body_case themselves.
 *
 * Checked in three places, so a body of the wrong type is never dereferenced:
 * - the broker drops it at ingress and counts it (`wrong_body` in state.bus);
 * - bus_client_recv drops it and counts it (bus_counters_t.wrong_body), so
 *   what a consumer receives on a typed topic always has the typed body;
 * - a consumer reads a body only through bus_msg_body (bus_client.h), which
 *   returns NULL (and counts) when the case is not the one it asked for.
 * A consumer that receives messages from elsewhere (a test, a replay file, a
 * fuzz target) calls bus_topic_body_ok itself before looking at the body. */
#ifndef BUS_TOPIC_H
#define BUS_TOPIC_H

#include <stdbool.h>
#include <stddef.h>
#include "lab.pb-c.h"

/* The body case TOPIC's family carries, or LAB__ENVELOPE__BODY__NOT_SET when
 * the family is not typed (any body accepted). TOPIC need not be terminated
 * when LEN is given; bus_topic_body takes a C string. */
Lab__Envelope__BodyCase bus_topic_body_n (const char *topic, size_t len);
Lab__Envelope__BodyCase bus_topic_body (const char *topic);
/* True when ENV's body is what TOPIC's family carries (always true for an
 * untyped family; false for a NULL envelope). */
bool bus_topic_body_ok (const char *topic, const Lab__Envelope *env);
bool bus_topic_body_ok_n (const char *topic, size_t len, const Lab__Envelope *env);
/* The protobuf message name of a body case ("SerialLine"), for messages;
 * "none" for NOT_SET, "unknown" for a case this build does not know. */
const char *bus_topic_body_name (Lab__Envelope__BodyCase body);

/* Walks the table: the I-th family (from 0) and its body; false past the end.
 * For docs, `labctl topics` and the tests that cover every family. */
bool bus_topic_family_at (size_t i, const char **family, Lab__Envelope__BodyCase *body);

#endif
