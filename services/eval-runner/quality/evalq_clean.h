/* evalq_clean - the answer inside a completion, taken out the same way for
 * every backend before the format gate, so that a server's way of sending
 * reasoning or a model's habit of fencing JSON is not scored as a wrong
 * answer on one side only:
 *   1. <think>...</think> blocks anywhere in the content are reasoning (MLX
 *      servers and some templates stream them inside content, where
 *      llama-server and vLLM move them to reasoning_content / reasoning); an
 *      unclosed <think> at the start means everything was reasoning;
 *   2. leading and trailing white space;
 *   3. one code fence around the whole rest (``` or ```json ... ```).
 * What was removed is reported, so each row can say so. The raw completion
 * stays in the row; leaked template tokens are checked on it, not here. */
#ifndef EVALQ_CLEAN_H
#define EVALQ_CLEAN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    bool think;          /* a <think> block was removed */
    bool think_unclosed; /* ... and it never closed: no answer left */
    bool fence;          /* a code fence was removed */
} evalq_clean_t;

/* The answer of TEXT (malloc'd, never NULL); what was removed in *WHAT. */
char *evalq_clean (const char *text, evalq_clean_t *what);

#endif
