//! `hbctl demo`: a live two-node cluster in network namespaces, serving a web page on a VIP,
//! probed from a client while the primary's web server is killed (a `monitors` HTTP check
//! restarts it), and the primary is killed, restarted, stopped and cut off; prints a
//! timeline and the measured outage of each event, then removes everything it made.
//!
//! Everything lives in namespaces and a temporary directory that the harness removes on the
//! way out, also after an error or Ctrl-C; if hbctl itself is killed, the next harness run
//! sweeps the namespaces and the web servers exit once their directory is gone.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hb_testnet::cluster::{Cluster, ClusterSpec};
use hb_testnet::{Testnet, TestnetError};

use crate::demo_httpd::resource_script;
use crate::demo_probe::{outage, probe_loop, stamp, ProbeConfig, ProbeLog};

/// Port the demo web page is served on.
const HTTP_PORT: u16 = 80;
/// Last octet of the VIP in the demo subnet.
const VIP_OCTET: u8 = 50;
/// Time between two probes.
const PROBE_INTERVAL: Duration = Duration::from_millis(10);
/// Connect timeout of a probe.
const PROBE_CONNECT: Duration = Duration::from_millis(50);
/// Read timeout of a probe (the server is up once it accepted; slowness is not an outage).
const PROBE_READ: Duration = Duration::from_millis(100);
/// Consecutive answers from the expected node that count as "settled".
const STEADY_PROBES: u32 = 30;
/// How long a wait goes before it looks for a stale ARP entry at the client.
const NOTE_AFTER: Duration = Duration::from_secs(3);
/// How long the daemons get to stop gracefully at the end.
const STOP_LIMIT: Duration = Duration::from_secs(10);
/// How long a starting heartbeat advertises a longer deadtime (`dt` = deadtime + 2 s).
const DT_BUMP: Duration = Duration::from_secs(5);
/// Longest wait for the client to be served by n1 again after the link comes back.
const HEAL_LIMIT: Duration = Duration::from_secs(90);
/// Longest deadtime the demo accepts (it should stay short).
const MAX_DEADTIME: Duration = Duration::from_secs(10);

/// Arguments of `hbctl demo`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Needs root (it creates network namespaces) and iproute2. Set HB_KEEP_TEST_DIRS=1 to keep the \
nodes' directories (logs, configuration) under the temporary directory.")]
pub struct Args {
    /// The heartbeat binary [default: `heartbeat` next to this hbctl].
    #[arg(long, value_name = "PATH")]
    heartbeat: Option<PathBuf>,
    /// ha.cf keepalive (heartbeat's time syntax: `100ms`, `1`, `.5`).
    #[arg(long, default_value = "100ms", value_parser = parse_time)]
    keepalive: Duration,
    /// ha.cf deadtime (also used as warntime and initdead).
    #[arg(long, default_value = "1", value_parser = parse_time)]
    deadtime: Duration,
    /// Print only the settings and the summary, not the live timeline.
    #[arg(long)]
    quiet: bool,
}

