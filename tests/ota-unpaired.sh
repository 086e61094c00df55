#!/bin/bash
# A push from a board that is not paired with the responder, end to end on
# labsim: board-x was flashed without the lab's pairing keys (labsim
# `pairing = "none"`: a stranger's board in radio range), so its frames
# reach board-b unencrypted from a MAC board-b is not paired with. board-b
# drops them before parsing, counts them and says so on its UART (once per
# 10 s at most); it never answers, writes nothing, and keeps its firmware.
# The same push through the paired board-a then succeeds.
set -u
BUILD=${1:-build}
export PATH="$PWD/$BUILD/bin:$PATH"
dir=$(mktemp -d /tmp/labtest-otaunp-XXXXXX)
export LAB_RUNTIME_DIR="$dir/run"
mkdir -p "$LAB_RUNTIME_DIR" "$dir/var/images"
cfg="$dir/lab.cfg"
stranger='    board-x\n        port = "sim:board-x"\n        baud = 921600\n        mac = "24:6f:28:00:00:f1"\n'
stranger+='        silent_after = "5s"\n        reset = "frame"\n        pairing = "none"\n'
tools/isolate-cfg.sh compose/lab.cfg | sed -e "s|\"var/|\"$dir/var/|" \
    | awk -v add="$stranger" '
        /^boards$/ { inb = 1; print; next }
        inb && /^[^ #]/ { printf "%s", add; inb = 0 }
        { print }
        END { if (inb) printf "%s", add }' >"$cfg"
grep -q 'pairing = "none"' "$cfg" || { echo "FAIL: no board-x in the config"; rm -rf "$dir"; exit 1; }
source tests/lib/ota-lab.bash
ota_lab_start
for _ in $(seq 100); do
    b=$(ctl --timeout 2000 call serial-bridge boards 2>/dev/null)
    grep -q "board-b connected" <<<"$b" && grep -q "board-x connected" <<<"$b" && break
    sleep 0.2
done
ctl call serial-bridge tail board-x 40 | grep -q "pairing: none provisioned" \
    || fail "board-x does not say it has no pairing: $(ctl call serial-bridge tail board-x 20)"
before=$(ctl board board-b | awk '$1=="firmware_version" {print $2}')
[ -n "$before" ] || fail "board-b reports no version"
labsim mkimage --size 100K --version 9.9.9 -o "$dir/var/images/v999.bin" >/dev/null

ctl --timeout 60000 ota push v999.bin --to board-b --via board-x >"$dir/push.out" 2>&1 &
push=$!
dropped=
for _ in $(seq 100); do
    ctl call serial-bridge tail board-b 40 2>/dev/null | grep -q "ota: frames from an unpaired board dropped" && { dropped=1; break; }
    sleep 0.1
done
job=$(ctl ota status 2>/dev/null | sed -n 's/^\(ota-board-b-[0-9]*\) v999.bin .*/\1/p' | head -n 1)
[ -n "$job" ] && ctl ota abort "$job" >/dev/null 2>&1
wait $push
[ -n "$dropped" ] || fail "board-b did not report dropping an unpaired board's frames: $(ctl call serial-bridge tail board-b 20)"
ctl call serial-bridge tail board-b 80 | grep -q "ota: push started" && fail "board-b started a push from an unpaired board"
grep -q "booted 9.9.9" "$dir/push.out" && fail "the push through an unpaired board succeeded: $(cat "$dir/push.out")"
after=$(ctl board board-b | awk '$1=="firmware_version" {print $2}')
[ "$after" = "$before" ] || fail "board-b changed firmware: $before -> $after"
echo "ok: a push via board-x (not paired) is dropped and reported by board-b, never answered; board-b still runs $after"

out=$(ctl --timeout 5000 ota push v999.bin --to board-b --via board-a 2>&1 | tail -n 1)
echo "$out" | grep -q "crc ok, signature ok, booted 9.9.9" || fail "the same push via the paired board-a: $out"
echo "ok: the same push via the paired board-a booted 9.9.9"
