#!/bin/bash
# DEMO diagnose: board-a's USB bridge made flaky (labsim: TX silent after a
# reset until a power cycle), then /diagnose's checks name the culprit.
set -u
labctl call labsim fault board-a tx-flaky >/dev/null || { echo "DEMO diagnose FAIL no labsim fault"; exit 1; }
labctl --timeout 5000 call serial-bridge reset board-a >/dev/null
out=$(labctl --timeout 15000 diagnose board-a 2>&1)
rc=$?
labctl call labsim fault board-a restore >/dev/null
line=$(printf '%s\n' "$out" | sed -n 's/^b[0-9]* diagnose \(board-a: .*\)/\1/p' | tail -n 1)
if [ $rc -ne 0 ] || [ -z "$line" ]; then
    echo "DEMO diagnose FAIL $(printf '%s' "$out" | tail -n 3 | tr '\n' ' ' | head -c 300)"; exit 1
fi
echo "DEMO diagnose ok $line"
