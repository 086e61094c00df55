#!/bin/bash
# RSSI ranging and motion on labsim's indoor channel: calibrated vs the
# seed's model, interval coverage, move detection and false moves.
BUILD=${1:-build}
exec "$BUILD/bin/rssi-bench"
