#!/bin/bash
# DEMO ota-compressed: the same kind of 742 KB image pushed compressed (the
# default): deflated on the host in 32 KB blocks, inflated by board-b as the
# chunks arrive, CRC and signature checked on the plain image; the ratio is
# what the chunks carried over the plain image, the line ratio the push time
# over the plain line-rate floor (plain bytes x 10 / 921600).
set -u
images=$(sed -n 's/^ *images = "\(.*\)".*/\1/p' "${LAB_CONFIG:-compose/lab.cfg}" | head -n 1)
images=${images:-var/images}
mkdir -p "$images"
version="2.1.$(date +%s)"
if ! labsim mkimage --size 742K --version "$version" -o "$images/demoz-$version.bin" >/dev/null; then
    echo "DEMO ota-compressed FAIL cannot make the test image"; exit 1
fi
labctl keys >/dev/null || { echo "DEMO ota-compressed FAIL cannot make the lab's signing key"; exit 1; }
out=$(labctl --timeout 5000 --json ota push "demoz-$version.bin" --to board-b --via board-a 2>&1)
rc=$?
rm -f "$images/demoz-$version.bin"
field() { printf '%s' "$out" | tail -n 1 | sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }
if [ $rc -ne 0 ] || [ "$(field state)" != "done" ]; then
    echo "DEMO ota-compressed FAIL $(printf '%s' "$out" | tail -n 1 | head -c 300)"; exit 1
fi
[ "$(field compressed)" = "true" ] || { echo "DEMO ota-compressed FAIL the push was not compressed"; exit 1; }
[ "$(field signature_ok)" = "true" ] || { echo "DEMO ota-compressed FAIL the board did not verify the signature"; exit 1; }
size=$(field image_size) sent=$(field stream_size) push=$(field push_s)
printf 'DEMO ota-compressed ok %d KB -> board-b as %d KB (ratio %.3f) crc ok signature ok version %s push %.1f s = %.2f x the plain line-rate floor\n' \
    $((size / 1024)) $((sent / 1024)) "$(awk -v z="$sent" -v s="$size" 'BEGIN { print z / s }')" \
    "$(field booted_version)" "$push" "$(awk -v p="$push" -v s="$size" 'BEGIN { print p / (s * 10 / 921600) }')"
