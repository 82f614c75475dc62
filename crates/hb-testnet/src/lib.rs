//! Network-namespace test harness for heartbeat-rs integration tests.
//!
//! Contract: [`Testnet::new`] builds, entirely inside namespaces it creates, a switch namespace
//! holding a bridge, N node namespaces and one client namespace, each joined to the bridge by a
//! veth pair (`eth0` inside the node). Addresses come from a private /24 of 10.99.0.0/16
//! chosen per harness instance; all names carry a unique short prefix. Nothing is created in
//! the caller's own namespace. Dropping the harness (also while a test panics) kills every
//! process it spawned, by PID, and deletes its namespaces, which removes the veths, the bridge
//! and any nftables tables with them. Without root, [`Testnet::new`] returns
//! [`TestnetError::Skip`]; tests print "skipped: needs root" and pass (see [`skip_or`]).
//!
//! Around it: [`peers`] runs reference daemons (Debian's heartbeat 3.0.6, keepalived) in node
//! namespaces, each in a [`sandbox::Sandbox`] (private UTS, mount and PID namespaces), and
//! [`probe`] times failovers from the client with ARP requests every millisecond.

pub mod cloud_api;
pub mod cluster;
pub mod etcd;
pub mod links;

use std::fs::File;
use std::net::Ipv4Addr;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use nix::sched::{setns, CloneFlags};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

pub mod peers;
pub mod probe;
pub mod sandbox;

/// Errors of the harness.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestnetError {
    /// The environment cannot run namespace tests (not root, no `ip`); the test should pass
    /// after saying so.
    #[error("skipped: {0}")]
    Skip(String),
    /// A command failed.
    #[error("`{cmd}` failed ({status}): {stderr}")]
    Command {
        /// The command line.
        cmd: String,
        /// Exit status.
        status: String,
        /// Its standard error.
        stderr: String,
    },
    /// A PID that this harness did not spawn (signals go only to our own children).
    #[error("pid {0} was not spawned by this harness")]
    NotOurs(u32),
    /// An I/O error (spawning, opening a namespace).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A peer daemon (real heartbeat, keepalived) or its sandbox failed to start or stop.
    #[error("peer daemon: {0}")]
    Peer(String),
}

/// Result alias.
pub type Result<T> = std::result::Result<T, TestnetError>;

/// Largest number of node namespaces per harness.
pub const MAX_NODES: usize = 16;
/// Prefix length of the harness subnet.
pub const PREFIX_LEN: u8 = 24;
/// Interface name inside every node and client namespace.
pub const IFNAME: &str = "eth0";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Where each live harness leaves `<prefix>` containing its PID, so a later run can remove
/// what a killed test process (SIGKILL, no `Drop`) left behind.
const MARKER_DIR: &str = "/run/hb-testnet";

/// One namespace attached to the harness bridge.
#[derive(Debug, Clone)]
pub struct Host {
    /// Network namespace name (`ip netns` name).
    pub netns: String,
    /// Host name to use for processes spawned in it.
    pub hostname: String,
    /// IPv4 address of `eth0`.
    pub ip: Ipv4Addr,
    /// Name of the bridge-side veth end (in the switch namespace).
    pub port: String,
}

/// The harness; see the crate doc.
pub struct Testnet {
    prefix: String,
    third_octet: u8,
    switch: String,
    nodes: Vec<Host>,
    client: Host,
    children: Mutex<Vec<Child>>,
    namespaces: Vec<String>,
}

impl Testnet {
    /// Builds a harness with `nodes` node namespaces (hostnames `n1`, `n2`, …) and a client.
    pub fn new(nodes: usize) -> Result<Testnet> {
        if !nix::unistd::geteuid().is_root() {
            return Err(TestnetError::Skip("needs root".into()));
        }
        if nodes == 0 || nodes > MAX_NODES {
            return Err(TestnetError::Skip(format!("node count {nodes} not in 1..={MAX_NODES}")));
        }
        sweep_stale();
        let seq = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tag = (std::process::id().wrapping_mul(31).wrapping_add(seq)) & 0xffff;
        let prefix = format!("hbt{tag:04x}");
        let third_octet = u8::try_from(tag % 250 + 1).unwrap_or(1);
        let switch = format!("{prefix}-sw");
        let host = |i: usize, name: &str, last: u8| Host {
            netns: format!("{prefix}-{name}"),
            hostname: name.to_string(),
            ip: Ipv4Addr::new(10, 99, third_octet, last),
            port: format!("{prefix}{i}"),
        };
        let node_hosts: Vec<Host> =
            (0..nodes).map(|i| host(i, &format!("n{}", i + 1), 11 + i as u8)).collect();
        // Port index 99: node indexes reach 15, and veth names must stay unique.
        let client = host(99, "client", 100);
        let mut net = Testnet {
            prefix,
            third_octet,
            switch,
            nodes: node_hosts,
            client,
            children: Mutex::new(Vec::new()),
            namespaces: Vec::new(),
        };
        // From here on, Drop cleans up whatever was created.
        if let Err(e) = net.build() {
            return Err(match e {
                TestnetError::Command { ref stderr, .. }
                    if stderr.contains("Operation not permitted") =>
                {
                    TestnetError::Skip(format!("cannot create namespaces: {stderr}"))
                }
                other => other,
            });
        }
        Ok(net)
    }

