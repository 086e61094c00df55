/* test_lab_helpers - the helpers every program shares (bus/lab_*): /proc
 * readers, checked against a process whose name is made to confuse them;
 * percentiles against hand-computed values; the curl write callbacks;
 * spawning children (argv, environment, directory, process group, time). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "bus/bus_client.h"
#include "bus/lab_curl.h"
#include "bus/lab_proc.h"
#include "bus/lab_spawn.h"
#include "bus/lab_stats.h"
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
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
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        prctl (PR_SET_NAME, "x) (y z 1 2");
        /* Burn 0.3 s of CPU (not of wall time: on a loaded machine 0.3 s
         * of wall time gave less than 0.1 s), then wait to be killed. */
        struct timespec cpu_now;
        uint64_t give_up = bus_mono_ns () + 30000000000ull;
        volatile uint64_t sum = 0;
        do {
            for (int i = 0; i < 100000; i++)
                sum += 1;
            clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &cpu_now);
        } while (cpu_now.tv_sec * 1000000000ll + cpu_now.tv_nsec < 300000000ll && bus_mono_ns () < give_up);
        if (write (ready[1], "r", 1) != 1)
            _exit (1);
        pause ();
        _exit (0);
    }
    char c;
    ssize_t got = read (ready[0], &c, 1);
    uint64_t start = lab_proc_start_time (pid);
    uint64_t again = lab_proc_start_time (pid);
    uint64_t self_start = lab_proc_start_time (getpid ());
    double cpu = lab_proc_cpu_s (pid);
    /* Killed before any assertion, so a failing one leaves nothing behind. */
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
    assert_int_equal (got, 1);
    assert_true (start > 0);
    assert_true (start >= self_start);
    assert_int_equal (again, start);       /* stable */
    assert_true (cpu >= 0.1 && cpu < 10);
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


/* Reads FD (non-blocking) until EOF or 5 s. */
static size_t
s_read_all (int fd, char *out, size_t cap)
{
    size_t n = 0;
    for (int i = 0; i < 500; i++) {
        ssize_t k = read (fd, out + n, cap - 1 - n);
        if (k == 0)
            break;
        if (k > 0)
            n += (size_t) k;
        else
            usleep (10000);
    }
    out[n] = 0;
    return n;
}

static void
test_spawn_runs_argv_without_a_shell_in_its_directory_with_its_environment (void **state)
{
    (void) state;
    /* "$LAB_T;" would be expanded by a shell; as an argv it is text. */
    char *const argv[] = { "sh", "-c", "pwd; echo \"$LAB_T\"; echo err >&2; echo \"$1\"", "x", "$LAB_T;", NULL };
    char *const env[] = { "LAB_T=mine", NULL };
    setenv ("LAB_T", "inherited", 1);
    lab_spawn_opts_t o = { .cwd = "/tmp", .env = env };
    int out = -1, err = -1;
    char why[256];
    pid_t pid = lab_spawn (argv, &o, &out, &err, why, sizeof why);
    assert_true (pid > 0);
    assert_int_equal (getpgid (pid), pid);
    char buf[256], ebuf[64];
    s_read_all (out, buf, sizeof buf);
    s_read_all (err, ebuf, sizeof ebuf);
    assert_string_equal (buf, "/tmp\nmine\n$LAB_T;\n");
    assert_string_equal (ebuf, "err\n");
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    close (out);
    close (err);
    unsetenv ("LAB_T");
    /* Merged: one pipe, in order. */
    o = (lab_spawn_opts_t) { .merge_stderr = true };
    char *const argv2[] = { "sh", "-c", "echo a; echo b >&2; echo c", NULL };
    pid = lab_spawn (argv2, &o, &out, NULL, why, sizeof why);
    assert_true (pid > 0);
    s_read_all (out, buf, sizeof buf);
    assert_string_equal (buf, "a\nb\nc\n");
    waitpid (pid, &status, 0);
    close (out);
    /* Nothing to run: an error at once, not a child exiting 127. */
    char *const none[] = { "no-such-program-here", NULL };
    assert_int_equal (lab_spawn (none, NULL, &out, &err, why, sizeof why), -1);
    assert_non_null (strstr (why, "no-such-program-here"));
}

