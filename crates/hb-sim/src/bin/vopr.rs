//! `vopr`: long seeded sweeps of the heartbeat-rs simulator.
//!
//! `vopr --seed S` replays one seed (printing its trace tail on failure); `vopr --seeds N`
//! runs seeds `first..first+N`; `--time-budget SECS` stops a sweep early. Reports seeds per
//! second and simulated node-hours per second. `--hours H` runs a campaign: seeds from
//! `--first` on until H simulated node-hours have passed; `--nodes-cycle 2,3,5,8` gives seed S
//! the S-th count of the list in turn (the replay command names it). Exit status 1 if any seed
//! failed, or if a checker that such a sweep must exercise made no check.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use hb_sim::arbitration::FenceModel;
use hb_sim::faults::ScheduledFault;
use hb_sim::invariants::{expected_to_check, standard, MIN_SWEEP_SEEDS};
use hb_sim::mutants::Mutation;
use hb_sim::scenario::FailbackMode;
use hb_sim::settled::ScheduleStyle;
use hb_sim::{Knobs, RunOptions, Scenario};

struct Args {
    seed: Option<u64>,
    seeds: u64,
    first: u64,
    budget: Option<Duration>,
    knobs: Knobs,
    verbose: bool,
    log: bool,
    emit_known: bool,
    minimize: bool,
    /// Checkers left out (to look past a known failure that hides others).
    skip: Vec<String>,
    /// Campaign: run seeds until this many simulated node-hours have passed.
    hours: Option<f64>,
    /// Node counts used in turn, one per seed (`--nodes-cycle 2,3,5,8`).
    nodes_cycle: Vec<usize>,
}

