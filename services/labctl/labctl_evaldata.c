/* labctl_evaldata - reading a sweep's output directory (see the header). */
#include "services/labctl/labctl_evaldata.h"
#include "bus/lab_config.h"
#include <czmq.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
labctl_eval_dir (const char *arg, char *out, size_t outlen)
{
    struct stat st;
    if (stat (arg, &st) == 0 && !S_ISDIR (st.st_mode)) {
        char err[256];
        lab_config_t *plan = lab_config_load (arg, err, sizeof err);
        if (!plan) {
            fprintf (stderr, "labctl: %s\n", err);
            return -1;
        }
        snprintf (out, outlen, "%s", lab_config_get (plan, "plan/output", "."));
        lab_config_destroy (&plan);
    }
    else
        snprintf (out, outlen, "%s", arg);
    return 0;
}

const char *
labctl_eval_args (int argc, char **argv, const char *const *opts, const char **values)
{
    const char *arg = NULL;
    for (int i = 0; i < argc; i++) {
        int k = 0;
        while (opts[k] && strcmp (argv[i], opts[k]))
            k++;
        if (opts[k] && i + 1 < argc)
            values[k] = argv[++i];
        else if (argv[i][0] != '-' && !arg)
            arg = argv[i];
        else
            return NULL;
    }
    return arg;
}

void
labctl_eval_pack (const char *arg, char *out, size_t outlen)
{
    snprintf (out, outlen, "eval/scenarios");
    struct stat st;
    if (stat (arg, &st) == 0 && !S_ISDIR (st.st_mode)) {
        char err[256];
        lab_config_t *plan = lab_config_load (arg, err, sizeof err);
        if (plan)
            snprintf (out, outlen, "%s", lab_config_get (plan, "plan/scenarios", "eval/scenarios"));
        lab_config_destroy (&plan);
    }
}

char *
labctl_eval_completion (const char *dir, json_t *row)
{
    const char *file = json_string_value (json_object_get (row, "completion_file"));
    if (file && !strstr (file, "..")) {
        char path[4200];
        snprintf (path, sizeof path, "%s/%s", dir, file);
        zchunk_t *chunk = zchunk_slurp (path, 0);
        if (chunk) {
            char *text = zchunk_strdup (chunk);
            zchunk_destroy (&chunk);
            return text;
        }
    }
    const char *c = json_string_value (json_object_get (row, "completion"));
    return strdup (c ? c : "");
}
