#!/usr/bin/env bash
# Builds the heartbeat-rs Debian package: target/debian/heartbeat-rs_<version>_<arch>.deb.
#
# cargo-deb packages files; the manual pages and shell completions are generated from the
# binaries' clap definitions first, into target/deb-assets (the paths Cargo.toml's
# [package.metadata.deb] assets name). Needs cargo-deb (cargo install cargo-deb --locked).
#
# Usage: packaging/build-deb.sh [extra cargo-deb flags]   (HB_DEB_SKIP_BUILD=1: package the
# release binaries already in target/release)
set -euo pipefail
cd "$(dirname "$0")/.."

assets=target/deb-assets
rm -rf "$assets"
mkdir -p "$assets/man" "$assets/completions"

# The generators run from the debug build (what `cargo test` already built); their output does
# not depend on the profile.
cargo build --locked -q -p hb-ctl
cargo run --locked -q -p hb-daemon --example heartbeat_docs -- "$assets/man" >/dev/null
mv "$assets/man/heartbeat.bash" "$assets/man/_heartbeat" "$assets/completions/"
target/debug/hbctl man --out-dir "$assets/man" >/dev/null
target/debug/hbctl completions bash > "$assets/completions/hbctl.bash"
target/debug/hbctl completions zsh > "$assets/completions/_hbctl"
pages=$(find "$assets/man" -name '*.[18]' | wc -l)
echo "generated $pages manual pages and $(ls "$assets/completions" | wc -l) completion scripts"
[ "$pages" -ge 5 ] || { echo "expected at least 5 manual pages" >&2; exit 1; }

# Both binaries of the package, in release: cargo-deb itself would build only hb-daemon's.
if [ "${HB_DEB_SKIP_BUILD:-0}" != 1 ]; then
    cargo build --locked --release -p hb-daemon -p hb-ctl
fi
cargo deb --locked -p hb-daemon --no-build --strip "$@" 2>&1 | tee target/deb-assets/cargo-deb.log
