#!/bin/bash
# /diagnose on labsim, one verdict per simulated fault: a healthy board
# ("no fault found"); an image that crashes at boot while the known-good
# one runs ("code"); TX silent after a reset until a power cycle
# ("cable/USB bridge"); TX dead through power cycles ("board"). Also a
# board that boots a version other than the one last flashed raises
# evt.alert.fw_mismatch, and /status BOARD shows the firmware history.
set -u
BUILD=${1:-build}
export PATH="$PWD/$BUILD/bin:$PATH"
dir=$(mktemp -d /tmp/labtest-diagnose-XXXXXX)
export LAB_RUNTIME_DIR="$dir/run"
mkdir -p "$LAB_RUNTIME_DIR"
cfg="$dir/lab.cfg"
# Flashes take as long as esptool's do: the board keeps printing (a
# crashing image keeps rebooting) into the port while it is released.
tools/isolate-cfg.sh compose/lab.cfg | sed -e "s|\"var/|\"$dir/var/|" \
    -e "s|flash = \"labctl -c {config} --timeout 20000 call labsim flash {board} {image}\"|flash = \"$PWD/tools/sim-esptool.sh {config} {board} {image}\"|" >"$cfg"
cat >>"$cfg" <<CFG
builds
    recipes
        crashy
            command = "tools/sim-recipe.sh 128K crashy --crash"
            artefact = "$dir/var/build/crashy.bin"
            timeout = "30s"
CFG
ctl() { labctl -c "$cfg" "$@"; }
# The lab's keys before the boards boot (they are provisioned at start).
ctl keys >/dev/null || { echo "FAIL: labctl keys"; rm -rf "$dir"; exit 1; }
labd -c "$cfg" >"$dir/labd.log" 2>&1 &
lab=$!
cleanup() { kill -TERM $lab 2>/dev/null; wait $lab 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -n 20 "$dir/var/log/builder.log" 2>/dev/null; exit 1; }
up() { ctl --timeout 500 call labd status 2>/dev/null | grep -q "^$1 *up"; }
for _ in $(seq 150); do up builder && up serial-bridge && up labsim-boards && break; sleep 0.2; done
up builder || fail "builder did not come up"
for _ in $(seq 50); do ctl --timeout 2000 call serial-bridge boards 2>/dev/null | grep -q "board-a connected" && break; sleep 0.2; done
C="ctl --timeout 15000"

diagnose() { # BOARD: sets $out (the evidence) and $v (the verdict)
    out=$($C diagnose "$1" 2>&1)
    v=$(echo "$out" | sed -n "s/^b[0-9]* diagnose $1: //p" | tail -n 1)
}

diagnose board-a
[ "$v" = "no fault found" ] || fail "healthy board: '$v': $out"
echo "ok: healthy board-a: $v"

$C reflash crashy board-a >/dev/null 2>&1 || fail "reflash crashy"
diagnose board-a
[ "$v" = "code" ] || fail "crashing image: '$v': $out"
echo "$out" | grep -q "crashed" || fail "no crash in the evidence: $out"
echo "$out" | grep -q "known-good .*booted and confirmed" || fail "known-good not confirmed: $out"
echo "ok: crashing image on board-a: $v ($(echo "$out" | grep -c '^  - ') pieces of evidence)"

$C call labsim fault board-a tx-flaky >/dev/null || fail "fault tx-flaky"
$C call serial-bridge reset board-a >/dev/null   # the flaky bridge goes quiet after it
diagnose board-a
[ "$v" = "cable/USB bridge" ] || fail "flaky TX: '$v': $out"
echo "$out" | grep -q "after a power cycle: [1-9]" || fail "output not back after the power cycle: $out"
echo "ok: TX silent after reset until power cycle: $v"
$C call labsim fault board-a restore >/dev/null

$C call labsim fault board-a tx-dead >/dev/null || fail "fault tx-dead"
diagnose board-a
[ "$v" = "board" ] || fail "dead TX: '$v': $out"
echo "$out" | grep -q "ping-pong board-b -> board-a over ESP-NOW: [1-9]" || fail "no ping-pong evidence: $out"
echo "ok: TX dead through power cycles: $v"
$C call labsim fault board-a restore >/dev/null

# A version other than the one last flashed: flashed behind the lab's back.
for _ in $(seq 50); do ctl --timeout 2000 call serial-bridge boards 2>/dev/null | grep -q "board-a connected" && break; sleep 0.2; done
labsim mkimage --size 64K --version rogue-1.0 -o "$dir/rogue.bin" >/dev/null
ctl --json sub evt.alert.fw_mismatch.board-a --count 1 --timeout 20 >"$dir/alert.json" 2>&1 &
sub=$!
sleep 1
$C call labsim flash board-a "$dir/rogue.bin" >/dev/null || fail "labsim flash"
wait $sub || fail "no evt.alert.fw_mismatch.board-a: $(cat "$dir/alert.json")"
grep -q "rogue-1.0" "$dir/alert.json" || fail "the alert does not name the version: $(cat "$dir/alert.json")"
echo "ok: board-a booting rogue-1.0 behind the lab's back raised evt.alert.fw_mismatch"

out=$(ctl --timeout 10000 chat /status board-a 2>&1)
echo "$out" | grep -q "Firmware history" && echo "$out" | grep -q "usb" || fail "/status board-a: $out"
echo "ok: /status board-a shows the firmware history"
