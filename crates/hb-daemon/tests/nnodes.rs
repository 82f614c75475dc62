//! Sixteen real `heartbeat` daemons on one bridge, talking over two media at once (`mcast`
//! and `bcast` on eth0), with four groups preferring n1, n5, n9 and n13. Checked from the
//! client namespace: membership converges (every node sees every other `active`), each group
//! has exactly one holder and the client's ARP for it is answered by that node, the preferred
//! node's crash moves its group within deadtime (to the first live node in `node` order, the
//! documented placement rule), failback brings it home, and a node that holds nothing
//! leaving and joining again moves no group. Root only; without root it says "skipped: needs
//! root" and passes.

mod common;

use std::net::Ipv4Addr;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{fail, held_by, wait_owner, KEYS};
use hb_testnet::cluster::{Cluster, ClusterSpec};
use hb_testnet::{skip_or, Testnet};

const NODES: usize = 16;
/// Preferred node of each group (index), one group per quarter of the cluster.
const PREFERRED: [usize; 4] = [0, 4, 8, 12];
const DEADTIME: Duration = Duration::from_secs(2);

fn hacf() -> String {
    let mut s = String::from(
        "logfile {dir}/ha-log\nkeepalive 200ms\ndeadtime 2\nwarntime 1\ninitdead 4\n\
         udpport 694\nmcast eth0 239.0.7.1 694 1 0\nbcast eth0\nauto_failback on\n",
    );
    for i in 1..=NODES {
        s.push_str(&format!("node n{i}\n"));
    }
    s
}

fn vip(net: &Testnet, g: usize) -> Ipv4Addr {
    net.addr(50 + g as u8)
}

fn haresources(net: &Testnet) -> String {
    PREFERRED
        .iter()
        .enumerate()
        .map(|(g, p)| format!("n{} {}/24/eth0\n", p + 1, vip(net, g)))
        .collect()
}

/// `cl_status nodestatus NODE` as node `i` sees it (our hbctl on its admin socket).
fn nodestatus(c: &Cluster, i: usize, node: usize) -> String {
    let hbctl = std::path::Path::new(env!("CARGO_BIN_EXE_heartbeat")).with_file_name("hbctl");
    let out = Command::new(&hbctl)
        .arg0("cl_status")
        .args(["nodestatus", &format!("n{}", node + 1)])
        .env("HB_API_SOCKET", c.api_socket(i))
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{} runs (cargo build -p hb-ctl): {e}", hbctl.display()));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Checks, for `span`, that every group in `expect` (group, holder) keeps exactly that holder;
/// returns the number of samples taken.
fn assert_groups_stay(c: &Cluster, expect: &[(usize, usize)], span: Duration, what: &str) -> u32 {
    let t0 = Instant::now();
    let mut samples = 0;
    while t0.elapsed() < span {
        for &(g, node) in expect {
            let v = vip(&c.net, g);
            if !held_by(c, v, node) {
                fail(
                    c,
                    &format!(
                        "{what}: after {:?} group {g} ({v}) held by {:?}, not n{} alone",
                        t0.elapsed(),
                        c.holders(v),
                        node + 1
                    ),
                );
            }
        }
        samples += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(samples > 0, "{what}: no sample taken");
    samples
}

#[test]
fn sixteen_nodes_two_media_four_groups() {
    let Some(net) = skip_or(Testnet::new(NODES)) else { return };
    let spec = ClusterSpec {
        hacf: hacf(),
        haresources: haresources(&net),
        authkeys: KEYS.into(),
        scripts: vec![],
    };
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_heartbeat"));
    let mut c = Cluster::new(net, &spec, bin).expect("cluster");
    for i in 0..NODES {
        c.start(i).unwrap_or_else(|e| panic!("start n{}: {e}", i + 1));
    }
    // Each group on its preferred node alone, answering the client's ARP.
    let t0 = Instant::now();
    for (g, &p) in PREFERRED.iter().enumerate() {
        wait_owner(&c, vip(&c.net, g), p, Duration::from_secs(40));
    }
    eprintln!("16 nodes: every group on its preferred node after {:?}", t0.elapsed());
    // Membership: every node sees every other one active (n1, n8 and n16 asked for all).
    let t = c
        .wait_until(Duration::from_secs(20), |c| {
            [0, 7, 15].iter().all(|&i| (0..NODES).all(|j| nodestatus(c, i, j) == "active"))
        })
        .unwrap_or_else(|| {
            let seen: Vec<String> = (0..NODES).map(|j| nodestatus(&c, 15, j)).collect();
            fail(&c, &format!("membership did not converge; n16 sees {seen:?}"))
        });
    eprintln!("membership converged ({} views checked) {t:?} later", 3 * NODES);
    let home: Vec<(usize, usize)> = PREFERRED.iter().copied().enumerate().collect();
    assert_groups_stay(&c, &home, Duration::from_secs(2), "settled");

    // The preferred node of group 1 (n5) crashes: its group goes to n1, the first live node
    // in `node` order, within deadtime (plus detection granularity and the address start).
    c.kill9(4).expect("kill n5");
    let t = c.wait_until(DEADTIME * 3, |c| held_by(c, vip(&c.net, 1), 0)).unwrap_or_else(|| {
        fail(&c, &format!("group 1 not on n1 after n5's crash: {:?}", c.holders(vip(&c.net, 1))))
    });
    eprintln!("n5 killed: its group on n1 after {t:?} (deadtime {DEADTIME:?})");
    assert!(t <= DEADTIME + Duration::from_millis(1500), "failover took {t:?}");
    let others: Vec<(usize, usize)> = vec![(0, 0), (2, 8), (3, 12)];
    assert_groups_stay(&c, &others, Duration::from_secs(1), "after n5's crash");

    // n5 returns: auto_failback brings its group home, nothing else moves.
    c.start(4).expect("restart n5");
    let t = wait_owner(&c, vip(&c.net, 1), 4, Duration::from_secs(30));
    eprintln!("n5 back: failback after {t:?}");
    assert_groups_stay(&c, &home, Duration::from_secs(2), "after failback");

    // A node holding nothing leaves (orderly) and joins again: no group moves meanwhile.
    let left = c.stop(15, Duration::from_secs(20)).expect("stop n16");
    eprintln!("n16 stopped in {left:?}");
    let n = assert_groups_stay(&c, &home, DEADTIME * 2, "while n16 is gone");
    c.start(15).expect("restart n16");
    let n2 = assert_groups_stay(&c, &home, DEADTIME * 3, "while n16 rejoins");
    eprintln!("join/leave: {} samples of 4 groups, none moved", n + n2);
    let rejoined = c.wait_until(Duration::from_secs(20), |c| nodestatus(c, 0, 15) == "active");
    if rejoined.is_none() {
        fail(&c, "n1 does not see n16 active again");
    }
    for i in 0..NODES {
        if !c.is_running(i) {
            fail(&c, &format!("the daemon of n{} exited", i + 1));
        }
    }
    c.stop_all(Duration::from_secs(30)).expect("stop all");
}
