//! A two-node lab running one daemon kind at one timing setting, with a uniform set of
//! operations (start, crash, kill -9, graceful stop, standby, …) over the three daemons.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use hb_testnet::cluster::{Cluster, ClusterSpec};
use hb_testnet::peers::{HeartbeatConfig, Keepalived, RealHeartbeat};
use hb_testnet::probe::Mac;
use hb_testnet::{Host, Testnet};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

/// Which daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Kind {
    /// heartbeat-rs (this project).
    Ours,
    /// Debian's heartbeat 3.0.6.
    Heartbeat,
    /// keepalived 2.2.7 (VRRP).
    Keepalived,
    /// heartbeat-rs's keepalived mode (the same keepalived.conf as `keepalived`).
    OursKeepalived,
}

impl Kind {
    /// Display name.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Ours => "heartbeat-rs",
            Kind::Heartbeat => "heartbeat 3.0.6",
            Kind::Keepalived => "keepalived 2.2.7",
            Kind::OursKeepalived => "heartbeat-rs keepalived mode",
        }
    }
}

/// One timing setting of one daemon.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Setting {
    /// Short name (`--setting` selects by it).
    pub name: String,
    /// The daemon.
    pub kind: Kind,
    /// heartbeats: `(keepalive, deadtime)` as ha.cf spells them; `None` = the defaults.
    pub timers: Option<(String, String)>,
    /// keepalived: `advert_int` and whether VRRPv3 is used.
    pub advert: Option<(String, bool)>,
    /// Detection time in ms (deadtime, or keepalived's master-down interval), for time limits.
    pub detect_ms: u64,
}

impl Setting {
    /// A heartbeat(-rs) setting; `timers` `None` = defaults (deadtime 30 s).
    pub fn hb(kind: Kind, timers: Option<(&str, &str)>, detect_ms: u64) -> Setting {
        let name = match timers {
            None => "defaults".to_string(),
            Some((k, d)) => format!("{k}/{d}"),
        };
        Setting {
            name,
            kind,
            timers: timers.map(|(k, d)| (k.to_string(), d.to_string())),
            advert: None,
            detect_ms,
        }
    }

    /// The same keepalived setting run by heartbeat-rs's keepalived mode.
    pub fn ka_ours(advert: &str, v3: bool) -> Setting {
        Setting { kind: Kind::OursKeepalived, ..Setting::ka(advert, v3) }
    }

    /// A keepalived setting.
    pub fn ka(advert: &str, v3: bool) -> Setting {
        let secs: f64 = advert.parse().unwrap_or(1.0);
        // Master down interval: 3 × advert + skew (≤ advert).
        let detect_ms = (secs * 4000.0) as u64;
        Setting {
            name: format!("advert_int {advert}{}", if v3 { " (VRRPv3)" } else { "" }),
            kind: Kind::Keepalived,
            timers: None,
            advert: Some((advert.to_string(), v3)),
            detect_ms,
        }
    }

    /// `daemon @ setting` label.
    pub fn label(&self) -> String {
        format!("{} @ {}", self.kind.label(), self.name)
    }

    /// The detection time.
    pub fn detect(&self) -> Duration {
        Duration::from_millis(self.detect_ms)
    }

    /// Whether this is a slow default setting (deadtime 30 s).
    pub fn is_slow(&self) -> bool {
        self.detect_ms >= 30_000
    }
}

/// Paths of our binaries.
#[derive(Debug, Clone)]
pub struct Bins {
    /// heartbeat-rs daemon.
    pub heartbeat: PathBuf,
    /// hbctl.
    pub hbctl: PathBuf,
}

enum Nodes {
    Ours(Cluster),
    Heartbeat(Vec<RealHeartbeat>, HeartbeatConfig, Testnet),
    /// The last field: our `keepalived` link (heartbeat-rs's keepalived mode), else Debian's.
    Keepalived(Vec<Keepalived>, Vec<String>, Testnet, Option<PathBuf>),
}

