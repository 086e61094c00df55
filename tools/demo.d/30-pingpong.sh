#!/bin/bash
# DEMO pingpong: 100 ESP-NOW pings from board-a to board-b (simulated boards
# running the firmware core, over the simulated radio) through serial-bridge
# and the bus, at 50 Hz so it takes seconds.
set -u
cfg=${LAB_CONFIG:-compose/lab.cfg}
log=${LAB_DEMO_LOG:-/tmp}
started=""
cleanup() { for p in $started; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
trap cleanup EXIT

bridge_up() { labctl -c "$cfg" --timeout 500 call serial-bridge boards 2>/dev/null | grep -q "board-b connected"; }
# labd starts labsim-boards and serial-bridge; without labd, start them here.
for _ in $(seq 50); do bridge_up && break; [ -x "${LAB_BUILD:-build}/bin/labd" ] || break; sleep 0.2; done
if ! bridge_up; then
    labsim boards -c "$cfg" >"$log/demo-labsim-boards.log" 2>&1 &
    started="$!"
    serial-bridge -c "$cfg" >"$log/demo-serial-bridge.log" 2>&1 &
    started="$started $!"
    for _ in $(seq 100); do bridge_up && break; sleep 0.1; done
fi
if ! bridge_up; then
    echo "DEMO pingpong FAIL serial-bridge does not see board-a and board-b"
    exit 1
fi
out=$(labctl -c "$cfg" --json pingpong board-a board-b --count 100 --hz 50 2>&1)
rc=$?
num() { printf '%s' "$out" | sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
if [ $rc -ne 0 ] || [ -z "$(num received)" ]; then
    echo "DEMO pingpong FAIL $(printf '%s' "$out" | head -c 200)"
    exit 1
fi
received=$(num received); sent=$(num sent)
if [ "$received" != "100" ]; then
    echo "DEMO pingpong FAIL $received/$sent received, $(num lost) lost"
    exit 1
fi
printf 'DEMO pingpong ok %s/%s received, 0 lost, rtt min %.2f / median %.2f / p99 %.2f ms (board-a -> board-b, simulated radio, serial-bridge, bus)\n' \
    "$received" "$sent" "$(num rtt_min_ms)" "$(num rtt_median_ms)" "$(num rtt_p99_ms)"
