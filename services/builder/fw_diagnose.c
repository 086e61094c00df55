/* fw_diagnose - see fw_diagnose.h. Runs inside a builder job (fw_job). */
#include "services/builder/fw_diagnose.h"
#include "services/builder/fw_ctx.h"
#include "bus/lab_spawn.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "link_frame.h"

/* LINK_T_QUERY as serial-bridge's `frame` command takes it. */
#define LINK_T_QUERY_ARG "0x32"
#define WINDOW_MS 3000
#define AFTER_RESET_MS 5000

const char *
fw_diagnose_verdict (const fw_diag_t *d, char *why, size_t whylen)
{
    bool tx_now = d->tx_after_reset || (d->power_tried && d->tx_after_power);
    if (!d->tx_after_reset) {
        if (d->power_tried && d->tx_after_power) {
            snprintf (why, whylen, "the serial output stops after a reset and comes back after a power cycle%s",
                      d->pingpong_ok ? ", while the board answered ping-pong over ESP-NOW all along" : "");
            return "cable/USB bridge";
        }
        if (d->power_tried) {
            snprintf (why, whylen, "the serial output stays dead through a reset and a power cycle%s",
                      d->pingpong_ok ? " although the chip runs (it answered ping-pong over ESP-NOW): "
                                       "its USB-serial side is broken"
                                     : " and it does not answer over ESP-NOW either");
            return "board";
        }
        if (d->pingpong_ok) {
            snprintf (why, whylen, "no serial output after a reset, yet the board answers ping-pong over ESP-NOW "
                                   "(no power switch configured to tell a flaky bridge from a dead one)");
            return "cable/USB bridge";
        }
        snprintf (why, whylen, "no serial output after a reset and no answer over ESP-NOW");
        return "board";
    }
    bool current_bad = d->panics || (d->pingpong_tried && !d->pingpong_ok);
    if (current_bad && d->good_tried && d->good_ok) {
        snprintf (why, whylen, "the running image %s, the known-good image boots and stays up on the same board",
                  d->panics ? "crashes" : "does not answer ping-pong");
        return "code";
    }
    if (current_bad && d->good_tried) {
        snprintf (why, whylen, "the known-good image fails on this board too");
        return "board";
    }
    if (current_bad) {
        snprintf (why, whylen, "the running image %s; no known-good image to compare with, so the code is the "
                               "first suspect", d->panics ? "crashes" : "does not answer ping-pong");
        return "code";
    }
    (void) tx_now;
    snprintf (why, whylen, "serial link, reset, %sand the running image all behave",
              d->pingpong_tried ? "ping-pong " : "");
    return "no fault found";
}

/* ------------------------------------------------------------------ */

typedef struct {
    int lines, frames, boots, panics;
} seen_t;

/* Forgets what arrived before now. */
static void
s_flush (fw_ctx_t *c)
{
    bus_msg_t *m;
    while ((m = bus_client_recv (c->bus, 0)))
        bus_msg_destroy (&m);
}

/* Counts what BOARD sends for MS milliseconds. With SINCE (a version),
 * only what follows that version's boot report: what the board printed
 * into the released port during a flash is read after it, and a crash of
 * the old image there is not a crash of the new one. */
static void
s_watch (fw_ctx_t *c, const char *board, int ms, const char *since, seen_t *seen)
{
    bool counting = !since;
    memset (seen, 0, sizeof *seen);
    char serial[96], frame[96];
    snprintf (serial, sizeof serial, "tel.serial.%s", board);
    snprintf (frame, sizeof frame, "tel.frame.%s", board);
    uint64_t end = fw_ms () + (uint64_t) ms;
    while (!c->term && fw_ms () < end) {
        bus_msg_t *m = bus_client_recv (c->bus, 100);
        if (!m) {
            fw_ctx_sleep (c, 0);
            continue;
        }
        const Lab__SerialLine *l = !strcmp (m->topic, serial) ? bus_msg_body (m, LAB__ENVELOPE__BODY_SERIAL_LINE) : NULL;
        const Lab__BoardFrame *f = !strcmp (m->topic, frame) ? bus_msg_body (m, LAB__ENVELOPE__BODY_BOARD_FRAME) : NULL;
        if (f && f->direction == 0 && f->type == LINK_T_BOOT && !counting) {
            link_boot_t boot;
            counting = !link_boot_decode (f->payload.data, f->payload.len, &boot) && !strcmp (boot.version, since);
        }
        if (!counting) {
            bus_msg_destroy (&m);
            continue;
        }
        if (l && l->direction == 0) {
            seen->lines++;
            if (strstr (l->text, "Guru Meditation") || strstr (l->text, "abort()"))
                seen->panics++;
        }
        if (f && f->direction == 0) {
            seen->frames++;
            if (f->type == LINK_T_BOOT)
                seen->boots++;
        }
        bus_msg_destroy (&m);
    }
}