/// A running two-node lab.
pub struct Lab {
    nodes: Nodes,
    /// The setting.
    pub setting: Setting,
    /// The virtual addresses (one group, preferred node n1).
    pub vips: Vec<Ipv4Addr>,
    bins: Bins,
    partitioned: bool,
    started: [Option<Instant>; 2],
}

const AUTHKEYS: &str = "auth 1\n1 sha1 hb-bench-secret\n";

/// Most addresses a lab can have: 200 in each of 10.99.251.0/24 to 10.99.255.0/24.
pub const MAX_VIPS: usize = 1000;

/// `count` virtual addresses (at most [`MAX_VIPS`]): the first in the harness subnet, the rest
/// from 10.99.251.0/24 to 10.99.255.0/24, which no harness uses (harness subnets are
/// 10.99.1–250.0/24; these exist only inside this lab's namespaces).
pub fn vip_list(net: &Testnet, count: usize) -> Vec<Ipv4Addr> {
    if count == 1 {
        return vec![net.addr(50)];
    }
    (0..count).map(|i| Ipv4Addr::new(10, 99, 251 + (i / 200) as u8, 1 + (i % 200) as u8)).collect()
}

fn hb_timer_lines(setting: &Setting) -> String {
    match &setting.timers {
        None => String::new(),
        Some((k, d)) => {
            let dead_ms = setting.detect_ms;
            let initdead = (dead_ms * 2).max(2000);
            format!("keepalive {k}\ndeadtime {d}\ninitdead {initdead}ms\n")
        }
    }
}

fn hacf(setting: &Setting, ours: bool) -> String {
    let log = if ours { "logfile {dir}/ha-log\n" } else { "" };
    format!(
        "{log}{}udpport 694\nbcast eth0\nauto_failback on\nnode n1\nnode n2\n",
        hb_timer_lines(setting)
    )
}

/// One group holding every address, preferred node n1 (both heartbeats read the same file).
/// One address is an `IPaddr` resource, as in the tutorials; many are `IPaddr2`: heartbeat
/// 3.0.6's `IPaddr` script searches the `eth0:N` aliases for a free one with one `ifconfig`
/// per candidate, so its cost grows with the count (about 1.5 s per address at 256, 7 minutes
/// each way), where `IPaddr2` adds a plain secondary address.
fn haresources(vips: &[Ipv4Addr]) -> String {
    let agent = if vips.len() > 1 { "IPaddr2" } else { "IPaddr" };
    let mut s = String::from("n1");
    for (i, v) in vips.iter().enumerate() {
        // Continuation lines keep each line short.
        if i > 0 && i % 8 == 0 {
            s.push_str(" \\\n  ");
        }
        s.push_str(&format!(" {agent}::{v}/24/eth0"));
    }
    s.push('\n');
    s
}

fn keepalived_conf(setting: &Setting, node: usize, priority: u8, vips: &[Ipv4Addr]) -> String {
    let (advert, v3) = setting.advert.clone().unwrap_or(("1".into(), false));
    let version = if v3 { "  vrrp_version 3\n" } else { "" };
    let auth = if v3 {
        String::new()
    } else {
        "  authentication {\n    auth_type PASS\n    auth_pass hbbench\n  }\n".into()
    };
    let mut addrs = String::new();
    for v in vips {
        addrs.push_str(&format!("    {v}/24 dev eth0\n"));
    }
    let state = if node == 0 { "MASTER" } else { "BACKUP" };
    format!(
        "global_defs {{\n  router_id n{}\n{version}}}\nvrrp_instance VI_1 {{\n  state {state}\n  \
         interface eth0\n  virtual_router_id 51\n  priority {priority}\n  advert_int {advert}\n\
         {auth}  virtual_ipaddress {{\n{addrs}  }}\n}}\n",
        node + 1
    )
}

/// Priority of n1 and n2 in keepalived, and n1's while in "standby".
const KA_PRIO: [u8; 2] = [150, 100];
const KA_STANDBY_PRIO: u8 = 50;

