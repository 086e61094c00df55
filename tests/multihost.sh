#!/bin/bash
# Several hosts: the broker in one network namespace, a bench host (labsim
# boards + serial-bridge) in another, joined over TCP with CURVE. Ping-pong
# works across; a client with an unknown key is refused; the link is cut and
# restored and the bench host is back on the bus, ping-pong working again.
# Needs root (ip netns); prints SKIP and passes otherwise.
set -u
BUILD=${1:-build}
BIN="$PWD/$BUILD/bin"
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null; then
    echo "SKIP multihost: needs root and iproute2"; exit 0
fi
tag="lb$$"
ns1="${tag}a"; ns2="${tag}b"
dir=$(mktemp -d /tmp/labmh-XXXXXX)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    sleep 0.3
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    ip netns del "$ns1" 2>/dev/null; ip netns del "$ns2" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$dir"/*.log; do echo "== $f"; tail -n 15 "$f"; done; exit 1; }

ip netns add "$ns1" && ip netns add "$ns2" || fail "cannot create network namespaces"
ip link add "${tag}0" type veth peer name "${tag}1" || fail "cannot create veth pair"
ip link set "${tag}0" netns "$ns1"; ip link set "${tag}1" netns "$ns2"
ip -n "$ns1" addr add 10.77.0.1/24 dev "${tag}0"; ip -n "$ns2" addr add 10.77.0.2/24 dev "${tag}1"
for n in "$ns1" "$ns2"; do ip -n "$n" link set lo up; done
ip -n "$ns1" link set "${tag}0" up; ip -n "$ns2" link set "${tag}1" up

mkdir -p "$dir/keys/clients" "$dir/run1" "$dir/run2"
"$BIN/labctl" keygen broker --dir "$dir/keys" >/dev/null || fail "keygen"
"$BIN/labctl" keygen bench-host --dir "$dir/keys/clients" >/dev/null || fail "keygen"
"$BIN/labctl" keygen stranger --dir "$dir/keys" >/dev/null || fail "keygen"

cat >"$dir/broker.cfg" <<CFG
bus
    pub = "tcp://10.77.0.1:5550"
    sub = "tcp://10.77.0.1:5551"
    req = "tcp://10.77.0.1:5552"
    curve
        server_cert = "$dir/keys/broker_secret"
        clients = "$dir/keys/clients"
CFG
bench_cfg() {   # $1 = client key file
cat <<CFG
bus
    pub = "tcp://10.77.0.1:5550"
    sub = "tcp://10.77.0.1:5551"
    req = "tcp://10.77.0.1:5552"
    curve
        client_cert = "$1"
        server_public = "$dir/keys/broker"
boards
    board-a
        port = "sim:board-a"
        baud = 921600
        mac = "24:6f:28:00:00:a1"
        reset = "frame"
    board-b
        port = "sim:board-b"
        baud = 921600
        mac = "24:6f:28:00:00:b2"
        reset = "frame"
labsim
    radio
        distance = 2.0
        loss = 0
lab
    state = "$dir/state"
ota
    images = "$dir/images"
    keys = "$dir/otakeys"
CFG
}
bench_cfg "$dir/keys/clients/bench-host_secret" >"$dir/bench.cfg"
bench_cfg "$dir/keys/stranger_secret" >"$dir/stranger.cfg"

LAB_RUNTIME_DIR="$dir/run1" ip netns exec "$ns1" "$BIN/labbus" -c "$dir/broker.cfg" >"$dir/labbus.log" 2>&1 &
pids="$pids $!"
in2() { LAB_RUNTIME_DIR="$dir/run2" ip netns exec "$ns2" "$@"; }
# Background programs: exec so that $! is the program itself, not a subshell.
bg2() { exec env LAB_RUNTIME_DIR="$dir/run2" ip netns exec "$ns2" "$@"; }
sleep 0.5
"$BIN/labctl" -c "$dir/bench.cfg" keys >/dev/null || fail "labctl keys"
bg2 "$BIN/labsim" boards -c "$dir/bench.cfg" >"$dir/labsim.log" 2>&1 &
pids="$pids $!"
bg2 "$BIN/serial-bridge" -c "$dir/bench.cfg" >"$dir/bridge.log" 2>&1 &
pids="$pids $!"
mkdir -p "$dir/images" "$dir/state"
"$BIN/labsim" mkimage --size 300K --version 6.0.0 -o "$dir/images/mh.bin" >/dev/null
bg2 "$BIN/ota-initiator" -c "$dir/bench.cfg" >"$dir/ota.log" 2>&1 &
pids="$pids $!"

bridge_up() { in2 "$BIN/labctl" -c "$dir/bench.cfg" --timeout 1000 call serial-bridge boards 2>/dev/null | grep -q "board-b connected"; }
wait_up() { for _ in $(seq "$1"); do bridge_up && return 0; sleep 0.5; done; return 1; }
pingpong() {
    out=$(in2 "$BIN/labctl" -c "$dir/bench.cfg" --json --timeout 20000 pingpong board-a board-b --count 20 --hz 50 2>&1)
    echo "$out" | grep -q '"received":20' || fail "ping-pong $1: $out"
}

wait_up 40 || fail "the bench host never reached the broker over CURVE"
pingpong "before the cut"
echo "ok: ping-pong 20/20 across namespaces over TCP + CURVE"

out=$(in2 "$BIN/labctl" -c "$dir/stranger.cfg" --timeout 1500 call labbus status 2>&1); rc=$?
[ "$rc" -eq 4 ] || fail "a client with an unknown key got through (rc $rc: $out)"
echo "ok: a client with an unknown key is refused"

# An OTA push is under way when the link goes.
in2 "$BIN/labctl" -c "$dir/bench.cfg" --timeout 5000 ota push mh.bin --to board-b --via board-a >"$dir/push.out" 2>&1 &
push=$!
sleep 1.5
ip -n "$ns2" link set "${tag}1" down
sleep 5
bridge_up && fail "the bus was reachable with the link down"
ip -n "$ns2" link set "${tag}1" up
wait_up 40 || fail "the bench host did not come back after the link returned"
pingpong "after the link returned"
echo "ok: link cut for 5 s and restored; serial-bridge back on the bus, ping-pong 20/20"
for _ in $(seq 120); do kill -0 $push 2>/dev/null || break; sleep 0.5; done
grep -q "crc ok, signature ok, booted 6.0.0" "$dir/push.out" || fail "OTA across the cut: $(tail -n 2 "$dir/push.out")"
echo "ok: the OTA push that was under way carried on after the link returned: $(tail -n 1 "$dir/push.out")"
