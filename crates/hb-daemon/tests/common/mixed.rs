//! A two-node cluster where one node runs Debian's heartbeat 3.0.6 and the other runs our
//! `heartbeat`, on one [`Testnet`], with the same ha.cf, haresources and authkeys. The group
//! (one IPaddr VIP) always names `n1` as its preferred node; [`Preferred`] says which
//! implementation runs on `n1`.

#![allow(dead_code)]

use std::io::Write;
use std::net::Ipv4Addr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hb_testnet::cluster::{Cluster, ClusterSpec};
use hb_testnet::peers::{wait_for, HeartbeatConfig, RealHeartbeat, HEARTBEAT_BIN};
use hb_testnet::probe::Mac;
use hb_testnet::{skip_or, Testnet};

/// Prints past libtest's capture, so skips and measurements show in `cargo test` output.
pub fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// Which implementation runs on `n1`, the group's preferred node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preferred {
    /// Real heartbeat on n1, ours on n2.
    Real,
    /// Ours on n1, real heartbeat on n2.
    Ours,
}

/// The `authkeys` method both nodes use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// `sha1` HMAC.
    Sha1,
    /// `md5` HMAC.
    Md5,
    /// `crc` (no secret).
    Crc,
}

impl Key {
    /// The authkeys file text.
    pub fn authkeys(self) -> String {
        match self {
            Key::Sha1 => "auth 1\n1 sha1 mixed-secret\n".into(),
            Key::Md5 => "auth 2\n2 md5 mixed-secret\n".into(),
            Key::Crc => "auth 3\n3 crc\n".into(),
        }
    }
}

/// Cluster timers and failback mode.
#[derive(Debug, Clone, Copy)]
pub struct Timers {
    /// `keepalive` in ms.
    pub keepalive_ms: u64,
    /// `deadtime` in ms.
    pub deadtime_ms: u64,
    /// `auto_failback on` (true) or `off`.
    pub failback: bool,
}

impl Timers {
    /// keepalive 200 ms, deadtime 2 s (10 × keepalive).
    pub fn fast(failback: bool) -> Timers {
        Timers { keepalive_ms: 200, deadtime_ms: 2000, failback }
    }

    /// deadtime as a duration.
    pub fn deadtime(&self) -> Duration {
        Duration::from_millis(self.deadtime_ms)
    }
}

/// The ha.cf both nodes read (ours gets an extra `logfile` line).
pub fn hacf(t: Timers) -> String {
    format!(
        "keepalive {}ms\ndeadtime {}ms\nwarntime {}ms\ninitdead {}ms\nudpport 694\nbcast eth0\n\
         auto_failback {}\nnode n1\nnode n2\n",
        t.keepalive_ms,
        t.deadtime_ms,
        t.deadtime_ms / 2,
        (t.deadtime_ms * 2).max(4000),
        if t.failback { "on" } else { "off" }
    )
}

/// One real and one of ours. Field order matters: the real daemon (in a namespace of `c.net`)
/// drops before the cluster and its network.
pub struct Mixed {
    /// The real heartbeat.
    pub real: RealHeartbeat,
    /// Our node(s) and the network.
    pub c: Cluster,
    /// Node index of the real heartbeat.
    pub real_i: usize,
    /// Node index of ours.
    pub ours_i: usize,
    /// The VIP.
    pub vip: Ipv4Addr,
    /// Timers in use.
    pub timers: Timers,
    /// The authkeys method.
    pub key: Key,
    /// When the harness was built.
    pub t0: Instant,
}

/// The path of `hbctl` (built next to the `heartbeat` binary by `cargo test --workspace`).
pub fn hbctl_path() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_heartbeat")).with_file_name("hbctl")
}

