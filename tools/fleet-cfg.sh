#!/bin/bash
# tools/fleet-cfg.sh IN [RX_LOSS_BOARD P]: prints the lab config IN (a copy
# of compose/lab.cfg, usually isolated) with three more simulated boards,
# board-c, board-d and board-e, in its boards section: with board-a as the
# initiator that is four responders for a push to many boards (tests,
# bench, demo). The default lab keeps its two boards. Five boards pair
# with each other within the responder's table (OTA_PAIRED_MAX = 4 others).
# With RX_LOSS_BOARD P, that board loses a share P of what it receives
# (labsim/radio/rx_loss).
set -eu
in=$1
boards=""
for b in c:c3 d:d4 e:e5; do
    name=board-${b%%:*} mac=24:6f:28:00:00:${b#*:}
    boards+="    $name\n        port = \"sim:$name\"\n        baud = 921600\n        mac = \"$mac\"\n"
    boards+="        silent_after = \"5s\"\n        reset = \"frame\"\n"
    boards+="        flash = \"labctl -c {config} --timeout 20000 call labsim flash {board} {image}\"\n"
done
# Before the first top-level section after `boards`.
awk -v add="$boards" '
    /^boards$/ { inb = 1; print; next }
    inb && /^[^ #]/ { printf "%s", add; inb = 0 }
    { print }
    END { if (inb) printf "%s", add }' "$in" >"${TMPDIR:-/tmp}/fleet-cfg.$$"
if [ $# -ge 3 ]; then
    # rx_loss under labsim/radio (the first `radio` under the top-level labsim).
    awk -v b="$2" -v p="$3" '
        /^labsim$/ { inl = 1 }
        /^[^ #]/ && !/^labsim$/ { inl = 0 }
        { print }
        inl && /^    radio$/ && !done { print "        rx_loss\n            " b " = " p; done = 1 }' \
        "${TMPDIR:-/tmp}/fleet-cfg.$$"
else
    cat "${TMPDIR:-/tmp}/fleet-cfg.$$"
fi
rm -f "${TMPDIR:-/tmp}/fleet-cfg.$$"
