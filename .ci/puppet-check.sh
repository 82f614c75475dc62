#!/usr/bin/env bash
# The Puppet module check (issue 17): puppet parser validate, epp validate and puppet-lint on
# packaging/puppet/heartbeat_rs, then the netns deployment test (crates/hb-ctl/tests/
# puppet_deploy.rs) with the .deb. Usage: .ci/puppet-check.sh [DEB] (default: build it).
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

deb=${1:-}
if [ -z "$deb" ]; then
    bash packaging/build-deb.sh >/dev/null
    deb=$(ls -t target/debian/heartbeat-rs_*.deb | head -1)
fi
echo "--- deployment test with $deb"
HB_DEB=$(readlink -f "$deb") cargo test --locked -p hb-ctl --test puppet_deploy --test puppet_seed -- --nocapture
