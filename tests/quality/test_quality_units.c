/* test_quality_units - the truth definitions themselves: every scenario's
 * verifier passes its right answer, fails its wrong one and fails the one
 * that names only the symptom; the format gate; the composite without a
 * judge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "services/eval-runner/quality/evalq.h"
#include "services/eval-runner/quality/evalq_wer.h"
#include "services/eval-runner/quality/evalq_clean.h"
#include <czmq.h>
#include <math.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    assert_string_equal (json_string_value (json_object_get (row, "composite_version")), EVALQ_COMPOSITE_VERSION);
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

/* The answer inside a completion, the same for every backend. */
static void
test_clean_takes_think_blocks_and_fences_out (void **state)
{
    (void) state;
    evalq_clean_t w;
    char *a = evalq_clean ("<think>\nThe pod is OOMKilled.\n</think>\n\n```json\n{\"a\": 1}\n```\n", &w);
    assert_string_equal (a, "{\"a\": 1}");
    assert_true (w.think && w.fence && !w.think_unclosed);
    free (a);
    a = evalq_clean ("```\n{\"a\": 1}\n```", &w);
    assert_string_equal (a, "{\"a\": 1}");
    assert_true (w.fence && !w.think);
    free (a);
    /* Cut off while thinking: no answer at all. */
    a = evalq_clean ("<think>Let me look at the events first, then", &w);
    assert_string_equal (a, "");
    assert_true (w.think_unclosed);
    free (a);
    /* Prose around a fence is not a fenced answer: left as it is. */
    a = evalq_clean ("Here you go: ```json\n{}\n```", &w);
    assert_string_equal (a, "Here you go: ```json\n{}\n```");
    assert_false (w.fence);
    free (a);
    a = evalq_clean ("{\"a\": 1}", &w);
    assert_string_equal (a, "{\"a\": 1}");
    assert_false (w.think || w.fence);
    free (a);
}

/* An MLX server streaming <think> in content and a model fencing its JSON
 * pass the gate like llama-server's reasoning_content; the row says what
 * was removed. finish_reason=length is marked truncated, apart from the
 * other format failures. */
static void
test_score_row_gates_the_answer_not_the_wrapping (void **state)
{
    (void) state;
    char err[256] = "";
    evalq_t *q = evalq_new ("eval/scenarios", NULL, NULL, err, sizeof err);
    assert_non_null (q);
    char *good = s_read ("eval/scenarios/k04-oomkilled/answers/good.txt");
    char *wrapped = zsys_sprintf ("<think>memory limit?</think>\n```json\n%s\n```", good);
    json_t *row = json_pack ("{s:s, s:s, s:s, s:s}", "scenario", "k04-oomkilled", "completion", wrapped,
                             "finish_reason", "stop", "outcome", "ok");
    assert_int_equal (evalq_score_row (q, row), 0);
    assert_true (json_is_true (json_object_get (row, "format_ok")));
    assert_true (json_real_value (json_object_get (row, "composite")) == 1.0);
    json_t *removed = json_object_get (row, "answer_removed");
    assert_int_equal (json_array_size (removed), 2);
    assert_string_equal (json_string_value (json_array_get (removed, 0)), "think block");
    assert_string_equal (json_string_value (json_array_get (removed, 1)), "code fence");
    assert_string_equal (json_string_value (json_object_get (row, "reasoning_source")), "think block in content");
    assert_true (json_is_false (json_object_get (row, "truncated")));
    json_decref (row);
    row = json_pack ("{s:s, s:s, s:s, s:s}", "scenario", "k04-oomkilled", "completion", "<think>first the events",
                     "finish_reason", "length", "outcome", "ok");
    evalq_score_row (q, row);
    assert_true (json_is_false (json_object_get (row, "format_ok")));
    assert_true (json_is_true (json_object_get (row, "truncated")));
    assert_string_equal (json_string_value (json_object_get (row, "format_cause")), "truncated (finish_reason=length)");
    json_decref (row);
    free (wrapped);
    free (good);
    evalq_destroy (&q);
}

/* WER against cases worked out by hand under our normalisation (evalq_wer.h). */
static double
s_wer (const char *ref, const char *hyp, evalq_wer_t *c)
{
    memset (c, 0, sizeof *c);
    assert_int_equal (evalq_wer_add (c, ref, hyp), 0);
    return evalq_wer_rate (c);
}

