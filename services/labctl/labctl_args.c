/* labctl_args - strict number parsing for command-line options: strtol and
 * strtod with every way they can half-succeed turned into an error. */
#include "services/labctl/labctl_args.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int
labctl_parse_long (const char *what, const char *text, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = text ? strtol (text, &end, 10) : 0;
    if (!text || !*text || end == text || *end || errno == ERANGE || v < min || v > max) {
        fprintf (stderr, "labctl: %s: '%s' is not a whole number from %ld to %ld\n", what,
                 text ? text : "", min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int
labctl_parse_double (const char *what, const char *text, double min, double max, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = text ? strtod (text, &end) : 0;
    if (!text || !*text || end == text || *end || errno == ERANGE || !isfinite (v) || v < min
        || v > max) {
        fprintf (stderr, "labctl: %s: '%s' is not a number from %g to %g\n", what, text ? text : "",
                 min, max);
        return -1;
    }
    *out = v;
    return 0;
}
