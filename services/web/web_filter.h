/* web_filter - the topic filter of /events?topics=prefix1,prefix2.
 *
 * The query value comes from any browser on the network, so it is parsed
 * strictly: at most WEB_FILTER_MAX prefixes, each shorter than
 * WEB_FILTER_PREFIX_MAX, made of letters, digits and ". _ - :" only; a
 * trailing "*" is accepted and means the same as the prefix without it
 * ("state.*" == "state."). Empty items are skipped; an empty filter (no
 * query, "", "*") matches every topic. */
#ifndef WEB_FILTER_H
#define WEB_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#define WEB_FILTER_MAX 16
#define WEB_FILTER_PREFIX_MAX 128

typedef struct {
    int count;                  /* 0: match everything */
    char prefix[WEB_FILTER_MAX][WEB_FILTER_PREFIX_MAX];
} web_filter_t;

/* Parses TEXT (may be NULL). Returns 0, or -1 with a one-line reason in ERR
 * (the filter is then left matching nothing useful and must not be used). */
int web_filter_parse (web_filter_t *self, const char *text, char *err, size_t errlen);
/* True when TOPIC starts with one of the prefixes (or the filter is empty). */
bool web_filter_match (const web_filter_t *self, const char *topic);

#endif
