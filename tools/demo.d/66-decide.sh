#!/bin/bash
# DEMO decide: the decision over the demo sweep's matched pair (evala): each
# side's error rate, whether the data are complete, and the capability gate
# (the simulated MLX backend loses the audio transcription). When eval-runner
# is up, its `decide` (what chat `/eval decide` forwards to) must agree.
set -u
cfg=${LAB_CONFIG:-compose/lab.cfg}
dir="$LAB_RUNTIME_DIR/demo-eval"
out=$(labctl eval decide "$dir" 2>&1) || { echo "DEMO decide FAIL $(echo "$out" | head -n 2 | tr '\n' ' ')"; exit 1; }
overall=$(echo "$out" | sed -n 's/^overall: \([a-z ]*\) (.*/\1/p')
verdict=$(echo "$out" | sed -n 's/^  verdict: //p' | head -n 1)
caps=$(echo "$out" | sed -n 's/^  capabilities: //p' | head -n 1)
agree="eval-runner not running"
if reply=$(labctl -c "$cfg" --timeout 5000 call eval-runner decide "$dir" 2>&1); then
    if echo "$reply" | grep -qF "$verdict"; then
        agree="eval-runner's decide agrees"
    else
        echo "DEMO decide FAIL eval-runner says $(echo "$reply" | head -n 2 | tr '\n' ' '), labctl: $verdict"
        exit 1
    fi
fi
echo "DEMO decide ok $overall (qwen3-8b: sim-llamacpp -> sim-mlx: $verdict; capabilities $caps; weights quality .40 decode .25 TTFT .20 memory .15; $agree)"
