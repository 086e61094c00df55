/* fuzz_web_query - the /events?topics= filter: any bytes must parse or be
 * refused cleanly, and a parsed filter must only hold allowed prefixes. */
#include "services/web/web_filter.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = malloc (size + 1);
    if (!text)
        return 0;
    memcpy (text, data, size);
    text[size] = 0;
    web_filter_t f;
    char err[160];
    if (web_filter_parse (&f, text, err, sizeof err) == 0) {
        if (f.count < 0 || f.count > WEB_FILTER_MAX)
            abort ();
        for (int i = 0; i < f.count; i++) {
            size_t n = strlen (f.prefix[i]);
            if (n == 0 || n >= WEB_FILTER_PREFIX_MAX || strchr (f.prefix[i], ',') || strchr (f.prefix[i], '*'))
                abort ();
            /* A prefix always matches a topic that starts with it. */
            if (!web_filter_match (&f, f.prefix[i]))
                abort ();
        }
        web_filter_match (&f, text);
    }
    else if (!memchr (err, 0, sizeof err) || !err[0])
        abort ();
    free (text);
    return 0;
}