/// Runs the demo.
pub fn run(args: &Args) -> anyhow::Result<()> {
    if args.keepalive < Duration::from_millis(10) || args.keepalive >= args.deadtime {
        bail!("keepalive must be at least 10ms and shorter than deadtime");
    }
    if args.deadtime > MAX_DEADTIME {
        bail!("deadtime above {}s would make the demo slow", MAX_DEADTIME.as_secs());
    }
    let hbctl = std::env::current_exe().context("cannot find this hbctl binary")?;
    let heartbeat = find_heartbeat(args.heartbeat.as_deref(), &hbctl)?;
    if !nix::unistd::geteuid().is_root() {
        bail!(
            "hbctl demo needs root: it creates network namespaces (try: sudo {} demo)",
            hbctl.display()
        );
    }
    let interrupted = catch_interrupts()?;
    let net = match Testnet::new(2) {
        Ok(n) => n,
        Err(TestnetError::Skip(why)) => bail!("cannot build the demo network: {why}"),
        Err(TestnetError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("cannot build the demo network: `ip` not found (install iproute2)")
        }
        Err(e) => return Err(e).context("cannot build the demo network"),
    };
    let vip = net.addr(VIP_OCTET);
    let spec = ClusterSpec {
        hacf: hacf(args.keepalive, args.deadtime),
        haresources: format!("n1 {vip}/24/eth0 demo-httpd\n"),
        authkeys: "auth 1\n1 sha1 hbctl-demo\n".into(),
        scripts: vec![("demo-httpd".into(), resource_script(&hbctl, HTTP_PORT))],
    };
    let prefix = net.prefix().to_string();
    let cluster = Cluster::new(net, &spec, &heartbeat).context("cannot write the node configs")?;
    // The health check that restarts a killed web server (see `kill_web_server`).
    for i in 0..cluster.net.nodes().len() {
        let monitors =
            format!("demo-httpd http://{vip}:{HTTP_PORT}/ interval=200ms timeout=150ms fall=2\n");
        std::fs::write(cluster.node_dir(i).join("ha.d/monitors"), monitors)
            .context("cannot write the monitors file")?;
    }
    let mut demo = Demo {
        cluster,
        vip,
        t0: Instant::now(),
        log: Arc::new(Mutex::new(ProbeLog::default())),
        stop_probe: Arc::new(AtomicBool::new(false)),
        interrupted,
        quiet: args.quiet,
        events: Vec::new(),
    };
    let keepalive = hb_config::time::format_time(args.keepalive);
    let deadtime = hb_config::time::format_time(args.deadtime);
    println!(
        "hbctl demo: 2 nodes (n1 n2) and a client in network namespaces {prefix}-*\n\
         \x20 heartbeat {}\n\
         \x20 ha.cf: keepalive {keepalive}, deadtime {deadtime}, warntime {deadtime}, \
         initdead {deadtime}, auto_failback on, bcast eth0\n\
         \x20 haresources: n1 {vip}/24/eth0 demo-httpd\n\
         \x20 client probes http://{vip}/ every {} ms (connect timeout {} ms, read timeout {} ms)",
        heartbeat.display(),
        PROBE_INTERVAL.as_millis(),
        PROBE_CONNECT.as_millis(),
        PROBE_READ.as_millis(),
    );
    let probe = demo.start_prober()?;
    let result = demo.script(args.keepalive, args.deadtime);
    demo.stop_probe.store(true, Ordering::Relaxed);
    let _ = probe.join();
    let summary = demo.summary();
    demo.say("stop heartbeat on both nodes (SIGTERM)");
    match demo.cluster.stop_all(STOP_LIMIT) {
        Ok(took) => demo.say(&format!("both stopped after {} ms", took.as_millis())),
        Err(e) => demo.say(&format!("graceful stop failed ({e}); killing them")),
    }
    drop(demo);
    let left = Testnet::existing_namespaces(&prefix).unwrap_or_default();
    let cleanup = if left.is_empty() {
        format!("cleaned up: namespaces {prefix}-* removed")
    } else {
        format!("cleanup left namespaces behind: {}", left.join(" "))
    };
    print!("{summary}");
    match result {
        Ok(()) => {
            println!("{cleanup}");
            Ok(())
        }
        Err(e) => Err(e.context(format!("demo aborted; {cleanup}"))),
    }
}

/// One scripted event and where its effect was measured.
struct Event {
    label: &'static str,
    at: Duration,
}

struct Demo {
    cluster: Cluster,
    vip: Ipv4Addr,
    t0: Instant,
    log: Arc<Mutex<ProbeLog>>,
    stop_probe: Arc<AtomicBool>,
    interrupted: Arc<AtomicBool>,
    quiet: bool,
    events: Vec<Event>,
}

