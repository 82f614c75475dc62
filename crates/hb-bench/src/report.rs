//! The Markdown report (tables of min / median / max per setting and case) and run metadata.

use serde::{Deserialize, Serialize};

use crate::cases::Sample;
use crate::lab::{Kind, Setting};
use crate::stats::{cell, fmt_ms, summarize, table};

/// The machine the lab ran on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    /// `nproc`.
    pub nproc: usize,
    /// CPU model name from /proc/cpuinfo.
    pub cpu: String,
    /// Kernel release.
    pub kernel: String,
    /// UTC start time.
    pub date: String,
    /// Load average when the run began.
    pub load_before: String,
}

impl Machine {
    /// Describes this machine now.
    pub fn now() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split(':').nth(1)))
            .map_or_else(|| "unknown".into(), |s| s.trim().to_string());
        Machine {
            nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_string())
                .unwrap_or_default(),
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            load_before: loadavg(),
        }
    }
}

/// The first three fields of /proc/loadavg.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// What the report header says about the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    /// The machine.
    pub machine: Machine,
    /// Load average at the end.
    pub load_after: String,
    /// Wall-clock duration of the whole run.
    pub runtime_s: f64,
    /// The command line.
    pub command: String,
    /// Runs per case.
    pub runs: usize,
    /// Soak length.
    pub soak_secs: u64,
    /// Idle period of the CPU figure.
    pub idle_secs: u64,
    /// Addresses in the mass takeover.
    pub mass_count: usize,
}

fn of<'a>(samples: &'a [Sample], setting: &str, case: &str) -> Vec<&'a Sample> {
    samples.iter().filter(|s| s.setting == setting && s.case == case).collect()
}

/// Values of `metric` among completed samples, and the number of failed ones.
fn values(samples: &[&Sample], metric: &str) -> (Vec<f64>, usize) {
    let ok: Vec<f64> = samples
        .iter()
        .filter(|s| !s.failed)
        .filter_map(|s| s.metrics.get(metric).copied())
        .collect();
    (ok, samples.iter().filter(|s| s.failed).count())
}

fn metric_cell(samples: &[&Sample], metric: &str) -> String {
    if samples.is_empty() {
        return "n/a".into();
    }
    let (v, failed) = values(samples, metric);
    let mut c = cell(&v, failed);
    if samples.iter().any(|s| s.metrics.get("dual").is_some_and(|d| *d > 50.0)) {
        c.push_str(" ‡");
    }
    c
}

const CASE_HEAD: [(&str, &str); 7] = [
    ("crash", "owner crash"),
    ("kill9", "kill -9"),
    ("stop", "graceful stop"),
    ("standby", "standby"),
    ("failback", "failback"),
    ("kill9-restart", "kill -9 + restart"),
    ("partition", "partition heal"),
];

