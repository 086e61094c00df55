#!/bin/bash
# eval-runner against labsim llm's configured truth: TTFT and TPOT error,
# and runner CPU per streamed token.
BUILD=${1:-build}
exec "$BUILD/bin/eval-bench" "$BUILD/bin" "${EVAL_BENCH_REQUESTS:-15}"