impl Lab {
    /// Builds the network and writes configurations; daemons are not started.
    pub fn new(setting: &Setting, vip_count: usize, bins: &Bins) -> Result<Lab> {
        let net = Testnet::new(2).map_err(|e| anyhow!("testnet: {e}"))?;
        let vips = vip_list(&net, vip_count);
        let nodes = match setting.kind {
            Kind::Ours => {
                let spec = ClusterSpec {
                    hacf: hacf(setting, true),
                    haresources: haresources(&vips),
                    authkeys: AUTHKEYS.into(),
                    scripts: vec![],
                };
                Nodes::Ours(Cluster::new(net, &spec, &bins.heartbeat)?)
            }
            Kind::Heartbeat => {
                let cfg = HeartbeatConfig {
                    ha_cf: hacf(setting, false),
                    haresources: haresources(&vips),
                    authkeys: AUTHKEYS.into(),
                    resource_scripts: vec![],
                };
                Nodes::Heartbeat(Vec::new(), cfg, net)
            }
            Kind::Keepalived | Kind::OursKeepalived => {
                let confs =
                    (0..2).map(|i| keepalived_conf(setting, i, KA_PRIO[i], &vips)).collect();
                let link = if setting.kind == Kind::OursKeepalived {
                    let dir =
                        std::env::temp_dir().join(format!("hb-bench-ka-{}", std::process::id()));
                    std::fs::create_dir_all(&dir)?;
                    let link = dir.join("keepalived");
                    let _ = std::fs::remove_file(&link);
                    std::os::unix::fs::symlink(&bins.heartbeat, &link)?;
                    Some(link)
                } else {
                    None
                };
                Nodes::Keepalived(Vec::new(), confs, net, link)
            }
        };
        Ok(Lab {
            nodes,
            setting: setting.clone(),
            vips,
            bins: bins.clone(),
            partitioned: false,
            started: [None; 2],
        })
    }

    /// The network.
    pub fn net(&self) -> &Testnet {
        match &self.nodes {
            Nodes::Ours(c) => &c.net,
            Nodes::Heartbeat(_, _, n) | Nodes::Keepalived(_, _, n, _) => n,
        }
    }

    /// Node `i`'s host.
    pub fn host(&self, i: usize) -> Host {
        self.net().node(i).clone()
    }

    /// Node `i`'s MAC.
    pub fn mac(&self, i: usize) -> Result<Mac> {
        let text = self.net().mac_of(self.net().node(i))?;
        text.parse().map_err(|e: String| anyhow!(e))
    }

    /// The first VIP.
    pub fn vip(&self) -> Ipv4Addr {
        self.vips[0]
    }

    /// Starts node `i` for the first time, or again after a kill, crash or stop.
    pub fn start(&mut self, i: usize) -> Result<()> {
        self.started[i] = Some(Instant::now());
        let host = self.host(i);
        match &mut self.nodes {
            Nodes::Ours(c) => {
                c.start(i)?;
            }
            Nodes::Heartbeat(v, cfg, _) => {
                if i < v.len() {
                    v[i].restart()?;
                } else {
                    v.push(RealHeartbeat::start(&host, cfg)?);
                }
            }
            Nodes::Keepalived(v, confs, _, link) => {
                if i < v.len() {
                    v[i].restart()?;
                } else if let Some(link) = link {
                    v.push(Keepalived::start_program(&host, &confs[i], link, "VRRP started")?);
                } else {
                    v.push(Keepalived::start(&host, &confs[i])?);
                }
            }
        }
        Ok(())
    }

    /// Starts node `i` of a heartbeat-rs lab with its daemon run through `wrapper` (a
    /// command that execs its arguments, such as valgrind).
    pub fn start_wrapped(&mut self, i: usize, wrapper: &[&str]) -> Result<()> {
        self.started[i] = Some(Instant::now());
        match &mut self.nodes {
            Nodes::Ours(c) => {
                c.start_wrapped(i, &[], wrapper)?;
                Ok(())
            }
            _ => Err(anyhow!("only heartbeat-rs nodes can be started through a wrapper")),
        }
    }