/// The whole report.
pub fn markdown(
    info: &RunInfo,
    matrix: &[Setting],
    mass: &[Setting],
    samples: &[Sample],
) -> String {
    let m = &info.machine;
    let mut s = format!(
        "Failover lab (`bench/run.sh`, crate `hb-bench`), run {date}: {nproc} × {cpu}, kernel {kernel}, \
         load average {lb} at the start and {la} at the end; {runtime:.0} s wall clock. \
         Two nodes and a client in network namespaces on one bridge; the client sends an ARP \
         request for the virtual address every 1 ms and records every reply and gratuitous ARP. \
         Cells: median (min–max) over {runs} run(s) unless marked; default-timer settings \
         (deadtime 30 s) ran once.\n\n",
        date = m.date,
        nproc = m.nproc,
        cpu = m.cpu,
        kernel = m.kernel,
        lb = m.load_before,
        la = info.load_after,
        runtime = info.runtime_s,
        runs = info.runs,
    );
    s.push_str("**Client-visible outage** (last ARP reply from the old owner → first from the new one; kill -9 + restart: total time without any reply; partition heal: longest time nobody answered after the heal):\n\n");
    let mut head = vec!["daemon @ keepalive / deadtime"];
    head.extend(CASE_HEAD.iter().map(|c| c.1));
    let mut rows = Vec::new();
    for st in matrix {
        let label = st.label();
        let mut r = vec![label.clone()];
        for (case, _) in CASE_HEAD {
            r.push(metric_cell(&of(samples, &label, case), "outage"));
        }
        rows.push(r);
    }
    s.push_str(&table(&head, &rows));
    s.push_str(
        "\n‡ the old owner went on answering ARP after the new one did, until the probe stopped \
         (two holders; heartbeat 3.0.6 leaves the address configured when its master process is \
         killed). n/a: not run.\n\n",
    );

    s.push_str("**First gratuitous ARP from the new owner**, after the event:\n\n");
    let gcases = ["crash", "kill9", "stop", "standby", "failback"];
    let mut head = vec!["daemon @ setting"];
    head.extend(CASE_HEAD.iter().filter(|c| gcases.contains(&c.0)).map(|c| c.1));
    let mut rows = Vec::new();
    for st in matrix {
        let label = st.label();
        let mut r = vec![label.clone()];
        for case in gcases {
            let v = of(samples, &label, case);
            r.push(if v.is_empty() { "n/a".into() } else { cell(&values(&v, "garp").0, 0) });
        }
        rows.push(r);
    }
    s.push_str(&table(&head, &rows));

    let soak: Vec<&Sample> = samples.iter().filter(|x| x.case == "false-failover").collect();
    if !soak.is_empty() {
        s.push_str(&format!(
            "\n**False failovers**: {} s per daemon at its fast setting, a busy loop in the owner's \
             namespace (one of the cores saturated) and 5 % random loss on the owner's link (both \
             directions, IP only):\n\n",
            info.soak_secs
        ));
        let mut rows = Vec::new();
        for x in soak {
            let g = |k: &str| x.metrics.get(k).copied();
            rows.push(vec![
                x.setting.clone(),
                if x.failed {
                    "failed".into()
                } else {
                    format!("{}", g("owner_changes").unwrap_or(0.0))
                },
                g("episodes").map_or("–".into(), |e| format!("{e}")),
                g("foreign").map_or("–".into(), fmt_ms),
                format!("{}", g("holder_changes").unwrap_or(0.0)),
                g("both_hold").map_or("–".into(), fmt_ms),
                g("longest_outage").map_or("–".into(), fmt_ms),
            ]);
        }
        s.push_str(&table(
            &[
                "daemon @ setting",
                "MAC changes seen by the client",
                "episodes (other node answering)",
                "time the other node answered",
                "holder-set changes (5/s poll)",
                "time both held the VIP",
                "longest outage",
            ],
            &rows,
        ));
    }

    let masses: Vec<&Sample> = samples.iter().filter(|x| x.case == "mass").collect();
    if !masses.is_empty() {
        s.push_str(
            "\n**Mass takeover**: many addresses in one group (heartbeats: one `haresources` line \
             of `IPaddr2` resources preferring n1; keepalived: `virtual_ipaddress` entries of one \
             instance); owner's link cut, then killed. Times after the cut; start-up is from \
             starting both nodes until n1 holds every address (both heartbeats wait 10 s \
             (`RQSTDELAY`) when started together):\n\n",
        );
        let mut rows = Vec::new();
        for st in mass {
            let all = of(samples, &st.label(), "mass");
            // One row per address count (a failed run has no count: it joins the first row).
            let mut counts: Vec<f64> =
                all.iter().filter_map(|x| x.metrics.get("count").copied()).collect();
            counts.sort_by(f64::total_cmp);
            counts.dedup();
            if counts.is_empty() && !all.is_empty() {
                counts.push(0.0);
            }
            for (k, n) in counts.iter().enumerate() {
                let v: Vec<&Sample> = all
                    .iter()
                    .filter(|x| match x.metrics.get("count") {
                        Some(c) => c == n,
                        None => k == 0,
                    })
                    .copied()
                    .collect();
                let c = |m: &str| cell(&values(&v, m).0, values(&v, m).1);
                let mib = |m: &str| {
                    let (vals, _) = values(&v, m);
                    let mib: Vec<f64> = vals.iter().map(|kib| kib / 1024.0).collect();
                    summarize(&mib).map_or("–".into(), |x| format!("{:.1} MiB", x.median))
                };
                rows.push(vec![
                    st.label(),
                    format!("{n:.0}"),
                    c("first_vip"),
                    c("last_vip"),
                    c("first_garp"),
                    c("last_garp"),
                    c("garp_spread"),
                    c("batch_first_round"),
                    c("all_up"),
                    mib("rss_growth_kib"),
                    c("startup"),
                ]);
            }
        }
        s.push_str(&table(
            &[
                "daemon @ setting",
                "addresses",
                "first address answers",
                "last address answers",
                "first address GARP",
                "last address GARP",
                "GARP spread (last − first)",
                "batch, timed by the daemon",
                "all in `ip addr`",
                "RSS growth of n2",
                "(start-up, all up on n1)",
            ],
            &rows,
        ));
    }

    let prof: Vec<&Sample> = samples.iter().filter(|x| x.case == "profile").collect();
    if !prof.is_empty() {
        s.push_str(
            "\n**Profile** (`--case profile`): n1 of an idle pair under valgrind's callgrind, \
             instructions counted in user space (the kernel's share of each system call is not \
             in them); a message is one packet n1's interface sent or received (its own \
             broadcasts, looped back inside the host, are not counted but are handled):\n\n",
        );
        let mut rows = Vec::new();
        for x in prof {
            let g = |k: &str| x.metrics.get(k).copied().unwrap_or(0.0);
            if x.failed {
                let note = x.note.clone();
                rows.push(vec![x.setting.clone(), "failed".into(), note, "".into(), "".into()]);
                continue;
            }
            rows.push(vec![
                x.setting.clone(),
                format!("{:.0} s", g("secs")),
                format!("{:.0} / {:.0}", g("sent"), g("received")),
                format!("{:.0}", g("instr_per_sec")),
                format!("{:.0}", g("instr_per_msg")),
            ]);
        }
        s.push_str(&table(
            &[
                "daemon @ setting",
                "counted",
                "packets sent / received",
                "instructions per second",
                "instructions per message",
            ],
            &rows,
        ));
    }

    let foot: Vec<&Sample> = samples.iter().filter(|x| x.case == "footprint").collect();
    if !foot.is_empty() {
        s.push_str(&format!(
            "\n**Footprint**, per node, all processes of the daemon (ours: daemon + guardian; heartbeat: master, FIFO reader, one writer and one reader per medium; keepalived: parent + VRRP child); CPU over {} s idle with the VIP on n1:\n\n",
            info.idle_secs
        ));
        let mut rows = Vec::new();
        for x in foot {
            let g = |k: &str| x.metrics.get(k).copied().unwrap_or(0.0);
            if x.failed {
                rows.push(vec![
                    x.setting.clone(),
                    "failed".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
                continue;
            }
            rows.push(vec![
                x.setting.clone(),
                format!("{:.0} / {:.0}", g("procs_n1"), g("procs_n2")),
                format!("{:.1} / {:.1} MiB", g("rss_kib_n1") / 1024.0, g("rss_kib_n2") / 1024.0),
                format!("{:.1} / {:.1} MiB", g("pss_kib_n1") / 1024.0, g("pss_kib_n2") / 1024.0),
                format!("{:.2} / {:.2} s", g("cpu_s_n1"), g("cpu_s_n2")),
                format!(
                    "{:.2} %",
                    (g("cpu_s_n1") + g("cpu_s_n2")) / 2.0 / g("secs").max(1.0) * 100.0
                ),
            ]);
        }
        s.push_str(&table(
            &[
                "daemon @ setting",
                "processes n1 / n2",
                "RSS n1 / n2",
                "PSS n1 / n2",
                "CPU n1 / n2",
                "mean CPU per node",
            ],
            &rows,
        ));
    }

    s.push_str(&behind(matrix, samples));

    let notes: Vec<String> = samples
        .iter()
        // n1 keeping the VIP after a heal is the expected outcome; other notes are news.
        .filter(|x| !x.note.is_empty() && x.note != "n1 kept the VIP")
        .map(|x| format!("- {} / {} run {}: {}", x.setting, x.case, x.run, x.note))
        .collect();
    if !notes.is_empty() {
        s.push_str("\nNotes from the runs:\n\n");
        for n in notes.iter().take(60) {
            s.push_str(n);
            s.push('\n');
        }
        if notes.len() > 60 {
            s.push_str(&format!("- … {} more in the JSON file\n", notes.len() - 60));
        }
    }
    s
}

/// Cases where another daemon's best median outage is below heartbeat-rs's best median.
fn behind(matrix: &[Setting], samples: &[Sample]) -> String {
    let best = |kind: Kind, case: &str| -> Option<(f64, String)> {
        matrix
            .iter()
            .filter(|st| st.kind == kind)
            .filter_map(|st| {
                let v = of(samples, &st.label(), case);
                let (vals, failed) = values(&v, "outage");
                let dual = v.iter().any(|s| s.metrics.get("dual").is_some_and(|d| *d > 50.0));
                if failed > 0 || dual {
                    return None;
                }
                crate::stats::summarize(&vals).map(|s| (s.median, st.name.clone()))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
    };
    if matrix.is_empty() {
        return String::new();
    }
    let mut lines = Vec::new();
    for (case, head) in CASE_HEAD {
        let Some((ours, ours_at)) = best(Kind::Ours, case) else { continue };
        for other in [Kind::Heartbeat, Kind::Keepalived] {
            if let Some((theirs, at)) = best(other, case) {
                if theirs < ours {
                    lines.push(format!(
                        "- {head}: {} @ {at} {} vs heartbeat-rs @ {ours_at} {}",
                        other.label(),
                        fmt_ms(theirs),
                        fmt_ms(ours)
                    ));
                }
            }
        }
    }
    if lines.is_empty() {
        return "\nBest median outage per case: heartbeat-rs is not behind in any measured case.\n"
            .into();
    }
    format!(
        "\nWhere another daemon's best median outage is below heartbeat-rs's best (computed from the table; ‡ cells, where two nodes answered, are left out):\n\n{}\n",
        lines.join("\n")
    )
}
