#!/bin/bash
# DEMO chat: /status through the console transport, the same command path a
# phone uses.
set -u
out=$(labctl --timeout 10000 chat /status 2>&1)
if [ $? -ne 0 ] || ! echo "$out" | grep -q "services up"; then
    echo "DEMO chat FAIL $(echo "$out" | head -n 3 | tr '\n' ' ' | head -c 200)"; exit 1
fi
summary=$(echo "$out" | grep "services up" | head -n 1)
boards=$(echo "$out" | grep -c "connected, fw")
echo "DEMO chat ok /status answered through the console transport: $summary, $boards boards"
