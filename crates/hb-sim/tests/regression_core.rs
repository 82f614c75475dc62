//! Minimal reproductions of the hb-core bugs this simulator found (diagnoses in
//! `known_core_failures/mod.rs`). They assert the correct behaviour, so they fail on the
//! current core and are ignored; run them with `cargo test -p hb-sim --test regression_core --
//! --ignored` and un-ignore each once the core is fixed.

use hb_sim::faults::ScheduledFault;
use hb_sim::scenario::FailbackMode;
use hb_sim::{run_seed, Knobs, RunOptions};

fn check(seed: u64, nodes: usize, failback: FailbackMode, faults: &[&str]) {
    let script =
        faults.iter().map(|f| ScheduledFault::parse_arg(f).expect("valid fault")).collect();
    let knobs = Knobs {
        nodes: Some(nodes),
        failback: Some(failback),
        quiet: true,
        script: Some(script),
        ..Knobs::default()
    };
    if let Err(f) =
        run_seed(seed, &knobs, RunOptions { trace_lines: true, ..RunOptions::default() })
    {
        panic!("{f}");
    }
}

#[test]
#[ignore = "known hb-core failure A: legacy ip-request sent before the peer is up is never answered"]
fn legacy_startup_ip_request_is_answered_or_retried() {
    check(2, 2, FailbackMode::Legacy, &[]);
}

#[test]
#[ignore = "known hb-core failure B: legacy mode never resolves a healed split brain"]
fn legacy_split_brain_is_resolved_after_partition_heals() {
    check(0, 2, FailbackMode::Legacy, &["12000:partition:1:2:two-way", "15000:heal"]);
}

#[test]
#[ignore = "known hb-core failure C: first node up takes the starting peer's groups, failback refused"]
fn simultaneous_start_leaves_groups_on_their_preferred_node() {
    check(4, 2, FailbackMode::On, &[]);
}

#[test]
#[ignore = "known hb-core failure E: one-sided death decision leaves both holding after the peer returns"]
fn one_way_partition_heal_ends_double_ownership() {
    check(0, 2, FailbackMode::On, &["12000:partition:2:1:one-way", "15000:heal"]);
}