impl Demo {
    /// The scripted sequence.
    fn script(&mut self, keepalive: Duration, deadtime: Duration) -> anyhow::Result<()> {
        let limit = Duration::from_secs(10) + deadtime * 4;
        self.say(
            "start heartbeat on n1 and n2 (nodes that start together wait up to 10 s, \
             heartbeat's RQSTDELAY, before taking their groups)",
        );
        self.cluster.start(0)?;
        self.cluster.start(1)?;
        self.wait_serving(0, true, limit + deadtime * 2)?;
        self.event("kill the web server on n1", kill_web_server)?;
        // The HTTP check of the monitors file notices and restarts the group in place. Let
        // the client see the failure first, or the answers from before the kill look steady.
        self.sleep(Duration::from_millis(100))?;
        self.wait_serving(0, true, limit)?;
        self.event("kill -9 heartbeat on n1", |c| Ok(c.kill9(0)?))?;
        self.wait_serving(1, true, limit)?;
        self.event("restart n1 (failback)", |c| c.start(0).map(drop).map_err(Into::into))?;
        self.wait_serving(0, true, limit + deadtime * 2)?;
        self.event("stop n1 gracefully (SIGTERM)", |c| {
            c.stop(0, Duration::from_secs(30)).map(drop).map_err(Into::into)
        })?;
        self.wait_serving(1, true, limit)?;
        let n1_started = Instant::now();
        self.event("start n1 again (failback)", |c| c.start(0).map(drop).map_err(Into::into))?;
        self.wait_serving(0, true, limit + deadtime * 2)?;
        // Measure the cut against the configured deadtime, not the start-up one.
        let bump_over = DT_BUMP + keepalive * 2;
        if let Some(rest) = bump_over.checked_sub(n1_started.elapsed()) {
            self.say(&format!(
                "wait {:.1} s: for its first 5 s a node advertises deadtime + 2 s, as heartbeat does",
                rest.as_secs_f64()
            ));
            self.sleep(rest)?;
        }
        self.event("cut n1's link", |c| Ok(c.net.link_down(c.host(0))?))?;
        // n1 still holds the VIP on its side of the cut: only the client's view counts here.
        self.wait_serving(1, false, limit)?;
        self.event("restore n1's link", |c| Ok(c.net.link_up(c.host(0))?))?;
        // A client that cached n2's MAC for the VIP during the cut reaches n1 only once n1
        // announces the VIP again or the client's ARP entry expires (up to about a minute).
        self.wait_serving(0, true, HEAL_LIMIT)?;
        self.events.push(Event { label: "end", at: self.t0.elapsed() });
        Ok(())
    }

    fn start_prober(&self) -> anyhow::Result<std::thread::JoinHandle<()>> {
        let ns = std::fs::File::open(format!("/run/netns/{}", self.cluster.net.client().netns))?;
        let cfg = ProbeConfig {
            addr: SocketAddr::from((self.vip, HTTP_PORT)),
            interval: PROBE_INTERVAL,
            connect_timeout: PROBE_CONNECT,
            read_timeout: PROBE_READ,
            t0: self.t0,
            live: !self.quiet,
        };
        let log = Arc::clone(&self.log);
        let stop = Arc::clone(&self.stop_probe);
        let handle = std::thread::Builder::new().name("probe".into()).spawn(move || {
            // This thread alone enters the client namespace.
            if nix::sched::setns(&ns, nix::sched::CloneFlags::CLONE_NEWNET).is_ok() {
                probe_loop(&cfg, &log, &stop);
            } else {
                eprintln!("hbctl demo: cannot enter the client namespace; no probes");
            }
        })?;
        Ok(handle)
    }

    fn event(
        &mut self,
        label: &'static str,
        act: impl FnOnce(&mut Cluster) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let at = self.t0.elapsed();
        self.say(&format!("event: {label}"));
        self.events.push(Event { label, at });
        act(&mut self.cluster).with_context(|| format!("{label} failed"))
    }

