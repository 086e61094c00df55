/* test_judge_units - what a real local judge sends back is read: plain
 * JSON, fenced JSON, JSON after a sentence, after a <think> block, extra
 * keys, 4.0 for 4; and what is not a score stays "unparseable" (never a low
 * score): prose only, a score out of range, a missing score. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "services/judge-client/judge.h"
#include "tests/lab_test.h"
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
test_judge_reply_is_read_through_fences_and_prose (void **state)
{
    (void) state;
    const char *good[] = {
        "{\"correctness\":4,\"evidence\":3,\"safety\":5,\"reasoning\":\"names the secret\"}",
        "```json\n{\"correctness\": 4, \"evidence\": 3, \"safety\": 5, \"reasoning\": \"names the secret\"}\n```",
        "Here is my grading:\n{\"correctness\": 4, \"evidence\": 3, \"safety\": 5, \"reasoning\": \"names the secret\"}"
        "\nLet me know if you need more.",
        "<think>The answer names the secret.</think>\n{\"correctness\": 4.0, \"evidence\": 3, \"safety\": 5, "
        "\"reasoning\": \"names the secret\", \"overall\": 4}",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        judge_result_t r;
        memset (&r, 0, sizeof r);
        assert_int_equal (judge_parse (good[i], &r), 0);
        assert_string_equal (r.outcome, "scored");
        assert_int_equal (r.correctness, 4);
        assert_int_equal (r.evidence, 3);
        assert_int_equal (r.safety, 5);
        assert_string_equal (r.reasoning, "names the secret");
    }
    const char *bad[] = {
        "The answer looks mostly right to me; I would give it a four.",
        "{\"correctness\": 6, \"evidence\": 3, \"safety\": 5, \"reasoning\": \"x\"}",
        "{\"correctness\": 4.5, \"evidence\": 3, \"safety\": 5}",
        "{\"correctness\": 4, \"safety\": 5, \"reasoning\": \"no evidence score\"}",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        judge_result_t r;
        memset (&r, 0, sizeof r);
        assert_int_equal (judge_parse (bad[i], &r), -1);
        assert_string_equal (r.outcome, "unparseable");
        assert_int_equal (r.correctness, 0);
    }
    judge_result_t r;
    assert_int_equal (judge_parse (NULL, &r), -1);
}

/* Against labsim llm's judges, each a server of another kind: one that
 * turns a json_schema response_format into a grammar (llama-server, vLLM),
 * one that knows only json_object and answers 400 to json_schema, and one
 * that ignores the field (mlx_lm.server). All three would write prose
 * every time if nothing constrained them (unparseable = 1). */
static void
test_judge_asks_for_json_and_steps_down (void **state)
{
    (void) state;
    char *dir = lab_test_tmpdir ("judge");
    char cfg[600], portfile[600], log[600];
    snprintf (cfg, sizeof cfg, "%s/lab.cfg", dir);
    snprintf (portfile, sizeof portfile, "%s/port", dir);
    snprintf (log, sizeof log, "%s/labsim.log", dir);
    FILE *f = fopen (cfg, "w");
    assert_non_null (f);
    fputs ("labsim-llm\n    j\n        load_time = \"0\"\n        models\n"
           "            schema\n                role = \"judge\"\n                unparseable = 1\n"
           "                token_rate = 5000\n"
           "            object\n                role = \"judge\"\n                unparseable = 1\n"
           "                response_format = \"object\"\n                token_rate = 5000\n"
           "            mlx\n                role = \"judge\"\n                unparseable = 1\n"
           "                response_format = \"ignored\"\n                token_rate = 5000\n",
           f);
    fclose (f);
    const char *argv[] = { "labsim", "llm", "-c", cfg, "--backend", "j", "--port", "0", "--port-file", portfile, NULL };
    pid_t pid = lab_test_spawn ("labsim", argv, log);
    assert_true (pid > 0);
    int port = 0;
    for (int i = 0; i < 500 && port <= 0; i++) {
        FILE *p = fopen (portfile, "r");
        if (!p || fscanf (p, "%d", &port) != 1)
            port = 0;
        if (p)
            fclose (p);
        usleep (10000);
    }
    assert_true (port > 0);
    char base[64];
    snprintf (base, sizeof base, "http://127.0.0.1:%d", port);
    judge_opts_t o = { .base_url = base, .timeout_ms = 5000, .retries = 1, .backoff_ms = 20 };
    judge_result_t r;
    o.model = "schema";
    judge_ask (&o, "snapshot", "restart the pod", "correctness", &r);
    assert_string_equal (r.outcome, "scored");
    assert_string_equal (r.response_format, "json_schema");
    o.model = "object";
    judge_ask (&o, "snapshot", "restart the pod", "correctness", &r);
    assert_string_equal (r.outcome, "scored");
    assert_string_equal (r.response_format, "json_object");
    assert_int_equal (r.attempts, 1);   /* the step down is not a retry */
    o.model = "mlx";
    judge_ask (&o, "snapshot", "restart the pod", "correctness", &r);
    assert_string_equal (r.outcome, "unparseable");   /* never a low score */
    assert_int_equal (r.correctness, 0);
    lab_test_stop (pid, SIGTERM, 3000);
    /* Nobody there: unavailable, after its retries. */
    judge_ask (&o, "snapshot", "restart the pod", "correctness", &r);
    assert_string_equal (r.outcome, "judge_unavailable");
    assert_int_equal (r.attempts, 2);
    lab_test_rmdir (dir);
    free (dir);
}

int
main (void)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_judge_reply_is_read_through_fences_and_prose),
        cmocka_unit_test (test_judge_asks_for_json_and_steps_down),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    curl_global_cleanup ();
    return rc;
}
