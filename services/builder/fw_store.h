/* fw_store - the builds log and the artefacts, under <state>/builder:
 *
 *   builds.jsonl                 one JSON object per finished build, appended
 *                                and fsync'ed (the `labctl builds` history)
 *   artefacts/<recipe>/<sha256>.bin   the last `keep` distinct images per recipe
 *
 * A build row: {job, recipe, ts_ns, result ("ok"|"failed"), exit_status,
 * exit_signal, timed_out, build_s, size, sha256, version, project, path,
 * error, last_lines[]}. A torn or foreign line is skipped and counted, never
 * fatal: the log is read back at every start. */
#ifndef FW_STORE_H
#define FW_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct _fw_store_t fw_store_t;

/* Opens (creating) DIR and reads builds.jsonl. NULL with ERR on failure. */
fw_store_t *fw_store_new (const char *dir, char *err, size_t errlen);
void fw_store_destroy (fw_store_t **self_p);

/* Parses one builds.jsonl line; a new object, or NULL when it is not a
 * build row (fuzzed). */
json_t *fw_store_parse_row (const char *line, size_t len);

/* Copies the file SRC into the store as artefacts/RECIPE/SHA256.bin (via a
 * temporary file and rename) and writes its path into OUT. Returns 0 or -1. */
int fw_store_keep (fw_store_t *self, const char *recipe, const char *sha256, const char *src, char *out,
                   size_t outlen, char *err, size_t errlen);
/* Copies SRC to DST through DST.tmp, fsync and rename, so DST is never
 * seen half-written. Returns 0 or -1 (ERR). */
int fw_store_copy (const char *src, const char *dst, char *err, size_t errlen);
/* Appends ROW (borrowed) to the log, then deletes artefacts of RECIPE beyond
 * the newest KEEP distinct ones. Returns 0 or -1. */
int fw_store_add (fw_store_t *self, json_t *row, int keep, char *err, size_t errlen);

/* The newest successful row whose artefact is still kept: REF "latest" (of
 * RECIPE, or of any recipe when RECIPE is NULL) or a SHA-256 prefix of at
 * least 6 hex digits. Borrowed, or NULL with ERR saying why. */
json_t *fw_store_find (fw_store_t *self, const char *recipe, const char *ref, char *err, size_t errlen);
/* The newest rows first, at most MAX, of RECIPE (NULL: all). New array. */
json_t *fw_store_list (fw_store_t *self, const char *recipe, size_t max);
/* Lines of builds.jsonl that were skipped as malformed. */
size_t fw_store_malformed (fw_store_t *self);

#endif