    /// Node `i`'s directory (configuration, logs) in a heartbeat-rs lab.
    pub fn node_dir(&self, i: usize) -> Option<PathBuf> {
        match &self.nodes {
            Nodes::Ours(c) => Some(c.node_dir(i)),
            _ => None,
        }
    }

    /// How long ago node `i` was last started.
    pub fn since_start(&self, i: usize) -> Duration {
        self.started[i].map_or(Duration::MAX, |t| t.elapsed())
    }

    /// `kill -9` of node `i`'s main daemon process (children are left to react).
    pub fn kill9(&mut self, i: usize) -> Result<()> {
        match &mut self.nodes {
            Nodes::Ours(c) => c.kill9(i)?,
            Nodes::Heartbeat(v, _, _) => v[i].kill9()?,
            Nodes::Keepalived(v, ..) => v[i].kill9()?,
        }
        Ok(())
    }

    /// SIGKILL of every process of node `i`'s daemon (used after its link was cut: a node
    /// that died). Our daemon's guardian is killed first, as a dead machine runs nothing.
    pub fn crash(&mut self, i: usize) -> Result<()> {
        match &mut self.nodes {
            Nodes::Ours(c) => {
                if let Some(pid) = c.pid(i) {
                    for child in descendants(pid) {
                        let _ = kill(Pid::from_raw(child as i32), Signal::SIGKILL);
                    }
                }
                c.kill9(i)?;
            }
            Nodes::Heartbeat(v, _, _) => v[i].crash(),
            Nodes::Keepalived(v, ..) => v[i].crash(),
        }
        Ok(())
    }

    /// Graceful stop of node `i` (SIGTERM for ours and keepalived, `heartbeat -k`).
    pub fn stop(&mut self, i: usize) -> Result<()> {
        match &mut self.nodes {
            Nodes::Ours(c) => {
                c.stop(i, Duration::from_secs(60))?;
            }
            Nodes::Heartbeat(v, _, _) => v[i].stop()?,
            Nodes::Keepalived(v, ..) => v[i].stop()?,
        }
        Ok(())
    }

