//! End-to-end tests: real `heartbeat` binaries in network namespaces, checked from a client
//! namespace (which MAC answers ARP for the VIP; where it matters, the client's neighbour
//! table and ping). Failover (kill -9, link cut, graceful stop), failback with and without
//! `auto_failback`, two active/active groups, and restarts of the owner. Root only; without
//! root they say "skipped: needs root" and pass.

mod common;

use std::time::{Duration, Instant};

use common::{
    assert_running, assert_stays, cluster, fail, hacf, held_by, wait_holder, wait_owner, Timers,
    FAST,
};

fn one_vip(n: &hb_testnet::Testnet) -> String {
    format!("n1 {}/24/eth0\n", n.addr(50))
}

#[test]
fn startup_kill9_failover_and_failback() {
    let Some(mut c) = cluster(hacf(&FAST, "on"), one_vip, vec![]) else { return };
    let vip = c.net.addr(50);
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    let t = wait_owner(&c, vip, 0, Duration::from_secs(15));
    eprintln!("start-up: VIP on n1 after {t:?}");
    assert_stays(&c, vip, 0, Duration::from_secs(2));
    c.kill9(0).expect("kill n1");
    let t = wait_owner(&c, vip, 1, Duration::from_secs(10));
    eprintln!("kill -9 failover (deadtime 1 s): VIP on n2 after {t:?}");
    c.start(0).expect("restart n1");
    let t = wait_owner(&c, vip, 0, Duration::from_secs(15));
    eprintln!("failback: VIP on n1 after {t:?}");
    assert_stays(&c, vip, 0, Duration::from_secs(2));
    assert_running(&c, &[0, 1]);
}

#[test]
fn link_cut_failover_then_one_holder_after_heal() {
    let Some(mut c) = cluster(hacf(&FAST, "on"), one_vip, vec![]) else { return };
    let vip = c.net.addr(50);
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_owner(&c, vip, 0, Duration::from_secs(15));
    assert!(c.net.ping_from_client(vip).expect("ping"), "VIP does not answer ping");
    wait_client_neigh(&c, vip, 0);
    let host = c.host(0).clone();
    c.net.link_down(&host).expect("link down");
    // n1 cannot be reached: n2 takes over and announces (n1 keeps its copy meanwhile).
    let t = c
        .wait_until(Duration::from_secs(10), |c| c.holders(vip).is_ok_and(|h| h.contains(&1)))
        .unwrap_or_else(|| fail(&c, "n2 did not take the VIP over after n1's link was cut"));
    eprintln!("link cut failover (deadtime 1 s): n2 holds the VIP after {t:?}");
    wait_client_neigh(&c, vip, 1);
    wait_owner_mac(&c, vip, 1);
    std::thread::sleep(Duration::from_secs(2));
    eprintln!("during the cut: holders {:?}", c.holders(vip));
    c.net.link_up(&host).expect("link up");
    let t = wait_holder(&c, vip, 0, Duration::from_secs(20));
    eprintln!("link healed: n1 alone holds the VIP after {t:?}");
    // n2 released silently: the client must learn n1's MAC from n1's announcement, without
    // asking (a router with a long ARP cache would otherwise keep sending to n2).
    wait_client_neigh(&c, vip, 0);
    assert!(c.net.ping_from_client(vip).expect("ping"), "VIP does not answer ping after heal");
    assert_stays(&c, vip, 0, Duration::from_secs(3));
    assert_running(&c, &[0, 1]);
}

/// Checks that the client's ARP request for `vip` is answered by `node`'s MAC.
fn wait_owner_mac(c: &hb_testnet::cluster::Cluster, vip: std::net::Ipv4Addr, node: usize) {
    let mac = c.mac(node).expect("mac");
    c.wait_until(Duration::from_secs(5), |c| c.vip_mac(vip).as_deref() == Some(&*mac))
        .unwrap_or_else(|| fail(c, &format!("ARP for {vip} not answered by n{}", node + 1)));
}

