#!/bin/sh
# A build that hangs, with a helper process of its own (as a compiler
# server would be): both must die when the builder's timeout fires.
# Writes "LEADER HELPER" pids to $1.
sleep 300 &
echo "$$ $!" >"$1"
echo "waiting for a lock that never comes"
exec sleep 300
