#!/bin/bash
# Runs every fuzz target for SECONDS each, growing the corpus under
# BUILD/fuzz-work/<name>, and prints per target the executions run and
# whether it crashed.
set -u
BUILD=${1:-build}; SECONDS_EACH=${2:-60}; rc=0
for f in "$BUILD"/fuzz/*; do
    [ -x "$f" ] || continue
    name=$(basename "$f"); work="$BUILD/fuzz-work/$name"; mkdir -p "$work"
    corpus="fuzz/corpus/$name"; [ -d "$corpus" ] || corpus=""
    log="$work.log"
    "$f" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -artifact_prefix="$work/" \
        "$work" $corpus >"$log" 2>&1
    r=$?
    runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -1 | awk '{print $2}')
    if [ $r -eq 0 ]; then echo "FUZZ $name ok ${runs:-0} execs"; else echo "FUZZ $name CRASH (see $log)"; rc=1; fi
done
exit $rc
