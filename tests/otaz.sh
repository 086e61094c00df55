#!/bin/bash
# Compressed OTA pushes.
# 1. Test images as labsim mkimage writes them: the default content
#    compresses like an ESP-IDF application (zlib level 9 over the whole
#    image 0.55-0.65, the blocked stream a compressed push sends within 3
#    points of it), --incompressible does not compress (<= 1.03), and both
#    are images that ota_deflate + ota_inflate give back byte for byte
#    (otaz-bench checks the round trip and fails otherwise).
# 2. End to end on labsim under labd: compressed pushes of both kinds of
#    image boot and confirm; the responder rebooted mid-stream resumes at a
#    block and completes; a signed image with a byte flipped is refused
#    after END with the old firmware running; a plain push still works; a
#    board running firmware from before compressed pushes (it does not
#    answer the longer BEGIN) gets a plain push by itself.
set -u
BUILD=${1:-build}
export PATH="$PWD/$BUILD/bin:$PATH"
dir=$(mktemp -d /tmp/labtest-otaz-XXXXXX)
cfg="$dir/lab.cfg"
source tests/lib/ota-lab.bash
labsim mkimage --size 742K --version 1.2.3 -o "$dir/app.bin" >/dev/null || fail "mkimage"
labsim mkimage --size 742K --version 1.2.3 --incompressible -o "$dir/random.bin" >/dev/null || fail "mkimage --incompressible"
labsim mkimage --size 742K --version 1.2.3 --bogus -o "$dir/x.bin" 2>/dev/null && fail "mkimage took an unknown option"
cmp -s "$dir/app.bin" "$dir/random.bin" && fail "--incompressible changed nothing"
out=$(otaz-bench "$dir/app.bin" "$dir/random.bin") || fail "otaz-bench: $out"
echo "$out"
read -r _ size whole blocked _ <<<"$(sed -n 1p <<<"$out")"
read -r _ rsize rwhole rblocked _ <<<"$(sed -n 2p <<<"$out")"
[ "$size" = 759808 ] && [ "$rsize" = 759808 ] || fail "sizes $size $rsize"
awk -v w="$whole" -v b="$blocked" 'BEGIN { exit !(w >= 0.55 && w <= 0.65 && b >= w && b <= w + 0.03) }' \
    || fail "app image ratio whole $whole blocked $blocked"
awk -v w="$rwhole" -v b="$rblocked" 'BEGIN { exit !(w > 0.99 && b <= 1.03) }' \
    || fail "incompressible image ratio whole $rwhole blocked $rblocked"
# Same input, same bytes: the images are reproducible.
labsim mkimage --size 742K --version 1.2.3 -o "$dir/again.bin" >/dev/null
cmp -s "$dir/app.bin" "$dir/again.bin" || fail "mkimage is not deterministic"
echo "ok: test images"

# --- 2. pushes on labsim -------------------------------------------------
export LAB_RUNTIME_DIR="$dir/run"
mkdir -p "$LAB_RUNTIME_DIR" "$dir/var/images"
tools/isolate-cfg.sh compose/lab.cfg | sed -e "s|\"var/|\"$dir/var/|" >"$cfg"
ota_lab_start
im="$dir/var/images"
labsim mkimage --size 300K --version 7.0.0 -o "$im/app7.bin" >/dev/null
labsim mkimage --size 200K --version 7.0.1 --incompressible -o "$im/rand701.bin" >/dev/null
labsim mkimage --size 742K --version 7.0.2 -o "$im/app702.bin" >/dev/null
labsim mkimage --size 100K --version 7.6.6 -o "$im/tampered.bin" >/dev/null
labsim mkimage --size 100K --version 7.0.3 -o "$im/plain703.bin" >/dev/null
# Output of a finished push: "JOB: N bytes (compressed R, M bytes sent) -> ..."
ratio() { sed -n 's/.*(compressed \([0-9.]*\),.*/\1/p' <<<"$1"; }

out=$(ctl --timeout 5000 ota push app7.bin --to board-b --via board-a 2>&1 | tail -n 1)
echo "$out" | grep -q "crc ok, signature ok, booted 7.0.0" || fail "compressed push: $out"
r=$(ratio "$out")
awk -v r="$r" 'BEGIN { exit !(r > 0.5 && r < 0.7) }' || fail "app image ratio '$r': $out"
ctl ota status | grep -q "compressed [0-9]*/[0-9]* bytes" || fail "ota status shows no compression: $(ctl ota status)"
echo "ok: compressed push of the app-like image, ratio $r, booted 7.0.0"

