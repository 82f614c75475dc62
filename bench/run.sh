#!/bin/sh
# The failover benchmark lab, from a fresh Debian/Ubuntu machine, in one command (as root):
#   bench/run.sh                 # the default run (see bench/README.md), ~20 min + build
#   bench/run.sh --quick         # one run of each case, short soak; ~8 min
#   bench/run.sh --daemon ours --case crash --runs 5   # any hb-bench flags
# Installs the reference daemons and tools, builds release binaries, runs hb-bench, writes
# bench/results/<stamp>.{md,json} (and latest.*) and the README's "Performance" section.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
    echo "bench/run.sh: needs root (network namespaces, apt-get)" >&2
    exit 1
fi
need=""
for p in heartbeat keepalived iproute2 nftables iputils-arping util-linux; do
    dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
if [ -n "$need" ]; then
    echo "installing:$need"
    apt-get update -q
    # The packages' own services must not start on the host.
    made_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
    fi
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need
    [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
fi
cargo build --release --locked -p hb-daemon -p hb-ctl -p hb-bench
readme=""
case " $* " in
    *" --readme"*) ;;
    *" --quick "*|*" --case "*|*" --daemon "*|*" --setting "*) ;;
    *) readme="--readme README.md" ;;
esac
# shellcheck disable=SC2086
exec target/release/hb-bench --out bench/results $readme "$@"
