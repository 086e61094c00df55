#!/bin/bash
# make test-fresh: proves the README on a clean Debian 12 root. Builds (once,
# then cached) a minimal bookworm root with only gcc, make, git and
# ca-certificates from the same apt sources as this machine, clones HEAD into
# a throw-away copy of it, and runs `make demo` and `make test` there exactly
# as the README says. Anything `make deps` forgets to install fails here,
# whatever this machine happens to have.
#
# Isolation: the run lives in its own mount and PID namespaces (unshare), so
# every mount it makes and every process it starts goes away when it ends,
# also on failure or Ctrl-C. The copy is an overlay over the cached root; only
# the downloaded .deb files are kept between runs (they change nothing a test
# sees: make deps still installs every package itself).
#
# Environment: LAB_FRESH_CACHE (default /var/cache/labbus-fresh),
# LAB_FRESH_KEEP=1 keeps the work directory for a look afterwards.
set -euo pipefail

SUITE=bookworm
BASE_PACKAGES="gcc,make,git,ca-certificates"
# Bump when the way the bare root is made changes, so a stale cache is not used.
ROOT_RECIPE=1

log() { echo "test-fresh: $*"; }
die() { echo "test-fresh: $*" >&2; exit 1; }

# The first Debian archive this machine's apt uses (deb822 or one-line form).
host_mirror() {
    local m=""
    if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
        m=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ { print $2; exit }' /etc/apt/sources.list.d/*.sources)
    fi
    if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
        m=$(awk '$1 == "deb" && $3 == "'$SUITE'" { print $2; exit }' /etc/apt/sources.list)
    fi
    echo "${m:-http://deb.debian.org/debian}"
}

