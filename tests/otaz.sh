#!/bin/bash
# Test images as labsim mkimage writes them: the default content compresses
# like an ESP-IDF application (zlib level 9 over the whole image 0.55-0.65,
# the blocked stream a compressed push would send within 3 points of it),
# --incompressible does not compress (<= 1.03), and both are images that
# ota_deflate + ota_inflate give back byte for byte (otaz-bench checks
# the round trip and fails otherwise).
set -u
BUILD=${1:-build}
export PATH="$PWD/$BUILD/bin:$PATH"
dir=$(mktemp -d /tmp/labtest-otaz-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
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
echo "otaz ok"
