/* test_lab_helpers - the helpers every program shares (bus/lab_*): /proc
 * readers, checked against a process whose name is made to confuse them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "bus/bus_client.h"
#include "bus/lab_proc.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void
test_proc_memory_of_self_and_of_nobody (void **state)
{
    (void) state;
    uint64_t rss = 0, hwm = 0;
    assert_int_equal (lab_proc_memory (getpid (), &rss, &hwm), 0);
    assert_true (rss > 0);
    assert_true (hwm >= rss);
    /* 32 MB touched: the peak follows. */
    size_t n = 32u << 20;
    volatile char *p = malloc (n);
    for (size_t i = 0; i < n; i += 4096)
        p[i] = 1;
    uint64_t rss2, hwm2;
    assert_int_equal (lab_proc_memory (getpid (), &rss2, &hwm2), 0);
    assert_true (rss2 >= rss + 30 * 1024);
    assert_true (hwm2 >= rss2);
    free ((void *) p);
    assert_int_equal (lab_proc_memory (0, &rss, &hwm), -1);
    assert_int_equal (lab_proc_memory (4194304 + 7, &rss, &hwm), -1);
}

static void
test_proc_stat_fields_survive_a_name_with_spaces_and_parentheses (void **state)
{
    (void) state;
    int ready[2];
    assert_int_equal (pipe (ready), 0);
    pid_t pid = fork ();
    if (pid == 0) {
        prctl (PR_SET_NAME, "x) (y z 1 2");
        /* Burn a little CPU, then wait to be killed. */
        uint64_t end = bus_mono_ns () + 300000000ull;
        volatile uint64_t sum = 0;
        while (bus_mono_ns () < end)
            sum += 1;
        if (write (ready[1], "r", 1) != 1)
            _exit (1);
        pause ();
        _exit (0);
    }
    char c;
    assert_int_equal (read (ready[0], &c, 1), 1);
    uint64_t start = lab_proc_start_time (pid);
    assert_true (start > 0);
    assert_true (start >= lab_proc_start_time (getpid ()));
    assert_int_equal (lab_proc_start_time (pid), start);       /* stable */
    double cpu = lab_proc_cpu_s (pid);
    assert_true (cpu >= 0.1 && cpu < 10);
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
    assert_int_equal (lab_proc_start_time (pid), 0);
    assert_true (lab_proc_cpu_s (pid) == 0);
    close (ready[0]);
    close (ready[1]);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_proc_memory_of_self_and_of_nobody),
        cmocka_unit_test (test_proc_stat_fields_survive_a_name_with_spaces_and_parentheses),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
