/* fuzz_envelope - untrusted bytes as a bus envelope: unpack (what the broker
 * and every client do to each message) and print as JSON (labctl, replay). */
#include "bus/bus_json.h"
#include <stdlib.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    Lab__Envelope *env = lab__envelope__unpack (NULL, size, data);
    if (!env)
        return 0;
    char *json = bus_json_envelope ("fuzz", env);
    free (json);
    lab__envelope__free_unpacked (env, NULL);
    return 0;
}
