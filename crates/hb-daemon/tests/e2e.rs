//! End-to-end tests: real `heartbeat` binaries in network namespaces, checked from a client
//! namespace (which MAC answers ARP for the VIP). Root only; without root they say
//! "skipped: needs root" and pass.

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

use hb_testnet::cluster::{Cluster, ClusterSpec};
use hb_testnet::{skip_or, Testnet};

const KEYS: &str = "auth 1\n1 sha1 e2e-secret\n";

fn hacf(keepalive: &str, deadtime: &str, failback: &str) -> String {
    format!(
        "logfile {{dir}}/ha-log\nkeepalive {keepalive}\ndeadtime {deadtime}\nwarntime {deadtime}\n\
         initdead {deadtime}\nudpport 694\nbcast eth0\nauto_failback {failback}\nnode n1\nnode n2\n"
    )
}

fn cluster(hacf: String, haresources: impl Fn(&Testnet) -> String) -> Option<Cluster> {
    let net = skip_or(Testnet::new(2))?;
    let spec = ClusterSpec {
        hacf,
        haresources: haresources(&net),
        authkeys: KEYS.into(),
        scripts: vec![],
    };
    Some(Cluster::new(net, &spec, Path::new(env!("CARGO_BIN_EXE_heartbeat"))).expect("cluster"))
}

fn wait_owner(c: &Cluster, vip: Ipv4Addr, node: usize, limit: Duration) -> Duration {
    let mac = c.mac(node).expect("mac");
    c.wait_until(limit, |c| c.vip_mac(vip).as_deref() == Some(mac.as_str()) && c.holders(vip).map(|h| h == [node]).unwrap_or(false))
        .unwrap_or_else(|| {
            panic!(
                "VIP {vip} not answered by n{} alone within {limit:?}; holders {:?}\n--- n1\n{}\n--- n2\n{}",
                node + 1,
                c.holders(vip),
                c.stderr_log(0),
                c.stderr_log(1)
            )
        })
}

#[test]
fn startup_kill9_failover_and_failback() {
    let Some(mut c) = cluster(hacf("100ms", "1", "on"), |n| format!("n1 {}/24/eth0\n", n.addr(50)))
    else {
        return;
    };
    let vip = c.net.addr(50);
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_owner(&c, vip, 0, Duration::from_secs(15));
    c.kill9(0).expect("kill n1");
    let t = wait_owner(&c, vip, 1, Duration::from_secs(10));
    eprintln!("kill -9 failover: VIP on n2 after {t:?}");
    c.start(0).expect("restart n1");
    let t = wait_owner(&c, vip, 0, Duration::from_secs(15));
    eprintln!("failback: VIP on n1 after {t:?}");
}
