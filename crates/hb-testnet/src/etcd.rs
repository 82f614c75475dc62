//! A real etcd cluster (Debian's `etcd-server` 3.4, `/usr/bin/etcd`) on harness hosts, for
//! the lease-arbiter tests: one member per host, plain HTTP on port 2379 (peers on 2380), data
//! in a temporary directory removed on drop. Members are processes the [`Testnet`] spawned, so
//! they are killed by PID when it drops, also when a test panics. `etcdctl` (Debian's
//! `etcd-client`) runs from the client namespace to read keys and find the leader.
//!
//! Faults: [`EtcdCluster::kill`] (SIGKILL one member), [`EtcdCluster::restart`] (same data
//! directory), and [`cut_etcd`] / [`cut_udp`] (nftables in a host's namespace dropping its
//! etcd traffic, or its heartbeat datagrams to one peer).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::{Host, Result, Testnet, TestnetError};

/// The etcd binary.
pub const ETCD: &str = "/usr/bin/etcd";
/// Client port.
pub const CLIENT_PORT: u16 = 2379;

/// One member.
struct Member {
    host: Host,
    name: String,
    pid: Option<u32>,
}

/// The cluster; see the module doc.
pub struct EtcdCluster {
    members: Vec<Member>,
    dir: PathBuf,
    initial: String,
}

impl EtcdCluster {
    /// Whether etcd is installed (tests skip, saying so, when it is not).
    pub fn available() -> bool {
        std::path::Path::new(ETCD).exists()
    }

