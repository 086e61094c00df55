#!/bin/bash
# tools/sim-esptool.sh CONFIG BOARD IMAGE: flashes a simulated board the way
# esptool takes its time on a real one. `esptool.py write_flash` (v4.x)
# first syncs with the ROM loader and uploads its stub (about a second),
# then writes the image deflated at the port's rate (about 0.6 of the plain
# bytes for an application at 921600 baud), and only then resets the board
# through RTS. Meanwhile the board keeps running and printing into a port
# nobody reads; that is what a flash in a test must face, so the test labs
# use this instead of calling labsim's flash at once.
set -eu
config=$1 board=$2 image=$3
size=$(stat -c %s "$image")
sleep "$(awk -v n="$size" 'BEGIN { printf "%.2f", 1.0 + n * 0.6 * 10 / 921600 }')"
exec labctl -c "$config" --timeout 20000 call labsim flash "$board" "$image"
