//! What a cluster of N nodes costs each node: CPU and heartbeat messages per second for 2, 4,
//! 8 and 16 nodes at keepalive 100 ms and 1 s (two media, `mcast` + `bcast`, one group). A
//! measurement, not a pass/fail test: it runs only with `HB_NNODES_COST=1` (about 3 minutes,
//! root) and prints a Markdown table; it fails only if it measured nothing.
//! `HB_NNODES_COST=1 cargo test -p hb-daemon --test nnodes_cost -- --nocapture`

mod common;

use std::time::{Duration, Instant};

use common::KEYS;
use hb_testnet::cluster::{Cluster, ClusterSpec};
use hb_testnet::{skip_or, Testnet};

const SETTLE: Duration = Duration::from_secs(8);
const MEASURE: Duration = Duration::from_secs(15);

fn hacf(nodes: usize, keepalive: &str, deadtime: &str) -> String {
    let mut s = format!(
        "logfile {{dir}}/ha-log\nkeepalive {keepalive}\ndeadtime {deadtime}\ninitdead {deadtime}\n\
         udpport 694\nmcast eth0 239.0.7.2 694 1 0\nbcast eth0\nauto_failback on\n"
    );
    for i in 1..=nodes {
        s.push_str(&format!("node n{i}\n"));
    }
    s
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// Packets the client's interface received (it hears every node's broadcasts and the flooded
/// multicast, i.e. every heartbeat message on both media).
fn client_rx(net: &Testnet) -> u64 {
    let out = net
        .exec(net.client(), &["cat", "/sys/class/net/eth0/statistics/rx_packets"])
        .expect("read the client's rx counter");
    String::from_utf8_lossy(&out.stdout).trim().parse().expect("rx_packets is a number")
}

/// (CPU % per node, messages sent per node per second) for one configuration.
fn measure(nodes: usize, keepalive: &str, deadtime: &str) -> Option<(f64, f64)> {
    let net = skip_or(Testnet::new(nodes))?;
    let haresources = format!("n1 {}/24/eth0\n", net.addr(50));
    let spec = ClusterSpec {
        hacf: hacf(nodes, keepalive, deadtime),
        haresources,
        authkeys: KEYS.into(),
        scripts: vec![],
    };
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_heartbeat"));
    let mut c = Cluster::new(net, &spec, bin).expect("cluster");
    for i in 0..nodes {
        c.start(i).expect("start");
    }
    std::thread::sleep(SETTLE);
    let pids: Vec<u32> = (0..nodes).filter_map(|i| c.pid(i)).collect();
    let t0 = Instant::now();
    let cpu0: u64 = pids.iter().filter_map(|p| cpu_ticks(*p)).sum();
    let rx0 = client_rx(&c.net);
    std::thread::sleep(MEASURE);
    let cpu1: u64 = pids.iter().filter_map(|p| cpu_ticks(*p)).sum();
    let rx1 = client_rx(&c.net);
    let secs = t0.elapsed().as_secs_f64();
    c.stop_all(Duration::from_secs(20)).ok();
    // /proc counts in USER_HZ, which Linux fixes at 100 for user space.
    let ticks_per_s = 100.0;
    let cpu_pct = (cpu1 - cpu0) as f64 / ticks_per_s / secs * 100.0 / nodes as f64;
    let msgs = (rx1 - rx0) as f64 / secs / nodes as f64;
    Some((cpu_pct, msgs))
}

#[test]
fn cost_per_node_grows_with_cluster_size() {
    if std::env::var_os("HB_NNODES_COST").is_none() {
        eprintln!("skipped: set HB_NNODES_COST=1 to measure (about 3 minutes, root)");
        return;
    }
    let mut rows = Vec::new();
    for (keepalive, deadtime) in [("100ms", "1"), ("1", "10")] {
        for nodes in [2, 4, 8, 16] {
            let Some((cpu, msgs)) = measure(nodes, keepalive, deadtime) else {
                eprintln!("skipped: needs root");
                return;
            };
            rows.push(format!(
                "| {keepalive} | {nodes} | {cpu:.2} % | {msgs:.1} | {:.1} |",
                msgs * nodes as f64
            ));
        }
    }
    println!("| keepalive | nodes | CPU per node | msgs/s sent per node | msgs/s on the wire |");
    println!("|---|---|---|---|---|");
    for r in &rows {
        println!("{r}");
    }
    assert_eq!(rows.len(), 8, "measured {} of 8 configurations", rows.len());
}
