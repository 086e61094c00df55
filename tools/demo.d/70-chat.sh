#!/bin/bash
# DEMO chat: /status through the console transport, the same command path a
# phone uses; and /eval decide over the demo sweep, forwarded to eval-runner.
set -u
out=$(labctl --timeout 10000 chat /status 2>&1)
if [ $? -ne 0 ] || ! echo "$out" | grep -q "services up"; then
    echo "DEMO chat FAIL $(echo "$out" | head -n 3 | tr '\n' ' ' | head -c 200)"; exit 1
fi
summary=$(echo "$out" | grep "services up" | head -n 1)
boards=$(echo "$out" | grep -c "connected, fw")
decide=$(labctl --timeout 15000 chat "/eval decide $LAB_RUNTIME_DIR/demo-eval" 2>&1)
overall=$(echo "$decide" | sed -n 's/^overall: \([a-z ]*\) (.*/\1/p' | head -n 1)
if [ -z "$overall" ]; then
    echo "DEMO chat FAIL /eval decide: $(echo "$decide" | head -n 2 | tr '\n' ' ' | head -c 200)"; exit 1
fi
echo "DEMO chat ok /status answered through the console transport: $summary, $boards boards; /eval decide via eval-runner: $overall"
