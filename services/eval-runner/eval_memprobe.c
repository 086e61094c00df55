/* eval_memprobe - a backend's memory where it runs; see the header. */
#include "services/eval-runner/eval_memprobe.h"
#include "bus/lab_proc.h"
#include "bus/lab_spawn.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
eval_memprobe_parse (eval_memprobe_t *p, const char *spec, eval_probe_kind_t dflt, char *err, size_t errlen)
{
    memset (p, 0, sizeof *p);
    snprintf (p->nvidia_smi, sizeof p->nvidia_smi, "nvidia-smi");
    if (!spec || !*spec)
        p->kind = dflt;
    else if (!strcmp (spec, "proc"))
        p->kind = EVAL_PROBE_PROC;
    else if (!strcmp (spec, "nvidia-smi"))
        p->kind = EVAL_PROBE_NVIDIA;
    else if (!strncmp (spec, "command:", 8) && spec[8]) {
        p->kind = EVAL_PROBE_COMMAND;
        snprintf (p->command, sizeof p->command, "%s", spec + 8);
    }
    else {
        snprintf (err, errlen, "memory_probe must be proc, nvidia-smi or command:CMD, not '%s'", spec);
        return -1;
    }
    return 0;
}

const char *
eval_memprobe_name (const eval_memprobe_t *p)
{
    switch (p->kind) {
    case EVAL_PROBE_PROC: return "proc";
    case EVAL_PROBE_NVIDIA: return "proc+nvidia-smi";
    case EVAL_PROBE_COMMAND: return "command";
    default: return "none";
    }
}

uint64_t
eval_proc_vmhwm_kb (pid_t pid)
{
    uint64_t rss = 0, hwm = 0;
    return lab_proc_memory (pid, &rss, &hwm) == 0 ? hwm : 0;
}

/* kB in one UNIT (case-insensitive); 0 when it is not a unit. */
static double
s_unit_kb (const char *unit, size_t len)
{
    static const struct {
        const char *name;
        double kb;
    } units[] = { { "b", 1.0 / 1024 }, { "bytes", 1.0 / 1024 }, { "k", 1 }, { "kb", 1 }, { "kib", 1 },
                  { "m", 1024 }, { "mb", 1024 }, { "mib", 1024 }, { "g", 1024 * 1024 }, { "gb", 1024 * 1024 },
                  { "gib", 1024 * 1024 } };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen (units[i].name) == len && !strncasecmp (unit, units[i].name, len))
            return units[i].kb;
    return 0;
}

int
eval_footprint_parse (const char *text, uint64_t *kb)
{
    const char *p = text;
    while (p && *p && !isdigit ((unsigned char) *p))
        p++;
    if (!p || !*p)
        return -1;
    char *end;
    double x = strtod (p, &end);
    while (*end == ' ' || *end == '\t')
        end++;
    size_t len = 0;
    while (isalpha ((unsigned char) end[len]))
        len++;
    double per = len ? s_unit_kb (end, len) : 1;
    if (!(per > 0))
        per = 1;   /* a word that is no unit: the number is kB */
    if (!(x >= 0) || x * per > 1e15)
        return -1;
    *kb = (uint64_t) (x * per + 0.5);
    return 0;
}

int
eval_nvidia_parse (const char *csv, pid_t pid, uint64_t *kb)
{
    /* Lines "pid, process_name, used_memory" with or without the header
     * and the " MiB" unit (recorded from driver 580.159.04). A process on
     * several GPUs has one line per GPU: they add up. */
    bool found = false;
    uint64_t sum = 0;
    const char *line = csv;
    while (line && *line) {
        const char *nl = strchr (line, '\n');
        size_t len = nl ? (size_t) (nl - line) : strlen (line);
        char buf[512];
        snprintf (buf, sizeof buf, "%.*s", (int) (len < sizeof buf - 1 ? len : sizeof buf - 1), line);
        char *c1 = strchr (buf, ','), *c2 = c1 ? strrchr (buf, ',') : NULL;
        char *end;
        long p = strtol (buf, &end, 10);
        if (c1 && c2 && c2 > c1 && end == c1 && p == (long) pid) {
            uint64_t mib;
            double x = strtod (c2 + 1, &end);
            if (end != c2 + 1 && x >= 0) {
                mib = (uint64_t) x;
                sum += mib * 1024;
                found = true;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    if (!found)
        return -1;
    *kb = sum;
    return 0;
}

/* What ARGV prints (its first 64 kB), NULL when it cannot run, fails, or
 * takes longer than PROBE_TIMEOUT_MS: a probe over ssh to a host that went
 * away must not hold the eval. */
#define PROBE_TIMEOUT_MS 10000
static char *
s_run (char *const argv[])
{
    size_t cap = 65536;
    char *out = (char *) malloc (cap);
    char err[256];
    if (out && lab_spawn_capture (argv, PROBE_TIMEOUT_MS, out, cap, err, sizeof err) == 0)
        return out;
    free (out);
    return NULL;
}

uint64_t
eval_memprobe_sample (const eval_memprobe_t *p, pid_t pid, char *why, size_t whylen)
{
    why[0] = 0;
    if (p->kind == EVAL_PROBE_NONE) {
        snprintf (why, whylen, "no memory_probe for a backend that runs elsewhere");
        return 0;
    }
    if (p->kind == EVAL_PROBE_COMMAND) {
        /* A shell command by design: the user's probe line (ssh, a pipe). */
        char *const argv[] = { "/bin/sh", "-c", (char *) p->command, NULL };
        char *out = s_run (argv);
        uint64_t kb = 0;
        if (!out || eval_footprint_parse (out, &kb))
            snprintf (why, whylen, "memory_probe command %s", out ? "printed no number" : "failed");
        free (out);
        return kb;
    }
    uint64_t kb = eval_proc_vmhwm_kb (pid);
    if (!kb) {
        snprintf (why, whylen, "no /proc/%d/status", (int) pid);
        return 0;
    }
    if (p->kind == EVAL_PROBE_NVIDIA) {
        char *const argv[] = { (char *) p->nvidia_smi, "--query-compute-apps=pid,process_name,used_memory",
                               "--format=csv,noheader,nounits", NULL };
        char *out = s_run (argv);
        uint64_t gpu = 0;
        if (!out)
            snprintf (why, whylen, "nvidia-smi did not run");
        else if (eval_nvidia_parse (out, pid, &gpu))
            snprintf (why, whylen, "nvidia-smi lists no device memory for pid %d", (int) pid);
        free (out);
        if (why[0])
            return 0;   /* RSS alone would pass for the whole: unknown instead */
        kb += gpu;
    }
    return kb;
}
