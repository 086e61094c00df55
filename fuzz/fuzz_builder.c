/* fuzz_builder - untrusted bytes as what the builder reads back: a firmware
 * image's header and application description, a builds.jsonl row, a
 * firmware-history line and a lab config's builds section. The first byte
 * picks which. */
#include "services/builder/fw_history.h"
#include "services/builder/fw_image.h"
#include "services/builder/fw_recipe.h"
#include "services/builder/fw_store.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t which = data[0] % 4;
    data++, size--;
    char err[512];
    if (which == 0) {
        fw_image_info_t info;
        memset (&info, 0, sizeof info);
        if (!fw_image_describe (data, size, &info, err, sizeof err) && strlen (info.version) > 32)
            abort ();
    }
    else if (which == 1) {
        json_t *row = fw_store_parse_row ((const char *) data, size);
        json_decref (row);
    }
    else if (which == 2) {
        json_t *ev = fw_history_parse_event ((const char *) data, size);
        json_decref (ev);
    }
    else {
        char *text = (char *) malloc (size + 1);
        memcpy (text, data, size);
        text[size] = 0;
        lab_config_t *cfg = lab_config_load_str (text, "fuzz.cfg", err, sizeof err);
        fw_recipes_t set;
        if (cfg && !fw_recipes_load (cfg, &set, err, sizeof err))
            fw_recipes_free (&set);
        lab_config_destroy (&cfg);
        free (text);
    }
    return 0;
}
