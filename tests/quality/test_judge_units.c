/* test_judge_units - what a real local judge sends back is read: plain
 * JSON, fenced JSON, JSON after a sentence, after a <think> block, extra
 * keys, 4.0 for 4; and what is not a score stays "unparseable" (never a low
 * score): prose only, a score out of range, a missing score. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "services/judge-client/judge.h"
#include <string.h>

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

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_judge_reply_is_read_through_fences_and_prose),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
