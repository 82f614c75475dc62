//! The arbitration checkers catch engines that defeat ping-node arbitration or fencing: each
//! mutant runs on hb-core in a scenario the unmodified engine passes, is caught by the checker
//! named, and the printed replay command reproduces the violation exactly.

use hb_sim::arbitration::FenceModel;
use hb_sim::faults::ScheduledFault;
use hb_sim::mutants::Mutation;
use hb_sim::scenario::FailbackMode;
use hb_sim::{run_seed, Knobs, RunOptions};

fn knobs(fencing: Option<FenceModel>, faults: &[&str]) -> Knobs {
    Knobs {
        nodes: Some(2),
        groups: Some(1),
        failback: Some(FailbackMode::On),
        safety_secs: Some(30),
        quiet: true,
        ping: Some(true),
        fencing,
        script: Some(
            faults.iter().map(|f| ScheduledFault::parse_arg(f).expect("valid fault")).collect(),
        ),
        ..Knobs::default()
    }
}

fn assert_bites(seed: u64, knobs: &Knobs, mutation: Mutation, node: usize, expect: &str) {
    if let Err(f) = run_seed(seed, knobs, RunOptions::default()) {
        panic!("the unmodified engine already fails:\n{f}");
    }
    let mutant = Knobs { mutant: Some((mutation, node)), ..knobs.clone() };
    let opts = RunOptions { trace_lines: true, ..RunOptions::default() };
    let failure = match run_seed(seed, &mutant, opts) {
        Ok(r) => panic!("{mutation:?} went unnoticed (trace {:016x})", r.trace_hash),
        Err(f) => f,
    };
    let text = failure.to_string();
    eprintln!("{mutation:?} caught as expected:\n{text}");
    assert_eq!(failure.invariant, expect, "{mutation:?} caught by the wrong checker:\n{text}");
    let prefix = format!("cargo run -p hb-sim --bin vopr -- --seed {seed} ");
    let args = failure.replay.strip_prefix(&prefix).expect("a replay command");
    let again = run_seed(seed, &replay_args(args), RunOptions::default()).expect_err("replays");
    assert_eq!(
        (again.invariant, again.at, &again.detail),
        (failure.invariant, failure.at, &failure.detail)
    );
}

/// Parses the knobs part of a replay command (the flags these tests produce).
fn replay_args(args: &str) -> Knobs {
    let mut k = Knobs::default();
    let mut it = args.split_whitespace();
    while let Some(flag) = it.next() {
        let mut value = || it.next().expect("flag value").to_string();
        match flag {
            "--nodes" => k.nodes = value().parse().ok(),
            "--groups" => k.groups = value().parse().ok(),
            "--safety-secs" => k.safety_secs = value().parse().ok(),
            "--failback" => {
                assert_eq!(value(), "on");
                k.failback = Some(FailbackMode::On);
            }
            "--quiet" => k.quiet = true,
            "--ping" => k.ping = Some(value() == "on"),
            "--fencing" => k.fencing = Some(FenceModel::parse_arg(&value()).expect("model")),
            "--fault" => k
                .script
                .get_or_insert_with(Vec::new)
                .push(ScheduledFault::parse_arg(&value()).expect("valid fault")),
            "--mutant" => {
                let v = value();
                let (name, node) = v.split_once(':').expect("NAME:NODE");
                let m = Mutation::parse(name).expect("known mutant");
                k.mutant = Some((m, node.parse().expect("node")));
            }
            other => panic!("unexpected replay argument {other}"),
        }
    }
    k
}

const ISOLATE_PRIMARY: &[&str] =
    &["12000:uplink-down:0", "12000:partition:1:2:two-way", "26000:uplink-up:0", "28000:heal"];

#[test]
fn taking_over_without_ping_nodes_is_caught() {
    // The secondary loses its uplink, then the primary dies: the secondary must not take over.
    let k = knobs(None, &["12000:uplink-down:1", "15000:crash:0", "25000:restart:0"]);
    for seed in [1, 2] {
        assert_bites(seed, &k, Mutation::IgnorePingLoss, 1, "no-isolated-takeover");
    }
}

#[test]
fn an_isolated_node_keeping_its_groups_is_caught() {
    for seed in [1, 2] {
        let k = knobs(None, ISOLATE_PRIMARY);
        assert_bites(seed, &k, Mutation::IgnorePingLoss, 0, "isolated-releases");
    }
}

#[test]
fn a_reachable_side_that_never_takes_over_is_caught() {
    for seed in [1, 2] {
        let k = knobs(None, ISOLATE_PRIMARY);
        assert_bites(seed, &k, Mutation::NoForeignStart, 1, "arbitrated-owner");
    }
}

#[test]
fn taking_over_without_fencing_is_caught() {
    let always = FenceModel { success_ppm: 1_000_000, min_ms: 300, max_ms: 900 };
    let k = knobs(Some(always), &["12000:crash:0", "22000:restart:0"]);
    for seed in [1, 2] {
        assert_bites(seed, &k, Mutation::SkipFence, 1, "fence-before-takeover");
    }
}

#[test]
fn taking_over_after_a_failed_fence_is_caught() {
    let never = FenceModel { success_ppm: 0, min_ms: 300, max_ms: 900 };
    let k = knobs(Some(never), &["12000:crash:0", "22000:restart:0"]);
    for seed in [1, 2] {
        assert_bites(seed, &k, Mutation::IgnoreFenceFailure, 1, "fence-failure-blocks");
    }
}
