#!/bin/bash
# Host checks of the firmware (run by tools/run-tests.sh):
#  1. the portable core compiles warning-free, freestanding, for a 32-bit
#     target (size and alignment assumptions of the ESP32's xtensa/riscv ABI);
#  2. the core calls no allocator;
#  3. the ESP-IDF glue compiles against the stand-in headers, with every
#     warning an error (-Werror=incompatible-pointer-types catches callback
#     signature drift), and known-wrong uses fail to compile.
set -u
BUILD=${1:-build}
out="$BUILD/firmware-check"
rm -rf "$out"; mkdir -p "$out/core32" "$out/glue"
fail=0
CFLAGS32="-m32 -ffreestanding -std=gnu11 -Os -Wall -Wextra -Werror -Wcast-align=strict -Wvla -Ifirmware/core"
# As the ESP-IDF build compiles it: ESP_PLATFORM (ota_inflate then uses the
# ROM's tinfl, declared by the stand-in rom/miniz.h).
CFLAGS32="$CFLAGS32 -DESP_PLATFORM -Itests/firmware/idf"

for c in firmware/core/*.c; do
    o="$out/core32/$(basename "$c" .c).o"
    if ! gcc $CFLAGS32 -c "$c" -o "$o"; then
        echo "FAIL: $c does not compile for a 32-bit freestanding target"; fail=1
    fi
done

alloc=$(nm -u "$out"/core32/*.o 2>/dev/null | grep -wE 'malloc|calloc|realloc|free|strdup|aligned_alloc|posix_memalign' | sort -u)
if [ -n "$alloc" ]; then
    echo "FAIL: the firmware core calls an allocator:"; echo "$alloc"; fail=1
fi
# Nothing from the OS either: only the compiler's freestanding helpers and
# the ROM's tinfl_decompress.
other=$(nm -u "$out"/core32/*.o 2>/dev/null | awk '{print $2}' | grep -vE '^(mem(cpy|set|cmp|move)|str(len|cmp|ncmp|nlen)|__stack_chk_fail|__stack_chk_guard|_GLOBAL_OFFSET_TABLE_|__x86\.get_pc_thunk\..*|__udivdi3|__umoddi3|__divdi3|__moddi3|tinfl_decompress)$' | grep -vE "^($(nm -g --defined-only "$out"/core32/*.o | awk '{print $3}' | paste -sd'|' -))$" | sort -u)
if [ -n "$other" ]; then
    echo "FAIL: the firmware core needs symbols an ESP32 build would not have:"; echo "$other"; fail=1
fi

GLUEFLAGS="-std=gnu11 -Wall -Wextra -Werror -Werror=incompatible-pointer-types -Itests/firmware/idf-v5.5 -Itests/firmware/idf -Ifirmware/core"
for c in firmware/*/main/*.c; do
    [ -f "$c" ] || continue
    if ! gcc $GLUEFLAGS -c "$c" -o "$out/glue/$(basename "$c" .c).o"; then
        echo "FAIL: $c does not compile against the ESP-IDF signatures"; fail=1
    fi
done

# The tick rate is a project setting: the glue must build (and its waits stay
# nonzero, tests/firmware/tick_check.h) at the default 100 Hz and at 1000 Hz.
for c in firmware/*/main/*.c; do
    if ! gcc $GLUEFLAGS -DCONFIG_FREERTOS_HZ=1000 -c "$c" -o "$out/hz1000.o"; then
        echo "FAIL: $c does not compile at CONFIG_FREERTOS_HZ=1000"; fail=1
    fi
done

for c in tests/firmware/mismatch/*.c; do
    if gcc $GLUEFLAGS -c "$c" -o "$out/mismatch.o" 2>/dev/null; then
        echo "FAIL: $c compiled, so the stand-in headers would not catch that mismatch"; fail=1
    fi
done

[ "$fail" -eq 0 ] && echo "firmware checks ok: $(ls "$out"/core32/*.o | wc -l) core objects (32-bit, freestanding, no allocator), $(ls "$out"/glue/*.o 2>/dev/null | wc -l) glue objects"
exit $fail
