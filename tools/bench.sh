#!/bin/bash
# Runs every bench/NN-*.sh in order; each prints `BENCH <name> <value> <unit>`.
BUILD=${1:-build}
rc=0
for b in bench/[0-9]*.sh; do
    [ -f "$b" ] || continue
    bash "$b" "$BUILD" || { echo "BENCH $(basename "$b" .sh) FAIL exit $?"; rc=1; }
done
exit $rc