# Copies this machine's apt sources (and the keyrings they name) into ROOT,
# so packages come from where they come from here.
copy_apt_sources() {
    local root=$1 f key
    rm -f "$root/etc/apt/sources.list"
    mkdir -p "$root/etc/apt/sources.list.d"
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        cp "$f" "$root$f"
        for key in $(grep -ho -E '(Signed-By:|signed-by=)[[:space:]]*/[^] ]+' "$f" | sed -E 's/^(Signed-By:|signed-by=)[[:space:]]*//'); do
            [ -f "$key" ] && mkdir -p "$root$(dirname "$key")" && cp "$key" "$root$key"
        done
    done
    # Proxy settings only: how this machine reaches the archive.
    for f in /etc/apt/apt.conf.d/*; do
        [ -f "$f" ] && grep -qi 'Acquire::.*proxy' "$f" && cp "$f" "$root$f"
    done
    return 0
}

# The bare root: debootstrap minbase plus the README's three programs.
make_base_root() {
    local dest=$1 tmp="$1.tmp.$$"
    local mirror
    mirror=$(host_mirror)
    command -v debootstrap >/dev/null || die "debootstrap is missing (make deps installs it)"
    log "bootstrapping a minimal $SUITE root from $mirror (cached in $dest)"
    rm -rf "$tmp"
    if ! debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$tmp" "$mirror" \
            >"$tmp.log" 2>&1; then
        tail -n 20 "$tmp.log" >&2
        rm -rf --one-file-system "$tmp"
        die "debootstrap failed (log: $tmp.log)"
    fi
    copy_apt_sources "$tmp"
    # Package scripts must not start daemons inside the root (the usual rule
    # for chroots); nothing else is set up by hand.
    printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
    chmod 755 "$tmp/usr/sbin/policy-rc.d"
    chroot "$tmp" apt-get clean
    rm -f "$tmp.log"
    mv "$tmp" "$dest"
}

# Inside the namespaces: mount the copy, clone, run the README's commands.
inside() {
    local work=$1 base=$2 repo=$3 commit=$4 archives=$5
    local root="$work/root"
    mount -t overlay overlay -o "lowerdir=$base,upperdir=$work/upper,workdir=$work/ovl" "$root"
    # The overlay is the new root's / and so a mount point (ip netns needs that).
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mount --rbind /dev "$root/dev"
    mount --make-rslave "$root/dev"
    mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
    mount -t tmpfs -o mode=755,nosuid,nodev run "$root/run"
    mount -t tmpfs -o mode=1777,nosuid,nodev tmp "$root/tmp"
    mkdir -p "$root/var/cache/apt/archives"
    mount --bind "$archives" "$root/var/cache/apt/archives"
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
    echo fresh >"$root/etc/hostname"
    cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

    git clone -q --no-checkout "$repo" "$root/root/labbus"
    git -C "$root/root/labbus" checkout -q --detach "$commit"

    # The README's two commands, as a user would type them; nothing else.
    chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /bin/bash -c 'cd /root/labbus && { make demo </dev/null; echo "test-fresh: make demo exit $?"; } &&
                      { make test </dev/null; echo "test-fresh: make test exit $?"; }'
}

if [ "${1:-}" = "--inside" ]; then
    shift
    inside "$@"
    exit $?
fi

# ---- outside: set up, run in namespaces, report, clean up ----
if [ "$(id -u)" -ne 0 ]; then
    exec sudo -E "$0" "$@"
fi
repo=$(git rev-parse --show-toplevel)
commit=$(git -C "$repo" rev-parse HEAD)
[ -z "$(git -C "$repo" status --porcelain --untracked-files=no)" ] ||
    log "note: uncommitted changes are not tested (a clean clone of $commit is)"

cache=${LAB_FRESH_CACHE:-/var/cache/labbus-fresh}
key=$(printf '%s\n' "$SUITE" "$(host_mirror)" "$BASE_PACKAGES" "$ROOT_RECIPE" | sha256sum | cut -c1-16)
base="$cache/root-$key"
mkdir -p "$cache/archives"
if [ -d "$base" ]; then
    log "bare root cached: $base"
else
    t0=$SECONDS
    make_base_root "$base"
    log "bare root made in $((SECONDS - t0)) s"
fi

work=$(mktemp -d /var/tmp/labbus-fresh-XXXXXX)
mkdir -p "$work/upper" "$work/ovl" "$work/root"
out="$repo/build/test-fresh.log"
mkdir -p "$(dirname "$out")"
runner=""
cleanup() {
    trap - EXIT INT TERM
    if [ -n "$runner" ] && kill -0 "$runner" 2>/dev/null; then
        # unshare ignores SIGINT and SIGTERM while it waits; killed, it takes
        # the namespace's first process down with it (--kill-child), and the
        # kernel then kills every process of the PID namespace and drops its
        # mounts with the mount namespace.
        kill -KILL "$runner" 2>/dev/null || true
        wait "$runner" 2>/dev/null || true
    fi
    if [ -z "${LAB_FRESH_KEEP:-}" ]; then
        # Nothing is mounted here from this namespace; --one-file-system is a
        # guard in case that ever changes.
        rm -rf --one-file-system "$work"
    else
        log "kept $work"
    fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

log "testing commit $commit on a clean $SUITE root (full log: $out)"
t0=$SECONDS
: >"$out"       # before the reader starts, so it never shows a previous run's log
unshare --mount --pid --fork --kill-child --propagation private -- \
    "$(readlink -f "$0")" --inside "$work" "$base" "$repo" "$commit" "$cache/archives" >>"$out" 2>&1 &
runner=$!
# Show progress as it comes: the DEMO lines, failures and the summaries.
tail -n +1 -F --pid="$runner" "$out" 2>/dev/null |
    grep --line-buffered -E '^(DEMO |tests: |FAIL |failed: |deps: |test-fresh: )' &
shower=$!
status=0
wait "$runner" || status=$?
runner=""
wait "$shower" 2>/dev/null || true

demo_rc=$(sed -n 's/^test-fresh: make demo exit //p' "$out" | tail -n1)
test_rc=$(sed -n 's/^test-fresh: make test exit //p' "$out" | tail -n1)
log "finished in $((SECONDS - t0)) s: make demo ${demo_rc:-not run}, make test ${test_rc:-not run}"
if [ "${demo_rc:-x}" != 0 ] || [ "${test_rc:-x}" != 0 ] || [ "$status" -ne 0 ]; then
    echo "test-fresh: FAILED (last lines of $out:)"
    tail -n 40 "$out" | sed 's/^/    /'
    exit 1
fi
log "ok: the README's commands pass on a clean root"