    fn build(&mut self) -> Result<()> {
        std::fs::create_dir_all(MARKER_DIR)?;
        std::fs::write(marker(&self.prefix), std::process::id().to_string())?;
        let switch = self.switch.clone();
        self.add_netns(&switch)?;
        run(&["ip", "-n", &switch, "link", "add", "br0", "type", "bridge"])?;
        run(&["ip", "-n", &switch, "link", "set", "br0", "up"])?;
        let hosts: Vec<Host> = self.nodes.iter().chain([&self.client]).cloned().collect();
        for h in hosts {
            self.add_netns(&h.netns)?;
            run(&[
                "ip", "-n", &switch, "link", "add", &h.port, "type", "veth", "peer", "name",
                IFNAME, "netns", &h.netns,
            ])?;
            run(&["ip", "-n", &switch, "link", "set", &h.port, "master", "br0", "up"])?;
            let cidr = format!("{}/{PREFIX_LEN}", h.ip);
            // `brd +`: without a broadcast address, heartbeat's `bcast` medium sends nowhere.
            run(&["ip", "-n", &h.netns, "addr", "add", &cidr, "brd", "+", "dev", IFNAME])?;
            run(&["ip", "-n", &h.netns, "link", "set", IFNAME, "up"])?;
            run(&["ip", "-n", &h.netns, "link", "set", "lo", "up"])?;
        }
        Ok(())
    }

    fn add_netns(&mut self, name: &str) -> Result<()> {
        run(&["ip", "netns", "add", name])?;
        self.namespaces.push(name.to_string());
        Ok(())
    }

    /// The unique name prefix of this harness (every namespace name starts with it).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Node `i` (0-based).
    pub fn node(&self, i: usize) -> &Host {
        &self.nodes[i.min(self.nodes.len() - 1)]
    }

    /// All nodes.
    pub fn nodes(&self) -> &[Host] {
        &self.nodes
    }

    /// The client namespace.
    pub fn client(&self) -> &Host {
        &self.client
    }

    /// Address `10.99.<harness>.<last>` in the harness subnet (e.g. for a VIP).
    pub fn addr(&self, last: u8) -> Ipv4Addr {
        Ipv4Addr::new(10, 99, self.third_octet, last)
    }

