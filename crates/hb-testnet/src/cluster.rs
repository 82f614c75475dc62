//! A heartbeat-rs cluster on a [`Testnet`]: per-node configuration directories, state and run
//! directories, and start / kill -9 / graceful stop of real `heartbeat` binaries.
//!
//! The configuration texts may contain `{dir}`, replaced by the node's own directory (for
//! `logfile {dir}/ha-log`), `{vip}`-style values are the caller's business. Each node's
//! directory holds `ha.d/` (ha.cf, haresources, authkeys mode 0600, `resource.d/`), `state/`,
//! `run/`, `heartbeat.pid` and `stderr.log` (the daemon's standard error).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::{Host, Result, Testnet, TestnetError};

/// What every node runs with.
#[derive(Debug, Clone, Default)]
pub struct ClusterSpec {
    /// `ha.cf` text (`{dir}` = the node's directory).
    pub hacf: String,
    /// `haresources` text.
    pub haresources: String,
    /// `authkeys` text.
    pub authkeys: String,
    /// Extra executable scripts for `ha.d/resource.d`: (name, contents).
    pub scripts: Vec<(String, String)>,
}

/// The cluster; the network harness is inside and drops with it.
pub struct Cluster {
    /// The network.
    pub net: Testnet,
    root: PathBuf,
    bin: PathBuf,
    pids: Vec<Option<u32>>,
}

impl Cluster {
    /// Writes every node's directories under a fresh temporary directory. `bin` is the
    /// `heartbeat` binary to run.
    pub fn new(net: Testnet, spec: &ClusterSpec, bin: &Path) -> Result<Cluster> {
        let root = std::env::temp_dir().join(format!("{}-cluster", net.prefix()));
        let _ = std::fs::remove_dir_all(&root);
        let n = net.nodes().len();
        let cluster = Cluster { net, root, bin: bin.to_path_buf(), pids: vec![None; n] };
        for i in 0..n {
            cluster.write_node(i, spec)?;
        }
        Ok(cluster)
    }