/* "pingpong A -> B: 9/10 received, ..." */
static int
s_pingpong (fw_ctx_t *c, const char *from, const char *to, int *sent)
{
    const char *args[] = { from, to, "10", "10" };
    char msg[512];
    *sent = 0;
    if (fw_ctx_call (c, "serial-bridge", "pingpong", 4, args, 20000, msg, sizeof msg) != BUS_OK)
        return -1;
    const char *at = strstr (msg, ": ");
    unsigned got = 0, of = 0;
    if (!at || sscanf (at + 2, "%u/%u received", &got, &of) != 2)
        return -1;
    *sent = (int) of;
    return (int) got;
}

/* Runs the power-cycle argv; 0 when it exited 0 within 30 s. */
static int
s_power_cycle (fw_ctx_t *c)
{
    char err[256];
    int fd = -1;
    lab_spawn_opts_t so = { .merge_stderr = true };
    pid_t pid = lab_spawn (c->a->power, &so, &fd, NULL, err, sizeof err);
    if (pid < 0)
        return -1;
    int status = -1;
    uint64_t end = fw_ms () + 30000;
    char sink[512];
    while (waitpid (pid, &status, WNOHANG) == 0) {
        while (read (fd, sink, sizeof sink) > 0)
            ;
        if (fw_ms () > end || !fw_ctx_sleep (c, 50)) {
            lab_spawn_signal (pid, SIGKILL);
            waitpid (pid, &status, 0);
            status = -1;
            break;
        }
    }
    lab_spawn_signal (pid, SIGKILL);
    close (fd);
    return status == 0 ? 0 : -1;
}

static void
s_check_link (fw_ctx_t *c, const char *b, fw_diag_t *d)
{
    fw_ctx_step (c, "testing", "listening to %s and asking it for a boot report", b);
    s_flush (c);
    const char *args[] = { b, LINK_T_QUERY_ARG };
    char msg[256];
    fw_ctx_call (c, "serial-bridge", "frame", 2, args, 5000, msg, sizeof msg);
    seen_t s;
    s_watch (c, b, WINDOW_MS, NULL, &s);
    d->rx_alive = s.lines + s.frames > 0;
    d->panics = s.panics > 0;
    fw_ctx_evidence (c, "serial link: %d lines and %d frames from %s in %d s; %s", s.lines, s.frames, b,
                     WINDOW_MS / 1000,
                     s.boots ? "it answered a boot-report query (both directions work)"
                             : d->rx_alive ? "no answer to a boot-report query (host -> board in doubt)"
                                           : "nothing at all (board -> host silent)");
    if (s.panics)
        fw_ctx_evidence (c, "the running image crashed %d time(s) in %d s (Guru Meditation)", s.panics,
                         WINDOW_MS / 1000);
}

static void
s_check_reset (fw_ctx_t *c, const char *b, fw_diag_t *d)
{
    fw_ctx_step (c, "testing", "resetting %s", b);
    s_flush (c);
    const char *args[] = { b };
    char msg[256];
    int rc = fw_ctx_call (c, "serial-bridge", "reset", 1, args, 5000, msg, sizeof msg);
    seen_t s;
    s_watch (c, b, AFTER_RESET_MS, NULL, &s);
    d->tx_after_reset = s.lines + s.frames > 0;
    d->panics = d->panics || s.panics > 0;
    if (rc != BUS_OK)
        fw_ctx_evidence (c, "reset: %s", msg);
    fw_ctx_evidence (c, "after a reset: %d lines, %d frames, %s%s", s.lines, s.frames,
                     s.boots ? "a boot report" : "no boot report",
                     d->tx_after_reset ? "" : " (the ROM banner never came: not the code)");
}

static void
s_check_pingpong (fw_ctx_t *c, const char *b, const char *spare, fw_diag_t *d)
{
    if (!spare[0])
        return;
    fw_ctx_step (c, "testing", "ping-pong %s -> %s over ESP-NOW", spare, b);
    int sent = 0;
    int got = s_pingpong (c, spare, b, &sent);
    d->pingpong_tried = got >= 0;
    d->pingpong_ok = got > sent / 2;
    if (got < 0)
        fw_ctx_evidence (c, "ping-pong %s -> %s could not run (is %s's link alive?)", spare, b, spare);
    else
        fw_ctx_evidence (c, "ping-pong %s -> %s over ESP-NOW: %d/%d pongs", spare, b, got, sent);
}

