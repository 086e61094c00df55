/* sb_addr2line - symbolising a panic's backtrace without waiting.
 *
 * addr2line on a large ELF can take seconds; serial-bridge's one loop
 * serves every board, so it never waits for it. The child runs with its
 * stdout on a non-blocking pipe that the loop polls; the job collects what
 * it prints until end of file or its deadline (then the child is killed),
 * and is reaped without blocking on a later turn. */
#ifndef SB_ADDR2LINE_H
#define SB_ADDR2LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _sb_addr2line_t sb_addr2line_t;

/* Starts `ADDR2LINE -pfiaC -e ELF PC...` for the PCs of a "Backtrace:"
 * LINE ("Backtrace: 0x400d1f2a:0x3ffb5a90 0x..."). NULL when the line has
 * no PC or the child cannot start. */
sb_addr2line_t *sb_addr2line_start (const char *addr2line, const char *elf, const char *line,
                                    uint64_t now_ms, int timeout_ms);
/* Kills the child if it still runs; a child not reaped yet is reaped here
 * only if already dead (the caller keeps calling work until reaped when it
 * can: see sb_addr2line_reaped). */
void sb_addr2line_destroy (sb_addr2line_t **self_p);

/* The pipe to poll for reading; -1 once the output is complete. */
int sb_addr2line_fd (sb_addr2line_t *self);
/* Reads what is there, enforces the deadline, reaps the child when it has
 * exited. Never blocks. */
void sb_addr2line_work (sb_addr2line_t *self, uint64_t now_ms);
/* The output is complete (end of file, or the deadline passed). */
bool sb_addr2line_done (sb_addr2line_t *self);
/* The child has been reaped: the job can be destroyed. */
bool sb_addr2line_reaped (sb_addr2line_t *self);
/* What it printed (NUL-terminated, at most 16 KB); "timed out" noted. */
const char *sb_addr2line_output (sb_addr2line_t *self);
bool sb_addr2line_timed_out (sb_addr2line_t *self);

#endif
