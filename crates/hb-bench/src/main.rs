//! `hb-bench`: the failover benchmark lab. Runs heartbeat-rs, Debian's heartbeat 3.0.6 and
//! keepalived 2.2.7 in network namespaces (hb-testnet) and measures, with a 1 ms ARP prober
//! in a client namespace, how long the virtual address is unreachable in each failure case;
//! plus a false-failover soak, a 256-address takeover and the daemons' footprint. Writes a
//! Markdown table and a JSON file. Root only. See `bench/README.md`.

mod cases;
mod lab;
mod profile;
mod report;
mod stats;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Result};
use clap::Parser;

use cases::{Sample, FAILOVER_CASES};
use lab::{Bins, Kind, Setting};

/// Every case name `--case` accepts.
const ALL_CASES: [&str; 11] = [
    "crash",
    "kill9",
    "stop",
    "standby",
    "failback",
    "kill9-restart",
    "partition",
    "false-failover",
    "mass",
    "footprint",
    "profile",
];

/// Cases that run only when named with `--case` (they need tools the lab does not install).
const ON_REQUEST: [&str; 1] = ["profile"];

/// Failover benchmark of heartbeat-rs against heartbeat 3.0.6 and keepalived.
#[derive(Parser, Debug)]
#[command(name = "hb-bench", version)]
struct Args {
    /// Runs per (setting, case); the default (deadtime 30 s) settings run once.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Short lab: 1 run, 30 s soak, 20 s idle, no default-timer settings, no mass takeover.
    #[arg(long)]
    quick: bool,
    /// Only these daemons (repeatable).
    #[arg(long, value_enum)]
    daemon: Vec<Kind>,
    /// Only these cases (repeatable): crash, kill9, stop, standby, failback, kill9-restart,
    /// partition, false-failover, mass, footprint.
    #[arg(long)]
    case: Vec<String>,
    /// Only settings whose name contains one of these (repeatable), e.g. `10ms`, `defaults`.
    #[arg(long)]
    setting: Vec<String>,
    /// Cases run at the default settings (deadtime 30 s), whose failovers take long.
    #[arg(long, default_value = "crash")]
    slow_cases: Vec<String>,
    /// Seconds of the false-failover soak per daemon.
    #[arg(long, default_value_t = 120)]
    soak_secs: u64,
    /// Seconds the `profile` case counts instructions for (n1 under valgrind's callgrind).
    #[arg(long, default_value_t = 20)]
    profile_secs: u64,
    /// Seconds of idle operation for the CPU figure.
    #[arg(long, default_value_t = 60)]
    idle_secs: u64,
    /// Addresses in the mass takeover of heartbeat-rs and keepalived (repeatable: one
    /// takeover per count; issue 20's goal is 1000 addresses).
    #[arg(long, default_values_t = [256, 1000])]
    mass_count: Vec<usize>,
    /// Addresses in heartbeat 3.0.6's mass takeover (its `IPaddr` script costs about half a
    /// second per address on 2 idle cores, so 256 take minutes each way; lower it for a
    /// shorter run).
    #[arg(long, default_value_t = 256)]
    mass_count_heartbeat: usize,
    /// Runs of the mass takeover.
    #[arg(long, default_value_t = 1)]
    mass_runs: usize,
    /// Run everything one lab at a time (by default the footprint labs and the settings with
    /// detection times of 1 s or more run concurrently, as they mostly wait for timers).
    #[arg(long)]
    serial: bool,
    /// Directory for the results (`<stamp>.json`, `<stamp>.md`, `latest.*`).
    #[arg(long, default_value = "bench/results")]
    out: PathBuf,
    /// Also replace the "Performance" section of this README with the tables.
    #[arg(long)]
    readme: Option<PathBuf>,
    /// Run nothing: render the Markdown (and `--readme`) again from a results JSON file.
    #[arg(long)]
    from_json: Option<PathBuf>,
    /// heartbeat-rs daemon binary (default: `heartbeat` next to this executable).
    #[arg(long)]
    heartbeat_bin: Option<PathBuf>,
    /// hbctl binary (default: `hbctl` next to this executable).
    #[arg(long)]
    hbctl_bin: Option<PathBuf>,
}

