#!/bin/bash
# Builds, reflash and firmware history end to end on labsim under labd:
# a failing build reports its last lines and flashes nothing; a build over
# its timeout is killed with its whole process group; a second build of a
# recipe that is building is refused with the reason; a reflash over
# ESP-NOW and one over USB boot the version just built; the firmware
# history survives a restart of every service and of the whole lab.
set -u
BUILD=${1:-build}
export PATH="$PWD/$BUILD/bin:$PATH"
dir=$(mktemp -d /tmp/labtest-builder-XXXXXX)
export LAB_RUNTIME_DIR="$dir/run"
mkdir -p "$LAB_RUNTIME_DIR"
cfg="$dir/lab.cfg"
tools/isolate-cfg.sh compose/lab.cfg | sed -e "s|\"var/|\"$dir/var/|" >"$cfg"
cat >>"$cfg" <<CFG
builds
    recipes
        broken
            command = "$PWD/tests/builder/fail-build.sh"
            artefact = "$dir/var/build/broken.bin"
            timeout = "30s"
        stuck
            command = "$PWD/tests/builder/slow-build.sh $dir/stuck.pids"
            artefact = "$dir/var/build/stuck.bin"
            timeout = "2s"
        stuck-long
            command = "$PWD/tests/builder/slow-build.sh $dir/stuck-long.pids"
            artefact = "$dir/var/build/stuck-long.bin"
            timeout = "60s"
        stuck-chat
            command = "$PWD/tests/builder/slow-build.sh $dir/stuck-chat.pids"
            artefact = "$dir/var/build/stuck-chat.bin"
            timeout = "60s"
        tiny
            command = "tools/sim-recipe.sh 64K tiny"
            artefact = "$dir/var/build/tiny.bin"
            keep = 1
            deliver = "espnow"
            via = "board-a"
