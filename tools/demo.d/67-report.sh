#!/bin/bash
# DEMO report: the demo sweep as a Markdown + HTML report with plots
# (labctl eval report), kept under the build directory after the demo ends.
set -u
dir="$LAB_RUNTIME_DIR/demo-eval"
out="${LAB_DEMO_LOG:-build/demo}/report"
rm -rf "$out"
res=$(labctl eval report "$dir" --out "$out" 2>&1) || { echo "DEMO report FAIL $(echo "$res" | head -n 2 | tr '\n' ' ')"; exit 1; }
svgs=$(ls "$out"/*.svg 2>/dev/null | wc -l)
summary=$(echo "$res" | tail -n 1)
echo "DEMO report ok $out/report.html ($svgs plots; $summary)"
