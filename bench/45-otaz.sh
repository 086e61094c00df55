#!/bin/bash
# Compressed OTA, what it would buy (the push path does not send compressed
# chunks yet): the labsim 742 KB test image (content like an ESP-IDF
# application) and an incompressible one of the same size, deflated in
# OTA_DEFLATE_BLOCK blocks at zlib level 9. ota.deflate_ratio is compressed
# over plain bytes for the test image as a push would send it;
# ota.deflate_ratio_esptool the same over the whole image in one stream (as
# esptool compresses for flashing); ota.compressed_line_ratio_projected the
# line time of the compressed bytes (bytes x 10 / 921600) over that of the
# plain image - a projection from byte counts, not a measured push.
BUILD=${1:-build}
export PATH="$PWD/$BUILD/bin:$PATH"
dir=$(mktemp -d /tmp/labbench-otaz-XXXXXX)
trap 'rm -rf "$dir"' EXIT
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
