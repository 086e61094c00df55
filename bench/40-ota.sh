#!/bin/bash
# OTA push time of a 742 KB image at 921600 baud on labsim, over the line-rate
# floor (image bytes x 10 / baud), without and with 5% radio loss, sent plain
# (--no-compress; compressed pushes: bench/45-otaz.sh); and the CPU
# ota-initiator and serial-bridge use during the push (% of one core: their
# user+system time over the push time).
BUILD=${1:-build}
export PATH="$PWD/$BUILD/bin:$PATH"
TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
run() {   # $1 = radio loss (0..1); prints "ratio initiator_pct bridge_pct"
    local dir cfg lab out push size ipid bpid i0 b0 i1 b1
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
    sleep 1    # the boards' boot reports settle
    ipid=$(labctl -c "$cfg" call labd status | awk '$1=="ota-initiator" {print $3}')
    bpid=$(labctl -c "$cfg" call labd status | awk '$1=="serial-bridge" {print $3}')
    i0=$(cpu_ticks "$ipid"); b0=$(cpu_ticks "$bpid")
    out=$(labctl -c "$cfg" --json --timeout 5000 ota push bench.bin --to board-b --via board-a --no-compress 2>&1 | tail -n 1)
    i1=$(cpu_ticks "$ipid"); b1=$(cpu_ticks "$bpid")
    kill -TERM $lab; wait $lab 2>/dev/null
    rm -rf "$dir"
    push=$(printf '%s' "$out" | sed -n 's/.*"push_s":\([0-9.]*\).*/\1/p')
    size=$(printf '%s' "$out" | sed -n 's/.*"image_size":"\{0,1\}\([0-9]*\).*/\1/p')
    [ -n "$push" ] && [ -n "$size" ] || { echo "FAIL ${out:0:200}"; return; }
    awk -v p="$push" -v s="$size" -v di=$((i1 - i0)) -v db=$((b1 - b0)) -v t="$TCK" \
        'BEGIN { printf "%.3f %.1f %.1f", p / (s * 10 / 921600), 100 * di / t / p, 100 * db / t / p }'
    echo "ota: push $push s for $size bytes at 921600 baud" >&2
}
read -r ratio icpu bcpu <<<"$(run 0)"
echo "BENCH ota.time_ratio $ratio ratio"
echo "BENCH ota.initiator_cpu_pct $icpu %"
echo "BENCH ota.bridge_cpu_pct $bcpu %"
read -r ratio _ _ <<<"$(run 0.05)"
echo "BENCH ota.time_ratio_loss5 $ratio ratio"
