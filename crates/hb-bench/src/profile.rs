//! The `profile` case: the steady-state cost of heartbeat-rs per message, counted in
//! instructions by valgrind's callgrind, which counts the same on a busy machine as on an idle
//! one (CPU seconds do not). A two-node lab at the fastest setting; n1 runs under callgrind;
//! once n1 holds the VIP and the start-up phase is over, the counters are zeroed, the pair idles
//! for `secs` seconds, and the counters are dumped. Messages are the packets n1's interface
//! sent and received over the same time (kernel counters, the same however the daemon handles
//! them); the calls of the authenticator's `seal` and `open` are reported beside them.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

use crate::cases::{bring_up_with, Sample};
use crate::lab::{Bins, Lab, Setting};

/// Seconds after start-up before the counters are zeroed (both heartbeats advertise a longer
/// deadtime during their first 5 s, and start-up work must not count).
const SETTLE: Duration = Duration::from_secs(6);

/// Runs the case; `Err` when valgrind is missing or the lab does not come up. The dump is
/// kept as `keep` (for `callgrind_annotate`).
pub fn profile(setting: &Setting, bins: &Bins, secs: u64, keep: &Path) -> Result<Sample> {
    if Command::new("valgrind").arg("--version").output().is_err() {
        bail!("valgrind is not installed (apt-get install valgrind)");
    }
    let mut lab = Lab::new(setting, 1, bins)?;
    let dir = lab.node_dir(0).ok_or_else(|| anyhow!("the profile case is for heartbeat-rs"))?;
    let out = dir.join("callgrind.out");
    let out_arg = format!("--callgrind-out-file={}", out.display());
    let wrapper = ["valgrind", "--tool=callgrind", "--dump-line=no", out_arg.as_str()];
    // Valgrind starts slowly; n1 is given a minute more to come up.
    bring_up_with(&mut lab, 60, &wrapper)?;
    std::thread::sleep(SETTLE);
    let pid = lab.processes(0).first().copied().ok_or_else(|| anyhow!("n1 is not running"))?;
    let host = lab.host(0);
    control(pid, "--zero")?;
    let before = packets(&host.netns)?;
    std::thread::sleep(Duration::from_secs(secs));
    let after = packets(&host.netns)?;
    let _ = std::fs::remove_file(&out);
    control(pid, "--dump")?;
    let dumped = wait_for_dump(&dir, Duration::from_secs(30))?;
    let text = std::fs::read_to_string(&dumped)
        .with_context(|| format!("reading {}", dumped.display()))?;
    if let Some(parent) = keep.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(keep, &text).with_context(|| format!("writing {}", keep.display()))?;
    let counts = parse(&text)?;
    let mut s =
        Sample { setting: setting.label(), case: "profile".into(), run: 1, ..Sample::default() };
    let secs_f = secs as f64;
    let (sent, received) = (after.0.saturating_sub(before.0), after.1.saturating_sub(before.1));
    let messages = sent + received;
    s.metrics.insert("secs".into(), secs_f);
    s.metrics.insert("instructions".into(), counts.instructions as f64);
    s.metrics.insert("sent".into(), sent as f64);
    s.metrics.insert("received".into(), received as f64);
    s.metrics.insert("sealed".into(), counts.sealed as f64);
    s.metrics.insert("opened".into(), counts.opened as f64);
    s.metrics.insert("instr_per_sec".into(), counts.instructions as f64 / secs_f);
    if messages == 0 {
        s.failed = true;
        s.note = "no message was sent or received while profiling".into();
    } else {
        s.metrics.insert("instr_per_msg".into(), counts.instructions as f64 / messages as f64);
    }
    s.note = format!("dump: {}", keep.display());
    if lab.holders() != [0] {
        s.note.push_str(&format!("; holders {:?} at the end", lab.holders()));
    }
    Ok(s)
}

/// `(transmitted, received)` packets of `eth0` in namespace `netns`, as the kernel counts
/// them: what the daemon sent and what reached it from the wire (its own broadcasts, looped
/// back inside the host, are in neither).
fn packets(netns: &str) -> Result<(u64, u64)> {
    let out =
        Command::new("ip").args(["-n", netns, "-s", "-j", "link", "show", "eth0"]).output()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).with_context(|| {
        format!("ip -s link in {netns}: {}", String::from_utf8_lossy(&out.stderr))
    })?;
    let stats = &v[0]["stats64"];
    let n = |dir: &str| stats[dir]["packets"].as_u64().ok_or_else(|| anyhow!("no {dir} packets"));
    Ok((n("tx")?, n("rx")?))
}