    /// Removes the VIPs from node `i`'s interface, as a reboot would.
    pub fn clear_vips(&self, i: usize) -> Result<()> {
        let host = self.host(i);
        let mut batch = String::new();
        for v in &self.vips {
            batch.push_str(&format!("addr del {v}/24 dev eth0\n"));
        }
        let mut child = Command::new("ip")
            .args(["-n", &host.netns, "-force", "-batch", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write;
            stdin.write_all(batch.as_bytes())?;
        }
        child.wait()?;
        Ok(())
    }

    /// Waits until heartbeat 3.0.6's resources are no longer "in transition" on both nodes (it
    /// does not honour hb_standby meanwhile); no-op for the others.
    pub fn settle(&self, limit: Duration) -> bool {
        let Nodes::Heartbeat(v, _, _) = &self.nodes else { return true };
        wait(limit, || {
            v.iter().all(|hb| {
                hb.cl_status(&["rscstatus"])
                    .map(|o| o.2 == 0 && o.0.trim() != "transition")
                    .unwrap_or(false)
            })
        })
        .is_some()
    }

    /// Hands node `i`'s resources to the peer: `hbctl standby`, `hb_standby`, or for
    /// keepalived n1's priority lowered below n2's and a reload (SIGHUP).
    pub fn standby(&mut self, i: usize) -> Result<()> {
        self.handoff(i, true)
    }

    /// Undoes [`standby`](Self::standby): `hbctl takeover`, `hb_takeover`, or the priority
    /// restored and a reload.
    pub fn takeover(&mut self, i: usize) -> Result<()> {
        self.handoff(i, false)
    }

    fn handoff(&mut self, i: usize, standby: bool) -> Result<()> {
        match &mut self.nodes {
            Nodes::Ours(c) => {
                let sock = c.api_socket(i);
                let verb = if standby { "standby" } else { "takeover" };
                let deadline = Instant::now() + Duration::from_secs(20);
                loop {
                    let out = Command::new(&self.bins.hbctl)
                        .arg(verb)
                        .env("HB_API_SOCKET", &sock)
                        .stdin(Stdio::null())
                        .output()
                        .with_context(|| format!("running {}", self.bins.hbctl.display()))?;
                    if out.status.success() {
                        return Ok(());
                    }
                    if Instant::now() > deadline {
                        bail!(
                            "hbctl {verb}: {}{}",
                            String::from_utf8_lossy(&out.stdout),
                            String::from_utf8_lossy(&out.stderr)
                        );
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
            Nodes::Heartbeat(v, _, _) => {
                let out = if standby { v[i].hb_standby("")? } else { v[i].hb_takeover("")? };
                if out.2 != 0 {
                    bail!("hb_standby/hb_takeover exit {}: {}", out.2, out.1);
                }
                Ok(())
            }
            Nodes::Keepalived(v, ..) => {
                let prio = if standby { KA_STANDBY_PRIO } else { KA_PRIO[i] };
                let text = keepalived_conf(&self.setting, i, prio, &self.vips);
                std::fs::write(v[i].dir().join("keepalived.conf"), text)?;
                let pid = v[i].main_pid().ok_or_else(|| anyhow!("keepalived not running"))?;
                kill(Pid::from_raw(pid as i32), Signal::SIGHUP)?;
                Ok(())
            }
        }
    }

    /// Cuts traffic between n1 and n2 at the switch (the client still reaches both).
    pub fn partition(&mut self, on: bool) -> Result<()> {
        let sw = format!("{}-sw", self.net().prefix());
        let (p1, p2) = (self.host(0).port, self.host(1).port);
        let _ = Command::new("ip")
            .args(["netns", "exec", &sw, "nft", "delete", "table", "bridge", "hbpart"])
            .stderr(Stdio::null())
            .status();
        self.partitioned = on;
        if !on {
            return Ok(());
        }
        let rules = format!(
            "table bridge hbpart {{\n chain part {{ type filter hook forward priority 0; policy accept; \
             iifname \"{p1}\" oifname \"{p2}\" drop; iifname \"{p2}\" oifname \"{p1}\" drop; }}\n}}\n"
        );
        let path = std::env::temp_dir().join(format!("{sw}-part.nft"));
        std::fs::write(&path, rules)?;
        let out =
            Command::new("ip").args(["netns", "exec", &sw, "nft", "-f"]).arg(&path).output()?;
        let _ = std::fs::remove_file(&path);
        if !out.status.success() {
            bail!("nft partition: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    }

    /// Which nodes hold the first VIP on `eth0`.
    pub fn holders(&self) -> Vec<usize> {
        (0..2).filter(|&i| self.count_vips(i, Some(self.vip())) > 0).collect()
    }

    /// How many of the VIPs node `i` holds (only `only` if given).
    pub fn count_vips(&self, i: usize, only: Option<Ipv4Addr>) -> usize {
        let host = self.net().node(i);
        let Ok(out) = Command::new("ip")
            .args(["-n", &host.netns, "-4", "-o", "addr", "show", "dev", "eth0"])
            .stdin(Stdio::null())
            .output()
        else {
            return 0;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let held: std::collections::HashSet<Ipv4Addr> = text
            .lines()
            .filter_map(|l| l.split_whitespace().skip_while(|w| *w != "inet").nth(1))
            .filter_map(|a| a.split('/').next().and_then(|ip| ip.parse().ok()))
            .collect();
        match only {
            Some(v) => usize::from(held.contains(&v)),
            None => self.vips.iter().filter(|v| held.contains(v)).count(),
        }
    }

    /// Waits until exactly `expect` hold the first VIP; returns how long it took.
    pub fn wait_holders(&self, expect: &[usize], limit: Duration) -> Option<Duration> {
        wait(limit, || self.holders() == expect)
    }

    /// PIDs of every process of node `i`'s daemon (for the footprint).
    pub fn processes(&self, i: usize) -> Vec<u32> {
        match &self.nodes {
            Nodes::Ours(c) => c.pid(i).map(|p| {
                let mut v = vec![p];
                v.extend(descendants(p));
                v
            }),
            Nodes::Heartbeat(v, _, _) => {
                v.get(i).map(|h| h.processes().iter().map(|p| p.pid).collect())
            }
            Nodes::Keepalived(v, ..) => {
                v.get(i).map(|k| k.processes().iter().map(|p| p.pid).collect())
            }
        }
        .unwrap_or_default()
    }

    /// The daemon log of node `i` (for failure notes), last `max` bytes.
    pub fn log_tail(&self, i: usize, max: usize) -> String {
        let text = match &self.nodes {
            Nodes::Ours(c) => {
                let mut t = c.stderr_log(i);
                t.push_str(
                    &std::fs::read_to_string(c.node_dir(i).join("ha-log")).unwrap_or_default(),
                );
                t
            }
            Nodes::Heartbeat(v, _, _) => v.get(i).map(|h| h.log_text()).unwrap_or_default(),
            Nodes::Keepalived(v, ..) => v.get(i).map(|k| k.log_text()).unwrap_or_default(),
        };
        let start = text.len().saturating_sub(max);
        let start = (start..text.len()).find(|&s| text.is_char_boundary(s)).unwrap_or(text.len());
        text[start..].to_string()
    }

    /// Spawns a busy loop in node `i`'s namespace; returns its PID (killed when the lab drops).
    pub fn busy_loop(&self, i: usize) -> Result<u32> {
        let host = self.host(i);
        Ok(self.net().spawn_in(&host, "sh", &["-c", "while :; do :; done"])?)
    }

    /// Ends a process the lab spawned.
    pub fn kill_spawned(&self, pid: u32) -> Result<()> {
        Ok(self.net().signal(pid, Signal::SIGKILL)?)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if self.partitioned {
            let _ = self.partition(false);
        }
    }
}

/// Polls `done` every 20 ms until true (→ elapsed) or `limit` passes (→ None).
pub fn wait(limit: Duration, mut done: impl FnMut() -> bool) -> Option<Duration> {
    let t0 = Instant::now();
    loop {
        if done() {
            return Some(t0.elapsed());
        }
        if t0.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// All descendants of `pid` (from /proc).
pub fn descendants(pid: u32) -> Vec<u32> {
    let mut parent_of: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for e in entries.flatten() {
            let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            if let Some(pp) = stat_fields(p).and_then(|f| f.get(1).and_then(|x| x.parse().ok())) {
                parent_of.push((p, pp));
            }
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![pid];
    while let Some(q) = frontier.pop() {
        for &(p, pp) in &parent_of {
            if pp == q && !out.contains(&p) {
                out.push(p);
                frontier.push(p);
            }
        }
    }
    out
}

/// `/proc/PID/stat` fields after the command name: state, ppid, … (index 0 = state).
pub fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// Resident set size of `pid` in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    proc_kib(pid, "status", "VmRSS:")
}

/// Proportional set size of `pid` in KiB (shared pages divided among their users).
pub fn pss_kib(pid: u32) -> u64 {
    proc_kib(pid, "smaps_rollup", "Pss:")
}

/// The KiB value of the line starting with `key` in `/proc/PID/FILE` (0 if absent).
fn proc_kib(pid: u32, file: &str, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

/// CPU time of `pid` (user + system, including reaped children) in clock ticks.
pub fn cpu_ticks(pid: u32) -> u64 {
    stat_fields(pid)
        .map(|f| (11..=14).filter_map(|i| f.get(i).and_then(|x| x.parse::<u64>().ok())).sum())
        .unwrap_or(0)
}

/// The default path of a sibling binary of this executable.
pub fn sibling(name: &str) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default()
        .join(name)
}
