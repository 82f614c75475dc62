#!/usr/bin/env bash
# A bounded slice of simulator sweeps whose seeds change every run (derived from the commit
# and the date), beside the fixed seed lists of `cargo test -p hb-sim`. Any failure prints its
# seed and the exact `vopr` command that replays it; a checker that made no check fails too.
# Usage: bash .ci/sim-slice.sh [SECONDS_PER_SWEEP]   (default 60; three sweeps)
#
# What fails the run: a checker that made no check (the slice would test nothing), or a build
# error. An invariant violation on a fresh seed is a new finding: it is printed with its replay
# command and listed at the end, but fails the run only with SIM_SLICE_STRICT=1, because the
# seeds differ every run and one finding must not block every landing until it is diagnosed
# (the fixed seed lists in `cargo test -p hb-sim` stay strict).
set -euo pipefail
cd "$(dirname "$0")/.."

budget="${1:-60}"
commit="$(git rev-parse --short=7 HEAD 2>/dev/null || echo 0)"
# Seeds: the date (days since 1970) and the commit, far from the fixed lists (0..100k).
day=$(( $(date -u +%s) / 86400 ))
base=$(( (day * 1000003 + 16#${commit:-0}) % 4000000000 + 10000000 ))
base="${SIM_SLICE_FIRST:-$base}"   # to re-run a given slice
echo "sim slice: commit $commit, day $day, first seed $base, $budget s per sweep"

cargo build --release --locked -p hb-sim --bin vopr
vopr=target/release/vopr
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
sweep() {
    "$vopr" "$@" | tee -a "$log" || status=1
}
# Default mix (2-3 nodes, both schedules), then larger clusters.
sweep --first "$base" --seeds 1000000 --time-budget "$budget"
# Larger clusters in every mode (finding B, legacy with more than two nodes, is fixed).
for mode in on off legacy; do
    sweep --nodes-cycle 3,5,8 --failback "$mode" --first $(( base + 1000000 )) \
        --seeds 1000000 --time-budget $(( budget / 3 ))
done
# Only settled schedules: every episode judged. (Arbitration sweeps are left out: they still
# have undiagnosed failures, see crates/hb-sim/tests/known_arbitration_failures.)
sweep --schedule settled --nodes-cycle 2,3 --first $(( base + 2000000 )) --seeds 1000000 \
    --time-budget "$budget"
if [ "$status" = 0 ]; then
    echo "sim slice: no violation"
    exit 0
fi
if grep -q "made no check" "$log"; then
    echo "sim slice: FAILED, a checker made no check"
    exit 1
fi
echo "sim slice: NEW FINDINGS on fresh seeds (replay commands above):"
grep -E "^invariant .* violated|^  replay:" "$log" || true
if [ "${SIM_SLICE_STRICT:-0}" = 1 ]; then
    exit 1
fi
echo "sim slice: reported, not failing the run (SIM_SLICE_STRICT=1 makes findings fatal)"
exit 0
