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

deb=${1:-}
if [ -z "$deb" ]; then
    bash packaging/build-deb.sh >/dev/null
    deb=$(ls -t target/debian/heartbeat-rs_*.deb | head -1)
fi
echo "--- deployment test with $deb"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
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