    /// Runs `f` on a thread that has entered `host`'s network namespace (sockets and netlink
    /// connections made there belong to it) and returns its result.
    pub fn run_in<R: Send>(&self, host: &Host, f: impl FnOnce() -> R + Send) -> Result<R> {
        let ns = File::open(format!("/run/netns/{}", host.netns))?;
        std::thread::scope(|s| {
            s.spawn(move || {
                setns(&ns, CloneFlags::CLONE_NEWNET).map_err(std::io::Error::from)?;
                Ok(f())
            })
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
    }

    /// Runs a command inside `host`'s namespace and returns its output (no status check).
    pub fn exec(&self, host: &Host, args: &[&str]) -> Result<Output> {
        Ok(Command::new("ip")
            .args(["netns", "exec", &host.netns])
            .args(args)
            .stdin(Stdio::null())
            .output()?)
    }

    /// Starts `program args…` in `host`'s namespace with a private UTS namespace whose host
    /// name is `host.hostname`. Returns its PID; the process is killed when the harness drops.
    pub fn spawn_in(&self, host: &Host, program: &str, args: &[&str]) -> Result<u32> {
        // `ip netns exec`, `unshare` (without --fork) and `sh -c exec` all exec in place, so the
        // PID we get is the PID of `program` itself.
        let child = Command::new("ip")
            .args(["netns", "exec", &host.netns, "unshare", "--uts", "--", "sh", "-c"])
            .arg("hostname \"$0\" && exec \"$@\"")
            .arg(&host.hostname)
            .arg(program)
            .args(args)
            .stdin(Stdio::null())
            .spawn()?;
        let pid = child.id();
        self.children.lock().unwrap_or_else(|p| p.into_inner()).push(child);
        Ok(pid)
    }

    /// Sends `signal` to a process this harness spawned (by PID; others are refused). One
    /// that has already exited is left alone (`Ok`): once reaped (by [`Testnet::is_running`]
    /// or here), its PID may belong to a stranger, and PIDs come round again within minutes
    /// on a busy machine (pid_max 32768).
    pub fn signal(&self, pid: u32, signal: Signal) -> Result<()> {
        let mut children = self.children.lock().unwrap_or_else(|p| p.into_inner());
        let Some(child) = children.iter_mut().find(|c| c.id() == pid) else {
            return Err(TestnetError::NotOurs(pid));
        };
        if !matches!(child.try_wait(), Ok(None)) {
            return Ok(());
        }
        kill(pid_of(pid), signal).map_err(std::io::Error::from)?;
        Ok(())
    }

    /// Whether a spawned process is still running (reaps it if it exited).
    pub fn is_running(&self, pid: u32) -> bool {
        let mut children = self.children.lock().unwrap_or_else(|p| p.into_inner());
        children
            .iter_mut()
            .find(|c| c.id() == pid)
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Cuts `host`'s link (bridge side down: the node sees carrier loss).
    pub fn link_down(&self, host: &Host) -> Result<()> {
        run(&["ip", "-n", &self.switch, "link", "set", &host.port, "down"]).map(drop)
    }

    /// Restores `host`'s link.
    pub fn link_up(&self, host: &Host) -> Result<()> {
        run(&["ip", "-n", &self.switch, "link", "set", &host.port, "up"]).map(drop)
    }

    /// Drops `percent` % of IP packets entering and leaving `host` (nftables `numgen random`).
    /// Replaces a previous setting; 0 removes it.
    pub fn set_loss(&self, host: &Host, percent: u8) -> Result<()> {
        let _ =
            run(&["ip", "netns", "exec", &host.netns, "nft", "delete", "table", "inet", "hbloss"]);
        if percent == 0 {
            return Ok(());
        }
        // numgen's comparison value must be below the modulus: 100 % is a plain drop.
        let rule = if percent >= 100 {
            "drop;".to_string()
        } else {
            format!("numgen random mod 100 < {percent} drop;")
        };
        let rules = format!(
            "table inet hbloss {{\n chain input {{ type filter hook input priority 0; policy accept; {rule} }}\n chain output {{ type filter hook output priority 0; policy accept; {rule} }}\n}}\n"
        );
        let mut child = Command::new("ip")
            .args(["netns", "exec", &host.netns, "nft", "-f", "-"])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write;
            stdin.write_all(rules.as_bytes())?;
        }
        let out = child.wait_with_output()?;
        check("nft -f -", out).map(drop)
    }

    /// The MAC address of `eth0` in `host`, lower-case `aa:bb:…`.
    pub fn mac_of(&self, host: &Host) -> Result<String> {
        let out = run(&["ip", "-n", &host.netns, "link", "show", IFNAME])?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.split_whitespace()
            .skip_while(|w| *w != "link/ether")
            .nth(1)
            .map(str::to_lowercase)
            .ok_or_else(|| TestnetError::Skip(format!("no MAC in {text}")))
    }

    /// Pings `ip` once from the client (1 s timeout); true if answered.
    pub fn ping_from_client(&self, ip: Ipv4Addr) -> Result<bool> {
        let out = self.exec(&self.client, &["ping", "-c", "1", "-W", "1", &ip.to_string()])?;
        Ok(out.status.success())
    }

    /// ARP-pings `ip` once from the client and returns the MAC that answered.
    pub fn arping_from_client(&self, ip: Ipv4Addr) -> Result<Option<String>> {
        let out = self
            .exec(&self.client, &["arping", "-c", "1", "-w", "1", "-I", IFNAME, &ip.to_string()])?;
        Ok(parse_arping_mac(&String::from_utf8_lossy(&out.stdout)))
    }

    /// The MAC the client's neighbour table holds for `ip`, if any (not FAILED/INCOMPLETE).
    pub fn client_neigh_mac(&self, ip: Ipv4Addr) -> Result<Option<String>> {
        let out = run(&["ip", "-n", &self.client.netns, "neigh", "show", &ip.to_string()])?;
        Ok(parse_neigh_mac(&String::from_utf8_lossy(&out.stdout)))
    }

    /// Namespaces of this harness that currently exist (for leak checks).
    pub fn existing_namespaces(prefix: &str) -> Result<Vec<String>> {
        let out = run(&["ip", "netns", "list"])?;
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|n| n.starts_with(prefix))
            .map(str::to_string)
            .collect())
    }
}

