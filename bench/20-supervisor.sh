#!/bin/bash
# labd: restart latency (SIGKILL -> heartbeat back) and idle CPU with 8 children.
BUILD=${1:-build}
exec "$BUILD/bin/supervisor-bench" "$BUILD/bin" "${SUPERVISOR_BENCH_ROUNDS:-20}"
