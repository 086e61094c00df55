#!/bin/bash
# Bus throughput (labbus vs a bare XSUB/XPUB proxy, same run) and latency at 10k msg/s.
BUILD=${1:-build}
exec "$BUILD/bin/bus-bench" "$BUILD/bin" "${BUS_BENCH_COUNT:-300000}"