static void
test_spawn_capture_status_output_bound_and_timeout (void **state)
{
    (void) state;
    char out[8], why[256];
    char *const ok[] = { "sh", "-c", "echo 1234567890; exit 3", NULL };
    assert_int_equal (lab_spawn_capture (ok, 5000, out, sizeof out, why, sizeof why), 3);
    assert_string_equal (out, "1234567");
    /* Out of time: the child and what it started are killed, and the call
     * returns near its deadline, not when the grandchild's sleep ends. */
    char pidfile[] = "/tmp/lab-spawn-XXXXXX";
    int fd = mkstemp (pidfile);
    close (fd);
    char script[256];
    snprintf (script, sizeof script, "sleep 30 & echo $! > %s; wait", pidfile);
    char *const slow[] = { "sh", "-c", script, NULL };
    uint64_t t0 = bus_now_ns ();
    assert_int_equal (lab_spawn_capture (slow, 300, out, sizeof out, why, sizeof why), -1);
    assert_true (bus_now_ns () - t0 < 10000000000ull);
    assert_non_null (strstr (why, "did not finish"));
    FILE *f = fopen (pidfile, "r");
    int gp = 0;
    assert_non_null (f);
    assert_int_equal (fscanf (f, "%d", &gp), 1);
    fclose (f);
    unlink (pidfile);
    bool gone = false;
    for (int i = 0; i < 100 && !gone; i++) {
        gone = kill (gp, 0) != 0;
        usleep (20000);
    }
    assert_true (gone);
    /* Killed by a signal is a failure, not a status. */
    char *const killed[] = { "sh", "-c", "kill -9 $$", NULL };
    assert_int_equal (lab_spawn_capture (killed, 5000, out, sizeof out, why, sizeof why), -1);
    assert_non_null (strstr (why, "signal 9"));
}

static void
test_spawn_capture_opts_environment_and_merged_stderr (void **state)
{
    (void) state;
    char out[64], why[256];
    char *const env[] = { "LAB_CAPTURE_TEST=seen", NULL };
    lab_spawn_opts_t o = { .env = env };
    char *const both[] = { "sh", "-c", "echo out-$LAB_CAPTURE_TEST; echo err >&2", NULL };
    assert_int_equal (lab_spawn_capture_opts (both, &o, 5000, out, sizeof out, why, sizeof why), 0);
    assert_string_equal (out, "out-seen\n");   /* stderr drained, not kept */
    o.merge_stderr = true;
    assert_int_equal (lab_spawn_capture_opts (both, &o, 5000, out, sizeof out, why, sizeof why), 0);
    assert_string_equal (out, "out-seen\nerr\n");
    /* NULL options: lab_spawn_capture's behaviour. */
    char *const plain[] = { "sh", "-c", "echo x; exit 4", NULL };
    assert_int_equal (lab_spawn_capture_opts (plain, NULL, 5000, out, sizeof out, why, sizeof why), 4);
    assert_string_equal (out, "x\n");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_proc_memory_of_self_and_of_nobody),
        cmocka_unit_test (test_proc_stat_fields_survive_a_name_with_spaces_and_parentheses),
        cmocka_unit_test (test_percentiles_interpolate_between_closest_ranks),
        cmocka_unit_test (test_curl_collect_appends_terminates_and_refuses_past_its_bound),
        cmocka_unit_test (test_spawn_runs_argv_without_a_shell_in_its_directory_with_its_environment),
        cmocka_unit_test (test_spawn_capture_status_output_bound_and_timeout),
        cmocka_unit_test (test_spawn_capture_opts_environment_and_merged_stderr),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
