//! Health checks in the simulator (`Knobs::checks`): scripted two-node runs of the netns
//! tests' situations (a check that fails, hangs or flaps on the holder, or fails everywhere),
//! each judged by every standard checker, and an opted-in random sweep over a fixed seed list
//! in which the two health checkers must have judged something.

use hb_sim::faults::ScheduledFault;
use hb_sim::scenario::FailbackMode;
use hb_sim::{run_seed, Knobs, RunOptions, RunReport};

/// Seeds of the opted-in sweep (two tests, so the harness runs them on two threads).
const SEEDS: u64 = 120;

/// Two nodes, one group preferred by node1, a clean network and reliable scripts.
fn two_nodes(faults: &[&str]) -> Knobs {
    Knobs {
        nodes: Some(2),
        groups: Some(1),
        failback: Some(FailbackMode::On),
        safety_secs: Some(30),
        quiet: true,
        checks: true,
        script: Some(
            faults.iter().map(|f| ScheduledFault::parse_arg(f).expect("valid fault")).collect(),
        ),
        ..Knobs::default()
    }
}

fn run(seed: u64, knobs: &Knobs) -> RunReport {
    match run_seed(seed, knobs, RunOptions { trace_lines: true, ..RunOptions::default() }) {
        Ok(r) => r,
        Err(f) => panic!("{f}"),
    }
}

fn checks(r: &RunReport, name: &str) -> u64 {
    r.checks.iter().find(|(n, _)| *n == name).map_or(0, |(_, c)| *c)
}

#[test]
fn a_check_failing_or_hanging_on_the_holder_moves_the_group_once() {
    for mode in ["fail", "hang"] {
        for seed in [1, 2, 3] {
            // After start-up and one window, so that the group is judged as settled there.
            let fault = format!("18000:check:0:0:{mode}");
            let r = run(seed, &two_nodes(&[&fault]));
            assert!(checks(&r, "failed-check-leaves") > 0, "{mode} seed {seed}: {:?}", r.checks);
            assert_eq!(checks(&r, "moves-per-window"), 1, "{mode} seed {seed}: {:?}", r.checks);
        }
    }
}

#[test]
fn a_flapping_check_and_a_check_failing_everywhere_stay_within_one_move_per_window() {
    // Whether a flap moves the group depends on the drawn policy (a short window forgets
    // restarts between flaps), so over several seeds at least one must.
    let mut flap_moves = 0;
    for seed in 1..=6 {
        let r = run(seed, &two_nodes(&["18000:check:0:0:flap"]));
        flap_moves += checks(&r, "moves-per-window");
        let both = ["18000:check:0:0:fail", "18000:check:1:0:fail"];
        let r = run(seed, &two_nodes(&both));
        assert!(checks(&r, "moves-per-window") >= 1, "everywhere seed {seed}: {:?}", r.checks);
    }
    assert!(flap_moves > 0, "no flapping check ever moved its group");
}

fn sweep(seeds: std::ops::Range<u64>) {
    let knobs = Knobs { checks: true, ..Knobs::default() };
    let mut failures = Vec::new();
    let mut totals: Vec<(&str, u64)> = Vec::new();
    for seed in seeds {
        match run_seed(seed, &knobs, RunOptions::default()) {
            Ok(report) => {
                if totals.is_empty() {
                    totals = report.checks.clone();
                } else {
                    for (acc, (_, c)) in totals.iter_mut().zip(&report.checks) {
                        acc.1 += c;
                    }
                }
            }
            Err(f) => failures.push(f.to_string()),
        }
    }
    eprintln!("checks made {totals:?}");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    // A checker that never judged anything proves nothing.
    for name in hb_sim::invariants::expected_to_check(&knobs) {
        let n = totals.iter().find(|(c, _)| *c == name).map_or(0, |(_, n)| *n);
        assert!(n > 0, "{name} never judged anything: {totals:?}");
    }
}

#[test]
fn checks_seeds_first_half() {
    sweep(0..SEEDS / 2);
}

#[test]
fn checks_seeds_second_half() {
    sweep(SEEDS / 2..SEEDS);
}

/// The checker bites: the reference model engine ignores check failures, so its group stays
/// on the failing node and `failed-check-leaves` must report it.
#[test]
fn an_engine_that_ignores_failed_checks_is_caught() {
    let knobs =
        Knobs { model: true, safety_secs: Some(60), ..two_nodes(&["18000:check:0:0:fail"]) };
    match run_seed(1, &knobs, RunOptions::default()) {
        Ok(r) => panic!("an engine ignoring failed checks passed: {:?}", r.checks),
        Err(f) => assert_eq!(f.invariant, "failed-check-leaves", "{f}"),
    }
}

#[test]
fn carrier_loss_under_the_holder_moves_its_group_to_a_node_with_carrier() {
    let mut judged = 0;
    for seed in [1, 2, 3] {
        let r = run(seed, &two_nodes(&["18000:carrier-down:0"]));
        let n = checks(&r, "carrier-leaves");
        assert!(n > 0, "seed {seed}: carrier-leaves judged nothing: {:?}", r.checks);
        judged += n;
        // Back up later: nothing moves back by itself (a hand-over is sticky), nothing breaks.
        let r = run(seed, &two_nodes(&["18000:carrier-down:0", "24000:carrier-up:0"]));
        assert!(checks(&r, "carrier-leaves") > 0, "seed {seed}: {:?}", r.checks);
    }
    eprintln!("carrier-leaves made {judged} checks in 3 seeds");
}

/// The checker bites: the reference model engine ignores carrier reports, so its group stays
/// on the node without carrier and `carrier-leaves` must report it.
#[test]
fn an_engine_that_ignores_carrier_loss_is_caught() {
    let knobs =
        Knobs { model: true, safety_secs: Some(60), ..two_nodes(&["18000:carrier-down:0"]) };
    match run_seed(1, &knobs, RunOptions::default()) {
        Ok(r) => panic!("an engine ignoring carrier loss passed: {:?}", r.checks),
        Err(f) => assert_eq!(f.invariant, "carrier-leaves", "{f}"),
    }
}
