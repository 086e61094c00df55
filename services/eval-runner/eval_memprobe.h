/* eval_memprobe - how much memory a backend holds, measured where it runs.
 * One module for every memory reader of eval-runner (the /proc reader too),
 * so the lab has one place to look.
 *
 * Probes (the backend's `memory_probe` in the lab config):
 *   proc          VmHWM of the local process (peak resident set). The
 *                 default for a backend eval-runner or labd starts.
 *   nvidia-smi    VmHWM plus the process's device memory from
 *                 `nvidia-smi --query-compute-apps=pid,process_name,used_memory
 *                 --format=csv,noheader,nounits` (MiB; summed over GPUs). A
 *                 CUDA backend's resident set misses almost all it uses
 *                 (recorded: 614 MB RSS against 10,850 MiB on the GPU).
 *   command:CMD   CMD (run by /bin/sh, e.g. an ssh to the host that runs an
 *                 external backend) prints the footprint: the first number
 *                 on its output with an optional unit (B, kB/KiB/K, MB/MiB/M,
 *                 GB/GiB/G; none = kB). On macOS `footprint` reports the
 *                 physical footprint, which counts Metal buffers where RSS
 *                 does not.
 *   (none)        an external backend without a probe: unknown.
 * A figure a probe could not get is 0 = unknown, never a tie. Device
 * memory and command figures are samples (the largest seen), not a kernel
 * high-water mark; the row says which probe it used. */
#ifndef EVAL_MEMPROBE_H
#define EVAL_MEMPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum { EVAL_PROBE_NONE, EVAL_PROBE_PROC, EVAL_PROBE_NVIDIA, EVAL_PROBE_COMMAND } eval_probe_kind_t;

typedef struct {
    eval_probe_kind_t kind;
    char command[512];       /* EVAL_PROBE_COMMAND */
    char nvidia_smi[256];    /* the program; "nvidia-smi" from PATH */
} eval_memprobe_t;

/* Reads SPEC ("proc", "nvidia-smi", "command:CMD"; NULL or "" gives DFLT).
 * -1 with ERR on anything else. */
int eval_memprobe_parse (eval_memprobe_t *p, const char *spec, eval_probe_kind_t dflt, char *err, size_t errlen);
/* "proc", "proc+nvidia-smi", "command", "none". */
const char *eval_memprobe_name (const eval_memprobe_t *p);

/* One sample of PID's memory (PID <= 0: unknown for proc and nvidia-smi) in
 * kB; 0 when unknown. WHY says what failed. */
uint64_t eval_memprobe_sample (const eval_memprobe_t *p, pid_t pid, char *why, size_t whylen);

/* VmHWM of PID in kB (0 when it cannot be read). */
uint64_t eval_proc_vmhwm_kb (pid_t pid);

/* The device memory of PID in nvidia-smi's compute-apps CSV (with or
 * without header and units), in kB; -1 when PID is not listed. */
int eval_nvidia_parse (const char *csv, pid_t pid, uint64_t *kb);
/* The first number of TEXT with its unit, in kB; -1 when there is none. */
int eval_footprint_parse (const char *text, uint64_t *kb);

#endif
