#!/bin/bash
# DEMO judge: quality of the demo sweep's rows (format gate, verifier, action
# safety, LLM judge through judge-client, WER of the audio scenario; composite v2).
set -u
rows="$LAB_RUNTIME_DIR/demo-eval/rows.jsonl"
[ -s "$rows" ] || { echo "DEMO judge FAIL no rows from the eval step ($rows)"; exit 1; }
line=$(python3 - "$rows" <<'PY'
import json, sys, collections
judge = collections.Counter(); comp = []; fmt = collections.Counter(); ver = collections.Counter()
wer_err = wer_n = audio = 0
# The last row of every key: a row judged after its cohort's timed requests
# is written again (judge_outcome pending, then scored).
latest = collections.OrderedDict()
for l in open(sys.argv[1]):
    r = json.loads(l)
    latest[r["key"]] = r
for r in latest.values():
    if "composite" not in r:
        continue
    comp.append(r["composite"])
    if "wer_ref_words" in r:
        audio += 1; wer_n += r["wer_ref_words"]; wer_err += r["wer_sub"] + r["wer_del"] + r["wer_ins"]
    judge[r.get("judge_outcome", "none")] += 1
    if not r.get("format_ok", True):
        fmt[r.get("format_cause", "?").split(" (")[0]] += 1
    elif "verifier_pass" in r:
        ver["pass" if r["verifier_pass"] else "fail"] += 1
if not comp:
    print("FAIL no scored rows"); sys.exit()
print("ok composite %.2f mean over %d rows; verifier %d pass / %d fail; format failures %d (%s); judge %d scored, %d unparseable, %d unavailable, %d pending%s" % (
    sum(comp) / len(comp), len(comp), ver["pass"], ver["fail"], sum(fmt.values()),
    ", ".join("%s %d" % kv for kv in fmt.items()) or "none",
    judge["scored"], judge["unparseable"], judge["judge_unavailable"], judge["pending"],
    "; audio WER %.3f over %d rows" % (wer_err / wer_n, audio) if wer_n else ""))
PY
)
echo "DEMO judge $line"
case "$line" in ok*) exit 0;; *) exit 1;; esac
