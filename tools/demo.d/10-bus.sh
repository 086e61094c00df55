#!/bin/bash
# DEMO bus: a message makes a round trip through the broker, and a subscriber
# that joins late still receives the last state.* value.
set -u
out=$(mktemp)
labctl sub tel.demo.echo --count 1 --timeout 5 >"$out" 2>&1 &
sub=$!
sleep 0.3
labctl pub tel.demo.echo "round trip" >/dev/null 2>&1
wait $sub
rt=$?
labctl pub state.demo.greeting "hello from the demo" >/dev/null 2>&1
sleep 0.2
late=$(labctl sub state.demo.greeting --count 1 --timeout 5 2>/dev/null)
services=$(labctl --json call labbus status 2>/dev/null | grep -o '"name"' | wc -l)
if [ $rt -ne 0 ] || ! grep -q "round trip" "$out"; then
    echo "DEMO bus FAIL no round trip through the broker ($(head -c 200 "$out"))"
    rm -f "$out"; exit 1
fi
if ! printf '%s' "$late" | grep -q "hello from the demo"; then
    echo "DEMO bus FAIL late subscriber did not get the last state value"
    rm -f "$out"; exit 1
fi
rm -f "$out"
echo "DEMO bus ok round trip through labbus; late subscriber got state.demo.greeting; $services services registered"
