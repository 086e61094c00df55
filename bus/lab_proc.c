/* lab_proc - /proc/PID/status and /proc/PID/stat readers. The command name
 * in stat may hold spaces and parentheses, so its fields are counted from
 * the last ')'. */
#include "bus/lab_proc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
lab_proc_memory (pid_t pid, uint64_t *rss_kb, uint64_t *hwm_kb)
{
    char path[64], line[256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *f = pid > 0 ? fopen (path, "r") : NULL;
    if (!f)
        return -1;
    *rss_kb = *hwm_kb = 0;
    while (fgets (line, sizeof line, f)) {
        if (!strncmp (line, "VmRSS:", 6))
            *rss_kb = strtoull (line + 6, NULL, 10);
        else if (!strncmp (line, "VmHWM:", 6))
            *hwm_kb = strtoull (line + 6, NULL, 10);
    }
    fclose (f);
    return 0;
}

/* The text of /proc/PID/stat after the command's closing ')', in BUF. */
static const char *
s_stat_fields (pid_t pid, char *buf, size_t len)
{
    char path[64];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *f = pid > 0 ? fopen (path, "r") : NULL;
    if (!f)
        return NULL;
    size_t n = fread (buf, 1, len - 1, f);
    fclose (f);
    buf[n] = 0;
    const char *p = strrchr (buf, ')');
    return p && p[1] == ' ' ? p + 2 : NULL;
}

double
lab_proc_cpu_s (pid_t pid)
{
    char buf[1024];
    const char *p = s_stat_fields (pid, buf, sizeof buf);
    unsigned long ut = 0, st = 0;
    /* state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
    if (p && sscanf (p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
        return (double) (ut + st) / (double) sysconf (_SC_CLK_TCK);
    return 0;
}

uint64_t
lab_proc_start_time (pid_t pid)
{
    char buf[1024];
    const char *p = s_stat_fields (pid, buf, sizeof buf);
    if (!p)
        return 0;
    /* p is at field 3; start time is field 22. */
    for (int field = 3; *p && field < 22; p++)
        if (*p == ' ')
            field++;
    return strtoull (p, NULL, 10);
}
