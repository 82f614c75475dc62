//! IPv6 end to end, seen from the client: pairs over `ucast6` and over `mcast6`, an IPv6 VIP
//! (`IPv6addr`) failing over and back with the client's neighbour cache following the daemons'
//! unsolicited neighbour advertisements, and a group mixing IPv4 and IPv6 (`IPaddr2`).
//!
//! Addresses are ULAs `fd99:0:<harness>::/64`, added inside the harness's own namespaces only.

mod common;

use std::net::{IpAddr, Ipv6Addr};
use std::path::Path;
use std::time::Duration;

use common::{fail, FAST};
use hb_testnet::cluster::{Cluster, ClusterSpec};
use hb_testnet::{parse_neigh_mac, skip_or, Testnet};

/// `fd99:0:<harness>::<last>` (hex `last`, the same number as the IPv4 host part).
fn ip6(net: &Testnet, last: u8) -> Ipv6Addr {
    let third = net.addr(0).octets()[2];
    Ipv6Addr::new(0xfd99, 0, u16::from(third), 0, 0, 0, 0, u16::from(last))
}

/// A two-node cluster whose hosts also have IPv6 addresses; `media` gets the nodes' addresses.
fn v6_cluster(
    media: impl Fn(&[Ipv6Addr]) -> String,
    haresources: impl Fn(&Testnet) -> String,
) -> Option<Cluster> {
    let net = skip_or(Testnet::new(2))?;
    let mut nodes = Vec::new();
    for i in 0..2 {
        let host = net.node(i).clone();
        let a = ip6(&net, host.ip.octets()[3]);
        add_v6(&net, &host, a);
        nodes.push(a);
    }
    let client = net.client().clone();
    add_v6(&net, &client, ip6(&net, client.ip.octets()[3]));
    let hacf = format!(
        "logfile {{dir}}/ha-log\nkeepalive {}\ndeadtime {}\nwarntime {}\ninitdead {}\n\
         udpport 694\n{}auto_failback on\nnode n1\nnode n2\n",
        FAST.keepalive,
        FAST.deadtime,
        FAST.warntime,
        FAST.initdead,
        media(&nodes)
    );
    let spec = ClusterSpec {
        hacf,
        haresources: haresources(&net),
        authkeys: common::KEYS.into(),
        scripts: vec![],
    };
    Some(Cluster::new(net, &spec, Path::new(env!("CARGO_BIN_EXE_heartbeat"))).expect("cluster"))
}

