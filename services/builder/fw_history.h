/* fw_history - what was put on each board, and what it booted: one file per
 * board, <state>/builder/history/<board>.jsonl, one JSON object per flash or
 * OTA, appended and fsync'ed before the job reports done, read back at start
 * (so it survives a restart of any service, this one included).
 *
 * Event: {ts_ns, board, sha256, version, how ("usb"|"espnow"), result,
 * rollback, booted_version, job, recipe, error}. result: "ok" (booted what
 * was delivered), "mismatch" (booted something else; rollback when that is
 * the version it had before), "unconfirmed" (written, no boot report),
 * "failed" (the flash or push itself failed).
 * The board's expected version is the version of its newest event that
 * changed what is on it (any but failed: a failed flash changed nothing we
 * know of). */
#ifndef FW_HISTORY_H
#define FW_HISTORY_H

#include <czmq.h>
#include <jansson.h>
#include <stddef.h>
#include "lab.pb-c.h"

typedef struct _fw_history_t fw_history_t;

fw_history_t *fw_history_new (const char *dir, char *err, size_t errlen);
void fw_history_destroy (fw_history_t **self_p);

/* Parses one line; a new event object, or NULL when it is not one (fuzzed). */
json_t *fw_history_parse_event (const char *line, size_t len);

/* Appends EVENT (borrowed; must carry "board") and fsyncs. 0 or -1 (ERR). */
int fw_history_append (fw_history_t *self, json_t *event, char *err, size_t errlen);
/* True when BOARD has an event whose "source" is SOURCE (an OTA job seen
 * on the bus, recorded once even when its final state is replayed). */
bool fw_history_has_source (fw_history_t *self, const char *board, const char *source);
/* BOARD's events, newest first, at most MAX (new array). */
json_t *fw_history_events (fw_history_t *self, const char *board, size_t max);
/* What BOARD should be running after its last flash or OTA ("" unknown). */
const char *fw_history_expected (fw_history_t *self, const char *board);
/* The boards that have a history (new list of strings; zlist_destroy). */
zlist_t *fw_history_boards (fw_history_t *self);
size_t fw_history_malformed (fw_history_t *self);

/* The state.fwhistory.<board> body for BOARD (newest MAX events); free with
 * fw_history_msg_free. */
Lab__FirmwareHistory *fw_history_msg (fw_history_t *self, const char *board, size_t max);
void fw_history_msg_free (Lab__FirmwareHistory *msg);

#endif
