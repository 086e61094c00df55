#!/bin/bash
# DEMO reflash: the sim-bench recipe built (labsim mkimage, no ESP-IDF), then
# pushed over ESP-NOW to board-b through board-a as the recipe says, and the
# version board-b booted checked against the one just built.
set -u
# The lab's OTA signing key (40-ota made it; kept when it exists).
labctl keys >/dev/null 2>&1
out=$(labctl --timeout 10000 reflash sim-bench board-b 2>&1)
rc=$?
line=$(printf '%s\n' "$out" | grep ' reflash ok ' | tail -n 1)
if [ $rc -ne 0 ] || [ -z "$line" ]; then
    echo "DEMO reflash FAIL $(printf '%s' "$out" | tail -n 3 | tr '\n' ' ' | head -c 300)"; exit 1
fi
# "b3 reflash ok sim-bench -> board-b V booted (espnow, 4.5 s)"
echo "DEMO reflash ok ${line#* reflash ok }"
