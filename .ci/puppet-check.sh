#!/usr/bin/env bash
# The Puppet module check (issue 17): puppet parser validate, epp validate and puppet-lint on
# packaging/puppet/heartbeat_rs, then the netns deployment tests with the .deb
# (crates/hb-ctl/tests/puppet_deploy.rs: the module; puppet_seed.rs: the seed's recipe).
# Usage: .ci/puppet-check.sh [DEB] (default: build it).
set -euo pipefail
cd "$(dirname "$0")/.."
module=packaging/puppet/heartbeat_rs

echo "--- puppet parser validate, epp validate, puppet-lint ($module)"
manifests=$(find "$module" -name '*.pp' | sort)
templates=$(find "$module" -name '*.epp' | sort)
n_pp=$(wc -w <<<"$manifests")
n_epp=$(wc -w <<<"$templates")
[ "$n_pp" -ge 4 ] && [ "$n_epp" -eq 3 ] || { echo "expected >= 4 manifests and 3 templates" >&2; exit 1; }
# shellcheck disable=SC2086
puppet parser validate $manifests
for t in $templates; do puppet epp validate "$t"; done
if command -v puppet-lint >/dev/null; then
    # shellcheck disable=SC2086
    puppet-lint --fail-on-warnings $manifests
    echo "puppet-lint: $n_pp manifests clean"
else
    echo "puppet-lint: not installed (Debian ships it as puppet-lint)" >&2
    exit 1
fi
echo "validated $n_pp manifests and $n_epp templates"

echo "--- templates rendered with every medium type, checked by hbctl check-config"
cargo build --locked -q -p hb-ctl
rendered=$(mktemp -d)
trap 'rm -rf "$rendered"' EXIT
render() { # render TEMPLATE VALUES > FILE; facter's complaints about this host go to /dev/null
    puppet epp render "$module/templates/$1" --values "$2" 2>/dev/null
}
render ha.cf.epp "{ nodes => ['alpha', 'beta'], keepalive => '500ms', deadtime => 5,
    warntime => 2, initdead => 20, udpport => 694, auto_failback => 'off',
    logfacility => 'local0', logfile => '/var/log/ha-log', use_logd => true,
    media => [{ type => 'ucast', interface => 'eth0', peer => '192.0.2.11' },
              { type => 'bcast', interface => 'eth1' },
              { type => 'mcast', interface => 'eth2', group => '239.0.0.43', port => 694, ttl => 1, loop => 0 }] }" \
    > "$rendered/ha.cf"
render haresources.epp "{ groups => [{ 'node' => 'alpha', 'resources' => ['IPaddr::192.0.2.100/24/eth0'] },
    { 'node' => 'beta', 'resources' => ['192.0.2.101', 'MailTo::ops@example.org'] }] }" \
    > "$rendered/haresources"
render authkeys.epp "{ method => 'sha1', key => 'rendered-secret' }" > "$rendered/authkeys"
chmod 600 "$rendered/authkeys"
for want in 'ucast eth0 192.0.2.11' 'bcast eth1' 'mcast eth2 239.0.0.43 694 1 0' 'keepalive 500ms' \
    'node beta' 'logfile /var/log/ha-log' 'use_logd yes'; do
    grep -qx "$want" "$rendered/ha.cf" || { echo "ha.cf lacks '$want'" >&2; cat "$rendered/ha.cf"; exit 1; }
done
grep -qx 'beta 192.0.2.101 MailTo::ops@example.org' "$rendered/haresources"
grep -qx '1 sha1 rendered-secret' "$rendered/authkeys"
effective=$(target/debug/hbctl check-config --dir "$rendered" --syntax-only)
n_media=$(grep -cE '^(ucast|bcast|mcast)' "$rendered/ha.cf")
echo "rendered ha.cf ($n_media media), haresources, authkeys: hbctl check-config accepts them"
grep -E '^(keepalive|deadtime|auto_failback)' <<<"$effective" | sed 's/^/  /'

deb=${1:-}
if [ -z "$deb" ]; then
    bash packaging/build-deb.sh >/dev/null
    deb=$(ls -t target/debian/heartbeat-rs_*.deb | head -1)
fi
echo "--- deployment test with $deb"
out=$(mktemp)
trap 'rm -f "$out"; rm -rf "$rendered"' EXIT
HB_DEB=$(readlink -f "$deb") cargo test --locked -p hb-ctl --test puppet_deploy --test puppet_seed \
    -- --nocapture 2>&1 | tee "$out"
# Here a skipped test is a failure: this script exists to run them.
if grep -q '^skipped:' "$out"; then
    echo "puppet-check: a deployment test was skipped" >&2
    exit 1
fi
passed=$(grep -c ' \.\.\. ok$' "$out" || true)
echo "puppet-check: $passed deployment tests passed"
[ "$passed" -eq 2 ]
