#!/bin/bash
# DEMO decide: the decision matrix over the demo sweep's matched pair.
set -u
dir="$LAB_RUNTIME_DIR/demo-eval"
out=$(labctl eval decide "$dir" 2>&1) || { echo "DEMO decide FAIL $(echo "$out" | head -n 2 | tr '\n' ' ')"; exit 1; }
verdict=$(echo "$out" | sed -n 's/^overall: \([a-z]*\).*/\1/p')
detail=$(echo "$out" | sed -n 's/^  verdict: //p' | head -n 1)
echo "DEMO decide ok $verdict (qwen3-8b: sim-llamacpp -> sim-mlx, $detail; weights quality .40 decode .25 TTFT .20 RSS .15)"
