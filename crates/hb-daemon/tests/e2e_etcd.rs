//! End to end: the etcd lease arbiter (issue 19) with a real three-member etcd 3.4 cluster
//! (`hb_testnet::etcd`) on hosts n3–n5 of the test network, and two heartbeat-rs nodes n1, n2
//! (ucast media, so their link can be cut by address while both still reach etcd). One group:
//! a VIP preferred by n1. Ownership is checked from the addresses the nodes hold (sampled
//! every ~20 ms) and from the key in etcd; measured gaps are printed. Root and etcd only.

mod common;

use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{fail, wait_holder, KEYS};
use hb_testnet::cluster::{Cluster, ClusterSpec};
use hb_testnet::etcd::{cut_etcd, cut_udp, EtcdCluster};
use hb_testnet::{skip_or, Testnet};

/// Lease TTL (s) in `arbiter.conf`; deadtime is 2 s.
const TTL: u64 = 3;
const KEY_PREFIX: &str = "/hbtest/e2e/groups/";

/// The daemons (field order: they stop before the network and etcd go) and etcd.
struct Lab {
    c: Cluster,
    etcd: EtcdCluster,
    vip: Ipv4Addr,
    /// The group's name (its first resource as written).
    group: String,
}

fn lab(policy: &str) -> Option<Lab> {
    lab_of(policy, 2)
}

/// `nodes` heartbeat-rs nodes (n1…) and three etcd members on the hosts after them.
fn lab_of(policy: &str, nodes: usize) -> Option<Lab> {
    lab_full(policy, nodes, None)
}

