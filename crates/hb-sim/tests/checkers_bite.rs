//! The checkers catch deliberately wrong engines, and the report names the seed and a command
//! that replays exactly the failing run (the replay is executed here to prove it).

use hb_sim::faults::{Fault, ScheduledFault};
use hb_sim::mutants::Mutation;
use hb_sim::scenario::FailbackMode;
use hb_sim::time::SimTime;
use hb_sim::{run_seed, Knobs, RunOptions};

/// A quiet two-node cluster in which `node` crashes at 12 s and boots again at 16 s.
fn crash_knobs(node: usize, model: bool) -> Knobs {
    Knobs {
        nodes: Some(2),
        failback: Some(FailbackMode::On),
        script: Some(vec![
            ScheduledFault { at: SimTime::from_millis(12_000), fault: Fault::Crash(node) },
            ScheduledFault { at: SimTime::from_millis(16_000), fault: Fault::Restart(node) },
        ]),
        model,
        ..Knobs::default()
    }
}

fn assert_bites(seed: u64, knobs: &Knobs, mutation: Mutation, node: usize, expect: &[&str]) {
    // The correct engine passes the very same scenario...
    if let Err(f) = run_seed(seed, knobs, RunOptions::default()) {
        panic!("the unmodified engine already fails:\n{f}");
    }
    // ...the mutant does not, and the report says how to replay it.
    let mutant = Knobs { mutant: Some((mutation, node)), ..knobs.clone() };
    let failure =
        match run_seed(seed, &mutant, RunOptions { trace_lines: true, ..RunOptions::default() }) {
            Ok(r) => panic!("{mutation:?} went unnoticed (trace {:016x})", r.trace_hash),
            Err(f) => f,
        };
    let text = failure.to_string();
    eprintln!("{mutation:?} caught as expected:\n{text}");
    assert!(
        expect.contains(&failure.invariant),
        "{mutation:?} caught by {}:\n{text}",
        failure.invariant
    );
    assert!(text.contains(&format!("seed {seed}")));
    let prefix = format!("cargo run -p hb-sim --bin vopr -- --seed {seed} ");
    let replay = failure
        .replay
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("no replay command in:\n{text}"));
    assert!(text.contains(&failure.replay));
    // Replaying from the printed arguments gives the same violation at the same instant.
    let replayed = replay_args(replay);
    let again = run_seed(seed, &replayed, RunOptions::default()).expect_err("replay must fail too");
    assert_eq!(
        (again.invariant, again.at, &again.detail),
        (failure.invariant, failure.at, &failure.detail)
    );
}

/// Parses the knobs part of a replay command (the subset these tests produce).
fn replay_args(args: &str) -> Knobs {
    let mut k = Knobs::default();
    let mut it = args.split_whitespace();
    while let Some(flag) = it.next() {
        match flag {
            "--nodes" => k.nodes = it.next().and_then(|v| v.parse().ok()),
            "--media" => k.media = it.next().and_then(|v| v.parse().ok()),
            "--failback" => {
                k.failback = match it.next() {
                    Some("on") => Some(FailbackMode::On),
                    Some("off") => Some(FailbackMode::Off),
                    _ => Some(FailbackMode::Legacy),
                }
            }
            "--quiet" => k.quiet = true,
            "--no-faults" => {
                k.script.get_or_insert_with(Vec::new);
            }
            "--model" => k.model = true,
            "--fault" => {
                let f = ScheduledFault::parse_arg(it.next().unwrap_or("")).expect("valid fault");
                k.script.get_or_insert_with(Vec::new).push(f);
            }
            "--mutant" => {
                let (name, node) = it.next().and_then(|v| v.split_once(':')).expect("NAME:NODE");
                k.mutant = Some((
                    Mutation::parse(name).expect("known mutant"),
                    node.parse().expect("node"),
                ));
            }
            other => panic!("unexpected replay argument {other}"),
        }
    }
    k
}

#[test]
fn declaring_death_at_warntime_is_caught_on_the_reference_model() {
    for seed in [11, 12, 13] {
        assert_bites(seed, &crash_knobs(1, true), Mutation::DeadAtWarntime, 0, &["no-false-death"]);
    }
}

#[test]
fn losing_start_completions_is_caught_on_the_reference_model() {
    // node1 (preferred for group 0) crashes, node2 takes group 0 but never learns the start
    // finished, so it never gives it back when node1 returns.
    for seed in [21, 22, 23] {
        let expect = ["single-owner", "convergence", "no-flapping"];
        assert_bites(seed, &crash_knobs(0, true), Mutation::DropStartDone, 1, &expect);
    }
}

#[test]
fn declaring_death_at_warntime_is_caught_on_hb_core() {
    for seed in [31, 32, 33] {
        assert_bites(
            seed,
            &crash_knobs(1, false),
            Mutation::DeadAtWarntime,
            0,
            &["no-false-death"],
        );
    }
}

#[test]
fn losing_start_completions_is_caught_on_hb_core() {
    for seed in [41, 42, 43] {
        let expect = ["single-owner", "convergence", "no-flapping", "failover-deadline"];
        assert_bites(seed, &crash_knobs(0, false), Mutation::DropStartDone, 1, &expect);
    }
}

fn quiet_knobs(failback: FailbackMode, faults: &[&str]) -> Knobs {
    let script =
        faults.iter().map(|f| ScheduledFault::parse_arg(f).expect("valid fault")).collect();
    Knobs {
        nodes: Some(2),
        failback: Some(failback),
        quiet: true,
        script: Some(script),
        ..Knobs::default()
    }
}

#[test]
fn restarting_groups_for_no_reason_is_caught_on_hb_core() {
    for seed in [51, 52] {
        assert_bites(
            seed,
            &quiet_knobs(FailbackMode::Off, &[]),
            Mutation::Flap,
            0,
            &["no-flapping", "liveness"],
        );
    }
}

#[test]
fn ignoring_operator_requests_is_caught_on_hb_core() {
    for seed in [61, 62] {
        let k = quiet_knobs(FailbackMode::On, &["15000:standby:0:all"]);
        assert_bites(seed, &k, Mutation::IgnoreAdmin, 0, &["admin-completes"]);
    }
}

#[test]
fn never_taking_over_is_caught_on_hb_core() {
    for seed in [71, 72] {
        let k = quiet_knobs(FailbackMode::On, &["15000:crash:0", "19000:restart:0"]);
        assert_bites(seed, &k, Mutation::NoForeignStart, 1, &["failover-deadline"]);
    }
}

#[test]
fn sending_before_persisting_the_generation_is_caught_on_hb_core() {
    let k = quiet_knobs(FailbackMode::On, &[]);
    assert_bites(81, &k, Mutation::ForgetGeneration, 1, &["generation"]);
}