/* The same pairs under jiwer's default (jiwer.wer with no transform:
 * RemoveMultipleSpaces, Strip, ReduceToListOfListOfWords), by hand:
 *   "Hello, World! It's   crash-looping." -> [Hello,] [World!] [It's]
 *   [crash-looping.] (4 words); "hello world it's crash looping" -> 5
 *   words. Alignment: Hello,/hello S, World!/world S, It's/it's S,
 *   crash-looping./crash S, + looping I: (4 + 0 + 1) / 4 = 1.25; ours: 0.
 *   "The payments pod is crash-looping." vs "the payments pod is crash
 *   looping": The/the S, crash-looping./crash S, + looping I: 3 / 5 = 0.6;
 *   ours: 0 (6 words each, all hits).
 *   Identical texts differing only in spacing: 0 under both. */
static void
test_wer_jiwer_default_hand_computed (void **state)
{
    (void) state;
    evalq_wer_t c = { 0 };
    assert_int_equal (evalq_wer_add_mode (&c, "Hello, World! It's   crash-looping.", "hello world it's crash looping",
                                          EVALQ_WER_JIWER_DEFAULT), 0);
    assert_int_equal (c.ref_words, 4);
    assert_int_equal (c.sub, 4);
    assert_int_equal (c.ins, 1);
    assert_int_equal (c.del, 0);
    assert_true (fabs (evalq_wer_rate (&c) - 1.25) < 1e-12);
    memset (&c, 0, sizeof c);
    evalq_wer_add_mode (&c, "The payments pod is crash-looping.", "the payments pod is crash looping",
                        EVALQ_WER_JIWER_DEFAULT);
    assert_int_equal (c.ref_words, 5);
    assert_int_equal (c.sub, 2);
    assert_int_equal (c.ins, 1);
    assert_true (fabs (evalq_wer_rate (&c) - 0.6) < 1e-12);
    memset (&c, 0, sizeof c);
    evalq_wer_add_mode (&c, "The payments pod is crash-looping.", "the payments pod is crash looping", EVALQ_WER_OURS);
    assert_int_equal (c.ref_words, 6);
    assert_true (evalq_wer_rate (&c) == 0);
    memset (&c, 0, sizeof c);
    evalq_wer_add_mode (&c, "  a\tb\n c ", "a b c", EVALQ_WER_JIWER_DEFAULT);
    assert_int_equal (c.ref_words, 3);
    assert_true (evalq_wer_rate (&c) == 0);
    char out[64];
    assert_int_equal (evalq_wer_normalise_jiwer ("  It's \t crash-looping.\n", out, sizeof out), 2);
    assert_string_equal (out, "It's crash-looping.");
}

static void
test_wer_hand_computed (void **state)
{
    (void) state;
    evalq_wer_t c;
    /* One substitution (sat/sit), one deletion (the): 2 / 6. */
    assert_true (fabs (s_wer ("the cat sat on the mat", "the cat sit on mat", &c) - 2.0 / 6) < 1e-12);
    assert_int_equal (c.sub, 1);
    assert_int_equal (c.del, 1);
    assert_int_equal (c.ins, 0);
    assert_int_equal (c.hits, 4);
    assert_int_equal (c.ref_words, 6);
    /* One insertion: 1 / 3. */
    assert_true (fabs (s_wer ("a b c", "a x b c", &c) - 1.0 / 3) < 1e-12);
    assert_int_equal (c.ins, 1);
    /* Identical after normalisation: case, punctuation, hyphens, spaces. */
    assert_true (s_wer ("Hello, World! It's   crash-looping.", "hello world it's crash looping", &c) == 0);
    assert_int_equal (c.ref_words, 5);
    /* Quotes around a word go, an apostrophe inside one stays. */
    assert_true (s_wer ("don't 'panic'", "don't panic", &c) == 0);
    assert_true (s_wer ("don't", "dont", &c) == 1);
    /* Nothing heard: every reference word deleted. */
    assert_true (s_wer ("a b", "", &c) == 1.0);
    assert_int_equal (c.del, 2);
    /* More words than the reference: WER above 1 is possible. */
    assert_true (fabs (s_wer ("yes", "no no no", &c) - 3.0) < 1e-12);
    assert_int_equal (c.sub + c.ins, 3);
    /* Over a corpus the counts are summed, not the rates averaged:
     * (1 deletion + 2 insertions) / (3 + 2) = 0.6, where the mean of the
     * two rates would be (1/3 + 2/2) / 2 = 0.667. */
    memset (&c, 0, sizeof c);
    evalq_wer_add (&c, "a b c", "a b");
    evalq_wer_add (&c, "d e", "d e f g");
    assert_true (fabs (evalq_wer_rate (&c) - 0.6) < 1e-12);
    char out[64];
    assert_int_equal (evalq_wer_normalise ("  The PODS -- restart!!", out, sizeof out), 3);
    assert_string_equal (out, "the pods restart");
}