    fn write_node(&self, i: usize, spec: &ClusterSpec) -> Result<()> {
        let dir = self.node_dir(i);
        let had = dir.join("ha.d");
        std::fs::create_dir_all(had.join("resource.d"))?;
        std::fs::create_dir_all(dir.join("state"))?;
        std::fs::create_dir_all(dir.join("run"))?;
        let fill = |t: &str| t.replace("{dir}", &dir.display().to_string());
        std::fs::write(had.join("ha.cf"), fill(&spec.hacf))?;
        std::fs::write(had.join("haresources"), fill(&spec.haresources))?;
        let keys = had.join("authkeys");
        std::fs::write(&keys, &spec.authkeys)?;
        std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o600))?;
        for (name, text) in &spec.scripts {
            let p = had.join("resource.d").join(name);
            std::fs::write(&p, fill(text))?;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))?;
        }
        Ok(())
    }

    /// Node `i`'s directory.
    pub fn node_dir(&self, i: usize) -> PathBuf {
        self.root.join(format!("n{}", i + 1))
    }

    /// Node `i`'s host.
    pub fn host(&self, i: usize) -> &Host {
        self.net.node(i)
    }

    /// Node `i`'s admin socket.
    pub fn api_socket(&self, i: usize) -> PathBuf {
        self.node_dir(i).join("run").join("api.sock")
    }

    /// The arguments `heartbeat` runs with on node `i` (besides `--foreground`).
    pub fn daemon_args(&self, i: usize) -> Vec<String> {
        let d = self.node_dir(i);
        let s = |p: PathBuf| p.display().to_string();
        vec![
            "--config-dir".into(),
            s(d.join("ha.d")),
            "--state-dir".into(),
            s(d.join("state")),
            "--run-dir".into(),
            s(d.join("run")),
            "--pid-file".into(),
            s(d.join("heartbeat.pid")),
        ]
    }

    /// Starts node `i` in the foreground (stderr to `stderr.log`); returns its PID.
    pub fn start(&mut self, i: usize) -> Result<u32> {
        let log = self.node_dir(i).join("stderr.log");
        let mut args: Vec<String> = vec![
            "-c".into(),
            format!("exec \"$0\" \"$@\" >>{} 2>&1", log.display()),
            self.bin.display().to_string(),
            "--foreground".into(),
        ];
        args.extend(self.daemon_args(i));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let pid = self.net.spawn_in(self.net.node(i), "sh", &argv)?;
        self.pids[i] = Some(pid);
        Ok(pid)
    }

    /// Node `i`'s daemon PID, if started and not yet stopped by this harness.
    pub fn pid(&self, i: usize) -> Option<u32> {
        self.pids[i]
    }

    /// `kill -9` of node `i`'s daemon.
    pub fn kill9(&mut self, i: usize) -> Result<()> {
        let pid = self.pids[i].take().ok_or(TestnetError::NotOurs(0))?;
        self.net.signal(pid, Signal::SIGKILL)?;
        self.wait_exit(pid, Duration::from_secs(5));
        Ok(())
    }

    /// Graceful stop (SIGTERM, as `heartbeat -k` sends) of node `i`; waits up to `limit` for
    /// the process to exit and returns how long it took.
    pub fn stop(&mut self, i: usize, limit: Duration) -> Result<Duration> {
        let pid = self.pids[i].take().ok_or(TestnetError::NotOurs(0))?;
        let t0 = Instant::now();
        self.net.signal(pid, Signal::SIGTERM)?;
        if !self.wait_exit(pid, limit) {
            return Err(TestnetError::Skip(format!(
                "node {} did not stop within {limit:?}",
                i + 1
            )));
        }
        Ok(t0.elapsed())
    }

    fn wait_exit(&self, pid: u32, limit: Duration) -> bool {
        let t0 = Instant::now();
        while t0.elapsed() < limit {
            if !self.net.is_running(pid) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// Whether node `i`'s daemon is still running.
    pub fn is_running(&self, i: usize) -> bool {
        self.pids[i].is_some_and(|p| self.net.is_running(p))
    }

    /// Node `i`'s daemon standard error so far.
    pub fn stderr_log(&self, i: usize) -> String {
        std::fs::read_to_string(self.node_dir(i).join("stderr.log")).unwrap_or_default()
    }

    /// Whether node `i`'s `eth0` holds `ip`.
    pub fn holds(&self, i: usize, ip: std::net::Ipv4Addr) -> Result<bool> {
        let out =
            self.net.exec(self.net.node(i), &["ip", "-4", "-o", "addr", "show", "dev", "eth0"])?;
        let needle = format!(" {ip}/");
        Ok(String::from_utf8_lossy(&out.stdout).contains(&needle))
    }

    /// Which nodes hold `ip` on `eth0`.
    pub fn holders(&self, ip: std::net::Ipv4Addr) -> Result<Vec<usize>> {
        let mut v = Vec::new();
        for i in 0..self.pids.len() {
            if self.holds(i, ip)? {
                v.push(i);
            }
        }
        Ok(v)
    }

    /// Polls until `check` returns true or `limit` passes; returns the time it took.
    pub fn wait_until(
        &self,
        limit: Duration,
        mut check: impl FnMut(&Cluster) -> bool,
    ) -> Option<Duration> {
        let t0 = Instant::now();
        loop {
            if check(self) {
                return Some(t0.elapsed());
            }
            if t0.elapsed() > limit {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The MAC that answers an ARP request for `ip` from the client, if any.
    pub fn vip_mac(&self, ip: std::net::Ipv4Addr) -> Option<String> {
        self.net.arping_from_client(ip).ok().flatten()
    }

    /// `eth0` MAC of node `i`.
    pub fn mac(&self, i: usize) -> Result<String> {
        self.net.mac_of(self.net.node(i))
    }

    /// Like [`Cluster::start`], with extra environment variables for the daemon (for example
    /// `HB_SCRIPT_TIMEOUT_MS`); returns its PID.
    pub fn start_with_env(&mut self, i: usize, env: &[(&str, &str)]) -> Result<u32> {
        self.start_wrapped(i, env, &[])
    }

    /// Like [`Cluster::start`], with extra environment variables and the daemon run through
    /// `wrapper` (a command that execs its arguments, such as `chrt -f 50`); returns its PID.
    pub fn start_wrapped(
        &mut self,
        i: usize,
        env: &[(&str, &str)],
        wrapper: &[&str],
    ) -> Result<u32> {
        let log = self.node_dir(i).join("stderr.log");
        // `env` and the wrapper exec in place, so the PID is still the daemon's.
        let mut args: Vec<String> =
            vec!["-c".into(), format!("exec \"$0\" \"$@\" >>{} 2>&1", log.display()), "env".into()];
        args.extend(env.iter().map(|(k, v)| format!("{k}={v}")));
        args.extend(wrapper.iter().map(|w| w.to_string()));
        args.push(self.bin.display().to_string());
        args.push("--foreground".into());
        args.extend(self.daemon_args(i));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let pid = self.net.spawn_in(self.net.node(i), "sh", &argv)?;
        self.pids[i] = Some(pid);
        Ok(pid)
    }

    /// Node `i`'s `ha-log` (when `ha.cf` says `logfile {dir}/ha-log`) so far.
    pub fn ha_log(&self, i: usize) -> String {
        std::fs::read_to_string(self.node_dir(i).join("ha-log")).unwrap_or_default()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Stop the daemons gracefully before the namespaces go, so their crash guardians exit
        // quietly instead of writing into a directory we are about to remove; SIGKILL what
        // does not stop in time (the Testnet drop also SIGKILLs anything left).
        if self.stop_all(Duration::from_secs(5)).is_err() {
            for pid in self.pids.iter().flatten() {
                let _ = self.net.signal(*pid, Signal::SIGKILL);
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        if std::env::var_os("HB_KEEP_TEST_DIRS").is_none() {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

impl Cluster {
    /// Graceful stop (SIGTERM) of every running daemon at once; waits up to `limit` for all
    /// of them to exit and returns how long it took. A daemon that stops this way disarms its
    /// crash guardian, which otherwise (after the SIGKILL of `Drop`) may still write its log
    /// line into the node directory after `Drop` removed it.
    pub fn stop_all(&mut self, limit: Duration) -> Result<Duration> {
        let t0 = Instant::now();
        let pids: Vec<(usize, u32)> =
            self.pids.iter().enumerate().filter_map(|(i, p)| p.map(|p| (i, p))).collect();
        for &(_, pid) in &pids {
            if self.net.is_running(pid) {
                self.net.signal(pid, Signal::SIGTERM)?;
            }
        }
        for &(i, pid) in &pids {
            let left = limit.saturating_sub(t0.elapsed());
            if !self.wait_exit(pid, left) {
                return Err(TestnetError::Skip(format!(
                    "node {} did not stop within {limit:?}",
                    i + 1
                )));
            }
            self.pids[i] = None;
        }
        Ok(t0.elapsed())
    }
}
