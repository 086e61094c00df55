#!/bin/bash
# make demo: starts the lab on simulated hardware (labd and everything in
# compose/lab.cfg when labd is built, else the broker alone), runs every step
# in tools/demo.d in order, and prints one line per step:
#   DEMO <step> ok <details>   or   DEMO <step> FAIL <why>
# Exits non-zero when any step failed. With a terminal on stdin it then
# leaves the lab running with a chat console (when chat-gateway exists).
set -u
BUILD=${1:-build}
export LAB_BUILD="$BUILD"
export PATH="$PWD/$BUILD/bin:$PATH"
# Sockets and pid files of this demo live in their own directory, and the
# default config's TCP ports (simulated LLM backends, judge, web page) are
# swapped for free ones, so a demo never collides with a lab already running
# on this machine. A LAB_CONFIG of your own is used as it is.
LAB_RUNTIME_DIR=$(mktemp -d /tmp/labdemo-XXXXXX)
export LAB_RUNTIME_DIR
if [ -z "${LAB_CONFIG:-}" ]; then
    LAB_CONFIG="$LAB_RUNTIME_DIR/lab.cfg"
    tools/isolate-cfg.sh compose/lab.cfg >"$LAB_CONFIG"
fi
export LAB_CONFIG
export LAB_DEMO_LOG="$BUILD/demo"
mkdir -p "$LAB_DEMO_LOG"
lab_pid=""

cleanup() {
    if [ -n "$lab_pid" ] && kill -0 "$lab_pid" 2>/dev/null; then
        kill -TERM "$lab_pid" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$lab_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$lab_pid" 2>/dev/null
    fi
    rm -rf "$LAB_RUNTIME_DIR"
}
trap cleanup EXIT INT TERM

# The lab's keys (OTA signing, ESP-NOW pairing), made once and kept: the
# simulated boards are provisioned with them when they start.
[ -x "$BUILD/bin/labctl" ] && labctl -c "$LAB_CONFIG" keys >/dev/null 2>&1
if [ -x "$BUILD/bin/labd" ]; then
    labd -c "$LAB_CONFIG" >"$LAB_DEMO_LOG/labd.log" 2>&1 &
else
    labbus -c "$LAB_CONFIG" >"$LAB_DEMO_LOG/labbus.log" 2>&1 &
fi
lab_pid=$!
# Wait for the broker to answer (at most 10 s).
for _ in $(seq 100); do
    labctl --timeout 200 call labbus status >/dev/null 2>&1 && break
    sleep 0.1
done

failed=0
for step in tools/demo.d/[0-9]*.sh; do
    [ -f "$step" ] || continue
    if ! bash "$step"; then
        failed=1
    fi
done

if [ -t 0 ] && [ "$failed" -eq 0 ] && [ -z "${CI:-}" ] && labctl --help 2>/dev/null | grep -q '^  chat '; then
    echo "The lab is running. Talk to it as from a phone (/help); Ctrl-D to stop."
    labctl chat
fi
exit $failed
