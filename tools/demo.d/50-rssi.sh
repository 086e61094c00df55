#!/bin/bash
# DEMO rssi: on labsim's indoor channel (shadowing, fades, body blocking;
# docs/rssi.md), calibrate the board-a/board-b link at five positions, then
# estimate the distance at a spot calibration never saw, with its 90 %
# interval, and move the board to twice the distance: the move is reported.
set -u
C="labctl --timeout 15000"
if ! $C call rssi-ranger distances >/dev/null 2>&1; then
    echo "DEMO rssi FAIL rssi-ranger is not running"; exit 1
fi
# Beacons every 50 ms so a few seconds give enough samples.
for b in board-a board-b; do $C call serial-bridge frame $b 0x34 32000000 >/dev/null; done
for p in 1.0:0 4.0:120 2.0:240 6.0:60 1.5:300; do
    d=${p%%:*} br=${p##*:}
    $C call labsim move board-a board-b $d $br >/dev/null && sleep 1.5
    out=$($C rssi calibrate board-a board-b --at $d --seconds 3 2>&1) || { echo "DEMO rssi FAIL calibration at $d m: $out"; exit 1; }
done
fit=$(echo "$out" | sed -n 's/.*: \(A = .* from [0-9]* positions\).*/\1/p')
true_d=2.5
$C call labsim move board-a board-b $true_d 180 >/dev/null
sleep 8
line=$($C rssi status 2>&1 | grep 'board-a-board-b')
est=$(echo "$line" | sed -n 's/.*: \([0-9.]*\) m (\([0-9.]*\)-\([0-9.]*\) m, 90%).*/\1 \2 \3/p')
[ -n "$est" ] || { echo "DEMO rssi FAIL no estimate: $line"; exit 1; }
set -- $est
t0=$(date +%s%3N)
$C call labsim move board-a board-b 5.0 180 >/dev/null
moved=
for _ in $(seq 30); do
    js=$($C --json call rssi-ranger distances 2>/dev/null)
    at=$(echo "$js" | grep -o '"moved_unix_ms":[0-9]*' | head -1 | cut -d: -f2)
    ratio=$(echo "$js" | grep -o '"moved_ratio":[0-9.e+-]*' | head -1 | cut -d: -f2)
    if [ -n "$at" ] && [ "$at" -ge "$t0" ]; then
        moved=$(awk -v r="$ratio" -v ms="$((at - t0))" 'BEGIN { printf "move 2.5 -> 5 m detected after %.1f s: about %.1fx farther", ms / 1000, r }')
        break
    fi
    sleep 0.5
done
[ -n "$moved" ] || { echo "DEMO rssi FAIL true $true_d m est $1 m ($2-$3 m, 90 %); the move to 5 m was not reported"; exit 1; }
echo "DEMO rssi ok true $true_d m est $1 m ($2-$3 m, 90 %) on the indoor channel, calibrated at 5 positions ($fit); $moved"
