/* evalq_clean - the answer inside a completion; see the header. */
#include "services/eval-runner/quality/evalq_clean.h"
#include <stdlib.h>
#include <string.h>

static bool
s_space (char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Removes every <think>...</think> from S in place. */
static void
s_drop_think (char *s, evalq_clean_t *what)
{
    char *open;
    while ((open = strstr (s, "<think>"))) {
        what->think = true;
        char *close = strstr (open, "</think>");
        if (!close) {
            /* Cut off mid-thought (max_tokens): there is no answer. */
            what->think_unclosed = true;
            *open = 0;
            return;
        }
        close += strlen ("</think>");
        memmove (open, close, strlen (close) + 1);
    }
}

static char *
s_trim (char *s)
{
    while (s_space (*s))
        s++;
    size_t n = strlen (s);
    while (n && s_space (s[n - 1]))
        s[--n] = 0;
    return s;
}

/* One fence around the whole of S: ``` or ```lang on the first line,
 * ``` at the end. */
static char *
s_drop_fence (char *s, evalq_clean_t *what)
{
    size_t n = strlen (s);
    if (n < 6 || strncmp (s, "```", 3) || strcmp (s + n - 3, "```"))
        return s;
    char *nl = strchr (s + 3, '\n');
    if (!nl || nl > s + n - 3)
        return s;
    for (char *p = s + 3; p < nl; p++)
        if (s_space (*p) && *p != '\r')
            return s;   /* not a language tag: prose on the fence line */
    s[n - 3] = 0;
    what->fence = true;
    return s_trim (nl + 1);
}

char *
evalq_clean (const char *text, evalq_clean_t *what)
{
    memset (what, 0, sizeof *what);
    char *buf = strdup (text ? text : "");
    if (!buf)
        return NULL;
    s_drop_think (buf, what);
    char *answer = s_drop_fence (s_trim (buf), what);
    char *out = strdup (answer);
    free (buf);
    return out;
}
