/* fw_diagnose - "is it my code, the board, or the cable?" for one board,
 * from what can be observed:
 *
 *   1. link: lines and frames from the board in 3 s, and a boot report in
 *      answer to a QUERY frame (host -> board -> host);
 *   2. reset: does the board say anything after a reset (the ROM prints its
 *      banner whatever the code, so silence here is not the code);
 *   3. ping-pong from a spare board over ESP-NOW: the board's firmware and
 *      radio work without its serial link;
 *   4. power cycle (when the lab has a way to): does the output come back;
 *   5. the known-good image: flashed, does it boot and stay up.
 *
 * The verdict is a pure function of those observations, tested on its own;
 * docs/builds.md has the table. */
#ifndef FW_DIAGNOSE_H
#define FW_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    bool rx_alive;           /* lines or frames from the board in the first window */
    bool panics;             /* the running image crashed (panic, boot loop) */
    bool tx_after_reset;     /* output within 5 s of a reset */
    bool power_tried;
    bool tx_after_power;     /* output within 5 s of a power cycle */
    bool pingpong_tried;
    bool pingpong_ok;        /* the spare got pongs from the board over ESP-NOW */
    bool good_tried;
    bool good_ok;            /* the known-good image booted, confirmed, and stayed up */
} fw_diag_t;

/* "code", "board", "cable/USB bridge" or "no fault found", with a short
 * reason in WHY. */
const char *fw_diagnose_verdict (const fw_diag_t *d, char *why, size_t whylen);

#endif
