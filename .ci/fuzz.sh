#!/usr/bin/env bash
# Builds every fuzz target of every crates/*/fuzz directory and replays its committed seed
# corpus once (no new inputs are generated, the corpus is not modified). Works on stable Rust:
# `-s none` turns off the sanitizer, which is the only part of cargo-fuzz that needs nightly.
# Usage: .ci/fuzz.sh            replay every corpus
#        FUZZ_SECONDS=60 .ci/fuzz.sh   also fuzz each target for that long (in a temporary copy
#                                      of its corpus, so the committed corpus stays small)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

status=0
found=0
for dir in crates/*/fuzz; do
    [ -f "$dir/Cargo.toml" ] || continue
    for target in $(cd "$dir" && cargo fuzz list); do
        found=$((found + 1))
        corpus="corpus/$target"
        mkdir -p "$dir/$corpus"
        echo "==> $dir: $target (replaying $(find "$dir/$corpus" -type f | wc -l) seeds)"
        if ! (cd "$dir" && cargo fuzz run -s none "$target" "$corpus" -- -runs=0); then
            echo "FAILED: $dir $target" >&2
            status=1
            continue
        fi
        if [ "${FUZZ_SECONDS:-0}" -gt 0 ]; then
            work=$(mktemp -d)
            cp -r "$dir/$corpus/." "$work/"
            if ! (cd "$dir" && cargo fuzz run -s none "$target" "$work" -- \
                    -max_total_time="$FUZZ_SECONDS"); then
                echo "FAILED (fuzzing): $dir $target; crash input in $dir/artifacts/$target" >&2
                status=1
            fi
            rm -rf "$work"
        fi
    done
done
if [ "$found" -eq 0 ]; then
    echo "no fuzz targets found under crates/*/fuzz" >&2
    exit 1
fi
exit "$status"
