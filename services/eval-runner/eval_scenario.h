/* eval_scenario - the scenario pack shared with the quality scorer:
 * <dir>/<id>/scenario.cfg (ZPL) with `scenario/id`, `scenario/kind`
 * (triage|audio|image) and a `prompt` section (system or system_file, user or
 * user_file, optional image_file, audio_file + audio_format, max_tokens);
 * file paths are relative to the scenario's directory. Canned answers for
 * the simulated server live in <dir>/<id>/answers/{good,bad,symptom}.txt.
 * eval-runner builds requests from it; labsim llm recognises requests by
 * their user message. */
#ifndef EVAL_SCENARIO_H
#define EVAL_SCENARIO_H

#include <jansson.h>
#include <stddef.h>

typedef struct {
    char *id;
    char *kind;
    char *dir;           /* the scenario's directory */
    char *system;        /* NULL when none */
    char *user;
    char *image_file;    /* absolute or relative to cwd; NULL when none */
    char *audio_file;
    char *audio_format;
    long max_tokens;     /* 0: the plan's */
} eval_scenario_t;

typedef struct _eval_pack_t eval_pack_t;

/* Loads every <DIR>/<id>/scenario.cfg, sorted by id. A broken scenario is an
 * error with file:line in ERR. */
eval_pack_t *eval_pack_load (const char *dir, char *err, size_t errlen);
void eval_pack_destroy (eval_pack_t **self_p);
size_t eval_pack_size (eval_pack_t *self);
const eval_scenario_t *eval_pack_at (eval_pack_t *self, size_t i);
const eval_scenario_t *eval_pack_find (eval_pack_t *self, const char *id);
/* The scenario whose user text equals TEXT (leading/trailing white space ignored). */
const eval_scenario_t *eval_pack_match_user (eval_pack_t *self, const char *text);

/* Reads a whole file (NUL-terminated; *len_p gets the size when not NULL). */
char *eval_read_file (const char *path, size_t *len_p);

/* The chat messages array for a scenario: system, then user; the user
 * content is a string, or parts (text, image_url, input_audio as base64 data)
 * when the scenario has an image or audio file. NULL with ERR on a file that
 * cannot be read. */
json_t *eval_scenario_messages (const eval_scenario_t *sc, char *err, size_t errlen);

/* The text of the last user message of a request's messages array (string
 * content, or the text parts joined); NULL when there is none. Caller frees. */
char *eval_messages_user_text (json_t *messages);

#endif
