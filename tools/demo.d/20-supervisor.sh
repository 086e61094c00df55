#!/bin/bash
# DEMO supervisor: labd started every service of the lab config; waits until
# all are up (at most 30 s) and says how many.
set -u
if ! [ -x "${LAB_BUILD:-build}/bin/labd" ]; then
    echo "DEMO supervisor FAIL labd is not built"; exit 1
fi
last=""
for _ in $(seq 150); do
    last=$(labctl --timeout 1000 call labd status 2>/dev/null | tail -n 1)
    case "$last" in
        *" services up")
            set -- $last     # "N/M services up"
            up=${1%/*}; total=${1#*/}
            if [ "$up" = "$total" ] && [ "$total" -gt 0 ]; then
                echo "DEMO supervisor ok $up/$total services up (labd: dependency order, heartbeats, restart policy)"
                exit 0
            fi ;;
    esac
    sleep 0.2
done
down=$(labctl --timeout 1000 call labd status 2>/dev/null | awk 'NR>1 && $2!="up" && !/services up/ {print $1"="$2}' | paste -sd' ' -)
echo "DEMO supervisor FAIL ${last:-labd does not answer}${down:+; not up: $down}"
exit 1
