#!/bin/sh
# tools/sim-recipe.sh [SIZE] [PROJECT] [MKIMAGE-OPTIONS...]: a firmware
# "build" for labsim.
# Makes an ESP32 app image with `labsim mkimage` (so the builder's whole
# flow runs without ESP-IDF), printing progress lines the way a real build
# does. The version is $SIM_VERSION, else "sim-<date.time>-<job>" from the
# builder's LAB_BUILD_JOB, so every build is a new version. The image goes
# where the builder looks for the recipe's artefact ($LAB_BUILD_ARTEFACT).
set -eu
out=${LAB_BUILD_ARTEFACT:?run by the builder, or set LAB_BUILD_ARTEFACT}
size=${1:-256K}
project=${2:-labbench}
[ $# -ge 2 ] && shift 2 || shift $#
version=${SIM_VERSION:-sim-$(date +%y%m%d.%H%M%S)-${LAB_BUILD_JOB:-manual}}
echo "-- Building $project $version (labsim image, $size)"
echo "[1/3] Compiling main/bench.c"
echo "[2/3] Linking $project.elf"
mkdir -p "$(dirname "$out")"
echo "[3/3] Generating $out"
labsim mkimage --size "$size" --version "$version" --project "$project" -o "$out" "$@"
echo "Project build complete."
