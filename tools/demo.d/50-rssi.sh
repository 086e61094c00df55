#!/bin/bash
# DEMO rssi: calibrate the board-a/board-b link at 1 m and 4 m (labsim moves
# the boards), then estimate the distance at 2.5 m.
set -u
C="labctl --timeout 15000"
if ! $C call rssi-ranger distances >/dev/null 2>&1; then
    echo "DEMO rssi FAIL rssi-ranger is not running"; exit 1
fi
# Beacons every 50 ms so a few seconds give enough samples.
for b in board-a board-b; do $C call serial-bridge frame $b 0x34 32000000 >/dev/null; done
true_d=2.5
for d in 1.0 4.0; do
    $C call labsim move board-a board-b $d >/dev/null && sleep 1.5
    out=$($C rssi calibrate board-a board-b --at $d --seconds 3 2>&1) || { echo "DEMO rssi FAIL calibration at $d m: $out"; exit 1; }
done
$C call labsim move board-a board-b $true_d >/dev/null
sleep 3
line=$($C rssi status 2>&1 | grep 'board-a-board-b')
est=$(echo "$line" | sed -n 's/.*: \([0-9.]*\) m (\([0-9.]*\)-\([0-9.]*\) m).*/\1 \2 \3/p')
[ -n "$est" ] || { echo "DEMO rssi FAIL no estimate: $line"; exit 1; }
set -- $est
u=$(awk -v lo="$2" -v hi="$3" 'BEGIN { printf "%.2f", (hi - lo) / 2 }')
fit=$(echo "$out" | sed -n 's/.*: \(A = .*\)/\1/p')
echo "DEMO rssi ok true $true_d m est $1 m ± $u m (calibrated at 1 m and 4 m: $fit)"
