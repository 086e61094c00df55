#!/bin/bash
# tools/isolate-cfg.sh IN: prints a copy of the lab config IN whose fixed
# loopback TCP ports (the simulated LLM backends, the judge, the web page)
# are replaced by ports free right now, so a demo or a test lab runs next
# to the user's own lab without either failing to bind. Bus endpoints need
# no such care: they are ipc sockets under LAB_RUNTIME_DIR.
set -eu
in=$1
ports=$(grep -o -E '127\.0\.0\.1:[0-9]{4,5}|--port [0-9]{4,5}|^ *port = [0-9]{4,5}' "$in" \
        | grep -o -E '[0-9]{4,5}$' | sort -u)
n=$(echo "$ports" | grep -c . || true)
# Bind them all at once so the kernel hands out distinct ports, then let go.
fresh=$(python3 - "$n" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
)
script=()
set -- $fresh
for old in $ports; do
    script+=(-e "s/127\.0\.0\.1:$old\b/127.0.0.1:$1/g" -e "s/--port $old\b/--port $1/g"
             -e "s/^\( *port = \)$old\b/\1$1/")
    shift
done
sed "${script[@]}" "$in"
