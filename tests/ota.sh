#!/bin/bash
# OTA end to end on labsim under labd: a push completes and boots; killing
# ota-initiator or serial-bridge mid-push resumes it; an image that never
# confirms is rolled back and reported; bad images are refused.
set -u
BUILD=${1:-build}
export PATH="$PWD/$BUILD/bin:$PATH"
dir=$(mktemp -d /tmp/labtest-ota-XXXXXX)
export LAB_RUNTIME_DIR="$dir/run"
mkdir -p "$LAB_RUNTIME_DIR" "$dir/var/images"
cfg="$dir/lab.cfg"
# The default lab with its paths in the test directory, a short confirm
# timeout, and board-a unable to confirm a new image.
tools/isolate-cfg.sh compose/lab.cfg | sed -e "s|\"var/|\"$dir/var/|" >"$cfg"
cat >>"$cfg" <<CFG
labsim
    ota
        confirm_timeout = "1500ms"
CFG
sed -i '/^    board-a$/a\        ota_no_confirm = true' "$cfg"
source tests/lib/ota-lab.bash
ota_lab_start

labsim mkimage --size 200K --version 3.0.0 -o "$dir/var/images/v3.bin" >/dev/null
labsim mkimage --size 200K --version 3.0.1 -o "$dir/var/images/v301.bin" >/dev/null
labsim mkimage --size 200K --version 3.0.2 -o "$dir/var/images/v302.bin" >/dev/null
labsim mkimage --size 100K --version 3.1.0 -o "$dir/var/images/v31.bin" >/dev/null
labsim mkimage --size 100K --version 4.0.0 --no-responder -o "$dir/var/images/noresp.bin" >/dev/null
labsim mkimage --size 2M --version 5.0.0 -o "$dir/var/images/huge.bin" >/dev/null
labsim mkimage --size 100K --version 6.6.6 -o "$dir/var/images/tampered.bin" >/dev/null
[ "$(stat -c %a "$dir/var/keys/ota-sign.key")" = 600 ] || fail "the signing key is not 0600"
[ "$(stat -c %a "$dir/var/keys/espnow-board-a+board-b.lmk")" = 600 ] || fail "the pairing key is not 0600"
echo "outside" >"$dir/outside.bin"

# 1. A push completes, boots and confirms.
out=$(ctl --timeout 5000 ota push v3.bin --to board-b --via board-a 2>&1 | tail -n 1)
echo "$out" | grep -q "crc ok, signature ok, booted 3.0.0" || fail "plain push: $out"
echo "ok: push 200K -> board-b, booted 3.0.0"

# 2. ota-initiator killed mid-push: labd restarts it and the job resumes.
ctl --timeout 5000 ota push v301.bin --to board-b --via board-a >"$dir/push2.out" 2>&1 &
push=$!
sleep 1.2
pid=$(ctl call labd status | awk '$1=="ota-initiator" {print $3}')
kill -9 "$pid"
wait $push
grep -q "crc ok, signature ok, booted 3.0.1" "$dir/push2.out" || fail "resume after ota-initiator kill: $(tail -n 2 "$dir/push2.out")"
echo "ok: ota-initiator killed mid-push, resumed, booted 3.0.1"

# 3. serial-bridge killed mid-push.
ctl --timeout 5000 ota push v302.bin --to board-b --via board-a >"$dir/push3.out" 2>&1 &
push=$!
sleep 1.2
pid=$(ctl call labd status | awk '$1=="serial-bridge" {print $3}')
kill -9 "$pid"
wait $push
grep -q "crc ok, signature ok, booted 3.0.2" "$dir/push3.out" || fail "resume after serial-bridge kill: $(tail -n 2 "$dir/push3.out")"
echo "ok: serial-bridge killed mid-push, resumed, booted 3.0.2"

# 4. board-a never confirms its new image: rolled back and reported.
out=$(ctl --timeout 5000 ota push v31.bin --to board-a --via board-b 2>&1 | tail -n 1)
echo "$out" | grep -q "rolled back" || fail "rollback not reported: $out"
ctl call serial-bridge tail board-a 30 | grep -q "rollback" || fail "board-a did not roll back"
echo "ok: unconfirmed image rolled back and reported"

# 5. One byte of a signed image flipped: the board refuses it after END and
#    keeps running what it ran (3.0.2); the push says why.
ctl ota sign "$dir/var/images/tampered.bin" >/dev/null || fail "labctl ota sign"
size=$(stat -c %s "$dir/var/images/tampered.bin")
last=$(od -An -tu1 -j $((size - 1)) -N1 "$dir/var/images/tampered.bin" | tr -d ' ')
printf "$(printf '\\%03o' $(( last ^ 1 )))" | dd of="$dir/var/images/tampered.bin" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
out=$(ctl --timeout 5000 ota push tampered.bin --to board-b --via board-a 2>&1 | tail -n 1)
echo "$out" | grep -q "FAILED: .*signature check failed" || fail "tampered image: $out"
ctl call serial-bridge tail board-b 40 | grep -q "signature check failed; current firmware kept" || fail "board-b did not refuse the signature"
ctl board board-b >"$dir/board-b.txt"; grep -qE "^firmware_version +3\.0\.2$" "$dir/board-b.txt" || fail "board-b no longer runs 3.0.2: $(cat "$dir/board-b.txt")"
echo "ok: tampered image refused after END, board-b still runs 3.0.2"

# 6. Refusals, before anything is sent.
out=$(ctl ota push noresp.bin --to board-b 2>&1); [ $? -ne 0 ] && echo "$out" | grep -q "OTA responder" || fail "image without responder accepted: $out"
out=$(ctl ota push huge.bin --to board-b 2>&1); [ $? -ne 0 ] && echo "$out" | grep -q "slot" || fail "oversized image accepted: $out"
out=$(ctl ota push ../../outside.bin --to board-b 2>&1); [ $? -eq 6 ] && echo "$out" | grep -q "outside the image directory" || fail "image outside the directory accepted: $out"
ctl --timeout 5000 ota push v3.bin --to board-b --no-wait >/dev/null 2>&1
out=$(ctl ota push v3.bin --to board-b 2>&1); [ $? -eq 5 ] || fail "second push to a busy board accepted: $out"
echo "ok: refused: no responder marker, larger than the slot, outside the image directory, board busy"
