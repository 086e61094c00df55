#!/bin/bash
# labctl eval score and labctl eval report on a sweep whose numbers are known:
# blind scoring never shows backend or model before the score is stored, is
# resumable and keeps its order; the report has the tables and plots, a
# scenario every cohort fails while answering well-formed is flagged as a
# suspect truth definition (and one that is not, is not), and the judge
# judging its own model is said.
# sanitizers: yes
set -u
BUILD=${1:-build}
LABCTL="$PWD/$BUILD/bin/labctl"
dir=$(mktemp -d /tmp/labtest-report-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
sweep="$dir/sweep"
mkdir -p "$sweep/completions"

# row COHORT BACKEND SCENARIO FORMAT_OK VERIFIER COMPOSITE JUDGE TTFT [extra json]
row() {
    local model=qwen3-8b key="$1|quality|$3|1"
    printf '{"key":"%s","cohort":"%s","backend":"%s","model":"%s","pair":"qwen3-8b","bucket":"quality","scenario":"%s","rep":1,"outcome":"ok","finish_reason":"stop","ttft_ms":%s,"decode_tps":%s,"peak_rss_kb":%s,"format_ok":%s,"format_cause":"%s","verifier_pass":%s,"action_safe":true,"composite":%s,"judge_outcome":"%s","judge_model":"qwen3-8b","completion":"answer of %s to %s, says %s"%s}\n' \
        "$key" "$1" "$2" "$model" "$3" "$8" "$([ "$2" = mlx ] && echo 450 || echo 400)" \
        "$([ "$2" = mlx ] && echo 26000 || echo 34000)" "$4" "$([ "$4" = true ] && echo "" || echo "not a single JSON object")" \
        "$5" "$6" "$7" "$2" "$3" "$model" "${9:-}" >>"$sweep/rows.jsonl"
}
A=llamacpp/qwen3-8b; B=mlx/qwen3-8b
row $A llamacpp s1-good true true 1.0 scored 40
row $B mlx s1-good true true 0.9 scored 25
row $A llamacpp s2-bad-truth true false 0.4 unparseable 41
row $B mlx s2-bad-truth true false 0.3 judge_unavailable 26
row $A llamacpp s3-one-formed false false 0 not_asked 42
row $B mlx s3-one-formed true false 0.5 scored 27
row $A llamacpp a1-audio true true 0.9 not_asked 43 ',"kind":"audio","wer":0.1,"wer_sub":1,"wer_del":0,"wer_ins":0,"wer_ref_words":10'
row $B mlx a1-audio true true 0.8 not_asked 28 ',"kind":"audio","wer":0.2,"wer_sub":1,"wer_del":1,"wer_ins":0,"wer_ref_words":10'
# A cohort whose every request failed: empty figures, not a crash or NaN.
printf '{"key":"down/qwen3-8b|quality|s1-good|1","cohort":"down/qwen3-8b","backend":"down","model":"qwen3-8b","bucket":"quality","scenario":"s1-good","rep":1,"outcome":"error","error_class":"connect"}\n' >>"$sweep/rows.jsonl"
# A torn last line (a kill mid-write) is skipped, not fatal.
printf '{"key":"torn' >>"$sweep/rows.jsonl"

# --- blind scoring -----------------------------------------------------------
# A scenario pack, so the rater can read each scenario's prompt (p).
for s in s1-good s2-bad-truth s3-one-formed a1-audio; do
    mkdir -p "$dir/pack/$s"
    printf 'scenario\n    id = "%s"\n    title = "title of %s"\nprompt\n    user = "prompt of %s"\n' \
        "$s" "$s" "$s" >"$dir/pack/$s/scenario.cfg"
done
names='llamacpp\|mlx\|qwen3-8b'
out=$(printf 'p\n3\n7\nq\n' | "$LABCTL" eval score "$sweep" --rater tester --scenarios "$dir/pack" 2>&1) \
    || fail "score: $out"
echo "$out" | grep -A1 '^---- prompt ----' | grep -q '^prompt of ' || fail "p did not show the prompt: $out"
echo "$out" | grep -q '^scenario: .* — title of ' || fail "no scenario title: $out"
[ "$(wc -l <"$sweep/blind/scores.jsonl")" -eq 1 ] || fail "one score stored: $(cat "$sweep/blind/scores.jsonl")"
# Nothing but the reveal line after a stored score may name a backend or model.
echo "$out" | grep -v '^stored ' | grep -q "$names" && fail "identity shown before the score was stored: $out"
echo "$out" | grep -q '^stored B1 = 3; it was ' || fail "no reveal after storing: $out"
echo "$out" | grep -q '"7" is not a score' || fail "a bad score was not refused: $out"
echo "$out" | grep -q '\[hidden\]' || fail "the model name in the completion was not masked: $out"
echo "$out" | grep -q '^score 1-5' || fail "no prompt: $out"
# The reveal comes right after the answer that stored the score.
echo "$out" | grep -A1 '^score 1-5' | grep -q '^stored B1' || fail "the reveal does not follow the answer: $out"
cp "$sweep/blind/order.json" "$dir/order1.json"
echo "ok: blind scoring hides backend and model until the score is stored"

# Resume: the next run starts at B2 and goes to the end.
out=$(printf '5\n4\n4\n2\n1\n5\n5\n5\n5\n' | "$LABCTL" eval score "$sweep" --rater tester 2>&1) || fail "score again: $out"
echo "$out" | grep -q '^── B2 ' || fail "the second run did not resume at B2: $out"
echo "$out" | grep -q '^── B1 ' && fail "B1 shown again: $out"
echo "$out" | grep -v '^stored ' | grep -q "$names" && fail "identity shown: $out"
echo "$out" | grep -q 'all scored' || fail "not all scored: $out"
[ "$(wc -l <"$sweep/blind/scores.jsonl")" -eq 8 ] || fail "eight scores: $(cat "$sweep/blind/scores.jsonl")"
cmp -s "$sweep/blind/order.json" "$dir/order1.json" || fail "the blind order changed between runs"
out=$(printf '' | "$LABCTL" eval score "$sweep" --rater tester 2>&1)
echo "$out" | grep -q '^0 completions to score, 8 already scored' || fail "third run: $out"
# Another rater scores on their own.
out=$(printf 'q\n' | "$LABCTL" eval score "$sweep" --rater other 2>&1)
echo "$out" | grep -q '^8 completions to score, 0 already' || fail "another rater: $out"
echo "ok: resumable (B2 next), order kept, per rater"

# --- report ------------------------------------------------------------------
# Known human scores for the figures below (the blind order above is random):
# s1-good of A scored 5 (-> 1.0) and of B scored 2 (-> 0.25) by two raters
# each, so their mean is the same.
{
    printf '{"key":"%s|quality|s1-good|1","rater":"r1","score":5}\n' "$A"
    printf '{"key":"%s|quality|s1-good|1","rater":"r2","score":5}\n' "$A"
    printf '{"key":"%s|quality|s1-good|1","rater":"r1","score":1}\n' "$B"
    printf '{"key":"%s|quality|s1-good|1","rater":"r2","score":3}\n' "$B"
} >"$sweep/blind/scores.jsonl"
out=$("$LABCTL" eval report "$sweep" 2>&1) || fail "report: $out"
md="$sweep/report.md"; html="$sweep/report.html"
[ -s "$md" ] && [ -s "$html" ] || fail "no report files: $out"
for svg in report-quality-speed.svg report-ttft.svg report-family-1.svg; do
    [ -s "$sweep/$svg" ] || fail "no $svg"
    python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$sweep/$svg" \
        || fail "$svg is not well-formed XML"
    grep -q "($svg)" "$md" || fail "$svg not linked from the Markdown"
done
[ "$(grep -c '<svg' "$html")" -eq 3 ] || fail "the HTML does not carry the three plots inline"
grep -q 'name="viewport"' "$html" || fail "the HTML has no viewport for phones"
python3 - "$html" <<'PY' || fail "the HTML does not parse"
import sys, html.parser
html.parser.HTMLParser().feed(open(sys.argv[1]).read())
PY
echo "$out" | grep -q 'suspect truth definitions: 1 (s2-bad-truth)' || fail "suspect flag: $out"
grep -q '^| s2-bad-truth | SUSPECT truth definition |' "$md" || fail "s2 not flagged in the table: $(grep s2 "$md")"
grep -q '^| s1-good |  |' "$md" || fail "s1 flagged: $(grep s1 "$md")"
grep -q '^| s3-one-formed |  | 0/1 | 1 | – | 0/1 |$' "$md" || fail "s3 (only one cohort well-formed; per-cohort columns): $(grep s3 "$md")"
grep -q '^| a1-audio |  |' "$md" || fail "the audio scenario flagged: $(grep a1 "$md")"
# Cohort A: row quality blends the composite with the human score half and
# half: s1 (1.0 + 1.0) / 2 = 1.0, so (1.0 + 0.4 + 0 + 0.9) / 4 = 0.575; one
# format failure; verifier 2/3 (well-formed answers only); judge 1 scored /
# 1 unparseable / 0 unavailable; WER 1/10.
line=$(grep '^| llamacpp/qwen3-8b |' "$md" | head -n 1)
echo "$line" | grep -q '| 4/0 | 0.575 | 1 | 2/3 | 0 | 1/1/0 |' || fail "cohort A figures: $line"
echo "$line" | grep -q '| 0.100 |' || fail "cohort A WER: $line"
# Cohort B: s1 0.5 * 0.9 + 0.5 * 0.25 = 0.575, so (0.575 + 0.3 + 0.5 + 0.8) / 4 = 0.54375.
line=$(grep '^| mlx/qwen3-8b |' "$md" | head -n 1)
echo "$line" | grep -q '| 4/0 | 0.544 | 0 | 2/4 | 0 | 2/0/1 |' || fail "cohort B figures: $line"
echo "$line" | grep -q '| 0.200 |' || fail "cohort B WER: $line"
grep '^| llamacpp/qwen3-8b |' "$md" | head -n 1 | grep -q '5.00 (1)' || fail "human scores in the report"
grep -q 'not a single JSON object | 1 |' "$md" || fail "format failure causes missing"
# The decision with the default weights (speed from the text rows only): A
# normalised to B is quality 1, decode 400/450, TTFT 26/41, memory
# 26000/34000, so A scores 0.40 + 0.25*0.8889 + 0.20*0.6341 + 0.15*0.7647 =
# 0.8638 and B 0.40*(0.54375/0.575) + 0.60 = 0.9783: +0.115. Audio drops
# 0.9 -> 0.8, exactly the 0.10 margin: not blocked.
grep -q '^Verdict qwen3-8b (llamacpp/qwen3-8b -> mlx/qwen3-8b): migrate (score +0.115, errors 0.0 % / 0.0 %, data complete). Capabilities: triage 0.467 vs 0.458, audio WER 0.100 vs 0.200.' "$md" \
    || fail "verdict: $(grep Verdict "$md")"
grep -q 'also among the judged models' "$md" || fail "the judge judging itself is not said"
grep -q '1 torn lines skipped' "$md" || fail "the torn line is not reported"
grep -q 'nan\|NaN' "$md" "$html" && fail "NaN in the report"
# Its failed request counts against it: quality 0, not a dash.
grep -q '^| down/qwen3-8b | 0/1 | 0.000 |' "$md" || fail "the all-errors cohort: $(grep down/ "$md")"
echo "ok: report (Markdown + HTML, 3 SVG plots), suspect truth flag on s2 only, judge self-bias noted"

# labctl eval decide reads the same rows through the same code: the same
# verdict, and the figures behind it.
out=$("$LABCTL" eval decide "$sweep" 2>&1) || fail "decide: $out"
echo "$out" | grep -q '^  verdict: migrate (score +0.115, errors 0.0 % / 0.0 %, data complete)$' \
    || fail "decide disagrees with the report: $out"
echo "$out" | grep -q '^overall: migrate (1 of 1 pairs favour the candidate' || fail "overall: $out"
# A larger capability margin changes nothing here; a smaller one blocks the
# audio drop (0.9 -> 0.8 is more than 0.05).
out=$("$LABCTL" eval decide "$sweep" --capability-margin 0.05 2>&1)
echo "$out" | grep -q 'verdict: blocked: audio lost (WER 0.200 vs 0.100)' || fail "capability margin: $out"
"$LABCTL" eval decide "$sweep" --weights 1,2 >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --weights is not a usage error"
"$LABCTL" eval decide "$sweep" --threshold abc >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --threshold is not a usage error"
echo "ok: decide agrees with the report"

# Bad arguments and a missing sweep are clear errors.
"$LABCTL" eval report "$dir/nothing" >/dev/null 2>&1; [ $? -eq 7 ] || fail "a missing sweep is not 'not found' (7)"
"$LABCTL" eval score >/dev/null 2>&1; [ $? -eq 2 ] || fail "score without a sweep is not a usage error"
echo "ok: errors"
