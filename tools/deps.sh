#!/bin/sh
# Installs the Debian packages labbus needs, and only those that are missing.
# Runs as root or through sudo; prints nothing when everything is present.
set -eu
PKGS="pkg-config protobuf-c-compiler libprotobuf-c-dev libczmq-dev libzmq3-dev
libserialport-dev libcurl4-openssl-dev libjansson-dev libmicrohttpd-dev
libcmocka-dev clang libclang-rt-14-dev llvm valgrind python3 procps iproute2
socat curl"
# Each area appends its packages directly below its own marker:
# area:supervisor
# area:boards
PKGS="$PKGS libssl-dev"
# area:ota
PKGS="$PKGS zlib1g-dev"
# area:eval
# area:quality
# area:chat
# area:web
PKGS="$PKGS chromium chromium-driver"
# area:firmware
PKGS="$PKGS gcc-multilib"
# area:reliability
# area:fresh (make test-fresh builds a clean Debian root)
PKGS="$PKGS debootstrap"
# area:builds
PKGS="$PKGS libssl-dev"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
