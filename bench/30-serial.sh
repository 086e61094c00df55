#!/bin/bash
# serial-bridge at 921600 baud: payload throughput over line rate, frame
# latency (last byte on the pty -> bus subscriber), bridge CPU.
BUILD=${1:-build}
exec "$BUILD/bin/serial-bench" "$BUILD/bin" "${SERIAL_BENCH_SECONDS:-4}"
