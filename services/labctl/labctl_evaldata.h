/* labctl_evaldata - the arguments and files of a sweep's output directory
 * shared by `labctl eval decide`, `score` and `report`; the rows and the
 * decision themselves come from evala (services/eval-runner/analysis/). */
#ifndef LABCTL_EVALDATA_H
#define LABCTL_EVALDATA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* ARG is a sweep's output directory, or a plan file whose plan/output names
 * it. Writes the directory into OUT; -1 with a message on stderr when a plan
 * cannot be read. */
int labctl_eval_dir (const char *arg, char *out, size_t outlen);

/* The arguments of `eval score|report`: one positional (returned) and
 * options taking a value, OPTS[i] (NULL-terminated) setting VALUES[i]
 * (unchanged when absent). NULL on anything else: a usage error. */
const char *labctl_eval_args (int argc, char **argv, const char *const *opts, const char **values);

/* The scenario pack of the sweep in ARG: the plan's plan/scenarios when ARG
 * is a plan, else eval/scenarios. */
void labctl_eval_pack (const char *arg, char *out, size_t outlen);

/* The raw completion of ROW: its completion_file under DIR, else its
 * "completion" field; "" when neither. Caller frees. */
char *labctl_eval_completion (const char *dir, json_t *row);

#endif