    /// Waits until the client has had [`STEADY_PROBES`] answers in a row from node `i` (and,
    /// with `sole`, node `i` alone holds the VIP).
    fn wait_serving(&self, i: usize, sole: bool, limit: Duration) -> anyhow::Result<()> {
        let name = format!("n{}", i + 1);
        let start = Instant::now();
        let mut noted = false;
        loop {
            if self.interrupted.load(Ordering::Relaxed) {
                bail!("interrupted");
            }
            let steady = {
                let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
                log.current().is_some_and(|r| {
                    r.answer.as_deref() == Some(name.as_str()) && r.count >= STEADY_PROBES
                })
            };
            let holders = self.cluster.holders(self.vip)?;
            if steady && (!sole || holders == [i]) {
                self.say(&format!("settled: {name} serves the VIP"));
                return Ok(());
            }
            if !noted && !steady && holders == [i] && start.elapsed() > NOTE_AFTER {
                noted = self.note_stale_neighbour(i)?;
            }
            if start.elapsed() > limit {
                bail!(
                    "{name} did not settle as the server within {limit:?}; VIP holders {:?}\n\
                     --- n1 stderr (tail)\n{}\n--- n2 stderr (tail)\n{}",
                    holders.iter().map(|h| format!("n{}", h + 1)).collect::<Vec<_>>(),
                    tail(&self.cluster.stderr_log(0), 20),
                    tail(&self.cluster.stderr_log(1), 20),
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Node `i` holds the VIP but the client gets no answer: says so when the client's ARP
    /// entry for the VIP still names another node's MAC. Returns whether it said so.
    fn note_stale_neighbour(&self, i: usize) -> anyhow::Result<bool> {
        let Some(seen) = self.cluster.net.client_neigh_mac(self.vip)? else { return Ok(false) };
        let holder = self.cluster.mac(i)?;
        if seen == holder {
            return Ok(false);
        }
        let other = (0..self.cluster.net.nodes().len())
            .find(|&j| self.cluster.mac(j).ok().as_deref() == Some(seen.as_str()))
            .map_or_else(|| "another host".to_string(), |j| format!("n{}", j + 1));
        self.say(&format!(
            "note: n{} holds the VIP, but the client's ARP entry for it still names {other} \
             ({seen}); no answer until the client re-resolves it",
            i + 1
        ));
        Ok(true)
    }

    /// Sleeps, but returns early with an error on Ctrl-C.
    fn sleep(&self, d: Duration) -> anyhow::Result<()> {
        let end = Instant::now() + d;
        while Instant::now() < end {
            if self.interrupted.load(Ordering::Relaxed) {
                bail!("interrupted");
            }
            std::thread::sleep(Duration::from_millis(20).min(end - Instant::now()));
        }
        Ok(())
    }

    fn say(&self, what: &str) {
        if !self.quiet {
            println!("{}  {what}", stamp(self.t0.elapsed()));
        }
    }

    /// The summary table: one row per event, measured up to the next one.
    fn summary(&self) -> String {
        let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        let runs = log.runs();
        let mut out = format!(
            "\nsummary (outage: last answer before the event to first answer after it)\n  \
             {:<30} {:>10} {:>8}  {:<7} {}\n",
            "event", "outage", "failed", "before", "after"
        );
        let name = |a: &Option<String>| a.clone().unwrap_or_else(|| "-".to_string());
        let now = self.t0.elapsed();
        for (i, e) in self.events.iter().enumerate().filter(|(_, e)| e.label != "end") {
            // An interrupted run measures its last event up to now.
            let to = self.events.get(i + 1).map_or(now, |next| next.at);
            let o = outage(runs, e.at, to);
            let ms =
                o.outage.map_or_else(|| "none".to_string(), |d| format!("{} ms", d.as_millis()));
            out += &format!(
                "  {:<30} {ms:>10} {:>8}  {:<7} {}\n",
                e.label,
                o.failed,
                name(&o.before),
                name(&o.after)
            );
        }
        if self.events.last().is_some_and(|e| e.label == "end") {
            let owner = runs.last().and_then(|r| r.answer.clone());
            out += &format!("final owner: {}\n", name(&owner));
        } else {
            out += "incomplete: the demo stopped early\n";
        }
        out
    }
}

impl Drop for Demo {
    /// The web servers were started by the nodes' resource scripts, outside the harness's
    /// process list: end them by the PIDs in their PID files (checking they are ours) before
    /// the harness removes the daemons, namespaces and directories.
    fn drop(&mut self) {
        // Stopped gracefully, the daemons release the VIP, stop the web server through its
        // script and leave nothing for their crash guardians to do.
        let _ = self.cluster.stop_all(STOP_LIMIT);
        for i in 0..self.cluster.net.nodes().len() {
            let pid_file = self.cluster.node_dir(i).join("demo-httpd.pid");
            let Some(pid) = std::fs::read_to_string(&pid_file)
                .ok()
                .and_then(|s| s.trim().parse::<i32>().ok())
                .filter(|&p| p > 1)
            else {
                continue;
            };
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            if cmdline.split(|&b| b == 0).any(|arg| arg == b"demo-httpd") {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGTERM,
                );
            }
        }
    }
}

/// Kills n1's web server by the PID in its PID file (checked to be our `demo-httpd`).
fn kill_web_server(c: &mut Cluster) -> anyhow::Result<()> {
    let pid_file = c.node_dir(0).join("demo-httpd.pid");
    let pid = std::fs::read_to_string(&pid_file)
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok())
        .filter(|&p| p > 1)
        .with_context(|| format!("no PID in {}", pid_file.display()))?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    if !cmdline.split(|&b| b == 0).any(|arg| arg == b"demo-httpd") {
        bail!("PID {pid} is not the demo web server");
    }
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL)
        .context("cannot kill the web server")?;
    Ok(())
}

/// `heartbeat` from `--heartbeat`, else next to hbctl.
fn find_heartbeat(given: Option<&Path>, hbctl: &Path) -> anyhow::Result<PathBuf> {
    let path = match given {
        Some(p) => p.to_path_buf(),
        None => hbctl.parent().unwrap_or_else(|| Path::new(".")).join("heartbeat"),
    };
    if !path.is_file() {
        bail!(
            "no heartbeat binary at {}; build it: cargo build --release (or pass --heartbeat PATH)",
            path.display()
        );
    }
    std::fs::canonicalize(&path).with_context(|| format!("cannot resolve {}", path.display()))
}

fn hacf(keepalive: Duration, deadtime: Duration) -> String {
    let k = hb_config::time::format_time(keepalive);
    let d = hb_config::time::format_time(deadtime);
    format!(
        "logfile {{dir}}/ha-log\nkeepalive {k}\ndeadtime {d}\nwarntime {d}\ninitdead {d}\n\
         udpport 694\nbcast eth0\nauto_failback on\nnode n1\nnode n2\n"
    )
}

/// Blocks SIGINT and SIGTERM in this and every later thread and sets the returned flag when
/// one arrives, so the demo unwinds through its cleanup. (Children get an empty signal mask
/// from std's spawn.)
fn catch_interrupts() -> anyhow::Result<Arc<AtomicBool>> {
    use nix::sys::signal::{SigSet, Signal};
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    set.add(Signal::SIGTERM);
    set.thread_block().context("cannot block SIGINT")?;
    let flag = Arc::new(AtomicBool::new(false));
    let f = Arc::clone(&flag);
    std::thread::Builder::new().name("signals".into()).spawn(move || {
        if let Ok(sig) = set.wait() {
            eprintln!("hbctl demo: {sig}: cleaning up");
            f.store(true, Ordering::Relaxed);
        }
    })?;
    Ok(flag)
}

fn parse_time(s: &str) -> Result<Duration, String> {
    hb_config::time::parse_time(s)
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all.get(all.len().saturating_sub(lines)..).unwrap_or_default().join("\n")
}