fn add_v6(net: &Testnet, host: &hb_testnet::Host, a: Ipv6Addr) {
    let out = net
        .exec(host, &["ip", "-6", "addr", "add", &format!("{a}/64"), "dev", "eth0", "nodad"])
        .expect("ip addr add");
    assert!(out.status.success(), "ip -6 addr add {a}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Which nodes hold `ip` (either family) on `eth0`.
fn holders(c: &Cluster, ip: IpAddr) -> Vec<usize> {
    let needle = format!(" {ip}/");
    (0..2)
        .filter(|&i| {
            c.net
                .exec(c.net.node(i), &["ip", "-o", "addr", "show", "dev", "eth0"])
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(&needle))
        })
        .collect()
}

fn wait_holder(c: &Cluster, ips: &[IpAddr], node: usize, limit: Duration) -> Duration {
    c.wait_until(limit, |c| ips.iter().all(|ip| holders(c, *ip) == [node])).unwrap_or_else(|| {
        let h: Vec<_> = ips.iter().map(|ip| (ip, holders(c, *ip))).collect();
        fail(c, &format!("{ips:?} not held by n{} alone within {limit:?}: {h:?}", node + 1))
    })
}

/// The MAC the client's IPv6 neighbour cache holds for `ip`.
fn client_neigh6(c: &Cluster, ip: Ipv6Addr) -> Option<String> {
    let ns = &c.net.client().netns;
    let out = std::process::Command::new("ip")
        .args(["-n", ns, "-6", "neigh", "show", &ip.to_string()])
        .output()
        .ok()?;
    parse_neigh_mac(&String::from_utf8_lossy(&out.stdout))
}

/// Waits (without sending the client anything) until its cache says `node`'s MAC for `ip`.
fn wait_client_neigh6(c: &Cluster, ip: Ipv6Addr, node: usize) {
    let mac = c.mac(node).expect("mac");
    c.wait_until(Duration::from_secs(5), |c| client_neigh6(c, ip).as_deref() == Some(&*mac))
        .unwrap_or_else(|| {
            fail(
                c,
                &format!(
                    "client's neighbour entry for {ip} is {:?}, not n{}'s {mac}",
                    client_neigh6(c, ip),
                    node + 1
                ),
            )
        });
}

fn ping_from_client(c: &Cluster, ip: IpAddr) -> bool {
    c.net
        .exec(c.net.client(), &["ping", "-c", "1", "-W", "1", &ip.to_string()])
        .is_ok_and(|o| o.status.success())
}

#[test]
fn ucast6_pair_moves_an_ipv6_vip_and_back_and_the_client_cache_follows_the_na() {
    let ucast6 = |nodes: &[Ipv6Addr]| nodes.iter().map(|a| format!("ucast6 eth0 {a}\n")).collect();
    let vip_of = |net: &Testnet| ip6(net, 0x50);
    let Some(mut c) = v6_cluster(ucast6, |net| format!("n1 IPv6addr::{}/64/eth0\n", vip_of(net)))
    else {
        return;
    };
    let vip = vip_of(&c.net);
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    let t = wait_holder(&c, &[vip.into()], 0, Duration::from_secs(15));
    eprintln!("n1 holds {vip} after {t:?}");
    assert!(ping_from_client(&c, vip.into()), "{vip} does not answer ping6 from the client");
    wait_client_neigh6(&c, vip, 0);

    // Crash: the guardian removes n1's copy, n2 takes over, and its NA (not a new lookup:
    // the client sends nothing meanwhile) rewrites the client's cache.
    c.kill9(0).expect("kill n1");
    let t = wait_holder(&c, &[vip.into()], 1, Duration::from_secs(10));
    eprintln!("n2 holds {vip} {t:?} after the crash of n1");
    wait_client_neigh6(&c, vip, 1);
    assert!(ping_from_client(&c, vip.into()), "{vip} does not answer after failover");

    // Failback (auto_failback on) when n1 returns.
    c.start(0).expect("restart n1");
    let t = wait_holder(&c, &[vip.into()], 0, Duration::from_secs(15));
    eprintln!("back on n1 after {t:?}");
    wait_client_neigh6(&c, vip, 0);
    assert!(ping_from_client(&c, vip.into()), "{vip} does not answer after failback");
    c.stop_all(Duration::from_secs(10)).expect("stop");
    assert!(holders(&c, vip.into()).is_empty(), "{vip} left behind after a clean stop");
}

#[test]
fn mcast6_pair_moves_a_mixed_ipv4_ipv6_group_on_standby() {
    let mcast6 = |_: &[Ipv6Addr]| "mcast6 eth0 ff12::694:1 694 1 0\n".to_string();
    let Some(mut c) = v6_cluster(mcast6, |net| {
        format!("n1 IPaddr2::{}/64/eth0 {}/24/eth0\n", ip6(net, 0x51), net.addr(51))
    }) else {
        return;
    };
    let (v6, v4): (IpAddr, IpAddr) = (ip6(&c.net, 0x51).into(), c.net.addr(51).into());
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_holder(&c, &[v6, v4], 0, Duration::from_secs(15));
    assert!(ping_from_client(&c, v6) && ping_from_client(&c, v4), "group not reachable on n1");

    // A graceful stop hands the whole group to n2 at once (mcast6 carries the handshake).
    let t = c.stop(0, Duration::from_secs(15)).expect("stop n1");
    eprintln!("n1 stopped in {t:?}");
    let t = wait_holder(&c, &[v6, v4], 1, Duration::from_secs(10));
    eprintln!("n2 holds both after {t:?}");
    if let IpAddr::V6(a) = v6 {
        wait_client_neigh6(&c, a, 1);
    }
    assert!(ping_from_client(&c, v6) && ping_from_client(&c, v4), "group not reachable on n2");
    c.stop_all(Duration::from_secs(10)).expect("stop");
}

/// heartbeat 3.0.6 (Debian's build ships the ucast6 plugin) on n1 and ours on n2, talking over
/// `ucast6` only: the real node keeps its group (ours heard it), reports ours active (it heard
/// ours), and ours takes the group over when the real node dies.
#[test]
fn ucast6_pair_with_a_real_heartbeat_peer() {
    use hb_testnet::peers::{HeartbeatConfig, RealHeartbeat, HEARTBEAT_BIN};
    let plugin = "/usr/lib/heartbeat/plugins/HBcomm/ucast6.so";
    if !Path::new(HEARTBEAT_BIN).exists() || !Path::new(plugin).exists() {
        eprintln!("skipped: {HEARTBEAT_BIN} or {plugin} missing (apt-get install heartbeat)");
        return;
    }
    let timers = "keepalive 200ms\ndeadtime 2000ms\nwarntime 1000ms\ninitdead 4000ms\n";
    let Some(net) = skip_or(Testnet::new(2)) else { return };
    let mut media = String::new();
    for i in 0..2 {
        let host = net.node(i).clone();
        let a = ip6(&net, host.ip.octets()[3]);
        add_v6(&net, &host, a);
        media.push_str(&format!("ucast6 eth0 {a}\n"));
    }
    let vip = net.addr(52);
    let hacf = format!("{timers}udpport 694\n{media}auto_failback on\nnode n1\nnode n2\n");
    let spec = ClusterSpec {
        hacf: format!("logfile {{dir}}/ha-log\n{hacf}"),
        haresources: format!("n1 {vip}/24/eth0\n"),
        authkeys: common::KEYS.into(),
        scripts: vec![],
    };
    let mut c =
        Cluster::new(net, &spec, Path::new(env!("CARGO_BIN_EXE_heartbeat"))).expect("cluster");
    let cfg = HeartbeatConfig {
        ha_cf: hacf,
        haresources: spec.haresources.clone(),
        authkeys: spec.authkeys.clone(),
        resource_scripts: vec![],
    };
    let real = RealHeartbeat::start(c.host(0), &cfg).expect("real heartbeat starts");
    c.start(1).expect("ours starts");
    let logs =
        |c: &Cluster| format!("\n--- real\n{}\n--- ours\n{}", real.log_text(), c.stderr_log(1));
    let ok = c.wait_until(Duration::from_secs(40), |c| holders(c, vip.into()) == [0]);
    assert!(
        ok.is_some(),
        "VIP not on the real n1 alone: {:?}{}",
        holders(&c, vip.into()),
        logs(&c)
    );
    let heard = c.wait_until(Duration::from_secs(20), |_| {
        real.cl_status(&["nodestatus", "n2"])
            .is_ok_and(|(out, _, code)| code == 0 && out.trim() == "active")
    });
    assert!(heard.is_some(), "the real node never saw ours active over ucast6{}", logs(&c));
    // Ours must not have taken n1's group while hearing n1.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        holders(&c, vip.into()),
        [0],
        "ours took the VIP beside a live real peer{}",
        logs(&c)
    );

    real.kill9().expect("kill the real heartbeat");
    // The killed heartbeat leaves its address behind (heartbeat 3.0.6 has no guardian): ours
    // holding it is the check.
    let took = c.wait_until(Duration::from_secs(15), |c| holders(c, vip.into()).contains(&1));
    assert!(took.is_some(), "ours did not take over after the real node died{}", logs(&c));
    eprintln!("ours took over {took:?} after the real heartbeat was killed");
    c.stop_all(Duration::from_secs(10)).expect("stop");
}
