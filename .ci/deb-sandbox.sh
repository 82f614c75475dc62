#!/usr/bin/env bash
# Runs SCRIPT with DEB in a chroot onto an overlay of / whose writes go to a tmpfs. Called by
# deb-check.sh inside fresh mount and PID namespaces: every mount made here and every process
# started in the chroot disappear with them.
# Usage (in a private mount namespace only): deb-sandbox.sh SCRATCH_DIR DEB SCRIPT
set -euo pipefail
scratch=$1
deb=$2
script=$3
[ "$$" = 1 ] || { echo "deb-sandbox: must be PID 1 of a new PID namespace" >&2; exit 1; }

mount -t tmpfs -o size=2g,mode=0755 hb-deb-sandbox "$scratch"
mkdir "$scratch/upper" "$scratch/work" "$scratch/root"
root=$scratch/root
mount -t overlay overlay -o "lowerdir=/,upperdir=$scratch/upper,workdir=$scratch/work" "$root"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
mount -t proc proc "$root/proc"
# A private /run without /run/systemd/system: maintainer scripts and `service` see a host
# without systemd as PID 1 (true in this namespace) and touch no running service manager.
mount -t tmpfs -o mode=0755 run "$root/run"
mount -t tmpfs -o mode=1777 tmp "$root/tmp"
cp "$deb" "$root/tmp/heartbeat-rs.deb"
cp "$script" "$root/tmp/check.sh"
# exec: the chroot becomes PID 1's root, so ischroot (and invoke-rc.d, which refuses to act in
# a chroot) sees a machine, as it would on a real host.
exec chroot "$root" /bin/bash /tmp/check.sh /tmp/heartbeat-rs.deb
