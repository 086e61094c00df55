#!/bin/bash
# RSSI ranging end to end on labsim under labd: calibrate the board-a/board-b
# link at two distances, kill rssi-ranger (labd restarts it), and the fit is
# still there and the estimate at a third distance still calibrated and
# close; a calibration with too few samples is refused with a reason.
set -u
BUILD=${1:-build}
export PATH="$PWD/$BUILD/bin:$PATH"
dir=$(mktemp -d /tmp/labtest-rssi-XXXXXX)
export LAB_RUNTIME_DIR="$dir/run"
mkdir -p "$LAB_RUNTIME_DIR"
cfg="$dir/lab.cfg"
tools/isolate-cfg.sh compose/lab.cfg | sed -e "s|\"var/|\"$dir/var/|" >"$cfg"
labd -c "$cfg" >"$dir/labd.log" 2>&1 &
lab=$!
cleanup() { kill -TERM $lab 2>/dev/null; wait $lab 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -n 20 "$dir/labd.log"; exit 1; }
ctl() { labctl -c "$cfg" "$@"; }
up() { ctl --timeout 500 call labd status 2>/dev/null | grep -q "^$1 *up"; }
for _ in $(seq 150); do up rssi-ranger && up serial-bridge && break; sleep 0.2; done
up rssi-ranger || fail "rssi-ranger did not come up"

C="ctl --timeout 15000"
for b in board-a board-b; do $C call serial-bridge frame $b 0x34 32000000 >/dev/null || fail "beacons on $b"; done
# Too short to collect enough samples: refused, with the reason.
out=$($C rssi calibrate board-a board-b --at 1.0 --seconds 0.1 2>&1) && fail "a 0.1 s calibration was accepted: $out"
echo "$out" | grep -qi "sample" || fail "the refusal does not say why: $out"
echo "ok: a calibration with too few samples is refused ($out)"

for d in 1.0 4.0; do
    $C call labsim move board-a board-b $d >/dev/null && sleep 1.5
    out=$($C rssi calibrate board-a board-b --at $d --seconds 3 2>&1) || fail "calibration at $d m: $out"
done
before=$($C --json call rssi-ranger calibrations 2>&1 | grep -o '"a_dbm":[-0-9.e]*,"n":[0-9.e]*')
[ -n "$before" ] || fail "no calibration stored: $($C call rssi-ranger calibrations 2>&1)"
echo "ok: calibrated at 1 m and 4 m: $before"

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

$C call labsim move board-a board-b 2.5 >/dev/null
sleep 3
line=$($C rssi status 2>&1 | grep 'board-a-board-b')
echo "$line" | grep -q uncalibrated && fail "uncalibrated after the restart: $line"
est=$(echo "$line" | sed -n 's/.*: \([0-9.]*\) m (\([0-9.]*\)-\([0-9.]*\) m).*/\1 \2 \3/p')
[ -n "$est" ] || fail "no estimate: $line"
set -- $est
# Loose on purpose: the interval is a 90 % one, so a test demanding 2.5 m
# inside it would fail one run in ten; tests/rssi units check the coverage.
awk -v e="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(e > 1.5 && e < 3.5 && lo < e && e < hi) }' \
    || fail "the estimate is off or outside its own interval: $line"
echo "ok: true 2.5 m, estimate $1 m ($2-$3 m) after the restart"