/// What one callgrind dump says.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Instructions executed (the `summary:` or `totals:` line).
    pub instructions: u64,
    /// Calls of `Authenticator::seal` (datagrams sent).
    pub sealed: u64,
    /// Calls of `Authenticator::open` (datagrams received).
    pub opened: u64,
}

/// Reads a callgrind output file (format version 1, names compressed as `(id) name`).
pub fn parse(text: &str) -> Result<Counts> {
    let mut names: HashMap<String, String> = HashMap::new();
    let mut counts = Counts::default();
    let mut callee: Option<String> = None;
    let mut total = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("summary:").or_else(|| line.strip_prefix("totals:")) {
            total = rest.split_whitespace().next().and_then(|n| n.parse::<u64>().ok());
            continue;
        }
        let fname = line.strip_prefix("cfn=").or_else(|| line.strip_prefix("cfni="));
        if let Some(spec) = fname.or_else(|| line.strip_prefix("fn=")) {
            let name = resolve(spec, &mut names);
            callee = fname.map(|_| name);
            continue;
        }
        if let (Some(rest), Some(name)) = (line.strip_prefix("calls="), callee.take()) {
            let n: u64 = rest.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0);
            if is_method(&name, "seal") {
                counts.sealed += n;
            } else if is_method(&name, "open") {
                counts.opened += n;
            }
        }
    }
    counts.instructions = total.ok_or_else(|| anyhow!("no summary line in the callgrind dump"))?;
    Ok(counts)
}

/// `(id) name` defines a name, `(id)` refers to one, a bare name is itself.
fn resolve(spec: &str, names: &mut HashMap<String, String>) -> String {
    let spec = spec.trim();
    if let Some(rest) = spec.strip_prefix('(') {
        if let Some((id, name)) = rest.split_once(')') {
            let name = name.trim();
            if name.is_empty() {
                return names.get(id).cloned().unwrap_or_default();
            }
            names.insert(id.to_string(), name.to_string());
            return name.to_string();
        }
    }
    spec.to_string()
}

/// Whether a demangled symbol is `hb_wire::authenticator::Authenticator::<method>`.
fn is_method(symbol: &str, method: &str) -> bool {
    symbol.contains("Authenticator") && symbol.ends_with(&format!("::{method}"))
}

fn control(pid: u32, what: &str) -> Result<()> {
    let out = Command::new("callgrind_control")
        .arg(what)
        .arg(pid.to_string())
        .output()
        .context("callgrind_control")?;
    if !out.status.success() {
        bail!(
            "callgrind_control {what} {pid} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// The dump callgrind writes on request is `callgrind.out.<N>` beside the configured name.
fn wait_for_dump(dir: &Path, limit: Duration) -> Result<std::path::PathBuf> {
    let t0 = std::time::Instant::now();
    while t0.elapsed() < limit {
        let found = std::fs::read_dir(dir)?
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("callgrind.out") && n != "callgrind.out")
            })
            .max();
        if let Some(p) = found {
            // Written in one go at the end of the dump; a partial file has no totals yet.
            if std::fs::read_to_string(&p).is_ok_and(|t| t.contains("\ntotals:")) {
                return Ok(p);
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!("callgrind wrote no dump in {}", dir.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_instructions_and_authenticator_calls() {
        let text = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\n\
            fn=(1) main\n0 10\n\
            cfn=(2) <hb_wire::authenticator::Authenticator>::seal\ncalls=3 0\n0 300\n\
            cfn=(3) hb_wire::authenticator::Authenticator::open\ncalls=5 0\n0 500\n\
            cfn=(2)\ncalls=4 0\n0 400\n\
            cfn=(4) hb_wire::netstring::open_thing\ncalls=9 0\n0 1\n\
            fn=(2)\n0 700\n\
            summary: 1234\ntotals: 1234\n";
        let c = parse(text).unwrap_or_default();
        assert_eq!(c, Counts { instructions: 1234, sealed: 7, opened: 5 });
    }

    #[test]
    fn a_dump_without_totals_is_refused() {
        assert!(parse("fn=(1) main\n0 10\n").is_err());
    }
}
