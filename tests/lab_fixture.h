/* lab_fixture - the pieces of a test fixture that runs the real programs of
 * the lab on a config of its own: the config file, a program started on it
 * with its output in a log, a bus client, and removing the directory
 * afterwards. Failures are cmocka assertions (link with cmocka). */
#ifndef LAB_FIXTURE_H
#define LAB_FIXTURE_H

#include "tests/lab_test.h"

/* Writes DIR/lab.cfg from FMT and its arguments and puts its path in CFG;
 * asserts that it could be written. */
void lab_fixture_config (const char *dir, char *cfg, size_t cfglen, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

/* Writes TEXT to PATH; asserts that it could be written. */
void lab_fixture_write (const char *path, const char *text);

/* Starts build/bin/NAME -c CFG with stdout and stderr in DIR/LOG; asserts
 * that it started. */
pid_t lab_fixture_spawn (const char *name, const char *cfg, const char *dir, const char *log);

/* A bus client named "test" on the endpoints in DIR; asserted to exist. */
bus_client_t *lab_fixture_client (const char *dir);

/* Removes DIR (kept, with its path printed, when LAB_TEST_KEEP is set, to
 * read the logs of a failed run) and frees it. */
void lab_fixture_remove (char *dir);

#endif
