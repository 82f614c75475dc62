#!/usr/bin/env bash
# A bounded slice of simulator sweeps whose seeds change every run (derived from the commit
# and the date), beside the fixed seed lists of `cargo test -p hb-sim`. Any failure prints its
# seed and the exact `vopr` command that replays it; a checker that made no check fails too.
# Usage: bash .ci/sim-slice.sh [SECONDS_PER_SWEEP]   (default 60; three sweeps)
set -euo pipefail
cd "$(dirname "$0")/.."

budget="${1:-60}"
commit="$(git rev-parse --short=7 HEAD 2>/dev/null || echo 0)"
# Seeds: the date (days since 1970) and the commit, far from the fixed lists (0..100k).
day=$(( $(date -u +%s) / 86400 ))
base=$(( (day * 1000003 + 16#${commit:-0}) % 4000000000 + 10000000 ))
echo "sim slice: commit $commit, day $day, first seed $base, $budget s per sweep"

cargo build --release --locked -p hb-sim --bin vopr
vopr=target/release/vopr
status=0
# Default mix (2-3 nodes, both schedules), then larger clusters.
"$vopr" --first "$base" --seeds 1000000 --time-budget "$budget" || status=1
# Larger clusters in the nice modes only: legacy mode with more than two nodes still has known
# finding B (two holders after a shutdone a rebooted node never heard; see
# crates/hb-sim/tests/known_core_failures), about one seed in 700 at 5-8 nodes.
for mode in on off; do
    "$vopr" --nodes-cycle 3,5,8 --failback "$mode" --first $(( base + 1000000 )) \
        --seeds 1000000 --time-budget $(( budget / 2 )) || status=1
done
# Only settled schedules: every episode judged. (Arbitration sweeps are left out: they still
# have undiagnosed failures, see crates/hb-sim/tests/known_arbitration_failures.)
"$vopr" --schedule settled --nodes-cycle 2,3 --first $(( base + 2000000 )) --seeds 1000000 \
    --time-budget "$budget" || status=1
exit "$status"
