#!/bin/bash
# DEMO ota-broadcast: one push to four boards at once. The demo lab has two
# boards, so this step runs a lab of its own (the same config plus board-c,
# board-d and board-e, tools/fleet-cfg.sh; board-e loses 5 % of what it
# receives) next to it, pushes one image to board-b..e through board-a with
# the chunks broadcast, and prints each board's result.
set -u
base="${LAB_CONFIG:-compose/lab.cfg}"
dir=$(mktemp -d /tmp/labdemo-bc-XXXXXX)
log="${LAB_DEMO_LOG:-/tmp}/ota-broadcast"
mkdir -p "$log" "$dir/var/images" "$dir/run"
cfg="$dir/lab.cfg"
tools/isolate-cfg.sh "$base" | sed -e "s|\"var/|\"$dir/var/|g" >"$dir/base.cfg"
tools/fleet-cfg.sh "$dir/base.cfg" board-e 0.05 >"$cfg"
version="2.0.$(date +%s)"
LAB_RUNTIME_DIR="$dir/run" labd -c "$cfg" >"$log/labd.log" 2>&1 &
lab=$!
trap 'kill -TERM $lab 2>/dev/null; wait $lab 2>/dev/null; rm -rf "$dir"' EXIT
ctl() { LAB_RUNTIME_DIR="$dir/run" labctl -c "$cfg" "$@"; }
ctl keys >/dev/null 2>&1
if ! labsim mkimage --size 300K --version "$version" -o "$dir/var/images/demo-bc.bin" >/dev/null; then
    echo "DEMO ota-broadcast FAIL cannot make the test image"; exit 1
fi
for _ in $(seq 150); do ctl --timeout 500 call labd status 2>/dev/null | grep -q '^ota-initiator *up' && break; sleep 0.2; done
sleep 1
out=$(ctl --timeout 5000 ota push demo-bc.bin --to board-b,board-c,board-d,board-e --via board-a 2>&1)
rc=$?
printf '%s\n' "$out" >"$log/push.out"
results=$(printf '%s\n' "$out" | sed -n 's/^[^ ]*: \(board-[a-z0-9]*\) 100% crc ok, signature ok, booted \([^ ]*\) .*/\1 \2/p;
                                         s/^[^ ]*: \(board-[a-z0-9]*\) FAILED.*/\1 FAILED/p' | paste -sd, - | sed 's/,/, /g')
last=$(printf '%s\n' "$out" | tail -n 1)
if [ $rc -ne 0 ]; then
    echo "DEMO ota-broadcast FAIL ${results:-$last}"; exit 1
fi
secs=$(printf '%s' "$last" | sed -n 's/.* in \([0-9.]*\) s (.*/\1/p')
bc=$(printf '%s' "$last" | sed -n 's/.*(\([0-9]*\) chunks broadcast, \([0-9]*\) sent to one board.*/\1 broadcast, \2 unicast/p')
how=$(printf '%s' "$last" | sed -n 's/.* bytes (\(compressed [0-9.]*\),.*/\1/p')
echo "DEMO ota-broadcast ok 300 KB${how:+ $how} -> $results in ${secs:-?} s ($bc chunks)"
