/* fuzz_judge_score - untrusted text as the judge's reply and as an answer
 * through the format gate. */
#include "services/judge-client/judge.h"
#include "services/eval-runner/quality/evalq.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = (char *) malloc (size + 1);
    memcpy (text, data, size);
    text[size] = 0;
    judge_result_t r;
    memset (&r, 0, sizeof r);
    if (judge_parse (text, &r) == 0 && (r.correctness < 1 || r.correctness > 5))
        abort ();
    json_t *parsed = NULL;
    char cause[160];
    if (evalq_format (text, "stop", &parsed, cause, sizeof cause) == 0)
        json_decref (parsed);
    free (text);
    return 0;
}
