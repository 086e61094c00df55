#!/bin/bash
# serial-bridge CPU with 1, 4 and 16 boards streaming at 921600 baud at once.
BUILD=${1:-build}
exec "$BUILD/bin/serial-load-bench" "$BUILD/bin" "${SERIAL_LOAD_BENCH_SECONDS:-3}"
