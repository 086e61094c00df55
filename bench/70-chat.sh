#!/bin/bash
# chat-gateway: update -> reply latency (p50, p99) and the rate for a burst of
# 100, against the fake Bot API on loopback.
BUILD=${1:-build}
exec "$BUILD/bin/chat-bench" "$BUILD"
