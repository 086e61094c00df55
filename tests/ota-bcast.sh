#!/bin/bash
# One push to many boards on labsim under labd: a lab of five simulated
# boards (tools/fleet-cfg.sh), board-a the initiator and board-b..e the
# responders, board-e losing 5 % of what it receives. The chunks are
# broadcast once; each board's result is reported apart. A board rebooting
# mid-push still ends up updated; a board busy with another push answers
# BUSY and fails alone.
set -u
BUILD=${1:-build}
export PATH="$PWD/$BUILD/bin:$PATH"
dir=$(mktemp -d /tmp/labtest-otabc-XXXXXX)
export LAB_RUNTIME_DIR="$dir/run"
mkdir -p "$LAB_RUNTIME_DIR" "$dir/var/images"
cfg="$dir/lab.cfg"
tools/isolate-cfg.sh compose/lab.cfg | sed -e "s|\"var/|\"$dir/var/|" >"$dir/base.cfg"
tools/fleet-cfg.sh "$dir/base.cfg" board-e 0.05 >"$cfg"
source tests/lib/ota-lab.bash
ota_lab_start
for _ in $(seq 50); do [ "$(ctl call labsim boards | grep -c ' up$')" = 5 ] && break; sleep 0.2; done
[ "$(ctl call labsim boards | grep -c ' up$')" = 5 ] || fail "labsim has not five boards up: $(ctl call labsim boards)"
ctl call labsim loss 0.05 board-e | grep -q "board-e receives with loss 0.050" || fail "per-board loss"
ctl --json call labsim boards | grep -q '"name":"board-e"[^}]*"rx_loss":0.050*[0-9]*[,}]' || fail "labsim boards: no rx_loss for board-e: $(ctl --json call labsim boards)"
sleep 1    # boot reports settle

labsim mkimage --size 200K --version 3.0.0 -o "$dir/var/images/v3.bin" >/dev/null
labsim mkimage --size 200K --version 3.0.1 -o "$dir/var/images/v301.bin" >/dev/null
labsim mkimage --size 200K --version 3.0.2 -o "$dir/var/images/v302.bin" >/dev/null
labsim mkimage --size 400K --version 4.0.0 -o "$dir/var/images/v4.bin" >/dev/null
version() { ctl board "$1" | awk '$1=="firmware_version" {print $2}'; }

# 1. Four boards, one push: each booted the new version; chunks went out
#    about once (broadcast), not four times.
ctl --timeout 5000 ota push v3.bin --to board-b,board-c,board-d,board-e --via board-a >"$dir/p1.out" 2>&1 \
    || fail "push to four boards: $(tail -n 6 "$dir/p1.out")"
for b in b c d e; do
    grep -q "board-$b 100% crc ok, signature ok, booted 3.0.0" "$dir/p1.out" || fail "board-$b not reported: $(tail -n 6 "$dir/p1.out")"
done
line=$(tail -n 1 "$dir/p1.out")
echo "$line" | grep -q "4 boards, all booted 3.0.0" || fail "summary: $line"
bc=$(echo "$line" | sed -n 's/.*(\([0-9]*\) chunks broadcast.*/\1/p')
# What the chunks carried: the plain image, or (the default) the image
# deflated, "N bytes sent" in at least N / 200 chunks.
sent=$(echo "$line" | sed -n 's/.*compressed [0-9.]*, \([0-9]*\) bytes sent.*/\1/p')
chunks=$(( (${sent:-$((200 * 1024 + 80))} + 199) / 200 ))
[ -n "$bc" ] && [ "$bc" -ge "$chunks" ] && [ "$bc" -lt $((chunks * 3 / 2)) ] || fail "broadcast chunks $bc for $chunks chunks: $line"
for b in b c d e; do [ "$(version board-$b)" = 3.0.0 ] || fail "board-$b runs $(version board-$b)"; done
ctl ota status | grep -q "board-e: done 100%" || fail "status has no per-board line: $(ctl ota status)"
echo "ok: one push -> board-b..e, each booted 3.0.0 ($bc broadcasts for $chunks chunks)"

# 2. board-d reboots mid-push: it resumes from its progress record and is
#    updated with the others.
ctl --timeout 5000 ota push v301.bin --to board-b,board-c,board-d,board-e --via board-a >"$dir/p2.out" 2>&1 &
push=$!
for _ in $(seq 100); do
    pct=$(ctl ota status 2>/dev/null | sed -n 's/^  board-d: sending \([0-9]*\)%.*/\1/p')
    [ -n "$pct" ] && [ "$pct" -ge 30 ] && break
    sleep 0.05
done
ctl call labsim fault board-d reboot >/dev/null || fail "labsim fault reboot"
wait $push || fail "push with a reboot: $(tail -n 6 "$dir/p2.out")"
grep -q "board-d 100% crc ok, signature ok, booted 3.0.1" "$dir/p2.out" || fail "board-d after its reboot: $(tail -n 6 "$dir/p2.out")"
ctl call serial-bridge tail board-d 60 | grep -q "resuming an interrupted push" || fail "board-d did not resume"
echo "ok: board-d rebooted at ${pct:-?}%, resumed, booted 3.0.1 with the others"

# 3. board-c is busy with another push (from ota-initiator to board-c alone):
#    it answers BUSY and fails alone; the three others are updated.
ctl --timeout 5000 ota push v4.bin --to board-c --via board-a --no-wait >/dev/null 2>&1 || fail "single push"
sleep 0.5
ctl --timeout 5000 ota push v302.bin --to board-b,board-c,board-d,board-e --via board-a >"$dir/p3.out" 2>&1
[ $? -ne 0 ] || fail "a push with a busy board reported success: $(tail -n 6 "$dir/p3.out")"
grep -q "board-c FAILED.*another push is in progress" "$dir/p3.out" || fail "busy board-c: $(tail -n 6 "$dir/p3.out")"
for b in b d e; do
    grep -q "board-$b 100% crc ok, signature ok, booted 3.0.2" "$dir/p3.out" || fail "board-$b: $(tail -n 6 "$dir/p3.out")"
done
tail -n 1 "$dir/p3.out" | grep -q "1 of 4 boards failed; board-c: responder: another push is in progress" \
    || fail "summary: $(tail -n 1 "$dir/p3.out")"
echo "ok: board-c busy with another push answered BUSY and failed alone; board-b, d, e booted 3.0.2"

# 4. Refusals before anything is sent.
out=$(ctl ota push v3.bin --to board-b,board-b 2>&1); [ $? -ne 0 ] && echo "$out" | grep -q "named twice" || fail "duplicate board: $out"
out=$(ctl ota push v3.bin --to board-b,board-zz 2>&1); [ $? -ne 0 ] && echo "$out" | grep -q "no board 'board-zz'" || fail "unknown board: $out"
out=$(ctl ota push v3.bin --to board-b,board-c --via board-b 2>&1); [ $? -ne 0 ] && echo "$out" | grep -q "initiator" || fail "via among targets: $out"
echo "ok: refused: a board twice, an unknown board, the initiator among the targets"
