#!/bin/bash
# Runs every unit-test program (BUILD/tests/test_*_units) under valgrind
# memcheck; fails on any memory error or definite leak.
set -u
BUILD=${1:-build}
export CMOCKA_MESSAGE_OUTPUT=stdout LAB_BUILD="$BUILD"
logdir="$BUILD/test-logs"
mkdir -p "$logdir"
failed=0; passed=0
for t in "$BUILD"/tests/test_*_units; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    log="$logdir/valgrind-$name.log"
    if timeout -k 5 600 valgrind -q --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite --show-leak-kinds=definite \
        "$t" >"$log" 2>&1; then
        passed=$((passed + 1)); echo "ok   valgrind $name"
    else
        failed=$((failed + 1)); echo "FAIL valgrind $name - log: $log"
        tail -n 40 "$log" | sed 's/^/    /'
    fi
done
echo "valgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
