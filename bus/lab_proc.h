/* lab_proc - what /proc says about a process: its memory (VmRSS, VmHWM),
 * its CPU time and its start time. One reader for labd's supervision, the
 * eval's peak-memory probe and the benches. */
#ifndef LAB_PROC_H
#define LAB_PROC_H

#include <stdint.h>
#include <sys/types.h>

/* VmRSS and VmHWM of PID in kB (/proc/PID/status); -1 when it is gone. */
int lab_proc_memory (pid_t pid, uint64_t *rss_kb, uint64_t *hwm_kb);
/* User + system CPU time of PID (all its threads) in seconds
 * (/proc/PID/stat fields 14 and 15); 0 when it is gone. */
double lab_proc_cpu_s (pid_t pid);
/* Start time of PID in clock ticks since boot (/proc/PID/stat field 22):
 * with the pid, it names one process even after the pid is reused. 0 when
 * it is gone. */
uint64_t lab_proc_start_time (pid_t pid);

#endif
