#!/bin/bash
# RSSI ranging error, calibrated vs the uncalibrated n = 1.6 model, same samples.
BUILD=${1:-build}
exec "$BUILD/bin/rssi-bench"
