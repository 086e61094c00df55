# Sourced by the OTA shell tests (tests/ota*.sh) once $dir (the test's
# directory) and $cfg (its lab config) are set: removes $dir and stops the
# lab on exit, and gives fail, ctl and ota_lab_start (the lab's keys, then
# labd on $cfg, waiting until ota-initiator is up).
lab=
cleanup() { [ -n "$lab" ] && { kill -TERM $lab 2>/dev/null; wait $lab 2>/dev/null; }; rm -rf "$dir"; }
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    [ -f "$dir/labd.log" ] && tail -n 20 "$dir/labd.log"
    for f in "$dir"/var/log/*.log; do [ -f "$f" ] && { echo "== $f"; tail -n 8 "$f"; }; done
    exit 1
}
ctl() { labctl -c "$cfg" "$@"; }
ota_lab_start() {
    # The lab's keys before the boards start: they are provisioned at boot.
    labctl -c "$cfg" keys >/dev/null || fail "labctl keys"
    labd -c "$cfg" >"$dir/labd.log" 2>&1 &
    lab=$!
    for _ in $(seq 150); do ctl --timeout 500 call labd status 2>/dev/null | grep -q '^ota-initiator *up' && break; sleep 0.2; done
    ctl --timeout 500 call labd status | grep -q '^ota-initiator *up' || fail "lab did not come up"
}
