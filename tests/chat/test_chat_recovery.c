/* test_chat_recovery - chat-gateway killed and starved: kill -9 with 30
 * updates queued (all answered exactly once after the restart, each command
 * run once), and a throttled then hanging sendMessage under labd (the reply
 * arrives once the API recovers; labd never restarts the gateway).
 * `test_chat_recovery --demo` runs the first only and prints the demo's
 * numbers (tools/demo.d/75-chat-recovery.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/chat/chat_fixture.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_UPDATES 30
#define HELD_BOARD 10

/* Fixtures are torn down by cmocka also when an assertion fails, so no
 * directory or process is left behind. */
static int
s_setup (void **state)
{
    fx_t *f = fx_new ("");
    *state = f;
    return f ? 0 : -1;
}

static int
s_setup_labd (void **state)
{
    fx_t *f = fx_new_under_labd ();
    *state = f;
    return f ? 0 : -1;
}

static void
test_kill9_with_30_updates_queued_answers_each_exactly_once (void **state)
{
    fx_t *f = (fx_t *) *state;
    fx_start_gw (f);
    /* The gateway is up and polling. */
    fake_api_message (f->api, 42, "/help", 0);
    assert_true (fx_wait_sent (f, "42", "Lab commands", 1, 15000));
    /* Telegram stops accepting replies (every sendMessage hangs), and the
     * 10th command's service call is kept unanswered: the kill lands while
     * commands 1-9 are handled with their replies owed, 10 is running, and
     * the rest are queued, in the gateway's journal or still at Telegram. */
    fake_api_hold_sends (f->api, true);
    f->hold_tail = HELD_BOARD;
    int64_t ids[N_UPDATES + 1];
    for (int i = 1; i <= N_UPDATES; i++) {
        char text[32];
        snprintf (text, sizeof text, "/tail b%d", i);
        ids[i] = fake_api_message (f->api, 42, text, 0);
    }
    uint64_t end = fake_api_ms () + 20000;
    while (!f->tails_held && fake_api_ms () < end)
        fx_pump (f, 20);
    assert_int_equal (f->tails_held, 1);
    fx_kill_gw (f, SIGKILL);
    assert_int_equal (fake_api_sent (f->api, "42", "tail of"), 0);
    for (int i = 1; i < HELD_BOARD; i++)
        assert_int_equal (f->tails[i], 1);
    /* Telegram recovers; the gateway starts again. */
    bus_request_destroy (&f->held);
    f->hold_tail = 0;
    fake_api_hold_sends (f->api, false);
    fx_start_gw (f);
    end = fake_api_ms () + 60000;
    int answered = 0;
    while (fake_api_ms () < end && answered < N_UPDATES) {
        fx_pump (f, 50);
        answered = 0;
        for (int i = 1; i <= N_UPDATES; i++) {
            char want[32];
            snprintf (want, sizeof want, "tail of b%d", i);
            answered += fake_api_sent_exact (f->api, "42", want) > 0;
        }
    }
    fx_pump (f, 2000);           /* anything sent twice would show by now */
    int once = 0;
    for (int i = 1; i <= N_UPDATES; i++) {
        char want[32], id[48];
        snprintf (want, sizeof want, "tail of b%d", i);
        snprintf (id, sizeof id, "update=%lld ", (long long) ids[i]);
        int sent = fake_api_sent_exact (f->api, "42", want);
        int ran = fx_audit (f, "accepted cmd=tail", id);
        if (sent == 1 && ran == 1 && f->tails[i] == 1)
            once++;
        else
            print_message ("b%d: sent %d, audited %d, answered by the service %d\n", i, sent, ran, f->tails[i]);
    }
    printf ("chat-recovery: %d/%d updates answered exactly once after kill -9\n", once, N_UPDATES);
    fflush (stdout);
    assert_int_equal (once, N_UPDATES);
    assert_int_equal (fake_api_pending (f->api), 0);
}

static void
test_throttled_then_hanging_send_under_labd_no_restart (void **state)
{
    fx_t *f = (fx_t *) *state;
    uint64_t end = fake_api_ms () + 30000;
    fake_api_message (f->api, 42, "/help", 0);
    assert_true (fx_wait_sent (f, "42", "Lab commands", 1, 30000));
    while (f->ngw_pids == 0 && fake_api_ms () < end)
        fx_pump (f, 50);
    assert_int_equal (f->ngw_pids, 1);
    /* 429 with retry_after 5 ... */
    int requests = fake_api_send_requests (f->api);
    fake_api_fail_sends (f->api, 1, FAKE_429, 5);
    fake_api_message (f->api, 42, "/tail b1", 0);
    while (fake_api_send_requests (f->api) == requests && fake_api_ms () < end)
        fx_pump (f, 20);
    /* ... then every send hangs for 10 s, longer than labd's 3 missed
     * heartbeats, while another command comes in. */
    fake_api_set_hang_ms (f->api, 3000);
    fake_api_hold_sends (f->api, true);
    fake_api_message (f->api, 42, "/tail b2", 0);
    fx_pump (f, 10000);
    assert_int_equal (f->tails[2], 1);                  /* the loop went on */
    assert_int_equal (fake_api_sent (f->api, "42", "tail of"), 0);
    fake_api_hold_sends (f->api, false);
    assert_true (fx_wait_sent (f, "42", "tail of b1", 1, 90000));
    assert_true (fx_wait_sent (f, "42", "tail of b2", 1, 30000));
    fx_pump (f, 1500);
    assert_int_equal (fake_api_sent_exact (f->api, "42", "tail of b1"), 1);
    assert_int_equal (fake_api_sent_exact (f->api, "42", "tail of b2"), 1);
    assert_int_equal (f->gw_restarts, 0);
    assert_int_equal (f->ngw_pids, 1);
    assert_string_equal (f->gw_state, "up");
}

int
main (int argc, char **argv)
{
    const struct CMUnitTest all[] = {
        cmocka_unit_test_setup_teardown (test_kill9_with_30_updates_queued_answers_each_exactly_once, s_setup,
                                         fx_teardown),
        cmocka_unit_test_setup_teardown (test_throttled_then_hanging_send_under_labd_no_restart, s_setup_labd,
                                         fx_teardown),
    };
    bool demo = argc > 1 && !strcmp (argv[1], "--demo");
    return _cmocka_run_group_tests ("test_chat_recovery", all, demo ? 1 : 2, NULL, NULL);
}
