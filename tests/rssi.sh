#!/bin/bash
# RSSI ranging end to end on labsim's indoor channel under labd: calibrate
# the board-a/board-b link at five positions, kill rssi-ranger (labd
# restarts it), and the fit is still there and the estimate at a new
# position calibrated, with its 90 % interval; a move to twice the distance
# is reported as a move, about 2x farther; a calibration with too few
# samples is refused with a reason.
set -u
BUILD=${1:-build}
export PATH="$PWD/$BUILD/bin:$PATH"
dir=$(mktemp -d /tmp/labtest-rssi-XXXXXX)
export LAB_RUNTIME_DIR="$dir/run"
mkdir -p "$LAB_RUNTIME_DIR"
cfg="$dir/lab.cfg"
tools/isolate-cfg.sh compose/lab.cfg | sed -e "s|\"var/|\"$dir/var/|" >"$cfg"
# The indoor channel's settings are checked, with the line that is wrong.
early_fail() { echo "FAIL: $*"; rm -rf "$dir"; exit 1; }
sed -e 's|shadow_decorr_m = 3.0|shadow_decorr_m = 0|' "$cfg" >"$dir/bad.cfg"
out=$(timeout 10 labsim boards -c "$dir/bad.cfg" 2>&1) && early_fail "labsim accepted shadow_decorr_m = 0"
echo "$out" | grep -q 'bad.cfg:[0-9]*: shadow_decorr_m' || early_fail "no line and key in: $out"
sed -e 's|block_per_hour = 4 |blocks_per_hour = 4 |' "$cfg" >"$dir/bad.cfg"
out=$(timeout 10 labsim boards -c "$dir/bad.cfg" 2>&1) && early_fail "labsim accepted an unknown indoor key"
echo "$out" | grep -q "unknown key 'blocks_per_hour'" || early_fail "unknown key not named: $out"
echo "ok: bad indoor channel settings refused with file:line"

labd -c "$cfg" >"$dir/labd.log" 2>&1 &
lab=$!
watch=
cleanup() {
    [ -n "$watch" ] && kill -TERM $watch 2>/dev/null && wait $watch 2>/dev/null
    kill -TERM $lab 2>/dev/null; wait $lab 2>/dev/null; rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -n 20 "$dir/labd.log"; exit 1; }
ctl() { labctl -c "$cfg" "$@"; }
up() { ctl --timeout 500 call labd status 2>/dev/null | grep -q "^$1 *up"; }
for _ in $(seq 150); do up rssi-ranger && up serial-bridge && break; sleep 0.2; done
up rssi-ranger || fail "rssi-ranger did not come up"

C="ctl --timeout 15000"
# serial-bridge is up before it has opened every board's port: ask again
# while a board is "not connected" yet (at most 10 s).
for b in board-a board-b; do
    sent=""
    for _ in $(seq 50); do
        $C call serial-bridge frame $b 0x34 32000000 >/dev/null 2>&1 && sent=1 && break
        sleep 0.2
    done
    [ -n "$sent" ] || fail "beacons on $b"
done
# Too short to collect enough samples: refused, with the reason.
out=$($C rssi calibrate board-a board-b --at 1.0 --seconds 0.1 2>&1) && fail "a 0.1 s calibration was accepted: $out"
echo "$out" | grep -qi "sample" || fail "the refusal does not say why: $out"
echo "ok: a calibration with too few samples is refused ($out)"

