/* fuzz_labd_config - untrusted text as labd's services and backends: parse,
 * expand, split commands, order by dependencies. */
#include "services/labd/labd_unit.h"
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
    lab_config_t *cfg = lab_config_load_str (text, "fuzz.cfg", err, sizeof err);
    if (cfg) {
        labd_unit_t *units = NULL;
        int n = labd_units_load (cfg, "/fuzz.cfg", "/tmp", &units, err, sizeof err);
        if (n >= 0)
            labd_units_free (units, n);
        lab_config_destroy (&cfg);
    }
    free (text);
    return 0;
}
