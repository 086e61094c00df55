/* test_chat_fw_units - the chat side of the builder: which texts become
 * which builder calls, and what /watch says about a builder job. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "services/chat-gateway/chat_cmd.h"
#include "services/chat-gateway/chat_fw.h"

typedef struct {
    char calls[4][256];
    int n;
} calls_t;

/* Records "service command arg..." and answers "ok". */
static char *
s_call (void *ctx, const char *service, const char *command, int argc, const char *const *args, int timeout_ms)
{
    (void) timeout_ms;
    calls_t *c = (calls_t *) ctx;
    char *out = c->calls[c->n < 4 ? c->n++ : 3];
    size_t o = (size_t) snprintf (out, 256, "%s %s", service, command);
    for (int i = 0; i < argc; i++)
        o += (size_t) snprintf (out + o, 256 - o, " %s", args[i]);
    return strdup ("ok");
}

static const char *
s_run (const char *text, calls_t *calls)
{
    chat_cmd_t c;
    memset (calls, 0, sizeof *calls);
    assert_int_equal (chat_cmd_parse (text, &c), 0);
    if (!chat_fw_handles (&c))
        return "(not a firmware command)";
    free (chat_fw_run (&c, s_call, calls));
    return calls->calls[0];
}

static void
test_texts_become_builder_calls (void **state)
{
    (void) state;
    calls_t calls;
    assert_string_equal (s_run ("/build sim-bench", &calls), "builder build sim-bench");
    assert_string_equal (s_run ("/reflash sim-bench board-b", &calls), "builder reflash sim-bench board-b");
    assert_string_equal (s_run ("/diagnose board-a", &calls), "builder diagnose board-a");
    assert_string_equal (s_run ("/diagnose board-a board-b", &calls), "builder diagnose board-a board-b");
    assert_string_equal (s_run ("/flash board-a latest", &calls), "builder flash board-a latest");
    assert_string_equal (s_run ("/flash board-a 5dda481dae54", &calls), "builder flash board-a 5dda481dae54");
    /* A file name is still a file, flashed by serial-bridge as before. */
    assert_string_equal (s_run ("/flash board-a app.bin", &calls), "(not a firmware command)");
    assert_string_equal (s_run ("/ota push latest board-b", &calls), "builder ota board-b latest");
    assert_string_equal (s_run ("/ota push 5dda481dae54 board-b board-a", &calls),
                         "builder ota board-b 5dda481dae54 board-a");
    assert_string_equal (s_run ("/ota push demo.bin board-b", &calls), "(not a firmware command)");
    assert_string_equal (s_run ("/status", &calls), "(not a firmware command)");
    s_run ("/status board-a", &calls);
    assert_int_equal (calls.n, 2);
    assert_string_equal (calls.calls[0], "serial-bridge status board-a");
    assert_string_equal (calls.calls[1], "builder history board-a");
    /* Side effects want an admin and a /yes; looking does not. */
    assert_true (chat_cmd_is_admin (CHAT_BUILD));
    assert_true (chat_cmd_is_admin (CHAT_REFLASH));
    assert_true (chat_cmd_is_admin (CHAT_DIAGNOSE));
    assert_false (chat_cmd_is_admin (CHAT_STATUS));
    assert_false (chat_fw_is_ref ("abc12"));       /* too short for a hash */
    assert_false (chat_fw_is_ref ("ABCDEF12"));    /* hashes are lower-case hex */
}

static void
test_watch_text_of_builder_jobs (void **state)
{
    (void) state;
    Lab__BuildJobState s = LAB__BUILD_JOB_STATE__INIT;
    Lab__Envelope e = LAB__ENVELOPE__INIT;
    e.body_case = LAB__ENVELOPE__BODY_BUILD_JOB;
    e.build_job = &s;
    s.job = "b7";
    s.kind = "reflash";
    s.recipe = "sim-bench";
    s.board = "board-b";
    s.state = "pushing";
    s.step = "pushing 1.2 to board-b via board-a: sending 40%";
    s.elapsed_s = 3;
    char text[512];
    bool over = true;
    assert_true (chat_fw_watch_text (&e, text, sizeof text, &over));
    assert_false (over);
    assert_non_null (strstr (text, "sending 40%"));
    s.state = "done";
    s.booted_version = "1.2";
    s.how = "espnow";
    assert_true (chat_fw_watch_text (&e, text, sizeof text, &over));
    assert_true (over);
    assert_string_equal (text, "b7 reflash ok sim-bench -> board-b 1.2 booted (espnow, 3.0 s)");
    char *lines[] = { "l1", "l2", "l3", "l4", "l5", "l6", "error: 'x' undeclared" };
    s.state = "failed";
    s.error = "sim-bench exited with status 1";
    s.last_lines = lines;
    s.n_last_lines = 7;
    assert_true (chat_fw_watch_text (&e, text, sizeof text, &over));
    assert_true (over);
    assert_non_null (strstr (text, "FAILED: sim-bench exited with status 1"));
    assert_non_null (strstr (text, "| error: 'x' undeclared"));
    assert_null (strstr (text, "| l1\n"));          /* the last five lines only */
    char line[256];
    assert_int_equal (chat_fw_job_line (&e, line, sizeof line), 0);   /* ended: not in /status */
    s.state = "building";
    assert_true (chat_fw_job_line (&e, line, sizeof line) > 0);
    /* Not a builder job: someone else's to format. */
    e.body_case = LAB__ENVELOPE__BODY_OTA;
    assert_false (chat_fw_watch_text (&e, text, sizeof text, &over));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_texts_become_builder_calls),
        cmocka_unit_test (test_watch_text_of_builder_jobs),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
