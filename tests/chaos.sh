#!/bin/bash
# Chaos: the whole lab on labsim under labd; a 742 KB OTA push and an eval
# sweep run while a loop SIGKILLs a random service (never labd) every 2 s for
# CHAOS_SECONDS (default 20). Afterwards: the OTA job completed with a good
# CRC and the new version booted, the sweep (rerun to finish what the kills
# interrupted) has exactly one row per (cohort, scenario, rep), and labd
# reports every service up. Long form: CHAOS_SECONDS=600 bash tests/chaos.sh.
set -u
BUILD=${1:-build}
SECONDS_OF_CHAOS=${CHAOS_SECONDS:-20}
export PATH="$PWD/$BUILD/bin:$PATH"
dir=$(mktemp -d /tmp/labtest-chaos-XXXXXX)
export LAB_RUNTIME_DIR="$dir/run"
mkdir -p "$LAB_RUNTIME_DIR" "$dir/var/images"
cfg="$dir/lab.cfg"
tools/isolate-cfg.sh compose/lab.cfg | sed -e "s|\"var/|\"$dir/var/|" >"$cfg"
labctl -c "$cfg" keys >/dev/null      # provisioned into the boards when they start
labd -c "$cfg" >"$dir/labd.log" 2>&1 &
lab=$!
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; kill -TERM $lab 2>/dev/null; wait $lab 2>/dev/null; [ -n "${CHAOS_KEEP:-}" ] || rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -n 30 "$dir/labd.log"; exit 1; }
ctl() { labctl -c "$cfg" "$@"; }
all_up() { ctl --timeout 1000 call labd status 2>/dev/null | tail -n 1 | awk '/services up/ {split($1, a, "/"); ok = (a[1] == a[2] && a[2] > 0)} END {exit !ok}'; }
for _ in $(seq 150); do all_up && break; sleep 0.2; done
all_up || fail "the lab did not come up"
# Victims: every software service. labsim-boards is the boards themselves:
# killing it power-cycles them, and a power cycle while a new image is in its
# confirm window rolls it back by design (as ESP-IDF's bootloader does), so
# hardware faults have their own tests (tests/ota.sh, tests/boards).
services=$(ctl call labd status | awk 'NR>1 && $2=="up" {print $1}' | grep -v -e '^labd$' -e '^labsim-boards$')

labsim mkimage --size 742K --version 7.7.7 -o "$dir/var/images/chaos.bin" >/dev/null
sed -e "s#^\(    scenarios = \).*#\1\"$PWD/tests/eval/scenarios\"#" -e "s#^\(    output = \).*#\1\"$dir/var/eval\"#" \
    eval/plans/demo.cfg >"$dir/plan.cfg"

ctl --timeout 5000 ota push chaos.bin --to board-b --via board-a >"$dir/ota.out" 2>&1 &
ota=$!
ctl --timeout 5000 eval run "$dir/plan.cfg" --out "$dir/eval" >"$dir/eval1.out" 2>&1 &
ev=$!
pids="$ota $ev"

kills=0
end=$((SECONDS + SECONDS_OF_CHAOS))
# Victims in shuffled rounds: random order, but no service is killed more
# often than its restart intensity allows (more than that is supposed to
# leave it FAILED, which tests/labd checks on its own).
queue=""
while [ $SECONDS -lt $end ]; do
    sleep 2
    [ -n "$queue" ] || queue=$(echo "$services" | shuf)
    victim=$(echo "$queue" | head -n 1)
    queue=$(echo "$queue" | tail -n +2)
    pid=$(ctl --timeout 2000 call labd status 2>/dev/null | awk -v s="$victim" '$1==s {print $3}')
    if [ -n "$pid" ] && [ "$pid" != 0 ]; then
        kill -9 "$pid" 2>/dev/null && kills=$((kills + 1)) && echo "killed $victim ($pid)"
    fi
done
echo "chaos over: $kills kills in $SECONDS_OF_CHAOS s"

# Everything comes back.
for _ in $(seq 150); do all_up && break; sleep 0.2; done
all_up || fail "not every service came back: $(ctl call labd status)"

# The OTA job finishes by itself (it is persisted and resumed).
for _ in $(seq 120); do kill -0 $ota 2>/dev/null || break; sleep 0.5; done
if kill -0 $ota 2>/dev/null; then
    # labctl may have been waiting through a broker restart; ask directly.
    ctl ota status | grep -q "done" || fail "OTA job did not complete: $(ctl ota status)"
else
    grep -q "crc ok, signature ok, booted 7.7.7" "$dir/ota.out" || fail "OTA: $(tail -n 2 "$dir/ota.out")"
fi
echo "ok: 742 KB OTA completed, crc ok, 7.7.7 booted"

# The sweep: rerun until it completes (rows already written are kept).
kill $ev 2>/dev/null; wait $ev 2>/dev/null
for attempt in 1 2 3; do
    ctl --timeout 5000 eval run "$dir/plan.cfg" --out "$dir/eval" --retry-errors >>"$dir/eval2.out" 2>&1 && break
    sleep 2
done
rows="$dir/eval/rows.jsonl"
[ -s "$rows" ] || fail "no rows: $(tail -n 3 "$dir/eval2.out")"
python3 - "$rows" <<'PY' || fail "rows are not exactly one per (cohort, scenario, rep); last run: $(tail -n 5 "$dir/eval2.out")"
import json, sys, collections
keys = collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("warmup"):
        continue
    keys[(r["cohort"], r["scenario"], r.get("bucket", ""), r["rep"])] += 1
dups = [k for k, n in keys.items() if n > 1]
cohorts = collections.defaultdict(set)
for (c, s, b, rep) in keys:
    cohorts[c].add((s, b, rep))
sets = list(cohorts.values())
if dups or len(sets) < 2 or any(x != sets[0] for x in sets):
    print("duplicates:", dups[:5], "per cohort:", {c: len(v) for c, v in cohorts.items()})
    sys.exit(1)
print("ok: %d rows, one per (cohort, scenario, rep) across %d cohorts" % (len(keys), len(sets)))
PY
all_up || fail "labd does not report every service up at the end"
echo "ok: labd reports every service up after $kills kills"