/// The failover matrix, in report order.
fn settings() -> Vec<Setting> {
    let named = |mut s: Setting, name: &str| {
        s.name = name.into();
        s
    };
    vec![
        named(Setting::hb(Kind::Ours, None, 30_000), "defaults (1 s / 30 s)"),
        named(Setting::hb(Kind::Ours, Some(("1", "10")), 10_000), "1 s / 10 s"),
        named(Setting::hb(Kind::Ours, Some(("100ms", "300ms")), 300), "100 ms / 300 ms"),
        named(Setting::hb(Kind::Ours, Some(("10ms", "30ms")), 30), "10 ms / 30 ms"),
        named(Setting::hb(Kind::Heartbeat, None, 30_000), "defaults (2 s / 30 s)"),
        named(Setting::hb(Kind::Heartbeat, Some(("1", "10")), 10_000), "1 s / 10 s"),
        named(Setting::hb(Kind::Heartbeat, Some(("10ms", "50ms")), 50), "10 ms / 50 ms"),
        named(Setting::ka("1", false), "advert_int 1 (default)"),
        named(Setting::ka("0.01", true), "advert_int 0.01 (VRRPv3)"),
        named(Setting::ka_ours("1", false), "advert_int 1 (default)"),
        named(Setting::ka_ours("0.01", true), "advert_int 0.01 (VRRPv3)"),
    ]
}

/// The false-failover soak: each daemon's fastest setting (`--setting` can pick others).
fn soak_settings(all: bool) -> Vec<Setting> {
    let fast: Vec<Setting> = settings().into_iter().filter(|s| s.detect_ms <= 300).collect();
    if all {
        return fast;
    }
    fast.iter()
        .filter(|s| !fast.iter().any(|o| o.kind == s.kind && o.detect_ms < s.detect_ms))
        .cloned()
        .collect()
}

/// The mass-takeover settings.
fn mass_settings() -> Vec<Setting> {
    let named = |mut s: Setting, name: &str| {
        s.name = name.into();
        s
    };
    vec![
        named(Setting::hb(Kind::Ours, Some(("100ms", "1")), 1000), "100 ms / 1 s"),
        named(Setting::hb(Kind::Heartbeat, Some(("100ms", "1")), 1000), "100 ms / 1 s"),
        named(Setting::ka("0.3", true), "advert_int 0.3 (VRRPv3)"),
    ]
}

fn footprint_settings() -> Vec<Setting> {
    settings()
        .into_iter()
        .filter(|s| {
            s.detect_ms <= 50
                || s.name.starts_with("1 s / 10")
                || s.name.starts_with("advert_int 1")
        })
        .collect()
}

/// What the JSON file holds.
#[derive(serde::Serialize, serde::Deserialize)]
struct Results {
    info: report::RunInfo,
    settings: Vec<Setting>,
    samples: Vec<Sample>,
}

/// `--from-json`: renders `<file>.md` and the README section from a results file.
fn rerender(path: &std::path::Path, readme: Option<&std::path::Path>) -> Result<()> {
    let r: Results = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let md = report::markdown(&r.info, &r.settings, &mass_settings(), &r.samples);
    std::fs::write(path.with_extension("md"), &md)?;
    if let Some(readme) = readme {
        let text = std::fs::read_to_string(readme)?;
        std::fs::write(readme, stats::replace_section(&text, "Performance", &md))?;
    }
    println!("{md}");
    Ok(())
}