#[test]
fn graceful_stop_hands_over_without_waiting_for_deadtime() {
    let slow = Timers { keepalive: "100ms", deadtime: "5", warntime: "2", initdead: "5" };
    let Some(mut c) = cluster(hacf(&slow, "on"), one_vip, vec![]) else { return };
    let vip = c.net.addr(50);
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_owner(&c, vip, 0, Duration::from_secs(25));
    // SIGTERM (what `heartbeat -k` sends) without waiting for the exit: the hand-over is
    // measured from the signal.
    let pid = c.pid(0).expect("n1 pid");
    let t0 = Instant::now();
    c.net.signal(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
    let gap = wait_owner(&c, vip, 1, Duration::from_secs(15));
    c.stop(0, Duration::from_secs(15)).expect("n1 stops");
    let exit = t0.elapsed();
    eprintln!(
        "graceful stop: VIP answered by n2 {gap:?} after SIGTERM; n1 exited {exit:?} after it"
    );
    // deadtime is 5 s: a peer that waited for it would need at least that long.
    if gap >= Duration::from_secs(3) {
        fail(&c, &format!("hand-over took {gap:?}: n2 seems to have waited for deadtime (5 s)"));
    }
    assert_stays(&c, vip, 1, Duration::from_secs(2));
    assert_running(&c, &[1]);
}

#[test]
fn no_failback_with_auto_failback_off() {
    let Some(mut c) = cluster(hacf(&FAST, "off"), one_vip, vec![]) else { return };
    let vip = c.net.addr(50);
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_owner(&c, vip, 0, Duration::from_secs(15));
    c.kill9(0).expect("kill n1");
    let t = wait_owner(&c, vip, 1, Duration::from_secs(10));
    eprintln!("kill -9 failover: VIP on n2 after {t:?}");
    let before = common::count(&c.stderr_log(0), "Comm_now_up");
    c.start(0).expect("restart n1");
    c.wait_until(Duration::from_secs(15), |c| {
        common::count(&c.stderr_log(0), "Comm_now_up") > before
    })
    .unwrap_or_else(|| fail(&c, "restarted n1 did not come up"));
    // The exchange after n1's return takes well under a second with these timers.
    assert_stays(&c, vip, 1, Duration::from_secs(5));
    assert_running(&c, &[0, 1]);
    eprintln!("auto_failback off: VIP stayed on n2 for 5 s after n1 came back");
}

#[test]
fn active_active_groups_fail_over_and_back() {
    let Some(mut c) = cluster(
        hacf(&FAST, "on"),
        |n| format!("n1 {}/24/eth0\nn2 {}/24/eth0\n", n.addr(50), n.addr(51)),
        vec![],
    ) else {
        return;
    };
    let (a, b) = (c.net.addr(50), c.net.addr(51));
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    let t = wait_owner(&c, a, 0, Duration::from_secs(15));
    wait_owner(&c, b, 1, Duration::from_secs(5));
    eprintln!("active/active start-up: A on n1, B on n2 after {t:?}");
    c.kill9(0).expect("kill n1");
    let t = wait_owner(&c, a, 1, Duration::from_secs(10));
    wait_owner(&c, b, 1, Duration::from_secs(1));
    eprintln!("kill -9 of n1: n2 holds both after {t:?}");
    c.start(0).expect("restart n1");
    let t = wait_owner(&c, a, 0, Duration::from_secs(15));
    wait_owner(&c, b, 1, Duration::from_secs(1));
    eprintln!("n1 back: A failed back to n1 after {t:?}; B stayed on n2");
    assert_stays(&c, a, 0, Duration::from_secs(1));
    assert_stays(&c, b, 1, Duration::from_secs(1));
    assert_running(&c, &[0, 1]);
}

#[test]
fn two_groups_on_one_node_start_and_stop_together_cleanly() {
    // Both groups start (and stop) at the same time on one node: their address actions run
    // concurrently and must not trip over each other.
    let Some(mut c) = cluster(
        hacf(&FAST, "on"),
        |n| format!("n1 {}/24/eth0\nn1 {}/24/eth0\n", n.addr(50), n.addr(51)),
        vec![],
    ) else {
        return;
    };
    let (a, b) = (c.net.addr(50), c.net.addr(51));
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    let t = wait_owner(&c, a, 0, Duration::from_secs(15));
    wait_owner(&c, b, 0, Duration::from_secs(5));
    eprintln!("two groups on n1 after {t:?}");
    let t0 = Instant::now();
    c.net.signal(c.pid(0).expect("n1 pid"), nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
    wait_owner(&c, a, 1, Duration::from_secs(5));
    wait_owner(&c, b, 1, Duration::from_secs(5));
    eprintln!("graceful stop of n1: both groups on n2 {:?} after SIGTERM", t0.elapsed());
    c.stop(0, Duration::from_secs(15)).expect("n1 stops");
    for i in 0..2 {
        let log = c.stderr_log(i);
        for bad in ["failed to start", "failed to stop", "resource busy"] {
            if log.contains(bad) {
                fail(&c, &format!("n{}'s log says {bad:?}", i + 1));
            }
        }
    }
    assert_running(&c, &[1]);
}

/// Waits until the client's neighbour entry for `vip` (filled by an earlier ping, changed only
/// by the daemons' gratuitous ARP: the client sends no ARP meanwhile) is `node`'s MAC.
fn wait_client_neigh(c: &hb_testnet::cluster::Cluster, vip: std::net::Ipv4Addr, node: usize) {
    let mac = c.mac(node).expect("mac");
    let t = c
        .wait_until(Duration::from_secs(5), |c| {
            c.net.client_neigh_mac(vip).ok().flatten().as_deref() == Some(&*mac)
        })
        .unwrap_or_else(|| {
            fail(
                c,
                &format!(
                    "client neighbour entry for {vip} is {:?}, not n{}'s {mac}",
                    c.net.client_neigh_mac(vip),
                    node + 1
                ),
            )
        });
    eprintln!("client neighbour entry on n{}'s MAC after {t:?}", node + 1);
}

#[test]
fn kill9_and_restart_before_deadtime() {
    let t = Timers { keepalive: "100ms", deadtime: "3", warntime: "1", initdead: "3" };
    let Some(mut c) = cluster(hacf(&t, "on"), one_vip, vec![]) else { return };
    let vip = c.net.addr(50);
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_owner(&c, vip, 0, Duration::from_secs(20));
    assert!(c.net.ping_from_client(vip).expect("ping"), "VIP does not answer ping");
    let t0 = Instant::now();
    c.kill9(0).expect("kill n1");
    c.start(0).expect("restart n1");
    let mut n2_held = false;
    c.wait_until(Duration::from_secs(20), |c| {
        let h = c.holders(vip).unwrap_or_default();
        n2_held |= h.contains(&1);
        h == [0]
            && common::count(&c.stderr_log(0), "announcement frames sent") >= 2
            && t0.elapsed() > Duration::from_millis(500)
    })
    .unwrap_or_else(|| fail(&c, "restarted n1 did not take its VIP again"));
    eprintln!(
        "kill -9 + restart within deadtime: n1 holds the VIP again {:?} after the kill \
         (n2 held it meanwhile: {n2_held})",
        t0.elapsed()
    );
    wait_client_neigh(&c, vip, 0);
    assert!(c.net.ping_from_client(vip).expect("ping"), "VIP does not answer ping after restart");
    wait_owner(&c, vip, 0, Duration::from_secs(5));
    assert_stays(&c, vip, 0, Duration::from_secs(3));
    assert_running(&c, &[0, 1]);
}

#[test]
fn kill9_takeover_then_failback_moves_client_neighbour() {
    let Some(mut c) = cluster(hacf(&FAST, "on"), one_vip, vec![]) else { return };
    let vip = c.net.addr(50);
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_owner(&c, vip, 0, Duration::from_secs(15));
    assert!(c.net.ping_from_client(vip).expect("ping"), "VIP does not answer ping");
    wait_client_neigh(&c, vip, 0);
    c.kill9(0).expect("kill n1");
    let t = wait_holder(&c, vip, 1, Duration::from_secs(10));
    eprintln!("kill -9: n2 holds the VIP after {t:?}");
    wait_client_neigh(&c, vip, 1);
    c.start(0).expect("restart n1");
    let t = wait_holder(&c, vip, 0, Duration::from_secs(15));
    eprintln!("failback: n1 holds the VIP after {t:?}");
    wait_client_neigh(&c, vip, 0);
    assert!(c.net.ping_from_client(vip).expect("ping"), "VIP does not answer ping after failback");
    assert!(held_by(&c, vip, 0));
    assert_running(&c, &[0, 1]);
}