impl Mixed {
    /// Builds the network and starts both daemons (real first, then ours). `None` (after
    /// saying why) when not root or when heartbeat 3.0.6 is not installed.
    pub fn start(pref: Preferred, key: Key, timers: Timers) -> Option<Mixed> {
        if !Path::new(HEARTBEAT_BIN).exists() {
            say(&format!("skipped: {HEARTBEAT_BIN} missing (apt-get install heartbeat)"));
            return None;
        }
        let net = skip_or(Testnet::new(2))?;
        // Not a skip: `cargo test --workspace` builds it; a missing tool is a build problem.
        assert!(
            hbctl_path().exists(),
            "{} missing: build it first (cargo build -p hb-ctl)",
            hbctl_path().display()
        );
        let vip = net.addr(50);
        let spec = ClusterSpec {
            hacf: format!("logfile {{dir}}/ha-log\n{}", hacf(timers)),
            haresources: format!("n1 {vip}/24/eth0\n"),
            authkeys: key.authkeys(),
            scripts: vec![],
        };
        let (real_i, ours_i) = match pref {
            Preferred::Real => (0, 1),
            Preferred::Ours => (1, 0),
        };
        let mut c =
            Cluster::new(net, &spec, Path::new(env!("CARGO_BIN_EXE_heartbeat"))).expect("cluster");
        let t0 = Instant::now();
        let cfg = HeartbeatConfig {
            ha_cf: hacf(timers),
            haresources: spec.haresources.clone(),
            authkeys: spec.authkeys.clone(),
            resource_scripts: vec![],
        };
        let real = RealHeartbeat::start(c.host(real_i), &cfg).expect("real heartbeat starts");
        c.start(ours_i).expect("our heartbeat starts");
        Some(Mixed { real, c, real_i, ours_i, vip, timers, key, t0 })
    }

    /// `n1`/`n2` name of node `i`.
    pub fn name(i: usize) -> String {
        format!("n{}", i + 1)
    }

    /// A label for messages: "real n1" or "ours n2".
    pub fn who(&self, i: usize) -> String {
        let kind = if i == self.real_i { "real" } else { "ours" };
        format!("{kind} {}", Self::name(i))
    }

    /// MAC of node `i`.
    pub fn mac(&self, i: usize) -> Mac {
        self.c.mac(i).expect("mac").parse().expect("MAC parses")
    }

    /// Both logs, for failure messages.
    pub fn logs(&self) -> String {
        format!(
            "--- real {} ha-log\n{}\n--- ours {} ha-log + stderr (running: {})\n{}",
            Self::name(self.real_i),
            self.real.log_text(),
            Self::name(self.ours_i),
            self.c.is_running(self.ours_i),
            self.ours_log()
        )
    }

