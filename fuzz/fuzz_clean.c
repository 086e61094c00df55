/* fuzz_clean - untrusted completions through the answer extraction: memory
 * safety, and the answer is never longer than the completion. */
#include "services/eval-runner/quality/evalq_clean.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = (char *) malloc (size + 1);
    memcpy (text, data, size);
    text[size] = 0;
    evalq_clean_t what;
    char *answer = evalq_clean (text, &what);
    if (!answer || strlen (answer) > strlen (text))
        abort ();
    if (what.think_unclosed && !what.think)
        abort ();
    free (answer);
    free (text);
    return 0;
}
