#!/bin/bash
# DEMO eval: a small sweep on the two simulated LLM backends (llama.cpp-style
# and MLX-style, one matched pair), each started and stopped by labd in turn,
# through the eval-runner service. The sweep's rows.jsonl, rows.csv and
# summary.md land in $LAB_RUNTIME_DIR/demo-eval for the later steps.
set -u
cfg=${LAB_CONFIG:-compose/lab.cfg}
log=${LAB_DEMO_LOG:-/tmp}
out="$LAB_RUNTIME_DIR/demo-eval"
started=""
cleanup() { for p in $started; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
trap cleanup EXIT

runner_up() { labctl -c "$cfg" --timeout 500 call eval-runner status >/dev/null 2>&1; }
have_labd=0
[ -x "${LAB_BUILD:-build}/bin/labd" ] && labctl -c "$cfg" --timeout 500 call labd status >/dev/null 2>&1 && have_labd=1
for _ in $(seq 50); do runner_up && break; [ $have_labd = 1 ] || break; sleep 0.2; done
mode="labd"
if ! runner_up; then
    # No labd: the runner starts the backends itself.
    eval-runner -c "$cfg" --local-backends >"$log/demo-eval-runner.log" 2>&1 &
    started="$!"
    mode="eval-runner (no labd)"
    for _ in $(seq 50); do runner_up && break; sleep 0.1; done
fi
if ! runner_up; then
    echo "DEMO eval FAIL eval-runner is not running"
    exit 1
fi
# The plan with absolute paths (eval-runner's working directory may differ);
# the quality pack when it is there, else the test pack.
pack="$PWD/eval/scenarios"
[ -d "$pack" ] || pack="$PWD/tests/eval/scenarios"
plan="$LAB_RUNTIME_DIR/demo-plan.cfg"
sed "s#^\(    scenarios = \).*#\1\"$pack\"#" eval/plans/demo.cfg >"$plan"
rm -rf "$out"
# Count this lab's backend processes while the sweep runs (other labs on the
# machine have another LAB_RUNTIME_DIR in their environment).
ours() {
    n=0
    # (the judge's own backend, another group, is not under evaluation)
    for p in $(pgrep -f 'labsim llm' 2>/dev/null | grep -vxF "$(pgrep -f 'backend sim-judge' 2>/dev/null)"); do
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "LAB_RUNTIME_DIR=$LAB_RUNTIME_DIR" && n=$((n + 1))
    done
    echo $n
}
maxfile=$(mktemp)
echo 0 >"$maxfile"
( max=0; while :; do n=$(ours); [ "$n" -gt "$max" ] && max=$n && echo $max >"$maxfile"; sleep 0.05; done ) &
sampler=$!
started="$started $sampler"
if ! labctl -c "$cfg" eval run "$plan" --out "$out" >"$log/demo-eval.out" 2>&1; then
    echo "DEMO eval FAIL $(tail -n 3 "$log/demo-eval.out" | tr '\n' ' ' | head -c 300)"
    exit 1
fi
kill $sampler 2>/dev/null; wait $sampler 2>/dev/null
maxalive=$(cat "$maxfile"); rm -f "$maxfile"
if [ "$maxalive" -gt 1 ]; then
    echo "DEMO eval FAIL $maxalive backend processes were alive at once"
    exit 1
fi
sum="$out/summary.json"
if [ ! -s "$sum" ] || [ ! -s "$out/rows.jsonl" ] || [ ! -s "$out/rows.csv" ] || [ ! -s "$out/summary.md" ]; then
    echo "DEMO eval FAIL no rows or summary in $out"
    exit 1
fi
read -r cohorts rows errors figures < <(python3 - "$sum" "$out/rows.jsonl" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
lines = len({json.loads(l)["key"] for l in open(sys.argv[2])})   # rows: one per key
done = [c for c in s["per_cohort"] if c["status"] == "done"]
fig = "; ".join("%s TTFT p50 %.1f ms, decode %.0f tok/s, peak RSS %.0f MB" % (
    c["cohort"], c["ttft_ms"].get("p50", 0), c["decode_tps"].get("p50", 0), c["peak_rss_kb"] / 1024.0)
    for c in done)
print(len(done), lines, s["errors"], fig.replace(" ", "_"))
PY
)
if [ "${cohorts:-0}" -lt 2 ] || [ "${rows:-0}" -lt 1 ]; then
    echo "DEMO eval FAIL ${cohorts:-0} cohorts done, ${rows:-0} rows ($(head -c 200 "$sum"))"
    exit 1
fi
echo "DEMO eval ok $cohorts cohorts $rows rows, $errors errors; ${figures//_/ }; backends started and stopped by $mode, at most $maxalive alive at once; rows in $out"
