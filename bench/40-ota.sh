#!/bin/bash
# OTA push time of a 742 KB image at 921600 baud on labsim, over the line-rate
# floor (image bytes x 10 / baud), without and with 5% radio loss.
BUILD=${1:-build}
export PATH="$PWD/$BUILD/bin:$PATH"
run() {   # $1 = radio loss (0..1); prints the ratio
    local dir cfg lab out push size
    dir=$(mktemp -d /tmp/labbench-ota-XXXXXX)
    cfg="$dir/lab.cfg"
    tools/isolate-cfg.sh compose/lab.cfg | sed -e "s/^\( *\)loss = 0$/\1loss = $1/" -e "s|\"var/|\"$dir/var/|" >"$cfg"
    export LAB_RUNTIME_DIR="$dir/run"
    mkdir -p "$dir/var/images" "$LAB_RUNTIME_DIR"
    labsim mkimage --size 742K --version 9.9.9 -o "$dir/var/images/bench.bin" >/dev/null
    labctl -c "$cfg" keys >/dev/null
    labd -c "$cfg" >"$dir/labd.log" 2>&1 &
    lab=$!
    for _ in $(seq 100); do
        labctl -c "$cfg" --timeout 500 call labd status 2>/dev/null | grep -q '^ota-initiator *up' && break
        sleep 0.2
    done
    out=$(labctl -c "$cfg" --json --timeout 5000 ota push bench.bin --to board-b --via board-a 2>&1 | tail -n 1)
    kill -TERM $lab; wait $lab 2>/dev/null
    rm -rf "$dir"
    push=$(printf '%s' "$out" | sed -n 's/.*"push_s":\([0-9.]*\).*/\1/p')
    size=$(printf '%s' "$out" | sed -n 's/.*"image_size":"\{0,1\}\([0-9]*\).*/\1/p')
    [ -n "$push" ] && [ -n "$size" ] || { echo "FAIL ${out:0:200}"; return; }
    awk -v p="$push" -v s="$size" 'BEGIN { printf "%.3f ratio", p / (s * 10 / 921600) }'
    echo "ota: push $push s for $size bytes at 921600 baud" >&2
}
echo "BENCH ota.time_ratio $(run 0)"
echo "BENCH ota.time_ratio_loss5 $(run 0.05)"
