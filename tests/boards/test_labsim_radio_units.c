/* test_labsim_radio - the simulated radio: log-distance RSSI, who receives
 * unicast, broadcast and frames to your own MAC, loss, ordering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include "services/labsim/labsim_radio.h"

static const uint8_t A[6] = { 2, 0, 0, 0, 0, 0xa }, B[6] = { 2, 0, 0, 0, 0, 0xb },
                     C[6] = { 2, 0, 0, 0, 0, 0xc }, BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static labsim_radio_t *
s_radio (double loss)
{
    labsim_radio_opts_t o = { .a_dbm = -40, .n = 2.0, .noise_db = 0, .loss = loss,
                              .latency_ms = 1, .air_bps = 1e6, .distance_m = 1, .seed = 7 };
    labsim_radio_t *r = labsim_radio_new (&o);
    assert_int_equal (labsim_radio_add (r, A), 0);
    assert_int_equal (labsim_radio_add (r, B), 1);
    assert_int_equal (labsim_radio_add (r, C), 2);
    return r;
}

static void
test_rssi_follows_log_distance_model (void **state)
{
    (void) state;
    labsim_radio_t *r = s_radio (0);
    assert_true (fabs (labsim_radio_mean_rssi (r, 1) - (-40)) < 1e-9);
    assert_true (fabs (labsim_radio_mean_rssi (r, 10) - (-60)) < 1e-9);
    labsim_radio_move (r, 0, 1, 10);
    assert_int_equal (labsim_radio_send (r, 0, B, (const uint8_t *) "x", 1, 0), 1);
    labsim_radio_frame_t f;
    assert_true (labsim_radio_due (r, 1000000, &f));
    assert_int_equal (f.rssi, -60);
    assert_int_equal (f.to, 1);
    labsim_radio_destroy (&r);
}

static void
test_own_mac_reaches_nobody_broadcast_reaches_all_others (void **state)
{
    (void) state;
    labsim_radio_t *r = s_radio (0);
    /* A radio does not receive while it transmits, so to itself: nobody. */
    assert_int_equal (labsim_radio_send (r, 0, A, (const uint8_t *) "x", 1, 0), 0);
    /* Broadcast: every board but the sender. */
    assert_int_equal (labsim_radio_send (r, 0, BCAST, (const uint8_t *) "x", 1, 0), 2);
    labsim_radio_frame_t f;
    int to_b = 0, to_c = 0;
    while (labsim_radio_due (r, 1000000, &f)) {
        assert_int_not_equal (f.to, 0);
        to_b += f.to == 1;
        to_c += f.to == 2;
    }
    assert_int_equal (to_b, 1);
    assert_int_equal (to_c, 1);
    /* An unknown MAC: nobody. A board that is down: nobody. */
    const uint8_t nobody[6] = { 9, 9, 9, 9, 9, 9 };
    assert_int_equal (labsim_radio_send (r, 0, nobody, (const uint8_t *) "x", 1, 0), 0);
    labsim_radio_set_up (r, 1, false);
    assert_int_equal (labsim_radio_send (r, 0, B, (const uint8_t *) "x", 1, 0), 0);
    labsim_radio_stats_t st;
    labsim_radio_stats (r, &st);
    assert_int_equal (st.to_self, 1);
    labsim_radio_destroy (&r);
}

static void
test_loss_one_drops_everything_and_latency_delays (void **state)
{
    (void) state;
    labsim_radio_t *r = s_radio (1.0);
    assert_int_equal (labsim_radio_send (r, 0, B, (const uint8_t *) "x", 1, 0), 0);
    labsim_radio_loss (r, 0);
    assert_int_equal (labsim_radio_send (r, 0, B, (const uint8_t *) "x", 1, 0), 1);
    labsim_radio_frame_t f;
    /* 1 ms latency plus air time: not yet due at 0.5 ms. */
    assert_false (labsim_radio_due (r, 500, &f));
    assert_true (labsim_radio_next_us (r, 500) > 0);
    assert_true (labsim_radio_due (r, 5000, &f));
    labsim_radio_destroy (&r);
}

/* Per-board receive loss: a broadcast reaches each board on its own luck
 * (no MAC acknowledgement, no retry, ESP-IDF v5.5 esp_now.rst), and is
 * marked broadcast (never encrypted). */
static void
test_per_board_loss_and_broadcast_flag (void **state)
{
    (void) state;
    labsim_radio_t *r = s_radio (0);
    labsim_radio_rx_loss (r, 2, 1.0);               /* C hears nothing */
    assert_true (labsim_radio_node_loss (r, 2) == 1.0);
    assert_true (labsim_radio_node_loss (r, 1) == 0.0);
    int got_b = 0, got_c = 0;
    for (int i = 0; i < 50; i++) {
        assert_int_equal (labsim_radio_send (r, 0, BCAST, (const uint8_t *) "x", 1, (uint64_t) i * 10000), 1);
        labsim_radio_frame_t f;
        while (labsim_radio_due (r, (uint64_t) i * 10000 + 5000, &f)) {
            assert_true (f.broadcast);
            got_b += f.to == 1;
            got_c += f.to == 2;
        }
    }
    assert_int_equal (got_b, 50);
    assert_int_equal (got_c, 0);
    /* Unicast is not a broadcast; back to the radio's loss with -1. */
    labsim_radio_rx_loss (r, 2, -1);
    assert_int_equal (labsim_radio_send (r, 0, C, (const uint8_t *) "y", 1, 1000000), 1);
    labsim_radio_frame_t f;
    assert_true (labsim_radio_due (r, 2000000, &f));
    assert_false (f.broadcast);
    labsim_radio_destroy (&r);
}

/* Unicast is acknowledged and retried by the MAC (mac_retries), broadcast is
 * not: at 50 % receive loss, 3 retries deliver about 94 % of unicast frames
 * and about 50 % of broadcasts. */
static void
test_mac_retries_help_unicast_only (void **state)
{
    (void) state;
    labsim_radio_opts_t o = { .a_dbm = -40, .n = 2.0, .loss = 0.5, .latency_ms = 1, .air_bps = 1e6,
                              .distance_m = 1, .seed = 3, .mac_retries = 3 };
    labsim_radio_t *r = labsim_radio_new (&o);
    labsim_radio_add (r, A);
    labsim_radio_add (r, B);
    int uni = 0, bc = 0;
    uint64_t t = 0;
    labsim_radio_frame_t f;
    for (int i = 0; i < 1000; i++, t += 10000) {
        uni += labsim_radio_send (r, 0, B, (const uint8_t *) "u", 1, t);
        bc += labsim_radio_send (r, 0, BCAST, (const uint8_t *) "b", 1, t + 5000);
        while (labsim_radio_due (r, t + 9000, &f))
            ;
    }
    assert_in_range (uni, 900, 980);
    assert_in_range (bc, 430, 570);
    labsim_radio_stats_t st;
    labsim_radio_stats (r, &st);
    assert_true (st.retries > 0);
    assert_int_equal (st.broadcasts, 1000);
    labsim_radio_destroy (&r);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_rssi_follows_log_distance_model),
        cmocka_unit_test (test_own_mac_reaches_nobody_broadcast_reaches_all_others),
        cmocka_unit_test (test_loss_one_drops_everything_and_latency_delays),
        cmocka_unit_test (test_per_board_loss_and_broadcast_flag),
        cmocka_unit_test (test_mac_retries_help_unicast_only),
    };
    return cmocka_run_group_tests_name ("labsim_radio", tests, NULL, NULL);
}
