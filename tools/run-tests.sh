#!/bin/bash
# Runs every test program under BUILD/tests, then every shell test under
# tests/*.sh, then a short run of every fuzz target; prints one summary line
# "tests: N passed, M failed" (then how long the suite took; each test's
# line says its own time) and exits non-zero when anything failed.
# A test program that crashes or times out counts as one failure.
set -u
BUILD=${1:-build}
PER_TEST_TIMEOUT=${PER_TEST_TIMEOUT:-300}
FUZZ_SHORT_SECONDS=${FUZZ_SHORT_SECONDS:-3}
passed=0
failed=0
failures=()
export CMOCKA_MESSAGE_OUTPUT=stdout
export LAB_BUILD="$BUILD"
logdir="$BUILD/test-logs"
mkdir -p "$logdir"
# Every process a test starts inherits this mark (environment variables pass
# through fork and exec); after the suite, a process still carrying it was
# left running by a test, which is a failure of its own.
LAB_TEST_MARK="run-tests-$$-$RANDOM$RANDOM"
export LAB_TEST_MARK

run_cmocka() {
    local t=$1 name log rc ok bad
    name=$(basename "$t")
    log="$logdir/$name.log"
    local t0=$SECONDS
    timeout -k 5 "$PER_TEST_TIMEOUT" "$t" >"$log" 2>&1
    rc=$?
    local took=$((SECONDS - t0))
    ok=$(grep -a -c '^\[       OK \]' "$log")
    # A test fails (assertion) or errors (setup, crash); cmocka's "listed
    # below" block repeats each name, so count distinct names.
    bad=$(grep -a -E '^\[  (FAILED|ERROR) +\] ' "$log" | grep -av 'test(s)' \
          | sed -E 's/^\[[^]]*\] //' | sort -u | wc -l)
    if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
        bad=1
        echo "$name: exited with status $rc (crash or timeout)" >>"$log"
    fi
    passed=$((passed + ok))
    failed=$((failed + bad))
    if [ "$bad" -gt 0 ]; then
        failures+=("$name")
        echo "FAIL $name ($ok passed, $bad failed, ${took} s) - log: $log"
        tail -n 30 "$log" | sed 's/^/    /'
    else
        echo "ok   $name ($ok passed, ${took} s)"
    fi
}

run_shell() {
    local t=$1 name log rc
    name=$(basename "$t" .sh)
    log="$logdir/$name.log"
    local t0=$SECONDS
    timeout -k 5 "$PER_TEST_TIMEOUT" bash "$t" "$BUILD" >"$log" 2>&1
    rc=$?
    local took=$((SECONDS - t0))
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1)); echo "ok   $name (${took} s)"
    else
        failed=$((failed + 1)); failures+=("$name")
        echo "FAIL $name (status $rc, ${took} s) - log: $log"
        tail -n 30 "$log" | sed 's/^/    /'
    fi
}

run_fuzz_short() {
    local f=$1 name corpus log rc
    name=$(basename "$f")
    corpus="fuzz/corpus/$name"
    log="$logdir/fuzz-$name.log"
    mkdir -p "$BUILD/fuzz-work/$name"
    [ -d "$corpus" ] || corpus=""
    timeout -k 5 $((FUZZ_SHORT_SECONDS + 60)) "$f" -max_total_time="$FUZZ_SHORT_SECONDS" \
        -rss_limit_mb=2048 -artifact_prefix="$BUILD/fuzz-work/$name/" \
        "$BUILD/fuzz-work/$name" $corpus >"$log" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
        echo "ok   fuzz/$name ($(grep -o 'Done [0-9]* runs' "$log" | tail -1))"
    else
        failed=$((failed + 1)); failures+=("fuzz/$name")
        echo "FAIL fuzz/$name - log: $log"; tail -n 30 "$log" | sed 's/^/    /'
    fi
}

if [ -n "${LAB_SANITIZED:-}" ]; then
    # Undefined behaviour is a failure, not a line in a log nobody reads;
    # set before the first test program, for it and every server it starts.
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
    # A leak inside libzmq itself is not ours to fix (see the file).
    export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tools/lsan.supp:print_suppressions=0}
fi
for t in "$BUILD"/tests/*; do
    [ -x "$t" ] && [ -f "$t" ] && run_cmocka "$t"
done
if [ -n "${LAB_SANITIZED:-}" ]; then
    # Shell tests that start no lab (quick enough sanitized) say so in a
    # "sanitizers: yes" comment.
    for t in tests/*.sh; do
        [ -f "$t" ] && grep -q '^# sanitizers: yes' "$t" && run_shell "$t"
    done
else
    for t in tests/*.sh; do
        [ -f "$t" ] && run_shell "$t"
    done
    for f in "$BUILD"/fuzz/*; do
        [ -x "$f" ] && [ -f "$f" ] && run_fuzz_short "$f"
    done
fi
# Sets MARKED to the pids of processes (other than this shell) that carry
# LAB_TEST_MARK. Builtins only, in this shell: the scan starts no marked
# process of its own.
marked_pids() {
    local d kv
    MARKED=""
    for d in /proc/[0-9]*; do
        [ "${d#/proc/}" = "$$" ] && continue
        while IFS= read -r -d '' kv; do
            if [ "$kv" = "LAB_TEST_MARK=$LAB_TEST_MARK" ]; then
                MARKED="$MARKED ${d#/proc/}"
                break
            fi
        done 2>/dev/null <"$d/environ"
    done
}

check_leftovers() {
    local left="" p cmd
    # A process that is shutting down gets a few seconds to finish.
    for _ in $(seq 50); do
        marked_pids
        left=$MARKED
        [ -z "$left" ] && break
        sleep 0.1
    done
    if [ -z "$left" ]; then
        passed=$((passed + 1)); echo "ok   no-leftover-processes"
        return
    fi
    failed=$((failed + 1)); failures+=("no-leftover-processes")
    echo "FAIL no-leftover-processes: still running after the suite:"
    for p in $left; do
        cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-160)
        echo "    pid $p: ${cmd:-?}"
    done
    # Stopped here so that they cannot disturb what runs next.
    kill -KILL $left 2>/dev/null
}
check_leftovers

[ "${#failures[@]}" -gt 0 ] && echo "failed: ${failures[*]}"
echo "tests: $passed passed, $failed failed"
echo "tests took ${SECONDS} s"
[ "$failed" -eq 0 ]
