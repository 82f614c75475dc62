//! Shared helpers of the end-to-end tests: configuration texts, cluster construction, and
//! client-side ownership checks that print both nodes' logs when they fail.

#![allow(dead_code)] // each test binary uses a different subset

pub mod scrape;

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::{Duration, Instant};

use hb_testnet::cluster::{Cluster, ClusterSpec};
use hb_testnet::{skip_or, Testnet};

/// `authkeys` of every test cluster.
pub const KEYS: &str = "auth 1\n1 sha1 e2e-secret\n";

/// Timers of an `ha.cf` (heartbeat's time syntax: `1`, `100ms`, …).
pub struct Timers<'a> {
    /// `keepalive`.
    pub keepalive: &'a str,
    /// `deadtime`.
    pub deadtime: &'a str,
    /// `warntime`.
    pub warntime: &'a str,
    /// `initdead`.
    pub initdead: &'a str,
}

/// The usual fast timers: keepalive 100 ms, deadtime 1 s.
pub const FAST: Timers<'static> =
    Timers { keepalive: "100ms", deadtime: "1", warntime: "500ms", initdead: "1" };

/// `ha.cf` for nodes n1 and n2 on broadcast `eth0`, logging to `{dir}/ha-log`.
pub fn hacf(t: &Timers, failback: &str) -> String {
    format!(
        "logfile {{dir}}/ha-log\nkeepalive {}\ndeadtime {}\nwarntime {}\ninitdead {}\n\
         udpport 694\nbcast eth0\nauto_failback {failback}\nnode n1\nnode n2\n",
        t.keepalive, t.deadtime, t.warntime, t.initdead
    )
}

/// A two-node cluster (not started), or `None` when the test must be skipped (not root).
pub fn cluster(
    hacf: String,
    haresources: impl Fn(&Testnet) -> String,
    scripts: Vec<(String, String)>,
) -> Option<Cluster> {
    let net = skip_or(Testnet::new(2))?;
    let spec = ClusterSpec { hacf, haresources: haresources(&net), authkeys: KEYS.into(), scripts };
    Some(Cluster::new(net, &spec, Path::new(env!("CARGO_BIN_EXE_heartbeat"))).expect("cluster"))
}

/// Both nodes' logs, for failure messages.
pub fn logs(c: &Cluster) -> String {
    format!("\n--- n1 stderr\n{}\n--- n2 stderr\n{}", c.stderr_log(0), c.stderr_log(1))
}

/// Panics with `what` and both nodes' logs.
pub fn fail(c: &Cluster, what: &str) -> ! {
    panic!("{what}{}", logs(c))
}

/// Whether exactly `node` holds `vip` (by the nodes' addresses).
pub fn held_by(c: &Cluster, vip: Ipv4Addr, node: usize) -> bool {
    c.holders(vip).map(|h| h == [node]).unwrap_or(false)
}

/// Waits until `vip` is held by `node` alone and the client's ARP request for it is answered
/// by `node`'s MAC; returns how long that took.
pub fn wait_owner(c: &Cluster, vip: Ipv4Addr, node: usize, limit: Duration) -> Duration {
    let mac = c.mac(node).expect("mac");
    c.wait_until(limit, |c| held_by(c, vip, node) && c.vip_mac(vip).as_deref() == Some(&*mac))
        .unwrap_or_else(|| {
            fail(
                c,
                &format!(
                    "VIP {vip} not answered by n{} alone within {limit:?}; holders {:?}",
                    node + 1,
                    c.holders(vip)
                ),
            )
        })
}

/// Waits until `vip` is held by `node` alone (addresses only: no ARP from the client, so the
/// client's neighbour table changes only through the daemons' own announcements).
pub fn wait_holder(c: &Cluster, vip: Ipv4Addr, node: usize, limit: Duration) -> Duration {
    c.wait_until(limit, |c| held_by(c, vip, node)).unwrap_or_else(|| {
        fail(
            c,
            &format!(
                "VIP {vip} not held by n{} alone within {limit:?}; holders {:?}",
                node + 1,
                c.holders(vip)
            ),
        )
    })
}

/// Checks for `span` that `vip` stays with `node` alone, answering ARP with its MAC (sampled).
pub fn assert_stays(c: &Cluster, vip: Ipv4Addr, node: usize, span: Duration) {
    let mac = c.mac(node).expect("mac");
    let t0 = Instant::now();
    let mut samples = 0;
    while t0.elapsed() < span {
        let holders = c.holders(vip).expect("holders");
        if holders != [node] {
            fail(
                c,
                &format!(
                    "after {:?}: VIP {vip} held by {holders:?}, not n{} alone",
                    t0.elapsed(),
                    node + 1
                ),
            );
        }
        let answer = c.vip_mac(vip);
        if answer.as_deref() != Some(&*mac) {
            fail(
                c,
                &format!(
                    "after {:?}: ARP for {vip} answered by {answer:?}, not n{} ({mac})",
                    t0.elapsed(),
                    node + 1
                ),
            );
        }
        samples += 1;
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(samples > 0);
}

/// Asserts that both daemons are still running.
pub fn assert_running(c: &Cluster, nodes: &[usize]) {
    for &i in nodes {
        if !c.is_running(i) {
            fail(c, &format!("the daemon of n{} exited", i + 1));
        }
    }
}

/// Number of lines of `text` containing `needle`.
pub fn count(text: &str, needle: &str) -> usize {
    text.lines().filter(|l| l.contains(needle)).count()
}
