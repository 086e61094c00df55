/* bus_recorder - the broker's flight recorder: every message, bounded, rotating.
 *
 * A recorder file starts with the 8-byte magic "LBREC001" and holds records
 *     u32 record_len | u64 ts_ns | u16 topic_len | topic | envelope bytes
 * (little-endian; record_len counts everything after itself). When a file
 * would pass max_size it becomes PATH.1 (PATH.1 becomes PATH.2 ...), keeping
 * FILES files in all, so the recorder never holds more than files × max_size.
 * The reader walks the files oldest first and stops cleanly at a record cut
 * short by a crash. */
#ifndef BUS_RECORDER_H
#define BUS_RECORDER_H

#include <stddef.h>
#include <stdint.h>

typedef struct _bus_recorder_t bus_recorder_t;

bus_recorder_t *bus_recorder_new (const char *path, size_t max_size, int files, char *err, size_t errlen);
void bus_recorder_destroy (bus_recorder_t **self_p);
/* Appends one message; returns 0 or -1 (the error is logged once). */
int bus_recorder_write (bus_recorder_t *self, uint64_t ts_ns, const char *topic, size_t topic_len,
                        const void *body, size_t body_len);
void bus_recorder_flush (bus_recorder_t *self);
/* Bytes written since start (all files). */
uint64_t bus_recorder_bytes (bus_recorder_t *self);

typedef int (bus_recorder_fn) (uint64_t ts_ns, const char *topic, const uint8_t *body, size_t len, void *arg);
/* Calls FN for every record in PATH's files, oldest first, until FN returns
 * non-zero. Returns the number of records read, or -1 when no file exists.
 * *corrupt_p (if given) counts records skipped as damaged. */
long bus_recorder_read (const char *path, int files, bus_recorder_fn *fn, void *arg, long *corrupt_p);

#endif