fn usage() -> &'static str {
    "usage: vopr [--seed S | --seeds N [--first F]] [--time-budget SECS] [--nodes N] [--media M] \
     [--failback on|off|legacy] [--safety-secs S] [--heal-secs S] [--quiet] [--model] \
     [--arbitration] [--checks] [--partial-member] [--schedule classic|settled] [--ping on|off] [--fencing OK_PPM:MIN_MS:MAX_MS] [--groups G] \
     [--fault AT_MS:KIND[:ARGS]]... [--no-faults] [--mutant NAME:NODE] [--skip-checker NAME]... [-v] [--log] \
     [--emit-known] [--minimize] [--hours H] [--nodes-cycle 2,3,5,8]"
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        seed: None,
        seeds: 100,
        first: 0,
        budget: None,
        knobs: Knobs::default(),
        verbose: false,
        log: false,
        emit_known: false,
        minimize: false,
        skip: Vec::new(),
        hours: None,
        nodes_cycle: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        let num = |s: String| s.parse::<u64>().map_err(|e| format!("bad number {s}: {e}"));
        match flag.as_str() {
            "--seed" => a.seed = Some(num(value("--seed")?)?),
            "--seeds" => a.seeds = num(value("--seeds")?)?,
            "--first" => a.first = num(value("--first")?)?,
            "--time-budget" => a.budget = Some(Duration::from_secs(num(value("--time-budget")?)?)),
            "--nodes" => a.knobs.nodes = Some(num(value("--nodes")?)? as usize),
            "--media" => a.knobs.media = Some(num(value("--media")?)? as usize),
            "--safety-secs" => a.knobs.safety_secs = Some(num(value("--safety-secs")?)?),
            "--heal-secs" => a.knobs.heal_secs = Some(num(value("--heal-secs")?)?),
            "--failback" => {
                a.knobs.failback = Some(match value("--failback")?.as_str() {
                    "on" => FailbackMode::On,
                    "off" => FailbackMode::Off,
                    "legacy" => FailbackMode::Legacy,
                    other => return Err(format!("--failback on|off|legacy, not {other}")),
                })
            }
            "--quiet" => a.knobs.quiet = true,
            "--arbitration" => a.knobs.arbitration = true,
            "--checks" => a.knobs.checks = true,
            "--partial-member" => a.knobs.partial_member = true,
            "--ping" => {
                a.knobs.ping = Some(match value("--ping")?.as_str() {
                    "on" => true,
                    "off" => false,
                    other => return Err(format!("--ping on|off, not {other}")),
                })
            }
            "--fencing" => a.knobs.fencing = Some(FenceModel::parse_arg(&value("--fencing")?)?),
            "--groups" => a.knobs.groups = Some(num(value("--groups")?)? as usize),
            "--schedule" => {
                a.knobs.schedule = Some(ScheduleStyle::parse_arg(&value("--schedule")?)?)
            }
            "--model" => a.knobs.model = true,
            "--fault" => {
                let f = ScheduledFault::parse_arg(&value("--fault")?)?;
                a.knobs.script.get_or_insert_with(Vec::new).push(f);
            }
            "--no-faults" => {
                a.knobs.script.get_or_insert_with(Vec::new);
            }
            "--mutant" => {
                let v = value("--mutant")?;
                let (name, node) =
                    v.split_once(':').ok_or(format!("--mutant NAME:NODE, not {v}"))?;
                let m = Mutation::parse(name).ok_or(format!("unknown mutant {name}"))?;
                a.knobs.mutant = Some((m, num(node.to_string())? as usize));
            }
            "-v" | "--verbose" => a.verbose = true,
            "--log" => a.log = true,
            "--emit-known" => a.emit_known = true,
            "--minimize" => a.minimize = true,
            "--skip-checker" => a.skip.push(value("--skip-checker")?),
            "--hours" => {
                let v = value("--hours")?;
                let h: f64 = v.parse().map_err(|e| format!("bad --hours {v}: {e}"))?;
                if !(h > 0.0 && h.is_finite()) {
                    return Err(format!("--hours must be positive, not {v}"));
                }
                a.hours = Some(h);
            }
            "--nodes-cycle" => {
                let v = value("--nodes-cycle")?;
                for n in v.split(',') {
                    let n: usize = n.parse().map_err(|e| format!("bad --nodes-cycle {v}: {e}"))?;
                    if !(2..=hb_sim::scenario::MAX_NODES).contains(&n) {
                        return Err(format!("--nodes-cycle: {n} nodes is outside 2..=8"));
                    }
                    a.nodes_cycle.push(n);
                }
            }
            "-h" | "--help" => return Err(usage().to_string()),
            other => return Err(format!("unknown argument {other}\n{}", usage())),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let (true, Some(seed)) = (args.minimize, args.seed) {
        return match hb_sim::minimize::minimize(seed, &args.knobs) {
            None => {
                println!("seed {seed} passes: nothing to minimise");
                ExitCode::SUCCESS
            }
            Some((_, failure)) => {
                println!("minimised:\n{failure}");
                ExitCode::FAILURE
            }
        };
    }
    let factory = hb_sim::factory(&args.knobs);
    let (first, count) = match (args.seed, args.hours) {
        (Some(s), _) => (s, 1),
        // A campaign is bounded by its simulated time, not by a seed count.
        (None, Some(_)) => (args.first, u64::MAX),
        (None, None) => (args.first, args.seeds),
    };
    let target_node_ms = args.hours.map(|h| (h * 3_600_000.0) as u64);
    let mut per_nodes: std::collections::BTreeMap<usize, (u64, u64)> = Default::default();
    let opts = RunOptions { trace_lines: args.seed.is_some(), log: args.log };
    let started = Instant::now();
    let (mut ran, mut failed, mut node_ms, mut checks) = (0u64, 0u64, 0u64, Vec::new());
    let mut by_invariant: std::collections::BTreeMap<&'static str, u64> = Default::default();
    for seed in first..first.saturating_add(count) {
        if args.budget.is_some_and(|b| started.elapsed() >= b)
            || target_node_ms.is_some_and(|t| node_ms >= t)
        {
            break;
        }
        let mut knobs = args.knobs.clone();
        if !args.nodes_cycle.is_empty() {
            knobs.nodes = Some(args.nodes_cycle[(seed % args.nodes_cycle.len() as u64) as usize]);
        }
        let scenario = Scenario::generate(seed, &knobs);
        if args.verbose {
            println!("{scenario:#?}");
            // The same faults as explicit arguments, to minimise a failing seed by deleting
            // them one at a time (add `--nodes`/`--media`/`--failback` as drawn).
            let faults: Vec<String> =
                scenario.faults.iter().map(|f| format!("--fault {}", f.to_arg())).collect();
            println!("explicit faults: {}", faults.join(" "));
        }
        ran += 1;
        let checkers =
            standard().into_iter().filter(|c| !args.skip.iter().any(|s| s == c.name())).collect();
        match hb_sim::run_with(&scenario, factory.as_ref(), opts, checkers) {
            Ok(report) => {
                node_ms += report.node_ms;
                let e = per_nodes.entry(scenario.nodes).or_default();
                e.0 += 1;
                e.1 += report.node_ms;
                if checks.is_empty() {
                    checks = report.checks.clone();
                } else {
                    for (acc, (_, c)) in checks.iter_mut().zip(&report.checks) {
                        acc.1 += c;
                    }
                }
                if args.seed.is_some() {
                    println!(
                        "seed {seed}: ok, trace hash {:016x}, {} events, {} delivered, {} rejected",
                        report.trace_hash, report.events, report.delivered, report.rejected
                    );
                }
            }
            Err(failure) => {
                failed += 1;
                *by_invariant.entry(failure.invariant).or_default() += 1;
                if args.emit_known {
                    println!(
                        "    ({seed}, \"{}\"), // {}",
                        failure.invariant,
                        category(&scenario, &failure)
                    );
                    continue;
                }
                println!("{}\n  scenario: {}", failure.to_string().trim_end(), scenario.summary());
            }
        }
    }
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    let node_hours = node_ms as f64 / 3_600_000.0;
    println!(
        "{ran} seeds ({failed} failed) in {secs:.1} s: {:.1} seeds/s, {:.2} simulated node-hours/s",
        ran as f64 / secs,
        node_hours / secs
    );
    if per_nodes.len() > 1 || args.hours.is_some() {
        let v: Vec<String> = per_nodes
            .iter()
            .map(|(n, (s, ms))| {
                format!("{n} nodes: {s} seeds, {:.1} node-hours", *ms as f64 / 3.6e6)
            })
            .collect();
        println!("passing seeds by cluster size: {}", v.join("; "));
    }
    let summary: Vec<String> = checks.iter().map(|(n, c)| format!("{n} {c}")).collect();
    println!("checks made (passing seeds): {}", summary.join(", "));
    if !by_invariant.is_empty() {
        let v: Vec<String> = by_invariant.iter().map(|(n, c)| format!("{n} {c}")).collect();
        println!("failures by invariant: {}", v.join(", "));
    }
    // A sweep whose checker never judged anything proves nothing about that checker's promise.
    let mut vacuous = Vec::new();
    if args.seed.is_none() && ran >= MIN_SWEEP_SEEDS {
        for name in expected_to_check(&args.knobs) {
            let made = checks.iter().find(|(n, _)| *n == name).map_or(0, |(_, c)| *c);
            if made == 0 && !args.skip.iter().any(|s| s == name) {
                vacuous.push(name);
            }
        }
    }
    for name in &vacuous {
        println!("FAILED: checker {name} made no check in {ran} seeds (it should have)");
    }
    if failed > 0 || !vacuous.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// A rough first guess at which known hb-core problem a failure is (see
/// tests/known_core_failures/mod.rs for the diagnoses); only a hint for whoever updates the list.
fn category(sc: &Scenario, f: &hb_sim::Failure) -> &'static str {
    let legacy = sc.failback == FailbackMode::Legacy;
    let fence_may_fail = sc.arbitration.fencing.is_some_and(|m| m.success_ppm < 1_000_000);
    let arbitrated = sc.arbitration.ping_nodes || sc.arbitration.fencing.is_some();
    match (f.invariant, legacy) {
        ("convergence", _) if arbitrated && f.detail.contains("runs nowhere") && fence_may_fail => {
            "K"
        }
        ("convergence", _) if arbitrated && f.detail.contains("runs nowhere") => "L",
        ("no-isolated-takeover", _) => "J",
        ("fence-before-takeover", _) => "N",
        ("fence-failure-blocks", _) => "O",
        ("convergence", _) if f.detail.contains("runs nowhere") => "D",
        ("convergence", _) if f.detail.contains("preferred") => "C",
        ("single-owner", true) => "B",
        ("single-owner", false) => "E",
        ("failover-deadline", _) => "F",
        ("admin-completes", _) => "G",
        ("clean-exit", _) => "H",
        ("no-false-death", _) => "I",
        _ => "?",
    }
}
