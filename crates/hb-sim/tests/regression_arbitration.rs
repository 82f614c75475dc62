//! Minimal reproductions of hb-core arbitration and fencing bugs the simulator found
//! (diagnoses in `known_arbitration_failures/mod.rs`). Each asserts the correct behaviour and
//! is ignored while it fails: run them with `cargo test -p hb-sim --test
//! regression_arbitration -- --ignored` and un-ignore each once the core is fixed.

use hb_sim::faults::ScheduledFault;
use hb_sim::scenario::FailbackMode;
use hb_sim::{run_seed, Knobs, RunOptions};

fn check(seed: u64, knobs: &Knobs) {
    if let Err(f) = run_seed(seed, knobs, RunOptions { trace_lines: true, ..RunOptions::default() })
    {
        panic!("{f}");
    }
}

fn script(faults: &[&str]) -> Option<Vec<ScheduledFault>> {
    Some(faults.iter().map(|f| ScheduledFault::parse_arg(f).expect("valid fault")).collect())
}

#[test]
fn no_failback_to_a_node_without_ping_nodes() {
    let k = Knobs {
        nodes: Some(2),
        groups: Some(1),
        failback: Some(FailbackMode::On),
        quiet: true,
        ping: Some(true),
        script: script(&["12000:uplink-down:0", "12000:partition:1:2:two-way", "20000:heal"]),
        ..Knobs::default()
    };
    check(1, &k);
}

#[test]
fn a_peer_glimpsed_after_a_failed_fence_is_still_fenced_before_takeover() {
    let k = Knobs {
        nodes: Some(2),
        media: Some(1),
        failback: Some(FailbackMode::On),
        arbitration: true,
        script: script(&[
            "7823:partition:2:1:two-way",
            "11683:heal",
            "19935:partition:2:1:two-way",
        ]),
        ..Knobs::default()
    };
    check(145, &k);
}

fn pinned(nodes: usize, media: usize, failback: FailbackMode, faults: &[&str]) -> Knobs {
    Knobs {
        nodes: Some(nodes),
        media: Some(media),
        failback: Some(failback),
        quiet: true,
        arbitration: true,
        script: script(faults),
        ..Knobs::default()
    }
}

#[test]
fn groups_are_acquired_again_after_failed_fences_and_isolation() {
    let faults = ["16424:uplink-down:0", "19555:link-down:0:0", "20110:uplink-up:0"];
    check(1265, &pinned(2, 1, FailbackMode::Legacy, &faults));
}

#[test]
fn a_peer_dying_during_our_start_up_is_fenced_before_takeover() {
    let faults = [
        "11630:crash:1",
        "14136:partition:4:3:two-way",
        "15090:restart:1",
        "17272:partition:1:6:two-way",
    ];
    check(1564, &pinned(3, 2, FailbackMode::Legacy, &faults));
}

#[test]
fn hb_takeover_does_not_bypass_a_failed_fence() {
    check(1763, &pinned(3, 1, FailbackMode::On, &["27972:link-down:0:0", "29609:takeover:1:all"]));
}

#[test]
fn legacy_node_booting_isolated_takes_nothing() {
    let faults =
        ["14001:uplink-down:0", "21900:crash:0", "24168:partition:2:1:two-way", "24215:restart:0"];
    check(2728, &pinned(2, 1, FailbackMode::Legacy, &faults));
}
