/* test_lab_helpers - the helpers every program shares (bus/lab_*): /proc
 * readers, checked against a process whose name is made to confuse them;
 * percentiles against hand-computed values; the curl write callbacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "bus/bus_client.h"
#include "bus/lab_curl.h"
#include "bus/lab_proc.h"
#include "bus/lab_stats.h"
#include <math.h>
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

/* Hand-computed: rank = p/100 x (n - 1), interpolated. */
static void
test_percentiles_interpolate_between_closest_ranks (void **state)
{
    (void) state;
    double v[] = { 40, 10, 30, 20, 50 };
    lab_stats_sort (v, 5);
    assert_true (v[0] == 10 && v[4] == 50);
    assert_true (fabs (lab_stats_percentile (v, 5, 50) - 30) < 1e-12);     /* rank 2 */
    assert_true (fabs (lab_stats_percentile (v, 5, 90) - 46) < 1e-12);     /* rank 3.6 */
    assert_true (fabs (lab_stats_percentile (v, 5, 99) - 49.6) < 1e-12);   /* rank 3.96 */
    assert_true (fabs (lab_stats_percentile (v, 5, 0) - 10) < 1e-12);
    assert_true (fabs (lab_stats_percentile (v, 5, 100) - 50) < 1e-12);
    assert_true (fabs (lab_stats_percentile (v, 1, 99) - 10) < 1e-12);
    assert_true (isnan (lab_stats_percentile (v, 0, 50)));
}

static void
test_curl_collect_appends_terminates_and_refuses_past_its_bound (void **state)
{
    (void) state;
    lab_curl_buf_t b = { .max = 10 };
    char chunk[] = "hello";
    assert_int_equal (lab_curl_collect (chunk, 1, 5, &b), 5);
    assert_int_equal (lab_curl_collect (chunk, 5, 1, &b), 5);
    assert_string_equal (b.data, "hellohello");
    assert_int_equal (b.len, 10);
    assert_int_equal (lab_curl_collect (chunk, 1, 1, &b), 0);     /* past max: curl stops */
    assert_int_equal (b.len, 10);
    free (b.data);
    lab_curl_buf_t unbounded = { 0 };
    for (int i = 0; i < 1000; i++)
        assert_int_equal (lab_curl_collect (chunk, 1, 5, &unbounded), 5);
    assert_int_equal (unbounded.len, 5000);
    assert_int_equal (strlen (unbounded.data), 5000);
    free (unbounded.data);
    assert_int_equal (lab_curl_discard (chunk, 2, 3, NULL), 6);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_proc_memory_of_self_and_of_nobody),
        cmocka_unit_test (test_proc_stat_fields_survive_a_name_with_spaces_and_parentheses),
        cmocka_unit_test (test_percentiles_interpolate_between_closest_ranks),
        cmocka_unit_test (test_curl_collect_appends_terminates_and_refuses_past_its_bound),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