    /// Starts one member on each of `hosts` and waits until the cluster answers (up to 30 s).
    pub fn start(net: &Testnet, hosts: &[Host]) -> Result<EtcdCluster> {
        let dir = std::env::temp_dir().join(format!("{}-etcd", net.prefix()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let members: Vec<Member> = hosts
            .iter()
            .enumerate()
            .map(|(i, h)| Member { host: h.clone(), name: format!("e{}", i + 1), pid: None })
            .collect();
        let initial = members
            .iter()
            .map(|m| format!("{}=http://{}:2380", m.name, m.host.ip))
            .collect::<Vec<_>>()
            .join(",");
        let mut c = EtcdCluster { members, dir, initial };
        for i in 0..c.members.len() {
            c.spawn(net, i)?;
        }
        if !c.wait_healthy(net, Duration::from_secs(30)) {
            return Err(TestnetError::Peer(format!("etcd did not come up: {}", c.logs())));
        }
        Ok(c)
    }

    fn spawn(&mut self, net: &Testnet, i: usize) -> Result<()> {
        let m = &self.members[i];
        let data = self.dir.join(&m.name);
        let log = self.dir.join(format!("{}.log", m.name));
        let ip = m.host.ip;
        let args: Vec<String> = vec![
            "-c".into(),
            format!("exec \"$0\" \"$@\" >>{} 2>&1", log.display()),
            ETCD.into(),
            "--name".into(),
            m.name.clone(),
            "--data-dir".into(),
            data.display().to_string(),
            "--listen-client-urls".into(),
            format!("http://{ip}:{CLIENT_PORT}"),
            "--advertise-client-urls".into(),
            format!("http://{ip}:{CLIENT_PORT}"),
            "--listen-peer-urls".into(),
            format!("http://{ip}:2380"),
            "--initial-advertise-peer-urls".into(),
            format!("http://{ip}:2380"),
            "--initial-cluster".into(),
            self.initial.clone(),
            "--initial-cluster-state".into(),
            "new".into(),
            "--initial-cluster-token".into(),
            format!("hbt-{}", std::process::id()),
            // Test-speed elections (etcd's defaults are 100 ms / 1 s too).
            "--heartbeat-interval".into(),
            "100".into(),
            "--election-timeout".into(),
            "1000".into(),
        ];
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let host = m.host.clone();
        let pid = net.spawn_in(&host, "sh", &argv)?;
        self.members[i].pid = Some(pid);
        Ok(())
    }

    /// Client URLs of every member.
    pub fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(|m| format!("http://{}:{CLIENT_PORT}", m.host.ip)).collect()
    }

    /// Host of member `i`.
    pub fn host(&self, i: usize) -> &Host {
        &self.members[i].host
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// SIGKILL of member `i`.
    pub fn kill(&mut self, net: &Testnet, i: usize) -> Result<()> {
        if let Some(pid) = self.members[i].pid.take() {
            net.signal(pid, Signal::SIGKILL)?;
            let t0 = Instant::now();
            while net.is_running(pid) && t0.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(())
    }

    /// Starts member `i` again on its data directory.
    pub fn restart(&mut self, net: &Testnet, i: usize) -> Result<()> {
        self.spawn(net, i)
    }

    /// `etcdctl` from the client namespace against the live members.
    pub fn ctl(&self, net: &Testnet, args: &[&str]) -> Result<std::process::Output> {
        let live: Vec<String> = self
            .members
            .iter()
            .filter(|m| m.pid.is_some())
            .map(|m| format!("http://{}:{CLIENT_PORT}", m.host.ip))
            .collect();
        let eps = format!("--endpoints={}", live.join(","));
        let mut argv = vec!["env", "ETCDCTL_API=3", "etcdctl", &eps, "--command-timeout=2s"];
        argv.extend_from_slice(args);
        net.exec(net.client(), &argv)
    }

    /// The value of `key`, `None` if absent or etcd does not answer.
    pub fn get(&self, net: &Testnet, key: &str) -> Option<String> {
        let out = self.ctl(net, &["get", key, "--print-value-only"]).ok()?;
        let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        (out.status.success() && !text.is_empty()).then_some(text)
    }

    /// Index of the member that is the raft leader, if one answers.
    pub fn leader(&self, net: &Testnet) -> Option<usize> {
        let out = self.ctl(net, &["endpoint", "status", "-w", "json"]).ok()?;
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        for e in v.as_array()? {
            let member = e.pointer("/Status/header/member_id")?.as_u64()?;
            let leader = e.pointer("/Status/leader")?.as_u64()?;
            if member == leader {
                let ep = e.get("Endpoint")?.as_str()?;
                return self.members.iter().position(|m| ep.contains(&m.host.ip.to_string()));
            }
        }
        None
    }

    /// Waits until every live member reports healthy.
    pub fn wait_healthy(&self, net: &Testnet, limit: Duration) -> bool {
        let t0 = Instant::now();
        while t0.elapsed() < limit {
            if let Ok(o) = self.ctl(net, &["endpoint", "health"]) {
                if o.status.success() {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        false
    }

    /// Every member's log, for failure messages.
    pub fn logs(&self) -> String {
        let mut s = String::new();
        for m in &self.members {
            let text = std::fs::read_to_string(self.dir.join(format!("{}.log", m.name)))
                .unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            s.push_str(&format!("\n--- etcd {}\n", m.name));
            for l in tail.into_iter().rev() {
                s.push_str(l);
                s.push('\n');
            }
        }
        s
    }
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        // The members are the Testnet's children: it kills them by PID when it drops (never
        // here, where the Testnet may already be gone and a PID reused).
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Drops (or, with `cut == false`, stops dropping) all of `host`'s traffic to and from etcd's
/// ports, in `host`'s own namespace.
pub fn cut_etcd(net: &Testnet, host: &Host, cut: bool) -> Result<()> {
    nft_table(
        net,
        host,
        "hbetcdcut",
        cut.then_some("tcp dport { 2379, 2380 } drop; tcp sport { 2379, 2380 } drop;"),
    )
}

/// Drops (or stops dropping) unicast heartbeat datagrams (UDP `port`) between `host` and
/// `peer`, in `host`'s namespace (both directions; use `ucast` media).
pub fn cut_udp(net: &Testnet, host: &Host, peer: &Host, port: u16, cut: bool) -> Result<()> {
    let rule = format!(
        "ip daddr {p} udp dport {port} drop; ip saddr {p} udp dport {port} drop;",
        p = peer.ip
    );
    // One table per peer, so cuts towards several peers add up.
    let table = format!("hbudpcut{}", peer.ip.octets()[3]);
    nft_table(net, host, &table, cut.then_some(rule.as_str()))
}

fn nft_table(net: &Testnet, host: &Host, table: &str, rules: Option<&str>) -> Result<()> {
    let _ = net.exec(host, &["nft", "delete", "table", "inet", table]);
    let Some(rules) = rules else { return Ok(()) };
    let text = format!(
        "table inet {table} {{\n chain input {{ type filter hook input priority 0; policy accept; {rules} }}\n chain output {{ type filter hook output priority 0; policy accept; {rules} }}\n}}\n"
    );
    let file = std::env::temp_dir().join(format!("{}-{table}.nft", host.netns));
    std::fs::write(&file, text)?;
    let path = file.display().to_string();
    let out = net.exec(host, &["nft", "-f", &path])?;
    let _ = std::fs::remove_file(&file);
    if !out.status.success() {
        return Err(TestnetError::Command {
            cmd: format!("nft -f {path}"),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    Ok(())
}