out=$(ctl --timeout 5000 ota push rand701.bin --to board-b --via board-a 2>&1 | tail -n 1)
echo "$out" | grep -q "crc ok, signature ok, booted 7.0.1" || fail "incompressible compressed push: $out"
r=$(ratio "$out")
awk -v r="$r" 'BEGIN { exit !(r >= 1.0 && r < 1.03) }' || fail "incompressible ratio '$r': $out"
echo "ok: compressed push of an incompressible image, ratio $r, booted 7.0.1"

# The responder reboots mid-stream (the job's own progress says when).
ctl --timeout 5000 ota push app702.bin --to board-b --via board-a >"$dir/push.out" 2>&1 &
push=$!
rebooted=
for _ in $(seq 200); do
    pct=$(ctl ota status 2>/dev/null | sed -n 's/.*app702.bin -> board-b: sending \([0-9]*\)%.*/\1/p' | head -n 1)
    if [ -n "$pct" ] && [ "$pct" -ge 40 ]; then
        ctl call labsim fault board-b reboot >/dev/null || fail "labsim fault reboot"
        rebooted=$pct; break
    fi
    sleep 0.05
done
wait $push
[ -n "$rebooted" ] || fail "the push never reached 40% to reboot the responder: $(tail -n 2 "$dir/push.out")"
grep -q "crc ok, signature ok, booted 7.0.2" "$dir/push.out" || fail "resume after a responder reboot: $(tail -n 2 "$dir/push.out")"
ctl call serial-bridge tail board-b 80 | grep -q "resuming an interrupted push" || fail "board-b did not resume: $(ctl call serial-bridge tail board-b 30)"
echo "ok: responder rebooted at $rebooted% of a compressed push, resumed, booted 7.0.2"

# One byte flipped after signing (in the trailer): inflates fine, refused
# by the signature check after END; board-b keeps running 7.0.2.
ctl ota sign "$im/tampered.bin" >/dev/null || fail "labctl ota sign"
size=$(stat -c %s "$im/tampered.bin")
last=$(od -An -tu1 -j $((size - 1)) -N1 "$im/tampered.bin" | tr -d ' ')
printf "$(printf '\\%03o' $(( last ^ 1 )))" | dd of="$im/tampered.bin" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
out=$(ctl --timeout 5000 ota push tampered.bin --to board-b --via board-a 2>&1 | tail -n 1)
echo "$out" | grep -q "FAILED: .*signature check failed" || fail "tampered compressed push: $out"
ctl board board-b | grep -qE "^firmware_version +7\.0\.2$" || fail "board-b no longer runs 7.0.2"
echo "ok: tampered image pushed compressed refused after END, board-b still runs 7.0.2"

out=$(ctl --timeout 5000 ota push plain703.bin --to board-b --via board-a --no-compress 2>&1 | tail -n 1)
echo "$out" | grep -q "(plain) -> board-b 100% crc ok, signature ok, booted 7.0.3" || fail "plain push: $out"
echo "ok: plain push (--no-compress), booted 7.0.3"

# board-b now runs responder firmware from before compressed pushes: to it
# the compressed BEGIN is malformed (no answer), so the push falls back to
# a plain one by itself.
sed -i -e 's/^    board-b$/    board-b\n        ota_firmware = "before-compression"/' "$cfg"
grep -q 'ota_firmware = "before-compression"' "$cfg" || fail "could not mark board-b as old firmware"
labsim mkimage --size 100K --version 7.0.4 -o "$im/old704.bin" >/dev/null
ctl restart labsim-boards >/dev/null || fail "restart labsim-boards"
for _ in $(seq 100); do ctl --timeout 2000 call serial-bridge boards 2>/dev/null | grep -q "board-b connected" && break; sleep 0.2; done
out=$(ctl --timeout 5000 ota push old704.bin --to board-b --via board-a 2>&1 | tail -n 1)
echo "$out" | grep -q "(plain) -> board-b 100% crc ok, signature ok, booted 7.0.4" || fail "push to old firmware: $out"
ctl ota status | grep -q "old704.bin -> board-b: .*plain (no answer to the compressed BEGIN)" \
    || fail "ota status does not say why it went plain: $(ctl ota status)"
last=$(ctl call serial-bridge tail board-b 80 | grep "push started" | tail -n 1)
[ -n "$last" ] && ! grep -q "compressed" <<<"$last" || fail "board-b's last push was not a plain one: $last"
echo "ok: board-b with firmware from before compressed pushes: no answer to the compressed BEGIN, pushed plain, booted 7.0.4"
echo "otaz ok"