impl Drop for Testnet {
    fn drop(&mut self) {
        let mut children =
            std::mem::take(self.children.get_mut().unwrap_or_else(|p| p.into_inner()));
        for c in &mut children {
            if matches!(c.try_wait(), Ok(None)) {
                let _ = kill(pid_of(c.id()), Signal::SIGKILL);
            }
            let _ = c.wait();
        }
        // Deleting a namespace destroys its interfaces (the veth peers with them), its bridge
        // and its nftables tables.
        for ns in self.namespaces.iter().rev() {
            let _ = run(&["ip", "netns", "del", ns]);
        }
        let _ = std::fs::remove_file(marker(&self.prefix));
    }
}

fn marker(prefix: &str) -> std::path::PathBuf {
    std::path::Path::new(MARKER_DIR).join(prefix)
}

/// Deletes the namespaces of harnesses whose process no longer exists.
fn sweep_stale() {
    let Ok(entries) = std::fs::read_dir(MARKER_DIR) else { return };
    for entry in entries.flatten() {
        let prefix = entry.file_name().to_string_lossy().into_owned();
        let pid =
            std::fs::read_to_string(entry.path()).ok().and_then(|p| p.trim().parse::<u32>().ok());
        let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if alive || !prefix.starts_with("hbt") {
            continue;
        }
        for ns in Testnet::existing_namespaces(&prefix).unwrap_or_default() {
            let _ = run(&["ip", "netns", "del", &ns]);
        }
        // Private directories of peer daemons (`peers`) are named `<netns>-…`.
        if let Ok(tmp) = std::fs::read_dir(std::env::temp_dir()) {
            let start = format!("{prefix}-");
            for dir in tmp.flatten() {
                if dir.file_name().to_string_lossy().starts_with(&start) {
                    let _ = std::fs::remove_dir_all(dir.path());
                }
            }
        }
        let _ = std::fs::remove_file(entry.path());
    }
}

/// Unwraps a harness or, when the environment cannot run it, prints "skipped: …" and returns
/// `None` so the test can return early (and pass). The message bypasses libtest's output
/// capture so it shows in normal `cargo test` output.
pub fn skip_or(net: Result<Testnet>) -> Option<Testnet> {
    match net {
        Ok(n) => Some(n),
        Err(TestnetError::Skip(why)) => {
            // Straight to fd 2: libtest captures `eprintln!`, and a skip must be visible.
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "skipped: {why}");
            None
        }
        Err(e) => panic!("test network setup failed: {e}"),
    }
}

/// Parses the MAC from iputils `arping` output (`Unicast reply from IP [AA:BB:…]`).
pub fn parse_arping_mac(text: &str) -> Option<String> {
    let line = text.lines().find(|l| l.contains("reply from"))?;
    let start = line.find('[')? + 1;
    let end = start + line.get(start..)?.find(']')?;
    Some(line.get(start..end)?.to_lowercase())
}

/// Parses the MAC from `ip neigh show IP` (`IP dev eth0 lladdr aa:bb:… REACHABLE`).
pub fn parse_neigh_mac(text: &str) -> Option<String> {
    let line = text.lines().next()?;
    if line.contains("FAILED") || line.contains("INCOMPLETE") {
        return None;
    }
    line.split_whitespace().skip_while(|w| *w != "lladdr").nth(1).map(str::to_lowercase)
}

fn pid_of(pid: u32) -> Pid {
    Pid::from_raw(i32::try_from(pid).unwrap_or(i32::MAX))
}

fn run(args: &[&str]) -> Result<Output> {
    let (program, rest) =
        args.split_first().ok_or_else(|| TestnetError::Skip("empty command".into()))?;
    let out = Command::new(program).args(rest).stdin(Stdio::null()).output()?;
    check(&args.join(" "), out)
}

fn check(cmd: &str, out: Output) -> Result<Output> {
    if out.status.success() {
        Ok(out)
    } else {
        Err(TestnetError::Command {
            cmd: cmd.to_string(),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_arping_and_neigh() {
        let a = "ARPING 10.99.1.50 from 10.99.1.100 eth0\nUnicast reply from 10.99.1.50 [AA:BB:CC:00:11:22]  0.612ms\nSent 1 probes\n";
        assert_eq!(parse_arping_mac(a).as_deref(), Some("aa:bb:cc:00:11:22"));
        assert_eq!(
            parse_arping_mac("Sent 1 probes (1 broadcast(s))\nReceived 0 response(s)\n"),
            None
        );
        let n = "10.99.1.50 dev eth0 lladdr 02:ab:cd:ef:00:01 REACHABLE\n";
        assert_eq!(parse_neigh_mac(n).as_deref(), Some("02:ab:cd:ef:00:01"));
        assert_eq!(parse_neigh_mac("10.99.1.50 dev eth0 FAILED\n"), None);
        assert_eq!(parse_neigh_mac(""), None);
    }
}
