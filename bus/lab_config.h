/* lab_config - the lab configuration file (ZPL, read with CZMQ's zconfig).
 *
 * zconfig does not remember line numbers, so on load we also scan the text
 * once and remember the line of every node path; every error this module or
 * its callers report then reads "file:line: what is wrong". */
#ifndef LAB_CONFIG_H
#define LAB_CONFIG_H

#include <czmq.h>
#include <stdbool.h>

typedef struct _lab_config_t lab_config_t;

/* Loads and parses PATH. On failure returns NULL and writes
 * "PATH:LINE: message" into err. */
lab_config_t *lab_config_load (const char *path, char *err, size_t errlen);
/* Parses config text held in memory; NAME stands for the file in errors. */
lab_config_t *lab_config_load_str (const char *text, const char *name, char *err, size_t errlen);
void lab_config_destroy (lab_config_t **self_p);

zconfig_t *lab_config_root (lab_config_t *self);
const char *lab_config_path (lab_config_t *self);

/* Value at "section/sub/key", or DEFAULT when absent. */
const char *lab_config_get (lab_config_t *self, const char *path, const char *dflt);

/* Line number (1-based) of a node, 0 when unknown. */
int lab_config_line (lab_config_t *self, zconfig_t *node);

/* Writes "file:line: <formatted message>" for NODE into err; returns -1 so a
 * caller can `return lab_config_error (...)`. */
int lab_config_error (lab_config_t *self, zconfig_t *node, char *err, size_t errlen,
                      const char *fmt, ...) __attribute__ ((format (printf, 5, 6)));

/* Typed reads with checks. Each returns 0, or -1 with a "file:line:" error
 * when the value is present but malformed or out of [min, max]. */
int lab_config_int (lab_config_t *self, zconfig_t *parent, const char *key, long dflt,
                    long min, long max, long *out, char *err, size_t errlen);
int lab_config_double (lab_config_t *self, zconfig_t *parent, const char *key, double dflt,
                       double min, double max, double *out, char *err, size_t errlen);
int lab_config_bool (lab_config_t *self, zconfig_t *parent, const char *key, bool dflt,
                     bool *out, char *err, size_t errlen);
/* Duration with unit: "250ms", "2s", "5m", "1h"; a bare number is seconds. */
int lab_config_duration_ms (lab_config_t *self, zconfig_t *parent, const char *key,
                            long dflt_ms, long *out, char *err, size_t errlen);
/* Size with unit: "64K", "10M", "1G", bare bytes. */
int lab_config_size (lab_config_t *self, zconfig_t *parent, const char *key, long dflt,
                     long *out, char *err, size_t errlen);

/* Checks that every child of PARENT is one of the NULL-terminated KEYS;
 * an unknown key is an error naming it (typos must not pass silently). */
int lab_config_known_keys (lab_config_t *self, zconfig_t *parent, const char *const *keys,
                           char *err, size_t errlen);

/* The runtime directory for sockets and state: $LAB_RUNTIME_DIR, else
 * lab/runtime from the config, else $XDG_RUNTIME_DIR/labbus, else /tmp/labbus-<uid>.
 * Creates it (0700). Returns 0 or -1. */
int lab_config_runtime_dir (lab_config_t *self, char *out, size_t outlen);

#endif