fn main() -> Result<()> {
    let mut args = Args::parse();
    if let Some(path) = &args.from_json {
        return rerender(path, args.readme.as_deref());
    }
    if !nix::unistd::geteuid().is_root() {
        bail!("hb-bench needs root (network namespaces)");
    }
    for c in &args.case {
        if !ALL_CASES.contains(&c.as_str()) {
            bail!("unknown case {c:?}; one of {ALL_CASES:?}");
        }
    }
    for &n in args.mass_count.iter().chain([&args.mass_count_heartbeat]) {
        if n == 0 || n > lab::MAX_VIPS {
            bail!("a mass takeover count must be 1 to {} (got {n})", lab::MAX_VIPS);
        }
    }
    if args.quick {
        args.runs = 1;
        args.soak_secs = args.soak_secs.min(30);
        args.idle_secs = args.idle_secs.min(20);
    }
    let bins = Bins {
        heartbeat: args.heartbeat_bin.clone().unwrap_or_else(|| lab::sibling("heartbeat")),
        hbctl: args.hbctl_bin.clone().unwrap_or_else(|| lab::sibling("hbctl")),
    };
    for p in [&bins.heartbeat, &bins.hbctl] {
        if !p.exists() {
            bail!(
                "{} not found (build with `cargo build --release -p hb-daemon -p hb-ctl`)",
                p.display()
            );
        }
    }
    let began = Instant::now();
    let machine = report::Machine::now();
    let want_case = |c: &str| {
        if args.case.is_empty() {
            !(ON_REQUEST.contains(&c) || args.quick && c == "mass")
        } else {
            args.case.iter().any(|x| x == c)
        }
    };
    let want_setting = |s: &Setting| {
        (args.daemon.is_empty() || args.daemon.contains(&s.kind))
            && (args.setting.is_empty()
                || args.setting.iter().any(|f| s.label().contains(f.as_str())))
    };
    let mut samples: Vec<Sample> = Vec::new();
    let mut matrix: Vec<Setting> = Vec::new();

    // The plan: (setting, cases, runs) for the failover matrix.
    let mut plan: Vec<(Setting, Vec<&str>, usize)> = Vec::new();
    for st in settings().into_iter().filter(|s| want_setting(s)) {
        let slow = st.is_slow();
        if slow && args.quick && args.setting.is_empty() {
            continue;
        }
        let selected: Vec<&str> = FAILOVER_CASES
            .iter()
            .copied()
            .filter(|c| want_case(c))
            .filter(|c| !slow || !args.case.is_empty() || args.slow_cases.iter().any(|x| x == c))
            .collect();
        if selected.is_empty() {
            continue;
        }
        matrix.push(st.clone());
        plan.push((st, selected, if slow { 1 } else { args.runs }));
    }
    let run_setting = |st: &Setting, selected: &[&str], runs: usize| -> Vec<Sample> {
        let mut all = Vec::new();
        for run in 1..=runs {
            eprintln!("== {} run {run}/{runs}: {selected:?}", st.label());
            let mut got = Vec::new();
            let result = cases::failover_run(st, &bins, selected, run, &mut got);
            for s in &got {
                eprintln!("   {} / {}: {:?} {}", st.label(), s.case, s.metrics, s.note);
            }
            all.extend(got);
            if let Err(e) = result {
                eprintln!("   {} run {run} failed: {e:#}", st.label());
                all.push(cases::failed_run(st, "run", run, &e));
            }
        }
        all
    };
    // Phase 1, concurrently: the footprint labs (idle), the mass takeovers (one after the
    // other) and the settings with detection times of a second or more, which spend their
    // time waiting for timers (unless --serial).
    let is_slow_group = |st: &Setting| !args.serial && st.detect_ms >= 1000;
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        if want_case("footprint") {
            let set: Vec<Setting> =
                footprint_settings().into_iter().filter(|s| want_setting(s)).collect();
            if !set.is_empty() {
                let bins = &bins;
                let secs = args.idle_secs;
                handles.push(scope.spawn(move || {
                    eprintln!("== footprint: {} labs idle for {secs} s", set.len());
                    cases::footprint(&set, bins, secs)
                }));
            }
        }
        if want_case("mass") {
            let set: Vec<Setting> = mass_settings()
                .into_iter()
                .filter(|s| args.daemon.is_empty() || args.daemon.contains(&s.kind))
                .collect();
            let (bins, runs) = (&bins, args.mass_runs);
            let (counts_all, count_hb) = (&args.mass_count, args.mass_count_heartbeat);
            handles.push(scope.spawn(move || {
                let mut out = Vec::new();
                for st in &set {
                    let counts =
                        if st.kind == Kind::Heartbeat { &[count_hb][..] } else { counts_all };
                    for (&count, run) in counts.iter().flat_map(|c| (1..=runs).map(move |r| (c, r)))
                    {
                        eprintln!("== mass takeover of {count} addresses, {}", st.label());
                        match cases::mass(st, bins, count, run) {
                            Ok(s) => {
                                eprintln!("   mass {}: {:?} {}", st.label(), s.metrics, s.note);
                                out.push(s);
                            }
                            Err(e) => out.push(cases::failed_run(st, "mass", run, &e)),
                        }
                    }
                }
                out
            }));
        }
        for (st, selected, runs) in plan.iter().filter(|p| is_slow_group(&p.0)) {
            let run_setting = &run_setting;
            handles.push(scope.spawn(move || run_setting(st, selected, *runs)));
        }
        for h in handles {
            match h.join() {
                Ok(v) => samples.extend(v),
                Err(_) => eprintln!("a lab thread panicked"),
            }
        }
    });
    eprintln!("== phase 1 (concurrent labs) done after {:.0} s", began.elapsed().as_secs_f64());
    // Phase 2, one at a time: the fast settings, where milliseconds matter.
    for (st, selected, runs) in plan.iter().filter(|p| !is_slow_group(&p.0)) {
        samples.extend(run_setting(st, selected, *runs));
    }

    eprintln!("== phase 2 (fast settings) done after {:.0} s", began.elapsed().as_secs_f64());
    if want_case("false-failover") {
        for st in soak_settings(!args.setting.is_empty()).into_iter().filter(|s| want_setting(s)) {
            eprintln!("== false-failover soak {} for {} s", st.label(), args.soak_secs);
            match cases::false_failover(&st, &bins, args.soak_secs) {
                Ok(s) => {
                    eprintln!("   {:?} {}", s.metrics, s.note);
                    samples.push(s);
                }
                Err(e) => samples.push(cases::failed_run(&st, "false-failover", 1, &e)),
            }
        }
    }

    if want_case("profile") {
        let mut ours = settings().into_iter().filter(|s| s.kind == Kind::Ours);
        let chosen: Vec<Setting> = match args.setting.is_empty() {
            true => ours.next_back().into_iter().collect(),
            false => ours.filter(|s| want_setting(s)).collect(),
        };
        for st in chosen {
            eprintln!("== profile {} under callgrind for {} s", st.label(), args.profile_secs);
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
            let name = format!("callgrind-{stamp}-{}.out", st.detect_ms);
            match profile::profile(&st, &bins, args.profile_secs, &args.out.join(name)) {
                Ok(s) => {
                    eprintln!("   {:?} {}", s.metrics, s.note);
                    samples.push(s);
                }
                Err(e) => samples.push(cases::failed_run(&st, "profile", 1, &e)),
            }
        }
    }

    let runtime = began.elapsed();
    let info = report::RunInfo {
        machine,
        load_after: report::loadavg(),
        runtime_s: runtime.as_secs_f64(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        runs: args.runs,
        soak_secs: args.soak_secs,
        idle_secs: args.idle_secs,
        mass_count: args.mass_count.iter().copied().max().unwrap_or(0),
    };
    let md = report::markdown(&info, &matrix, &mass_settings(), &samples);
    std::fs::create_dir_all(&args.out)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let json = serde_json::to_string_pretty(&Results { info, settings: matrix, samples })?;
    for name in [stamp.as_str(), "latest"] {
        std::fs::write(args.out.join(format!("{name}.json")), &json)?;
        std::fs::write(args.out.join(format!("{name}.md")), &md)?;
    }
    if let Some(readme) = &args.readme {
        let text = std::fs::read_to_string(readme)?;
        std::fs::write(readme, stats::replace_section(&text, "Performance", &md))?;
    }
    println!("{md}");
    eprintln!(
        "== done in {:.0} s; results in {}/{stamp}.{{json,md}}",
        runtime.as_secs_f64(),
        args.out.display()
    );
    Ok(())
}