/// [`lab_of`] with the group's resource given (default: the VIP).
fn lab_full(policy: &str, nodes: usize, resource: Option<&str>) -> Option<Lab> {
    if !EtcdCluster::available() {
        eprintln!("skipped: needs etcd-server (/usr/bin/etcd)");
        return None;
    }
    let net = skip_or(Testnet::new(nodes + 3))?;
    let vip = net.addr(200);
    let media: String = (0..nodes).map(|i| format!("ucast eth0 {}\n", net.node(i).ip)).collect();
    let names: String = (0..nodes).map(|i| format!("node n{}\n", i + 1)).collect();
    let hacf = format!(
        "logfile {{dir}}/ha-log\nkeepalive 200ms\ndeadtime 2\nwarntime 1\ninitdead 4\n\
         udpport 694\n{media}auto_failback on\n{names}"
    );
    let spec = ClusterSpec {
        hacf,
        haresources: format!("n1 {}\n", resource.map_or(format!("{vip}/24/eth0"), str::to_owned)),
        authkeys: KEYS.into(),
        scripts: vec![],
    };
    let c = Cluster::new(net, &spec, Path::new(env!("CARGO_BIN_EXE_heartbeat"))).expect("cluster");
    let hosts: Vec<_> = (nodes..nodes + 3).map(|i| c.net.node(i).clone()).collect();
    let etcd = EtcdCluster::start(&c.net, &hosts).expect("etcd");
    for i in 0..nodes {
        let had = c.node_dir(i).join("ha.d");
        let conf = had.join("arbiter.conf");
        std::fs::write(
            &conf,
            format!(
                "endpoints {}\nprefix /hbtest\ncluster e2e\nlease_ttl {TTL}\ntimeout 1\n\
                 unreachable {policy}\n",
                etcd.endpoints().join(" ")
            ),
        )
        .expect("arbiter.conf");
        std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let alert = had.join("alert");
        let out = c.node_dir(i).join("alerts");
        std::fs::write(&alert, format!("#!/bin/sh\necho \"$1 $2\" >>{}\n", out.display()))
            .expect("alert");
        std::fs::set_permissions(&alert, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let group = resource.map_or(format!("{vip}/24/eth0"), str::to_owned);
    Some(Lab { c, etcd, vip, group })
}

impl Lab {
    fn key(&self) -> String {
        format!("{KEY_PREFIX}{}", self.group)
    }

    fn key_holder(&self) -> Option<String> {
        self.etcd.get(&self.c.net, &self.key())
    }

    /// Starts the daemons; n1 (preferred) ends up with the VIP and the key.
    fn start(&mut self) {
        self.start_n(2);
    }

    fn start_n(&mut self, nodes: usize) {
        for i in 0..nodes {
            self.c.start(i).expect("start");
        }
        let t = wait_holder(&self.c, self.vip, 0, Duration::from_secs(30));
        eprintln!("start-up: VIP on n1 after {t:?}");
        self.wait_key("n1", Duration::from_secs(5));
    }

    fn wait_key(&self, node: &str, limit: Duration) {
        let t0 = Instant::now();
        while t0.elapsed() < limit {
            if self.key_holder().as_deref() == Some(node) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.fail(&format!("key {} not held by {node}: {:?}", self.key(), self.key_holder()));
    }

    fn fail(&self, what: &str) -> ! {
        fail(&self.c, &format!("{what}{}", self.etcd.logs()))
    }

    /// Samples the VIP's holders for `span`: never two; returns (samples, per-sample holders
    /// with their time since the start).
    fn watch(&self, span: Duration) -> Vec<(Duration, Vec<usize>)> {
        let t0 = Instant::now();
        let mut seen = Vec::new();
        while t0.elapsed() < span {
            let h = self.c.holders(self.vip).expect("holders");
            if h.len() > 1 {
                self.fail(&format!("after {:?}: VIP held by {h:?} at once", t0.elapsed()));
            }
            seen.push((t0.elapsed(), h));
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!seen.is_empty());
        seen
    }

    fn alerts(&self, i: usize) -> String {
        std::fs::read_to_string(self.c.node_dir(i).join("alerts")).unwrap_or_default()
    }
}

/// The nodes' heartbeat link is cut while both reach etcd: each declares the other dead, n2
/// wants the group, but the key stays n1's, so exactly one node holds the VIP throughout.
#[test]
fn link_cut_with_both_reaching_etcd_leaves_exactly_one_holder() {
    let Some(mut lab) = lab("keep") else { return };
    lab.start();
    let (n1, n2) = (lab.c.net.node(0).clone(), lab.c.net.node(1).clone());
    cut_udp(&lab.c.net, &n1, &n2, 694, true).expect("cut");
    let seen = lab.watch(Duration::from_secs(4 * TTL));
    let on_n1 = seen.iter().filter(|(_, h)| h == &[0]).count();
    eprintln!("link cut: {} samples, VIP on n1 alone in {on_n1}", seen.len());
    assert_eq!(on_n1, seen.len(), "the holder never changed");
    if !wait_log(&lab.c, 1, "etcd key is held by n1", Duration::from_secs(5)) {
        lab.fail("n2 never said it waits for n1's key");
    }
    cut_udp(&lab.c.net, &n1, &n2, 694, false).expect("heal");
    let seen = lab.watch(Duration::from_secs(2 * TTL));
    assert!(seen.iter().all(|(_, h)| h == &[0]), "healed: still n1 alone");
    assert_eq!(lab.key_holder().as_deref(), Some("n1"));
    assert!(lab.alerts(1).contains("lease_busy"), "alert hook: {}", lab.alerts(1));
}

/// n1 is cut from etcd only. `keep`: it keeps serving (no gap), n2 takes nothing; when etcd
/// is back n1 still holds the key.
#[test]
fn owner_cut_from_etcd_keeps_serving_under_keep() {
    let Some(mut lab) = lab("keep") else { return };
    lab.start();
    let n1 = lab.c.net.node(0).clone();
    cut_etcd(&lab.c.net, &n1, true).expect("cut");
    let seen = lab.watch(Duration::from_secs(3 * TTL));
    assert!(seen.iter().all(|(_, h)| h == &[0]), "keep: n1 serves throughout");
    if !wait_log(&lab.c, 0, "etcd unreachable", Duration::from_secs(5)) {
        lab.fail("n1 never noticed etcd is unreachable");
    }
    cut_etcd(&lab.c.net, &n1, false).expect("heal");
    let seen = lab.watch(Duration::from_secs(2 * TTL));
    assert!(seen.iter().all(|(_, h)| h == &[0]), "recovered: n1 alone, no flap");
    lab.wait_key("n1", Duration::from_secs(10));
    assert!(lab.alerts(0).contains("etcd_unreachable"), "{}", lab.alerts(0));
}

/// n1 is cut from etcd only. `release`: it drops the VIP after the grace (TTL − timeout), and
/// n2 takes it once n1's lease expired: never both; the gap is printed.
#[test]
fn owner_cut_from_etcd_releases_after_grace_under_release() {
    let Some(mut lab) = lab("release") else { return };
    lab.start();
    let n1 = lab.c.net.node(0).clone();
    let t0 = Instant::now();
    cut_etcd(&lab.c.net, &n1, true).expect("cut");
    let seen = lab.watch(Duration::from_secs(4 * TTL));
    let dropped = seen.iter().find(|(_, h)| !h.contains(&0)).map(|(t, _)| *t);
    let taken = seen.iter().find(|(_, h)| h == &[1]).map(|(t, _)| *t);
    let (Some(dropped), Some(taken)) = (dropped, taken) else {
        lab.fail(&format!("release: dropped {dropped:?}, taken by n2 {taken:?}"));
    };
    eprintln!(
        "release: n1 dropped the VIP {dropped:?} after the cut; n2 took it {taken:?} after the \
         cut; gap without a holder {:?}",
        taken.saturating_sub(dropped)
    );
    assert!(taken >= dropped, "n2 only after n1 let go");
    lab.wait_key("n2", Duration::from_secs(5));
    cut_etcd(&lab.c.net, &n1, false).expect("heal");
    // Back in reach: auto_failback on moves it home through a hand-over, never doubled.
    let seen = lab.watch(Duration::from_secs(3 * TTL));
    eprintln!(
        "after heal: holders at the end {:?} ({:?} since the cut)",
        seen.last(),
        t0.elapsed()
    );
}

/// One etcd member killed (the leader, so a new one is elected), then restarted: no
/// hand-over, no flap.
#[test]
fn etcd_member_loss_and_leader_change_do_not_move_the_group() {
    let Some(mut lab) = lab("keep") else { return };
    lab.start();
    let leader = lab.etcd.leader(&lab.c.net).unwrap_or(0);
    eprintln!("killing etcd member e{} (leader)", leader + 1);
    let net = &lab.c.net;
    lab.etcd.kill(net, leader).expect("kill");
    let seen = lab.watch(Duration::from_secs(3 * TTL));
    assert!(seen.iter().all(|(_, h)| h == &[0]), "no hand-over");
    let new_leader = lab.etcd.leader(&lab.c.net);
    eprintln!("new leader: {new_leader:?}");
    assert!(new_leader.is_some_and(|l| l != leader), "a new leader was elected");
    lab.etcd.restart(&lab.c.net, leader).expect("restart");
    let seen = lab.watch(Duration::from_secs(2 * TTL));
    assert!(seen.iter().all(|(_, h)| h == &[0]), "no flap when it returns");
    for i in 0..2 {
        let alerts = lab.alerts(i);
        assert!(!alerts.contains("lease_lost"), "n{}: {alerts}", i + 1);
    }
    lab.wait_key("n1", Duration::from_secs(5));
}

/// All of etcd down: `keep` holds the VIP on n1; when etcd returns, n1 still holds it and
/// the key, and n2 never held it.
#[test]
fn all_of_etcd_down_then_back_keeps_one_holder() {
    let Some(mut lab) = lab("keep") else { return };
    lab.start();
    for i in 0..lab.etcd.len() {
        let net = &lab.c.net;
        lab.etcd.kill(net, i).expect("kill");
    }
    let seen = lab.watch(Duration::from_secs(3 * TTL));
    assert!(seen.iter().all(|(_, h)| h == &[0]), "keep: n1 serves through the outage");
    for i in 0..lab.etcd.len() {
        let net = &lab.c.net;
        lab.etcd.restart(net, i).expect("restart");
    }
    if !lab.etcd.wait_healthy(&lab.c.net, Duration::from_secs(30)) {
        lab.fail("etcd did not come back");
    }
    let seen = lab.watch(Duration::from_secs(3 * TTL));
    assert!(seen.iter().all(|(_, h)| h == &[0]), "recovery: no second holder, no flap");
    lab.wait_key("n1", Duration::from_secs(10));
}

/// Waits until node `i`'s log says `needle`.
fn wait_log(c: &Cluster, i: usize, needle: &str, limit: Duration) -> bool {
    c.wait_until(limit, |c| c.stderr_log(i).contains(needle) || c.ha_log(i).contains(needle))
        .is_some()
}

/// Hand-overs with the arbiter: a graceful stop and the failback move the key with the
/// group (no lease wait); after a kill -9 the survivor waits for the dead holder's lease.
/// Prints each gap (VIP gone from the old holder → on the new one).
#[test]
fn hand_overs_move_the_key_and_a_crash_waits_for_the_lease() {
    let Some(mut lab) = lab("keep") else { return };
    lab.start();
    // Graceful stop of n1 (SIGTERM): n2 takes over at once.
    let pid = lab.c.pid(0).expect("n1 pid");
    lab.c.net.signal(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
    let seen = lab.watch(Duration::from_secs(6));
    let left = seen.iter().find(|(_, h)| !h.contains(&0)).map(|(t, _)| *t);
    let taken = seen.iter().find(|(_, h)| h == &[1]).map(|(t, _)| *t);
    let (Some(left), Some(taken)) = (left, taken) else {
        lab.fail(&format!("graceful stop: left n1 {left:?}, on n2 {taken:?}"));
    };
    eprintln!(
        "graceful stop: VIP left n1 {left:?} after SIGTERM, on n2 {taken:?}; gap without a \
         holder {:?}",
        taken.saturating_sub(left)
    );
    lab.wait_key("n2", Duration::from_secs(5));
    if lab.c.wait_until(Duration::from_secs(10), |c| !c.is_running(0)).is_none() {
        lab.fail("n1 did not exit after SIGTERM");
    }
    // n1 returns: auto_failback on gives it back through the hand-over.
    lab.c.start(0).expect("restart n1");
    let seen = lab.watch(Duration::from_secs(15));
    let left = seen.iter().find(|(_, h)| !h.contains(&1)).map(|(t, _)| *t);
    let home = seen.iter().find(|(_, h)| h == &[0]).map(|(t, _)| *t);
    let (Some(left), Some(home)) = (left, home) else {
        lab.fail(&format!("failback: left n2 {left:?}, on n1 {home:?}"));
    };
    eprintln!("failback: gap without a holder {:?}", home.saturating_sub(left));
    lab.wait_key("n1", Duration::from_secs(5));
    // kill -9 of n1: n2 may take the VIP only once n1's lease has expired.
    let t0 = Instant::now();
    lab.c.kill9(0).expect("kill n1");
    let seen = lab.watch(Duration::from_secs(4 * TTL));
    let taken = seen.iter().find(|(_, h)| h == &[1]).map(|(t, _)| *t);
    let Some(taken) = taken else { lab.fail("kill -9: n2 never took the VIP") };
    eprintln!(
        "kill -9: VIP on n2 {taken:?} after the kill (deadtime 2 s, lease TTL {TTL} s; {:?} \
         since the kill at the end)",
        t0.elapsed()
    );
    assert!(taken >= Duration::from_secs(TTL - 1), "not before n1's lease could expire");
    lab.wait_key("n2", Duration::from_secs(5));
}

/// Three heartbeat-rs nodes: n1 (the holder) is cut from both peers while all reach etcd. n2
/// and n3 bury it and one of them wants the group, but the key stays n1's: one holder.
#[test]
fn three_nodes_holder_cut_from_its_peers_stays_the_only_holder() {
    let Some(mut lab) = lab_of("keep", 3) else { return };
    lab.start_n(3);
    let n1 = lab.c.net.node(0).clone();
    for j in 1..3 {
        let peer = lab.c.net.node(j).clone();
        cut_udp(&lab.c.net, &n1, &peer, 694, true).expect("cut");
    }
    let seen = lab.watch(Duration::from_secs(4 * TTL));
    let on_n1 = seen.iter().filter(|(_, h)| h == &[0]).count();
    eprintln!("three nodes, n1 cut from its peers: {} samples, n1 alone in {on_n1}", seen.len());
    assert_eq!(on_n1, seen.len());
    let waited = (1..3).any(|j| lab.c.stderr_log(j).contains("etcd key is held by n1"));
    if !waited {
        lab.fail("neither n2 nor n3 waited for n1's key");
    }
    for j in 1..3 {
        let peer = lab.c.net.node(j).clone();
        cut_udp(&lab.c.net, &n1, &peer, 694, false).expect("heal");
    }
    let seen = lab.watch(Duration::from_secs(2 * TTL));
    assert!(seen.iter().all(|(_, h)| h == &[0]), "healed: still n1 alone");
    assert_eq!(lab.key_holder().as_deref(), Some("n1"));
}

/// The layout for sites with no shared layer 2: the arbiter decides, a reserved IP (the
/// provider API stand-in, `hb_testnet::cloud_api`) moves. With the heartbeat link cut while
/// both nodes reach etcd and the API, the IP stays on n1's droplet; after a kill -9 it moves
/// to n2's once n1's lease has expired.
#[test]
fn reserved_ip_with_the_arbiter_stays_put_through_a_split_and_moves_after_a_crash() {
    const TOKEN: &str = "dop_v1_e2e_etcd_arbiter";
    const DROPLETS: [u64; 2] = [3_164_444, 3_164_494];
    let rip: std::net::IpAddr = [45, 55, 96, 8].into();
    let Some(mut lab) = lab_full("keep", 2, Some("ReservedIP::45.55.96.8")) else { return };
    let client = lab.c.net.client().clone();
    let api = hb_testnet::cloud_api::CloudApi::start_in(&lab.c.net, &client, 8080, TOKEN)
        .expect("stand-in");
    api.add_ip(rip, 4711, Some(999));
    for (i, id) in DROPLETS.iter().enumerate() {
        api.add_instance(std::net::IpAddr::V4(lab.c.net.node(i).ip), *id);
        let conf = lab.c.node_dir(i).join("ha.d").join("cloud.conf");
        std::fs::write(
            &conf,
            format!(
                "provider digitalocean\ntoken {TOKEN}\napi_url {u}\nmetadata_url {u}\n\
                 timeout 1\nretries 2\nretry_backoff 200ms\naction_timeout 10\n\
                 verify_interval 1\n",
                u = api.url()
            ),
        )
        .expect("cloud.conf");
        std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    lab.c.start(0).expect("start n1");
    lab.c.start(1).expect("start n2");
    lab.wait_key("n1", Duration::from_secs(30));
    let on = |api: &hb_testnet::cloud_api::CloudApi, i: usize| api.holder(rip) == Some(DROPLETS[i]);
    if lab.c.wait_until(Duration::from_secs(10), |_| on(&api, 0)).is_none() {
        lab.fail(&format!("the IP is on {:?}, not n1's droplet", api.holder(rip)));
    }
    let (n1, n2) = (lab.c.net.node(0).clone(), lab.c.net.node(1).clone());
    cut_udp(&lab.c.net, &n1, &n2, 694, true).expect("cut");
    let t0 = Instant::now();
    let mut samples = 0;
    while t0.elapsed() < Duration::from_secs(4 * TTL) {
        if !on(&api, 0) {
            lab.fail(&format!(
                "split: the IP moved to {:?} after {:?}",
                api.holder(rip),
                t0.elapsed()
            ));
        }
        samples += 1;
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("reserved IP, link cut: on n1's droplet in all {samples} samples");
    assert_eq!(lab.key_holder().as_deref(), Some("n1"));
    cut_udp(&lab.c.net, &n1, &n2, 694, false).expect("heal");
    std::thread::sleep(Duration::from_secs(2));
    let t0 = Instant::now();
    lab.c.kill9(0).expect("kill n1");
    let Some(t) = lab.c.wait_until(Duration::from_secs(20), |_| on(&api, 1)) else {
        lab.fail(&format!("kill -9: the IP is on {:?}, not n2's droplet", api.holder(rip)));
    };
    eprintln!(
        "reserved IP, kill -9 of n1: on n2's droplet {t:?} after the kill ({:?})",
        t0.elapsed()
    );
    assert!(t >= Duration::from_secs(TTL - 1), "not before n1's lease could expire");
    lab.wait_key("n2", Duration::from_secs(5));
}
