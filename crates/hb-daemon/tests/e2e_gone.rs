//! The crash guardian tells the peer (issue 20): after `kill -9` of the owner's daemon its
//! guardian removes the VIP and sends the sealed "gone" message the daemon handed it at start,
//! so the peer takes over without waiting for deadtime. With deadtime 30 s, the peer holding the
//! VIP within 10 s of the kill can only come from that message (a functional assertion, not a
//! timing one). Root only; without root it says "skipped: needs root" and passes.

mod common;

use std::time::{Duration, Instant};

use common::{assert_running, cluster, fail, hacf, wait_holder, wait_owner, Timers};

/// Deadtime far above the test's bound: a takeover within the bound is caused by the message.
const SLOW_DEADTIME: Timers<'static> =
    Timers { keepalive: "100ms", deadtime: "30", warntime: "10", initdead: "30" };

fn one_vip(n: &hb_testnet::Testnet) -> String {
    format!("n1 {}/24/eth0\n", n.addr(50))
}

#[test]
fn kill9_peer_takes_over_long_before_deadtime() {
    let Some(mut c) = cluster(hacf(&SLOW_DEADTIME, "on"), one_vip, vec![]) else { return };
    let vip = c.net.addr(50);
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_owner(&c, vip, 0, Duration::from_secs(40));
    // Past the start-up `dt` bump, as a real outage would be.
    std::thread::sleep(Duration::from_secs(6));
    let t0 = Instant::now();
    c.kill9(0).expect("kill n1");
    let t = wait_holder(&c, vip, 1, Duration::from_secs(10));
    eprintln!("kill -9 with deadtime 30 s: n2 holds the VIP {t:?} after the kill");
    assert!(t0.elapsed() < Duration::from_secs(30), "not before deadtime");
    let log = c.stderr_log(0);
    if !log.contains("told the peers on 1 of 1 media") {
        fail(&c, "n1's guardian did not report sending the gone message");
    }
    wait_owner(&c, vip, 1, Duration::from_secs(5));
    assert_running(&c, &[1]);
    // The restarted n1 is a new generation: it joins and gets its VIP back (failback on); the
    // old message replayed now would be dropped as old (unit-tested in hb-core).
    c.start(0).expect("restart n1");
    let t = wait_owner(&c, vip, 0, Duration::from_secs(40));
    eprintln!("restarted n1 holds the VIP again after {t:?}");
    assert_running(&c, &[0, 1]);
}

#[test]
fn graceful_stop_sends_no_gone_message() {
    let Some(mut c) = cluster(hacf(&SLOW_DEADTIME, "on"), one_vip, vec![]) else { return };
    let vip = c.net.addr(50);
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_owner(&c, vip, 0, Duration::from_secs(40));
    c.stop(0, Duration::from_secs(20)).expect("stop n1");
    wait_owner(&c, vip, 1, Duration::from_secs(10));
    let log = c.stderr_log(0);
    if log.contains("told the peers") || log.contains("heartbeat died") {
        fail(&c, "the guardian acted after a graceful stop");
    }
}
