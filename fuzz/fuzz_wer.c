/* fuzz_wer - untrusted transcripts through the WER normaliser and aligner:
 * the input is "reference NUL hypothesis" (no NUL: the whole input is both).
 * Checks the invariants of the counts as well as memory safety. */
#include "services/eval-runner/quality/evalq_wer.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = (char *) malloc (size + 2);
    memcpy (text, data, size);
    text[size] = 0;
    text[size + 1] = 0;
    const char *ref = text, *hyp = memchr (text, 0, size) ? text + strlen (text) + 1 : text;
    evalq_wer_t c = { 0 };
    if (evalq_wer_add (&c, ref, hyp) == 0) {
        /* Every reference word is a hit, a substitution or a deletion. */
        if (c.hits + c.sub + c.del != c.ref_words)
            abort ();
        if (ref == hyp && (c.sub || c.del || c.ins))
            abort ();
        (void) evalq_wer_rate (&c);
    }
    free (text);
    return 0;
}
