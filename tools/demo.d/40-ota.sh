#!/bin/bash
# DEMO ota: a 742 KB image pushed plain (uncompressed) over ESP-NOW to board-b through board-a at
# 921600 baud on labsim, booted from the new slot and confirmed.
set -u
images=$(sed -n 's/^ *images = "\(.*\)".*/\1/p' "${LAB_CONFIG:-compose/lab.cfg}" | head -n 1)
images=${images:-var/images}
mkdir -p "$images"
version="2.0.$(date +%s)"
if ! labsim mkimage --size 742K --version "$version" -o "$images/demo-$version.bin" >/dev/null; then
    echo "DEMO ota FAIL cannot make the test image"; exit 1
fi
# The lab's signing key (made once, kept); ota-initiator signs the image.
labctl keys >/dev/null || { echo "DEMO ota FAIL cannot make the lab's signing key"; exit 1; }
out=$(labctl --timeout 5000 --json ota push "demo-$version.bin" --to board-b --via board-a --no-compress 2>&1)
rc=$?
rm -f "$images/demo-$version.bin"
field() { printf '%s' "$out" | tail -n 1 | sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }
if [ $rc -ne 0 ] || [ "$(field state)" != "done" ]; then
    echo "DEMO ota FAIL $(printf '%s' "$out" | tail -n 1 | head -c 300)"; exit 1
fi
[ "$(field signature_ok)" = "true" ] || { echo "DEMO ota FAIL the board did not verify the signature"; exit 1; }
printf 'DEMO ota ok %d KB -> board-b 100%% crc ok signature ok version %s %.1f s (%s retransmissions)\n' \
    $(( $(field image_size) / 1024 )) "$(field booted_version)" "$(field elapsed_s)" "$(r=$(field retransmissions); echo "${r:-0}")"
