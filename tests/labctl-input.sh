#!/bin/bash
# labctl checks its input and exits with the README's codes: numbers parsed
# strictly, surplus arguments refused, a directory is not a config (usage, 2);
# with nothing running, "not running" (3) at once instead of a timeout; a
# missing OTA image is "not found" (7); `labctl chat` honours --timeout (4).
set -u
BUILD=${1:-build}
export PATH="$PWD/$BUILD/bin:$PATH"
dir=$(mktemp -d /tmp/labtest-labctl-XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$dir"/*.log; do [ -f "$f" ] && tail -n 5 "$f"; done; exit 1; }
mkdir -p "$dir/run" "$dir/images" "$dir/state"
cfg="$dir/lab.cfg"
cat >"$cfg" <<EOF_CFG
lab
    runtime = "$dir/run"
    state = "$dir/state"
ota
    images = "$dir/images"
boards
    board-a
        port = "sim:board-a"
        mac = "24:6f:28:00:00:a1"
    board-b
        port = "sim:board-b"
        mac = "24:6f:28:00:00:b2"
EOF_CFG
unset LAB_BUS_DIR LAB_CONFIG
export LAB_RUNTIME_DIR="$dir/run"

# expect CODE DESCRIPTION -- labctl ARGS...: runs it (bounded by `timeout`,
# so a labctl that waits instead of answering is a failure, not a hang).
expect() {
    local want=$1 what=$2
    shift 3
    timeout 20 labctl "$@" >"$dir/out" 2>&1
    local got=$?
    [ "$got" = "$want" ] || fail "$what: exit $got, expected $want: $(head -c 300 "$dir/out")"
    echo "ok: $what -> $got"
}

# --- usage errors: no bus needed, nothing is contacted --------------------
expect 2 "--timeout abc" -- -c "$cfg" --timeout abc status
expect 2 "--timeout -5" -- -c "$cfg" --timeout -5 status
expect 2 "--timeout 0" -- -c "$cfg" --timeout 0 status
expect 2 "--timeout 12x" -- -c "$cfg" --timeout 12x status
expect 2 "status with surplus arguments" -- -c "$cfg" status extra junk
expect 2 "sub --count abc" -- -c "$cfg" sub --count abc
expect 2 "sub --count -1" -- -c "$cfg" sub --count -1
expect 2 "sub --timeout x" -- -c "$cfg" sub --timeout x
expect 2 "pub to an empty topic" -- -c "$cfg" pub '' text
expect 2 "pub to a topic with a blank" -- -c "$cfg" pub 'a b' text
expect 2 "a directory as config" -- -c "$dir" status
expect 2 "a config that does not exist" -- -c "$dir/nope.cfg" status
expect 2 "replay with a surplus argument" -- -c "$cfg" replay junk
expect 2 "replay --files abc" -- -c "$cfg" replay --files abc
expect 2 "pingpong --count abc" -- -c "$cfg" pingpong a b --count abc
expect 2 "start with two names" -- -c "$cfg" start a b
expect 2 "an unknown command" -- -c "$cfg" frobnicate

# --- nothing running: "not running" at once, whatever the timeout -------
expect 3 "status with no broker (timeout 60 s)" -- -c "$cfg" --timeout 60000 status
expect 3 "call with no broker" -- -c "$cfg" --timeout 60000 call labd status
expect 3 "start with no broker" -- -c "$cfg" --timeout 60000 start svc
expect 3 "sub with no broker" -- -c "$cfg" sub --count 1 --timeout 60

# --- a broker, a service that never answers, an OTA initiator -----------
labbus -c "$cfg" >"$dir/labbus.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do labctl -c "$cfg" --timeout 500 call labbus status >/dev/null 2>&1 && break; sleep 0.1; done
labctl -c "$cfg" --timeout 500 call labbus status >/dev/null 2>&1 || fail "labbus did not come up"
LAB_CONFIG="$cfg" LAB_SERVICE_NAME=chat-gateway lab-fake-service --hb 1000 --serve chat-gateway \
    >"$dir/fake.log" 2>&1 &
pids+=($!)
ota-initiator -c "$cfg" >"$dir/ota.log" 2>&1 &
pids+=($!)
registered() { labctl -c "$cfg" --json call labbus status 2>/dev/null | grep -q "\"$1\""; }
for _ in $(seq 100); do registered chat-gateway && registered ota-initiator && break; sleep 0.1; done
registered chat-gateway || fail "the silent chat-gateway did not register"
registered ota-initiator || fail "ota-initiator did not register"

expect 0 "status with the broker up" -- -c "$cfg" status
expect 4 "chat --timeout 500 to a gateway that never answers" -- -c "$cfg" --timeout 500 chat /status
expect 7 "ota push of a missing image" -- -c "$cfg" ota push no-such.bin --to board-b --no-wait
expect 3 "a call to a service nobody serves" -- -c "$cfg" call nobody status
echo "ok: labctl input checks and exit codes"