# Positions: distance and bearing (degrees), spread over the room.
for p in 1.0:0 4.0:120 2.0:240 6.0:60 1.5:300; do
    d=${p%%:*} br=${p##*:}
    $C call labsim move board-a board-b $d $br >/dev/null && sleep 1.5
    out=$($C rssi calibrate board-a board-b --at $d --seconds 3 2>&1) || fail "calibration at $d m, $br°: $out"
done
echo "$out" | grep -q "from 5 positions" || fail "the fit does not count positions: $out"
before=$($C --json call rssi-ranger calibrations 2>&1 | grep -o '"a_dbm":[-0-9.e]*,"n":[0-9.e]*')
[ -n "$before" ] || fail "no calibration stored: $($C call rssi-ranger calibrations 2>&1)"
echo "ok: calibrated at 5 positions: $out"

pid=$(ctl call labd status | awk '$1=="rssi-ranger" {print $3}')
kill -9 "$pid"
for _ in $(seq 100); do
    newpid=$(ctl --timeout 500 call labd status 2>/dev/null | awk '$1=="rssi-ranger" && $2=="up" {print $3}')
    [ -n "$newpid" ] && [ "$newpid" != "$pid" ] && break
    sleep 0.2
done
[ -n "$newpid" ] && [ "$newpid" != "$pid" ] || fail "labd did not restart rssi-ranger"
after=$($C --json call rssi-ranger calibrations 2>&1 | grep -o '"a_dbm":[-0-9.e]*,"n":[0-9.e]*')
[ "$before" = "$after" ] || fail "the calibration changed across a restart: '$before' -> '$after'"
echo "ok: rssi-ranger killed and restarted by labd; calibration kept ($after)"

# A spot calibration never saw.
$C call labsim move board-a board-b 2.5 180 >/dev/null
sleep 4
line=$($C rssi status 2>&1 | grep 'board-a-board-b')
echo "$line" | grep -q uncalibrated && fail "uncalibrated after the restart: $line"
est=$(echo "$line" | sed -n 's/.*: \([0-9.]*\) m (\([0-9.]*\)-\([0-9.]*\) m, 90%).*/\1 \2 \3/p')
[ -n "$est" ] || fail "no estimate: $line"
set -- $est
# Loose on purpose: the interval is a 90 % one and this is one spot of one
# room, so a test demanding 2.5 m inside it would fail for some seeds; the
# coverage is checked in tests/rssi units and the bench over many.
awk -v e="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(e > 1.0 && e < 6.0 && lo < e && e < hi) }' \
    || fail "the estimate is off or outside its own interval: $line"
echo "ok: true 2.5 m, estimate $1 m ($2-$3 m, 90 %) after the restart"

# A move to twice the distance on the same bearing: reported within
# seconds, about 2x farther. (The move to 2.5 m above had 8 s to be reported
# already, so a report after T0 is this one.)
labctl -c "$cfg" rssi watch >"$dir/watch.log" 2>&1 &   # not through ctl: $! must be labctl itself
watch=$!
sleep 4
t0=$(date +%s%3N)
$C call labsim move board-a board-b 5.0 180 >/dev/null
moved=
for _ in $(seq 40); do
    js=$($C --json call rssi-ranger distances 2>/dev/null)
    at=$(echo "$js" | grep -o '"moved_unix_ms":[0-9]*' | head -1 | cut -d: -f2)
    ratio=$(echo "$js" | grep -o '"moved_ratio":[0-9.e+-]*' | head -1 | cut -d: -f2)
    if [ -n "$at" ] && [ "$at" -ge "$t0" ]; then moved="$ratio after $(( (at - t0) )) ms"; break; fi
    sleep 0.5
done
[ -n "$moved" ] || fail "no move reported after 2.5 m -> 5 m: $($C rssi status 2>&1)"
awk -v r="$ratio" 'BEGIN { exit !(r > 1.2 && r < 4) }' || fail "2.5 m -> 5 m reported as ratio $ratio"
echo "ok: 2.5 m -> 5 m reported as a move, ratio $moved ($($C rssi status 2>&1 | grep -o 'moved.*'))"
# The event itself, as labctl rssi watch shows it.
for _ in $(seq 20); do grep -q 'MOVED' "$dir/watch.log" && break; sleep 0.2; done
grep -q '^board-a-board-b  MOVED .*farther' "$dir/watch.log" || fail "labctl rssi watch did not show the move: $(tail -3 "$dir/watch.log")"
echo "ok: labctl rssi watch: $(grep MOVED "$dir/watch.log" | tail -1)"
