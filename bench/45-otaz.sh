#!/bin/bash
# Compressed OTA pushes. Measured on labsim (labd, serial-bridge at 921600
# baud, ota-initiator, two simulated boards), as bench/40-ota.sh measures
# ota.time_ratio: ota.time_ratio_compressed is the push time (BEGIN to
# DONE) of the 742 KB test image (content like an ESP-IDF application)
# sent compressed, over the PLAIN line-rate floor (plain bytes x 10 /
# 921600); ota.time_ratio_incompressible the same for a 742 KB image of
# random bytes (labsim mkimage --incompressible), sent compressed too.
# From byte counts alone: ota.deflate_ratio is compressed over plain bytes
# for the test image as a push sends it (32 KB blocks, zlib level 9);
# ota.deflate_ratio_esptool the same over the whole image in one stream (as
# esptool compresses for flashing); ota.compressed_line_ratio_projected the
# line time of the compressed bytes over that of the plain image.
BUILD=${1:-build}
export PATH="$PWD/$BUILD/bin:$PATH"
dir=$(mktemp -d /tmp/labbench-otaz-XXXXXX)
lab=
cleanup() { [ -n "$lab" ] && { kill -TERM $lab 2>/dev/null; wait $lab 2>/dev/null; }; rm -rf "$dir"; }
trap cleanup EXIT
labsim mkimage --size 742K --version 9.9.9 -o "$dir/app.bin" >/dev/null
labsim mkimage --size 742K --version 9.9.9 --incompressible -o "$dir/random.bin" >/dev/null
out=$(otaz-bench "$dir/app.bin" "$dir/random.bin") || { echo "otaz: otaz-bench failed" >&2; exit 1; }
read -r _ size whole blocked mbs <<<"$(sed -n 1p <<<"$out")"
read -r _ _ _ rblocked _ <<<"$(sed -n 2p <<<"$out")"
echo "otaz: $size bytes, zlib-9 whole $whole, blocked $blocked; host inflate $mbs MB/s" >&2
echo "BENCH ota.deflate_ratio $blocked ratio"
echo "BENCH ota.deflate_ratio_esptool $whole ratio"
echo "BENCH ota.deflate_ratio_incompressible $rblocked ratio"
awk -v s="$size" -v r="$blocked" 'BEGIN { printf "BENCH ota.compressed_line_ratio_projected %.4f ratio\n", (s * r * 10 / 921600) / (s * 10 / 921600) }'

# --- measured pushes on labsim ----------------------------------------------
cfg="$dir/lab.cfg"
tools/isolate-cfg.sh compose/lab.cfg | sed -e "s|\"var/|\"$dir/var/|" >"$cfg"
export LAB_RUNTIME_DIR="$dir/run"
mkdir -p "$dir/var/images" "$LAB_RUNTIME_DIR"
labsim mkimage --size 742K --version 9.9.1 -o "$dir/var/images/app.bin" >/dev/null
labsim mkimage --size 742K --version 9.9.2 --incompressible -o "$dir/var/images/random.bin" >/dev/null
labctl -c "$cfg" keys >/dev/null
labd -c "$cfg" >"$dir/labd.log" 2>&1 &
lab=$!
for _ in $(seq 100); do
    labctl -c "$cfg" --timeout 500 call labd status 2>/dev/null | grep -q '^ota-initiator *up' && break
    sleep 0.2
done
sleep 1    # the boards' boot reports settle
push() {   # $1 = image; prints "time_ratio stream/plain"
    local out p s z
    out=$(labctl -c "$cfg" --json --timeout 5000 ota push "$1" --to board-b --via board-a 2>&1 | tail -n 1)
    p=$(printf '%s' "$out" | sed -n 's/.*"push_s":\([0-9.]*\).*/\1/p')
    s=$(printf '%s' "$out" | sed -n 's/.*"image_size":"\{0,1\}\([0-9]*\).*/\1/p')
    z=$(printf '%s' "$out" | sed -n 's/.*"stream_size":"\{0,1\}\([0-9]*\).*/\1/p')
    [ -n "$p" ] && [ -n "$s" ] && [ -n "$z" ] || { echo "FAIL ${out:0:200}"; return; }
    awk -v p="$p" -v s="$s" -v z="$z" -v i="$1" 'BEGIN { printf "otaz: %s pushed compressed in %.2f s: %d plain bytes, %d sent\n", i, p, s, z }' >&2
    awk -v p="$p" -v s="$s" -v z="$z" 'BEGIN { printf "%.3f %.4f", p / (s * 10 / 921600), z / s }'
}
read -r ratio _ <<<"$(push app.bin)"
echo "BENCH ota.time_ratio_compressed $ratio ratio"
read -r ratio _ <<<"$(push random.bin)"
echo "BENCH ota.time_ratio_incompressible $ratio ratio"