    /// Runs our `hbctl` as `tool` (argv[0]: cl_status, hb_standby, hb_takeover) against our
    /// node's admin socket: (stdout, stderr, exit code).
    pub fn ours_tool(&self, tool: &str, args: &[&str]) -> (String, String, i32) {
        let out = Command::new(hbctl_path())
            .arg0(tool)
            .args(args)
            .env("HB_API_SOCKET", self.c.api_socket(self.ours_i))
            .stdin(Stdio::null())
            .output()
            .expect("hbctl runs (build it: cargo build -p hb-ctl)");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            out.status.code().unwrap_or(-1),
        )
    }

    /// `cl_status args…` on node `i`, whichever implementation runs there.
    pub fn cl_status(&self, i: usize, args: &[&str]) -> (String, String, i32) {
        if i == self.real_i {
            self.real.cl_status(args).unwrap_or_else(|e| (String::new(), e.to_string(), -1))
        } else {
            self.ours_tool("cl_status", args)
        }
    }

    /// `hb_standby`/`hb_takeover` (`tool`) with no argument on node `i`.
    pub fn admin(&self, i: usize, tool: &str) -> (String, String, i32) {
        if i == self.real_i {
            let r = match tool {
                "hb_standby" => self.real.hb_standby(""),
                _ => self.real.hb_takeover(""),
            };
            r.expect("real admin tool runs")
        } else {
            self.ours_tool(tool, &[])
        }
    }

    /// `cl_status rscstatus` on node `i`, trimmed.
    pub fn rscstatus(&self, i: usize) -> String {
        self.cl_status(i, &["rscstatus"]).0.trim().to_string()
    }

    /// Node `i`'s view of node `j` (`cl_status nodestatus`), trimmed.
    pub fn nodestatus(&self, i: usize, j: usize) -> String {
        self.cl_status(i, &["nodestatus", &Self::name(j)]).0.trim().to_string()
    }

    /// Which node the client's ARP request for the VIP reaches, if any.
    pub fn vip_answer(&self) -> Option<Mac> {
        self.c.vip_mac(self.vip).and_then(|m| m.parse().ok())
    }

    /// Whether node `i` alone holds the VIP and answers ARP for it.
    pub fn sole_owner(&self, i: usize) -> bool {
        self.c.holders(self.vip).is_ok_and(|h| h == [i]) && self.vip_answer() == Some(self.mac(i))
    }

    /// Waits until node `i` alone holds the VIP; panics with both logs after `limit`.
    pub fn wait_sole_owner(&self, i: usize, limit: Duration, what: &str) -> Duration {
        let t = Instant::now();
        assert!(
            wait_for(limit, || self.sole_owner(i)),
            "{what}: VIP not held by {} alone within {limit:?} (holders {:?})\n{}",
            self.who(i),
            self.c.holders(self.vip),
            self.logs()
        );
        t.elapsed()
    }

    /// Waits until both nodes report both active and neither resource state is `transition`
    /// (the real node ignores standby requests until then).
    pub fn wait_settled(&self, limit: Duration) {
        let ok = wait_for(limit, || {
            [0, 1].iter().all(|&i| {
                self.nodestatus(i, 0) == "active"
                    && self.nodestatus(i, 1) == "active"
                    && !matches!(self.rscstatus(i).as_str(), "transition" | "")
            })
        });
        assert!(
            ok,
            "not settled within {limit:?}: rscstatus n1 {:?} n2 {:?}\n{}",
            self.cl_status(0, &["rscstatus"]),
            self.cl_status(1, &["rscstatus"]),
            self.logs()
        );
    }

    /// Holds for `period` that node `i` alone keeps the VIP (sampled every 100 ms).
    pub fn hold_steady(&self, i: usize, period: Duration, what: &str) {
        let t = Instant::now();
        while t.elapsed() < period {
            let h = self.c.holders(self.vip).expect("holders");
            assert_eq!(h, [i], "{what}: at {:?}\n{}", t.elapsed(), self.logs());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Standard start-up checks (issue 7 case 1): the VIP on n1 only, both nodes see each
    /// other active and agree. Returns the time from start to the VIP on n1.
    pub fn check_startup(&self) -> Duration {
        // heartbeat acquires resources ~10 s after comm up.
        self.wait_sole_owner(0, Duration::from_secs(40), "start-up");
        let up = self.t0.elapsed();
        self.wait_settled(Duration::from_secs(30));
        for i in 0..2 {
            for j in 0..2 {
                let (out, err, code) = self.cl_status(i, &["nodestatus", &Self::name(j)]);
                assert_eq!(
                    (out.trim(), code),
                    ("active", 0),
                    "{} nodestatus {}: {err}",
                    self.who(i),
                    Self::name(j)
                );
            }
            let (out, _, code) = self.cl_status(i, &["listnodes"]);
            let mut nodes: Vec<&str> = out.lines().map(str::trim).collect();
            nodes.sort_unstable();
            assert_eq!((nodes, code), (vec!["n1", "n2"], 0), "{} listnodes", self.who(i));
        }
        say(&format!(
            "mixed {:?} {:?}: VIP on {} {up:.1?} after start; rscstatus n1 {:?} n2 {:?}",
            self.pref(),
            self.key,
            self.who(0),
            self.rscstatus(0),
            self.rscstatus(1)
        ));
        up
    }

    /// Which implementation runs on n1.
    pub fn pref(&self) -> Preferred {
        if self.real_i == 0 {
            Preferred::Real
        } else {
            Preferred::Ours
        }
    }

    /// Removes the VIP from node `i`'s interface by hand (what a reboot does to an address a
    /// SIGKILLed heartbeat left configured).
    pub fn scrub_vip(&self, i: usize) {
        let cidr = format!("{}/24", self.vip);
        let _ = self.c.net.exec(self.c.host(i), &["ip", "addr", "del", &cidr, "dev", "eth0"]);
    }

    /// Our node's standard error.
    pub fn ours_log(&self) -> String {
        // The daemon logs to both; stderr also has panics and early errors.
        self.c.stderr_log(self.ours_i)
    }
}
