#!/bin/sh
# A build that fails the way compilers do: output, then a non-zero exit.
echo "[1/2] Compiling main/bench.c"
echo "main/bench.c:42:5: error: 'ota_hande' undeclared (did you mean 'ota_handle'?)" >&2
echo "ninja: build stopped: subcommand failed."
exit 3
