/* evalq - placeholder until the quality scorer lands: every row is marked
 * unscored, so eval-runner can already link and call it. */
#include "services/eval-runner/quality/evalq.h"
#include <stdlib.h>
#include <string.h>

struct _evalq_t {
    char *scenarios_dir;
};

evalq_t *
evalq_new (const char *scenarios_dir, bus_client_t *bus, const char *judge_service, char *err,
           size_t errlen)
{
    (void) bus;
    (void) judge_service;
    (void) err;
    (void) errlen;
    evalq_t *self = (evalq_t *) calloc (1, sizeof (evalq_t));
    if (self)
        self->scenarios_dir = strdup (scenarios_dir ? scenarios_dir : "");
    return self;
}

void
evalq_destroy (evalq_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->scenarios_dir);
    free (*self_p);
    *self_p = NULL;
}

int
evalq_score_row (evalq_t *self, json_t *row)
{
    (void) self;
    json_object_set_new (row, "quality_error", json_string ("quality scoring not built"));
    return -1;
}
