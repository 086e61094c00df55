/* labctl_args - strict parsing of what the command line gives as numbers.
 * The whole text must be a number inside the stated range; anything else
 * ("abc", "-5", "12x", "", an overflow) is a usage error naming the option,
 * never a silent 0. */
#ifndef LABCTL_ARGS_H
#define LABCTL_ARGS_H

/* Parses TEXT as a whole number in [MIN, MAX] into *OUT. On failure prints
 * "labctl: WHAT: ..." to stderr and returns -1 (the caller exits 2). */
int labctl_parse_long (const char *what, const char *text, long min, long max, long *out);
/* The same for a decimal number (no NaN, no infinity). */
int labctl_parse_double (const char *what, const char *text, double min, double max, double *out);

#endif
