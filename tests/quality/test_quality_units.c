/* test_quality_units - the truth definitions themselves: every scenario's
 * verifier passes its right answer, fails its wrong one and fails the one
 * that names only the symptom; the format gate; the composite without a
 * judge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "services/eval-runner/quality/evalq.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
s_read (const char *path)
{
    FILE *f = fopen (path, "r");
    if (!f)
        return NULL;
    char *buf = (char *) calloc (1, 65536);
    size_t n = fread (buf, 1, 65535, f);
    fclose (f);
    while (n && (buf[n - 1] == '\n'))
        buf[--n] = 0;
    return buf;
}

static bool
s_passes (evalq_t *q, const char *id, const char *text)
{
    evalq_verdict_t v;
    char cause[160];
    if (evalq_verify_text (q, id, text, "stop", &v, cause, sizeof cause))
        return false;
    return v.facts_ok && v.action_ok && v.action_safe;
}

static void
test_every_scenario_truth_is_tested (void **state)
{
    (void) state;
    char err[256] = "";
    evalq_t *q = evalq_new ("eval/scenarios", NULL, NULL, err, sizeof err);
    assert_non_null (q);
    assert_true (evalq_scenario_count (q) >= 20);
    DIR *d = opendir ("eval/scenarios");
    struct dirent *e;
    int checked = 0;
    while ((e = readdir (d))) {
        if (e->d_name[0] == '.' || strchr (e->d_name, '.'))
            continue;
        char path[600];
        const char *kinds[] = { "good", "bad", "symptom" };
        for (int k = 0; k < 3; k++) {
            snprintf (path, sizeof path, "eval/scenarios/%s/answers/%s.txt", e->d_name, kinds[k]);
            char *text = s_read (path);
            if (!text)
                continue;
            bool pass = s_passes (q, e->d_name, text);
            if (pass != (k == 0))
                fail_msg ("%s: the %s answer %s the verifier", e->d_name, kinds[k], pass ? "passes" : "fails");
            free (text);
            checked++;
        }
    }
    closedir (d);
    assert_true (checked >= 60);
    evalq_destroy (&q);
}

static void
test_format_gate (void **state)
{
    (void) state;
    json_t *j = NULL;
    char cause[160];
    const char *good = "{\"fault\":\"f\",\"evidence\":\"e\",\"action\":\"a\",\"risk\":\"low\"}";
    assert_int_equal (evalq_format (good, "stop", &j, cause, sizeof cause), 0);
    json_decref (j);
    assert_int_equal (evalq_format (good, "length", &j, cause, sizeof cause), -1);
    assert_non_null (strstr (cause, "truncated"));
    assert_int_equal (evalq_format ("{\"fault\":\"f\"} <|im_end|>", "stop", &j, cause, sizeof cause), -1);
    assert_non_null (strstr (cause, "template token"));
    assert_int_equal (evalq_format ("Sure! Here is the JSON: {}", "stop", &j, cause, sizeof cause), -1);
    assert_int_equal (evalq_format ("{\"fault\":\"f\",\"evidence\":\"e\",\"action\":\"a\",\"risk\":\"meh\"}", "stop", &j,
                                    cause, sizeof cause), -1);
    assert_int_equal (evalq_format ("{\"fault\":\"\",\"evidence\":\"e\",\"action\":\"a\",\"risk\":\"low\"}", "stop", &j,
                                    cause, sizeof cause), -1);
}

static void
test_composite_without_judge_says_so (void **state)
{
    (void) state;
    char err[256];
    evalq_t *q = evalq_new ("eval/scenarios", NULL, NULL, err, sizeof err);
    char *good = s_read ("eval/scenarios/k04-oomkilled/answers/good.txt");
    json_t *row = json_pack ("{s:s, s:s, s:s, s:s}", "scenario", "k04-oomkilled", "completion", good,
                             "finish_reason", "stop", "outcome", "ok");
    assert_int_equal (evalq_score_row (q, row), 0);
    assert_true (json_is_true (json_object_get (row, "format_ok")));
    assert_true (json_is_true (json_object_get (row, "verifier_pass")));
    assert_string_equal (json_string_value (json_object_get (row, "judge_outcome")), "judge_unavailable");
    assert_true (json_real_value (json_object_get (row, "composite")) == 1.0);
    assert_string_equal (json_string_value (json_object_get (row, "composite_version")), "v1");
    json_decref (row);
    /* A format failure scores 0 and says why. */
    row = json_pack ("{s:s, s:s, s:s, s:s}", "scenario", "k04-oomkilled", "completion", "The pod restarts. <|im_end|>",
                     "finish_reason", "stop", "outcome", "ok");
    evalq_score_row (q, row);
    assert_true (json_real_value (json_object_get (row, "composite")) == 0.0);
    assert_non_null (strstr (json_string_value (json_object_get (row, "quality")), "format failure"));
    json_decref (row);
    free (good);
    evalq_destroy (&q);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_scenario_truth_is_tested),
        cmocka_unit_test (test_format_gate),
        cmocka_unit_test (test_composite_without_judge_says_so),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
