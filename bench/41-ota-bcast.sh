#!/bin/bash
# One push to four boards against one push to one board, same 742 KB image
# at 921600 baud, same labsim (five boards, tools/fleet-cfg.sh), board-e
# losing 5 % of what it receives: BENCH ota.broadcast4_time_ratio = push
# time to board-b..e at once (BEGIN until the last board's DONE) over the
# push time to board-b alone, both compressed (the default). Target <= 1.3.
BUILD=${1:-build}
export PATH="$PWD/$BUILD/bin:$PATH"
dir=$(mktemp -d /tmp/labbench-otabc-XXXXXX)
cfg="$dir/lab.cfg"
export LAB_RUNTIME_DIR="$dir/run"
mkdir -p "$dir/var/images" "$LAB_RUNTIME_DIR"
tools/isolate-cfg.sh compose/lab.cfg | sed -e "s|\"var/|\"$dir/var/|" >"$dir/base.cfg"
tools/fleet-cfg.sh "$dir/base.cfg" board-e 0.05 >"$cfg"
labsim mkimage --size 742K --version 9.9.1 -o "$dir/var/images/one.bin" >/dev/null
labsim mkimage --size 742K --version 9.9.4 -o "$dir/var/images/four.bin" >/dev/null
labctl -c "$cfg" keys >/dev/null
labd -c "$cfg" >"$dir/labd.log" 2>&1 &
lab=$!
trap 'kill -TERM $lab 2>/dev/null; wait $lab 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 150); do
    labctl -c "$cfg" --timeout 500 call labd status 2>/dev/null | grep -q '^ota-initiator *up' && break
    sleep 0.2
done
sleep 1    # the boards' boot reports settle
push_s() { printf '%s' "$1" | sed -n 's/.*"push_s":\([0-9.]*\).*/\1/p'; }
one=$(labctl -c "$cfg" --json --timeout 5000 ota push one.bin --to board-b --via board-a 2>&1 | tail -n 1)
four=$(labctl -c "$cfg" --json --timeout 5000 ota push four.bin --to board-b,board-c,board-d,board-e --via board-a 2>&1 | tail -n 1)
t1=$(push_s "$one"); t4=$(push_s "$four")
if [ -z "$t1" ] || [ -z "$t4" ] || ! printf '%s' "$four" | grep -q '"state":"done"'; then
    echo "BENCH ota.broadcast4_time_ratio FAIL ${one:0:120} ${four:0:200}"
    exit 0
fi
bc=$(printf '%s' "$four" | sed -n 's/.*"broadcasts":\([0-9]*\).*/\1/p')
uc=$(printf '%s' "$four" | sed -n 's/.*"unicasts":\([0-9]*\).*/\1/p')
awk -v a="$t1" -v b="$t4" -v bc="${bc:-0}" -v uc="${uc:-0}" \
    'BEGIN { printf "ota: one board %.2f s, four boards %.2f s (%d chunks broadcast, %d to one board)\n", a, b, bc, uc }' >&2
awk -v a="$t4" -v b="$t1" 'BEGIN { printf "BENCH ota.broadcast4_time_ratio %.3f ratio\n", a / b }'
