#!/bin/bash
# DEMO web: the dashboard answers, /metrics is Prometheus text, and a line
# published on the bus comes out of /events. Uses the web service labd
# started (its URL is in $LAB_RUNTIME_DIR/web.url); without labd, starts one
# on a kernel-chosen port for the length of the step.
set -u
BUILD=${LAB_BUILD:-build}
CONFIG=${LAB_CONFIG:-compose/lab.cfg}
urlfile="${LAB_RUNTIME_DIR:-/tmp}/web.url"
own=""
tmp=$(mktemp -d)
cleanup() {
    [ -n "$own" ] && kill -TERM "$own" 2>/dev/null && wait "$own" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "DEMO web FAIL $*"; exit 1; }

url=""
if [ -x "$BUILD/bin/labd" ]; then
    for _ in $(seq 50); do
        [ -s "$urlfile" ] && url=$(head -n1 "$urlfile") && curl -sf -o /dev/null --max-time 2 "${url}healthz" && break
        url=""; sleep 0.1
    done
fi
if [ -z "$url" ]; then
    "$BUILD/bin/web" -c "$CONFIG" --port 0 --url-file "$tmp/url" >"$tmp/web.log" 2>&1 &
    own=$!
    for _ in $(seq 100); do
        [ -s "$tmp/url" ] && url=$(head -n1 "$tmp/url") && break
        kill -0 "$own" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$url" ] || fail "web did not start: $(head -c 200 "$tmp/web.log")"
fi

code=$(curl -s -o "$tmp/page" -w '%{http_code}' --max-time 5 "$url")
[ "$code" = 200 ] && grep -q '<title>labbus</title>' "$tmp/page" || fail "page: HTTP $code"
curl -sf --max-time 5 "${url}metrics" >"$tmp/metrics" || fail "no /metrics"
grep -q '^# TYPE labbus_web_bus_messages_total counter$' "$tmp/metrics" || fail "/metrics lacks the web counters"

curl -sN --max-time 4 "${url}events?topics=tel.serial.demo-web" >"$tmp/events" 2>/dev/null &
sse=$!
for _ in $(seq 40); do [ -s "$tmp/events" ] && break; sleep 0.1; done
labctl -c "$CONFIG" pub tel.serial.demo-web "hello from the web demo" >/dev/null 2>&1
for _ in $(seq 30); do grep -q 'hello from the web demo' "$tmp/events" && break; sleep 0.1; done
kill "$sse" 2>/dev/null; wait "$sse" 2>/dev/null
grep -q 'hello from the web demo' "$tmp/events" || fail "published line did not come out of /events"
echo "DEMO web ok $url"