static void
test_audio_row_scored_by_wer (void **state)
{
    (void) state;
    char err[256] = "";
    evalq_t *q = evalq_new ("eval/scenarios", NULL, NULL, err, sizeof err);
    assert_non_null (q);
    const char *id = "v01-audio-oncall-voice-note";
    json_t *row = json_pack ("{s:s, s:s, s:s, s:s}", "scenario", id, "completion",
                             "The payments pod is crash looping because the config map is missing.", "finish_reason",
                             "stop", "outcome", "ok");
    assert_int_equal (evalq_score_row (q, row), 0);
    /* Reference has 14 words; "API config" was not heard: 2 deletions. */
    assert_int_equal (json_integer_value (json_object_get (row, "wer_del")), 2);
    assert_int_equal (json_integer_value (json_object_get (row, "wer_ref_words")), 14);
    assert_true (fabs (json_real_value (json_object_get (row, "wer")) - 2.0 / 14) < 1e-12);
    assert_true (fabs (json_real_value (json_object_get (row, "composite")) - (1 - 2.0 / 14)) < 1e-12);
    assert_true (json_is_true (json_object_get (row, "verifier_pass")));
    assert_string_equal (json_string_value (json_object_get (row, "judge_outcome")), "not_asked");
    json_decref (row);
    /* An empty transcript and a leaked token are format failures, not WER 1. */
    row = json_pack ("{s:s, s:s, s:s, s:s}", "scenario", id, "completion", " ... ", "finish_reason", "stop", "outcome",
                     "ok");
    evalq_score_row (q, row);
    assert_true (json_is_false (json_object_get (row, "format_ok")));
    assert_string_equal (json_string_value (json_object_get (row, "format_cause")), "empty transcript");
    assert_null (json_object_get (row, "wer"));
    json_decref (row);
    row = json_pack ("{s:s, s:s, s:s, s:s}", "scenario", id, "completion", "the payments pod<|im_end|>",
                     "finish_reason", "stop", "outcome", "ok");
    evalq_score_row (q, row);
    assert_true (json_is_false (json_object_get (row, "format_ok")));
    assert_true (json_real_value (json_object_get (row, "composite")) == 0);
    json_decref (row);
    evalq_destroy (&q);
}

static void
test_audio_scenario_needs_a_reference (void **state)
{
    (void) state;
    char dir[] = "/tmp/evalq-XXXXXX";
    assert_non_null (mkdtemp (dir));
    char path[256];
    snprintf (path, sizeof path, "%s/x1", dir);
    mkdir (path, 0755);
    snprintf (path, sizeof path, "%s/x1/scenario.cfg", dir);
    FILE *f = fopen (path, "w");
    fprintf (f, "scenario\n    id = \"x1\"\n    kind = \"audio\"\nverify\n    reference_file = \"gone.txt\"\n");
    fclose (f);
    char err[256] = "";
    assert_null (evalq_new (dir, NULL, NULL, err, sizeof err));
    assert_non_null (strstr (err, "reference"));
    f = fopen (path, "w");
    fprintf (f, "scenario\n    id = \"x1\"\n    kind = \"audio\"\nverify\n    reference = \"a b\"\n"
                "    max_wer = \"lots\"\n");
    fclose (f);
    assert_null (evalq_new (dir, NULL, NULL, err, sizeof err));
    assert_non_null (strstr (err, "max_wer"));
    unlink (path);
    snprintf (path, sizeof path, "%s/x1", dir);
    rmdir (path);
    rmdir (dir);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_clean_takes_think_blocks_and_fences_out),
        cmocka_unit_test (test_wer_jiwer_default_hand_computed),
        cmocka_unit_test (test_score_row_gates_the_answer_not_the_wrapping),
        cmocka_unit_test (test_every_scenario_truth_is_tested),
        cmocka_unit_test (test_format_gate),
        cmocka_unit_test (test_composite_without_judge_says_so),
        cmocka_unit_test (test_wer_hand_computed),
        cmocka_unit_test (test_audio_row_scored_by_wer),
        cmocka_unit_test (test_audio_scenario_needs_a_reference),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
