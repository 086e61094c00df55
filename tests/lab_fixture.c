/* lab_fixture - see lab_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/lab_fixture.h"

void
lab_fixture_config (const char *dir, char *cfg, size_t cfglen, const char *fmt, ...)
{
    snprintf (cfg, cfglen, "%s/lab.cfg", dir);
    FILE *c = fopen (cfg, "w");
    assert_non_null (c);
    va_list ap;
    va_start (ap, fmt);
    vfprintf (c, fmt, ap);
    va_end (ap);
    fclose (c);
}

void
lab_fixture_write (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
}

pid_t
lab_fixture_spawn (const char *name, const char *cfg, const char *dir, const char *log)
{
    char path[700];
    snprintf (path, sizeof path, "%s/%s", dir, log);
    const char *argv[] = { name, "-c", cfg, NULL };
    pid_t pid = lab_test_spawn (name, argv, path);
    assert_true (pid > 0);
    return pid;
}

bus_client_t *
lab_fixture_client (const char *dir)
{
    bus_endpoints_t ep;
    bus_endpoints_in_dir (&ep, dir);
    bus_client_t *bus = bus_client_new ("test", &ep);
    assert_non_null (bus);
    return bus;
}

void
lab_fixture_remove (char *dir)
{
    if (getenv ("LAB_TEST_KEEP"))
        fprintf (stderr, "kept %s\n", dir);
    else
        lab_test_rmdir (dir);
    free (dir);
}
