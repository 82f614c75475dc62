#!/usr/bin/env bash
# The .deb check (issue 17): build the package, run lintian on it, then install, inspect, purge
# and re-inspect it with dpkg in a throwaway copy of this machine's root file system.
#
# Why a copy: the package Conflicts with Debian's heartbeat, which the interop tests need (and
# which other test runs on a shared machine may be using right now). The install therefore
# happens in an overlay of / (writes go to a tmpfs) inside private mount and PID namespaces:
# dpkg, maintainer scripts and apt act on a real Debian root with Debian's heartbeat installed,
# and when the namespace ends the host is exactly as before (checked at the end).
#
# Needs root, cargo-deb, lintian, systemd (systemd-analyze). Usage: .ci/deb-check.sh [DEB]
# (DEB: an already built package; default: build it with packaging/build-deb.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
    echo "deb-check: skipped: needs root" >&2
    exit 0
fi

deb=${1:-}
if [ -z "$deb" ]; then
    bash packaging/build-deb.sh >/dev/null
    deb=$(ls -t target/debian/heartbeat-rs_*.deb | head -1)
fi
deb=$(readlink -f "$deb")
echo "deb-check: $deb"

echo "--- lintian"
lintian_out=$(lintian --fail-on none "$deb" 2>/dev/null || true)
printf '%s\n' "${lintian_out:-"(no tags)"}"
if grep -q '^E: ' <<<"$lintian_out"; then
    echo "deb-check: lintian reports errors" >&2
    exit 1
fi

host_before=$(dpkg-query -W -f='${Package} ${Status}\n' heartbeat keepalived heartbeat-rs 2>/dev/null || true)

echo "--- install, inspect, purge in an overlay of /"
scratch=$(mktemp -d /tmp/hb-deb-check.XXXXXX)
trap 'rmdir "$scratch" 2>/dev/null || true' EXIT
unshare --mount --pid --fork --propagation private \
    bash .ci/deb-sandbox.sh "$scratch" "$deb" "$(pwd)/.ci/deb-check-inner.sh"

host_after=$(dpkg-query -W -f='${Package} ${Status}\n' heartbeat keepalived heartbeat-rs 2>/dev/null || true)
if [ "$host_before" != "$host_after" ]; then
    printf 'deb-check: the host package state changed:\nbefore:\n%s\nafter:\n%s\n' \
        "$host_before" "$host_after" >&2
    exit 1
fi
echo "deb-check: host package state unchanged:"
printf '%s\n' "$host_before" | sed 's/^/  /'
