/* fuzz_memprobe - what nvidia-smi or a footprint command prints, untrusted:
 * memory safety, and a figure found is a sane number. */
#include "services/eval-runner/eval_memprobe.h"
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = (char *) malloc (size + 1);
    memcpy (text, data, size);
    text[size] = 0;
    uint64_t kb = 0;
    eval_nvidia_parse (text, 428, &kb);
    if (eval_footprint_parse (text, &kb) == 0 && kb > (uint64_t) 1e15)
        abort ();
    free (text);
    return 0;
}
