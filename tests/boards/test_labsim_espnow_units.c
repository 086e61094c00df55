/* test_labsim_espnow_units - labsim's ESP-NOW peer table and encryption
 * rules (ESP-IDF v5.5 esp_now.h): limits, encrypted broadcast refused, and
 * which frames a receiving radio accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include "services/labsim/labsim_espnow.h"

static const uint8_t A[6] = { 2, 0, 0, 0, 0, 0xa }, B[6] = { 2, 0, 0, 0, 0, 0xb }, C[6] = { 2, 0, 0, 0, 0, 0xc };
static const uint8_t PMK[16] = { 1 }, LMK[16] = { 2 }, OTHER[16] = { 3 };

static void
test_peer_limits_follow_esp_idf (void **state)
{
    (void) state;
    labsim_espnow_t t;
    memset (&t, 0, sizeof t);
    uint8_t mac[6] = { 2, 0, 0, 0, 1, 0 };
    assert_int_equal (labsim_espnow_add_peer (&t, mac, true, LMK), LABSIM_ESPNOW_ERR_ARG);   /* no PMK yet */
    labsim_espnow_set_pmk (&t, PMK);
    int ok = 0;
    for (int i = 0; i < 10; i++) {
        mac[5] = (uint8_t) i;
        ok += labsim_espnow_add_peer (&t, mac, true, LMK) == LABSIM_ESPNOW_OK;
    }
    assert_int_equal (ok, LABSIM_ESPNOW_MAX_ENCRYPT);
    for (int i = 10; i < 40; i++) {
        mac[5] = (uint8_t) i;
        labsim_espnow_add_peer (&t, mac, false, NULL);
    }
    assert_int_equal (t.npeers, LABSIM_ESPNOW_MAX_PEERS);
    mac[5] = 3;
    assert_int_equal (labsim_espnow_add_peer (&t, mac, false, NULL), LABSIM_ESPNOW_ERR_EXIST);
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    labsim_espnow_reset (&t);
    labsim_espnow_set_pmk (&t, PMK);
    assert_int_equal (labsim_espnow_add_peer (&t, bcast, true, LMK), LABSIM_ESPNOW_ERR_ARG);
}

static void
s_board (labsim_espnow_t *t, const uint8_t *pmk)
{
    memset (t, 0, sizeof *t);
    if (pmk)
        labsim_espnow_set_pmk (t, pmk);
}

static void
test_paired_boards_hear_each_other_and_strangers_are_told_apart (void **state)
{
    (void) state;
    labsim_espnow_t a, b, c;
    s_board (&a, PMK);
    s_board (&b, PMK);
    s_board (&c, NULL);
    labsim_espnow_add_peer (&a, B, true, LMK);
    labsim_espnow_add_peer (&b, A, true, LMK);
    assert_true (labsim_espnow_accept (&a, A, &b, B));          /* both encrypted, same keys */
    /* C is nobody's peer: its unencrypted unicast arrives (ESP-NOW takes
     * frames from non-peers); the application decides what to do with it. */
    labsim_espnow_add_peer (&c, B, false, NULL);
    assert_true (labsim_espnow_accept (&c, C, &b, B));
    /* C claims to be A but has no keys: B expects A encrypted and drops it. */
    assert_false (labsim_espnow_accept (&c, A, &b, B));
    assert_int_equal (b.rx_dropped, 1);
    /* A board with the wrong LMK. */
    labsim_espnow_t a2;
    s_board (&a2, PMK);
    labsim_espnow_add_peer (&a2, B, true, OTHER);
    assert_false (labsim_espnow_accept (&a2, A, &b, B));
    /* Broadcast (no peer entry for the receiver) is never encrypted and heard by all. */
    labsim_espnow_t d;
    s_board (&d, NULL);
    assert_true (labsim_espnow_accept (&d, C, &b, B));
}

/* Broadcast as ESP-NOW does it: never encrypted, and handed up even by a
 * board that has the claimed sender as an encrypted peer. Before labsim
 * carried the destination, a broadcast from a paired board was judged by
 * the pair's keys, so a stranger claiming board A's MAC could not reach B
 * with a broadcast in labsim although it can on the chip. */
static void
test_broadcast_is_never_encrypted_and_always_heard (void **state)
{
    (void) state;
    labsim_espnow_t a, b, x;
    s_board (&a, PMK);
    s_board (&b, PMK);
    s_board (&x, PMK);
    labsim_espnow_add_peer (&a, B, true, LMK);
    labsim_espnow_add_peer (&b, A, true, LMK);
    labsim_espnow_add_peer (&x, B, true, OTHER);     /* a stranger with A's MAC, wrong key */
    assert_true (labsim_espnow_accept_to (&a, A, &b, B, true));
    assert_true (labsim_espnow_accept_to (&x, A, &b, B, true));   /* broadcast: no key to fail */
    assert_false (labsim_espnow_accept_to (&x, A, &b, B, false)); /* unicast: dropped */
    assert_true (labsim_espnow_accept_to (&a, A, &b, B, false));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_peer_limits_follow_esp_idf),
        cmocka_unit_test (test_paired_boards_hear_each_other_and_strangers_are_told_apart),
        cmocka_unit_test (test_broadcast_is_never_encrypted_and_always_heard),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