static void
s_check_power (fw_ctx_t *c, const char *b, fw_diag_t *d)
{
    if (!c->a->power)
        return;
    fw_ctx_step (c, "testing", "power-cycling %s", b);
    s_flush (c);
    d->power_tried = true;
    if (s_power_cycle (c)) {
        fw_ctx_evidence (c, "the power-cycle command failed");
        d->power_tried = false;
        return;
    }
    seen_t s;
    s_watch (c, b, AFTER_RESET_MS, NULL, &s);
    d->tx_after_power = s.lines + s.frames > 0;
    fw_ctx_evidence (c, "after a power cycle: %d lines, %d frames%s", s.lines, s.frames,
                     d->tx_after_power ? " (output is back)" : " (still nothing)");
}

static void
s_check_known_good (fw_ctx_t *c, const char *b, fw_diag_t *d)
{
    if (!c->a->good_image[0]) {
        fw_ctx_evidence (c, "no known-good image (mark a recipe known_good = true)");
        return;
    }
    if (!d->tx_after_reset && !(d->power_tried && d->tx_after_power)) {
        fw_ctx_evidence (c, "known-good image not tried: the board says nothing that could confirm a boot");
        return;
    }
    d->good_tried = true;
    snprintf (c->artefact, sizeof c->artefact, "%s", c->a->good_image);
    snprintf (c->version, sizeof c->version, "%s", c->a->good_version);
    snprintf (c->sha256, sizeof c->sha256, "%s", c->a->good_sha256);
    s_flush (c);
    int rc = fw_ctx_deliver (c, b, FW_DELIVER_USB, "");
    if (rc && !c->booted[0] && c->a->power) {
        /* A flaky bridge goes quiet after the flash's reset: power it back. */
        fw_ctx_evidence (c, "known-good %s flashed, no boot report; power-cycling again", c->version);
        if (!s_power_cycle (c)) {
            char state[96];
            snprintf (state, sizeof state, "state.board.%s", b);
            bus_client_subscribe (c->bus, state);
            uint64_t end = fw_ms () + AFTER_RESET_MS;
            while (!c->term && fw_ms () < end && !c->booted[0]) {
                bus_msg_t *m = bus_client_recv (c->bus, 200);
                const Lab__BoardState *bs = m && !strcmp (m->topic, state) ? bus_msg_body (m, LAB__ENVELOPE__BODY_BOARD) : NULL;
                if (bs && !strcmp (bs->firmware_version, c->version) && bs->connected && !bs->silent)
                    snprintf (c->booted, sizeof c->booted, "%s", bs->firmware_version);
                bus_msg_destroy (&m);
            }
            bus_client_unsubscribe (c->bus, state);
            rc = c->booted[0] ? 0 : -1;
        }
    }
    seen_t s;
    s_watch (c, b, WINDOW_MS, rc == 0 ? c->version : NULL, &s);
    d->good_ok = rc == 0 && s.panics == 0;
    fw_ctx_evidence (c, "known-good %s: %s%s", c->version,
                     rc == 0 ? "booted and confirmed" : c->error[0] ? c->error : "not confirmed",
                     s.panics ? ", then crashed" : rc == 0 ? ", stayed up" : "");
}

int
fw_diagnose_run (fw_ctx_t *c)
{
    const char *b = c->a->board, *spare = c->a->spare;
    char topic[96];
    snprintf (topic, sizeof topic, "tel.serial.%s", b);
    bus_client_subscribe (c->bus, topic);
    snprintf (topic, sizeof topic, "tel.frame.%s", b);
    bus_client_subscribe (c->bus, topic);
    fw_diag_t d;
    memset (&d, 0, sizeof d);
    s_check_link (c, b, &d);
    if (!c->term)
        s_check_reset (c, b, &d);
    if (!c->term)
        s_check_pingpong (c, b, spare, &d);
    if (!c->term && !d.tx_after_reset)
        s_check_power (c, b, &d);
    if (!c->term && (d.panics || (d.pingpong_tried && !d.pingpong_ok)))
        s_check_known_good (c, b, &d);
    if (c->term) {
        snprintf (c->error, sizeof c->error, "stopped: the builder is shutting down");
        fw_ctx_step (c, "failed", "%s", c->error);
        return -1;
    }
    char why[300];
    const char *verdict = fw_diagnose_verdict (&d, why, sizeof why);
    snprintf (c->verdict, sizeof c->verdict, "%s", verdict);
    c->error[0] = 0;
    fw_ctx_evidence (c, "verdict %s: %s", verdict, why);
    fw_ctx_step (c, "done", "%s: %s", b, verdict);
    return 0;
}