CFG
lab=""
start_lab() {
    labd -c "$cfg" >>"$dir/labd.log" 2>&1 &
    lab=$!
    for _ in $(seq 150); do up builder && up ota-initiator && up serial-bridge && break; sleep 0.2; done
    up builder || fail "builder did not come up"
}
stop_lab() { [ -n "$lab" ] && kill -TERM "$lab" 2>/dev/null && wait "$lab" 2>/dev/null; lab=""; }
cleanup() {
    stop_lab
    for f in "$dir"/*.pids; do [ -f "$f" ] && kill -9 $(cat "$f") 2>/dev/null; done
    rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -n 20 "$dir/labd.log"; tail -n 20 "$dir/var/log/builder.log" 2>/dev/null; exit 1; }
ctl() { labctl -c "$cfg" "$@"; }
up() { ctl --timeout 500 call labd status 2>/dev/null | grep -q "^$1 *up"; }
board_version() { ctl --timeout 3000 call serial-bridge boards 2>/dev/null | awk -v b="$1" '$1==b {print $3}'; }
C="ctl --timeout 15000"

# The lab's keys (OTA signing, ESP-NOW pairing) before the boards boot:
# they are provisioned with them at start.
ctl keys >/dev/null || fail "labctl keys: the lab's OTA signing and pairing keys"
start_lab
# Boards must have booted before we compare their versions.
for _ in $(seq 50); do [ -n "$(board_version board-b)" ] && break; sleep 0.2; done

# --- a failing build: last lines reported, nothing flashed ---------------
before=$(board_version board-a)
out=$($C reflash broken board-a 2>&1) && fail "a failing build's reflash succeeded: $out"
echo "$out" | grep -q "FAILED: broken exited with status 3" || fail "no exit status in: $out"
echo "$out" | grep -q "last lines of the build" || fail "no last lines in: $out"
echo "$out" | grep -q "ota_hande" || fail "the compiler's error line is missing: $out"
echo "$out" | grep -q "onto board-a over USB" && fail "it went on to flash: $out"
after=$(board_version board-a)
[ "$before" = "$after" ] || fail "board-a changed from $before to $after after a failed build"
$C call builder history board-a | grep -q "no flash or OTA recorded" || fail "history recorded a flash: $($C call builder history board-a)"
$C builds | grep -q "^b[0-9]* *broken *failed" || fail "the failed build is not in the builds log: $($C builds)"
echo "ok: failing build: exit status 3 and its last lines reported, board-a still on $after, nothing recorded"

# --- timeout: the whole process group is killed --------------------------
t0=$(date +%s)
out=$($C build stuck 2>&1) && fail "a stuck build succeeded: $out"
t1=$(date +%s)
echo "$out" | grep -q "timed out after 2 s" || fail "no timeout in: $out"
[ -f "$dir/stuck.pids" ] || fail "the stuck build never started"
read -r leader helper <"$dir/stuck.pids"
for _ in $(seq 20); do kill -0 "$leader" 2>/dev/null || kill -0 "$helper" 2>/dev/null || break; sleep 0.1; done
kill -0 "$leader" 2>/dev/null && fail "the build's leader $leader survived its timeout"
kill -0 "$helper" 2>/dev/null && fail "the build's helper process $helper survived its timeout"
[ $((t1 - t0)) -lt 15 ] || fail "the timeout took $((t1 - t0)) s"
echo "ok: a build over its 2 s timeout is killed with its helper process (pids $leader $helper gone)"

# --- one build per recipe at a time --------------------------------------
first=$($C build stuck-long --no-wait 2>&1) || fail "first build refused: $first"
job=${first%%:*}
out=$($C build stuck-long 2>&1)
rc=$?
[ $rc -eq 5 ] || fail "the second build was not refused as busy (exit $rc): $out"
echo "$out" | grep -q "already being built by job $job" || fail "the refusal does not say why: $out"
echo "ok: second build of stuck-long refused: $out"
# The same from a phone: /build, /yes, twice.
chat() { ctl --timeout 10000 chat "$@" 2>&1; }
out=$(chat /build stuck-chat)
echo "$out" | grep -q "Confirm" || fail "/build did not ask to confirm: $out"
out=$(chat /yes)
echo "$out" | grep -q "building stuck-chat; /watch b" || fail "/build stuck-chat: $out"
cjob=$(echo "$out" | grep -o '/watch b[0-9]*' | cut -c8-)
chat /build stuck-chat >/dev/null
out=$(chat /yes)
echo "$out" | grep -q "stuck-chat is already being built by job $cjob" || fail "second /build not refused with the reason: $out"
echo "ok: second /build stuck-chat from the chat refused: $out"

# A builder killed outright: the build it ran dies with its whole group
# (the next builder kills what PR_SET_PDEATHSIG cannot reach).
read -r leader helper <"$dir/stuck-long.pids"
kill -0 "$helper" 2>/dev/null || fail "stuck-long's helper is not running"
bpid=$(ctl call labd status | awk '$1=="builder" {print $3}')
kill -9 "$bpid"
for _ in $(seq 100); do
    newpid=$(ctl --timeout 500 call labd status 2>/dev/null | awk '$1=="builder" && $2=="up" {print $3}')
    [ -n "$newpid" ] && [ "$newpid" != "$bpid" ] && break
    sleep 0.2
done
for _ in $(seq 50); do kill -0 "$leader" 2>/dev/null || kill -0 "$helper" 2>/dev/null || break; sleep 0.1; done
kill -0 "$leader" 2>/dev/null && fail "the build $leader outlived a builder killed with SIGKILL"
kill -0 "$helper" 2>/dev/null && fail "the build's helper $helper outlived a builder killed with SIGKILL"
echo "ok: builder killed with SIGKILL: its running builds' process groups are gone after the restart"

# --- reflash over ESP-NOW and over USB -----------------------------------
out=$($C reflash sim-bench board-b 2>&1) || fail "reflash over ESP-NOW: $out"
v_b=$(echo "$out" | sed -n 's/.* reflash ok sim-bench -> board-b \([^ ]*\) booted (espnow, .*/\1/p')
[ -n "$v_b" ] || fail "no reflash line: $out"
[ "$(board_version board-b)" = "$v_b" ] || fail "board-b reports $(board_version board-b), not $v_b"
out=$($C reflash sim-bench-usb board-a 2>&1) || fail "reflash over USB: $out"
v_a=$(echo "$out" | sed -n 's/.* reflash ok sim-bench-usb -> board-a \([^ ]*\) booted (usb, .*/\1/p')
[ -n "$v_a" ] || fail "no reflash line: $out"
echo "ok: reflash board-b $v_b over ESP-NOW, board-a $v_a over USB"
# /flash BOARD latest: the newest build of any recipe.
out=$($C call builder flash board-b latest sim-bench-usb 2>&1) || fail "flash latest: $out"
for _ in $(seq 100); do [ "$(board_version board-b)" = "$v_a" ] && break; sleep 0.2; done
[ "$(board_version board-b)" = "$v_a" ] || fail "board-b did not boot $v_a after flash latest"
echo "ok: flash board-b latest (sim-bench-usb) -> $v_a"

# keep = 1: after two pushes only the second image is kept, in the store
# and in the OTA image directory.
for _ in 1 2; do out=$($C reflash tiny board-b 2>&1) || fail "reflash tiny: $out"; done
kept=$(ls "$dir/var/state/builder/artefacts/tiny" | wc -l)
staged=$(ls "$dir/var/images" | grep -c '^tiny-')
[ "$kept" -eq 1 ] && [ "$staged" -eq 1 ] || fail "keep = 1 left $kept artefacts and $staged staged images"
sha=$(ls "$dir/var/state/builder/artefacts/tiny" | cut -c1-12)
ls "$dir/var/images" | grep -q "^tiny-$sha.bin$" || fail "the staged image is not the kept one"
echo "ok: keep = 1: one artefact and one staged OTA image left after two builds"
hist() { $C --json call builder history "$1" 2>/dev/null; }
# An OTA the builder did not start goes into the history too.
mkdir -p "$dir/var/images"
labsim mkimage --size 64K --version direct-7.0 -o "$dir/var/images/direct.bin" >/dev/null
$C ota push direct.bin --to board-b --via board-a >/dev/null 2>&1 || fail "labctl ota push"
for _ in $(seq 50); do hist board-b | grep -q '"version":"direct-7.0"' && break; sleep 0.2; done
hist board-b | grep -q '"version":"direct-7.0","how":"espnow","result":"ok"' || fail "a direct OTA push is not in the history: $(hist board-b)"
echo "ok: a push with labctl ota push (not through the builder) is in board-b's history"
labsim mkimage --size 64K --version direct-usb-3.0 -o "$dir/direct-usb.bin" >/dev/null
$C --timeout 60000 flash board-a "$dir/direct-usb.bin" >/dev/null 2>&1 || fail "labctl flash"
for _ in $(seq 50); do hist board-a | grep -q '"version":"direct-usb-3.0"' && break; sleep 0.2; done
hist board-a | grep -q '"version":"direct-usb-3.0","how":"usb","result":"ok"' || fail "a labctl flash is not in the history: $(hist board-a)"
echo "ok: a labctl flash (serial-bridge, not the builder) is in board-a's history"
v_b=direct-7.0
hb=$(hist board-b); ha=$(hist board-a)
echo "$hb" | grep -q "\"version\":\"$v_b\"" || fail "history of board-b lacks $v_b: $hb"
echo "$hb" | grep -q '"how":"espnow"' || fail "history of board-b lacks the OTA: $hb"
echo "$ha" | grep -q "\"version\":\"$v_a\"" || fail "history of board-a lacks $v_a: $ha"

# --- history survives restarts of every service, then of the lab ---------
# Services only: backends are started on request, not restarted.
pids() {
    ctl --timeout 2000 --json call labd status 2>/dev/null \
        | grep -o '"name":"[^"]*","kind":"service","state":"up","pid":[0-9]*' \
        | sed 's/"name":"\([^"]*\)".*"pid":\([0-9]*\)/\1 \2/'
}
before_pids=$(pids)
[ "$(echo "$before_pids" | wc -l)" -ge 8 ] || fail "cannot read the services from labd: $before_pids"
# labbus last: its restart takes the reply to labctl with it.
for s in $(echo "$before_pids" | awk '$1!="labbus" {print $1}') labbus; do
    ctl restart "$s" >/dev/null 2>&1
done
for _ in $(seq 150); do
    now=$(pids)
    same=$(comm -12 <(echo "$before_pids" | sort) <(echo "$now" | sort) | wc -l)
    [ "$same" -eq 0 ] && [ "$(echo "$now" | wc -l)" -eq "$(echo "$before_pids" | wc -l)" ] && break
    sleep 0.2
done
[ "$same" -eq 0 ] || fail "not every service was restarted: $(comm -12 <(echo "$before_pids" | sort) <(echo "$now" | sort))"
for _ in $(seq 50); do hist board-b | grep -q "$v_b" && break; sleep 0.2; done
[ "$(hist board-b)" = "$hb" ] || fail "board-b's history changed across service restarts: $(hist board-b)"
[ "$(hist board-a)" = "$ha" ] || fail "board-a's history changed across service restarts"
stop_lab
start_lab
[ "$(hist board-b)" = "$hb" ] || fail "board-b's history changed across a lab restart: $(hist board-b)"
[ "$(hist board-a)" = "$ha" ] || fail "board-a's history changed across a lab restart"
$C builds | grep -q "sim-bench-usb *ok *$v_a" || fail "the builds log lost $v_a: $($C builds)"
ctl --json sub state.fwhistory.board-b --count 1 --timeout 5 2>/dev/null | grep -q "$v_b" \
    || fail "state.fwhistory.board-b not published after the restart"
echo "ok: firmware history and builds log identical after restarting every service and the lab"
