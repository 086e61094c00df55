/* fuzz_config - untrusted text as a lab config: parse, index lines, and read
 * the bus section the way labbus does. */
#include "bus/bus_broker.h"
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *text = (char *) malloc (size + 1);
    memcpy (text, data, size);
    text[size] = '\0';
    char err[512];
    setenv ("LAB_RUNTIME_DIR", "/tmp", 1);
    lab_config_t *cfg = lab_config_load_str (text, "fuzz.cfg", err, sizeof err);
    if (cfg) {
        bus_broker_opts_t opts;
        bus_broker_opts_from_config (&opts, cfg, err, sizeof err);
        lab_config_destroy (&cfg);
    }
    free (text);
    return 0;
}
