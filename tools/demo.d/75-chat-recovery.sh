#!/bin/bash
# DEMO chat-recovery: chat-gateway killed with kill -9 while 30 Telegram
# updates are queued (against the fake Bot API of the tests, on loopback):
# after the restart each is answered exactly once and each command ran once.
set -u
BUILD=${LAB_BUILD:-build}
prog="$BUILD/tests/test_chat_recovery"
if [ ! -x "$prog" ]; then
    echo "DEMO chat-recovery FAIL $prog not built"; exit 1
fi
log="${LAB_DEMO_LOG:-$BUILD/demo}/chat-recovery.log"
out=$(CMOCKA_MESSAGE_OUTPUT=stdout timeout -k 5 180 "$prog" --demo 2>"$log")
line=$(echo "$out" | sed -n 's/^chat-recovery: \([0-9]*\/[0-9]*\) .*/\1/p' | head -n 1)
if echo "$out" | grep -q '^\[       OK \] test_kill9' && [ -n "$line" ]; then
    echo "DEMO chat-recovery ok $line updates answered exactly once after kill -9"
else
    echo "DEMO chat-recovery FAIL ${line:-no result} $(echo "$out" | grep -E 'ERROR|FAILED' | head -n 2 | tr '\n' ' ' | head -c 200)"
    exit 1
fi
