//! The status echo: with deadtime under eight keepalives each `status` goes out twice, half a
//! keepalive apart, with the same `seq`, so losing one copy of every status kills nobody.

use std::collections::BTreeMap;
use std::time::Duration;

use super::harness::{config, Cluster};
use crate::{AutoFailback, EngineConfig, Event, NodeStatus};

fn cluster(keepalive_ms: u64, deadtime_ms: u64) -> Cluster {
    let cfgs: Vec<EngineConfig> = ["n1", "n2"]
        .iter()
        .map(|me| {
            let mut c = config(me, &["n1", "n2"], 1, AutoFailback::On);
            c.keepalive = Duration::from_millis(keepalive_ms);
            c.deadtime = Duration::from_millis(deadtime_ms);
            c.warntime = Duration::from_millis(deadtime_ms / 2);
            c.initdead = Duration::from_millis(deadtime_ms * 2);
            c
        })
        .collect();
    let mut c = Cluster::with_configs(cfgs);
    c.start_all();
    // Past the start-up `dt` bump (deadtime + 2 s for 5 s) and the resource exchange.
    c.secs(12);
    c
}

/// How often each status `seq` node `k` sent since `t` went out.
fn status_copies(c: &Cluster, k: usize, t: crate::Instant) -> BTreeMap<u32, usize> {
    let mut copies = BTreeMap::new();
    for m in c.sent_since(k, t) {
        if m.get_str("t") != Some("status") {
            continue;
        }
        if let Some(seq) = m.get_str("seq").and_then(|s| u32::from_str_radix(s, 16).ok()) {
            *copies.entry(seq).or_insert(0) += 1;
        }
    }
    copies
}

/// Loses the first copy of each of n1's next `n` sequenced messages for `d`; returns whether
/// n2 declared n1 dead meanwhile.
fn lose_first_copies(c: &mut Cluster, d: Duration) -> bool {
    let t = c.now;
    let last = c
        .sent_since(0, crate::Instant::from_nanos(0))
        .iter()
        .filter_map(|m| m.get_str("seq").and_then(|s| u32::from_str_radix(s, 16).ok()))
        .max()
        .unwrap_or(0);
    c.drop_seq.extend((last + 1..last + 100_000).map(|s| (0, s)));
    c.run_for(d);
    c.drop_seq.clear();
    c.events_since(1, t)
        .iter()
        .any(|e| matches!(e, Event::NodeStatus { node, status: NodeStatus::Dead } if node == "n1"))
}

#[test]
fn fast_timers_send_every_status_twice_half_a_keepalive_apart() {
    let mut c = cluster(10, 30);
    let t = c.now;
    c.run_for(Duration::from_secs(1));
    let copies = status_copies(&c, 0, t);
    assert!(copies.len() >= 95, "{} statuses in 1 s at 10 ms", copies.len());
    // The last one's echo may still be pending.
    let twice = copies.values().filter(|&&n| n == 2).count();
    assert!(twice >= copies.len() - 1, "{copies:?}");
    assert!(copies.values().all(|&n| n <= 2), "{copies:?}");
    // Half a keepalive apart.
    let times: Vec<crate::Instant> = c
        .log
        .iter()
        .filter(|r| r.node == 0 && r.at >= t)
        .filter_map(|r| match &r.out {
            crate::Output::Transmit { msg, .. } if msg.get_str("t") == Some("status") => Some(r.at),
            _ => None,
        })
        .collect();
    let gap = times[2].saturating_duration_since(times[1]);
    assert!(gap == Duration::from_millis(5), "copies {gap:?} apart");
}

#[test]
fn slow_timers_send_each_status_once() {
    let mut c = cluster(1000, 10_000);
    let t = c.now;
    c.secs(5);
    let copies = status_copies(&c, 0, t);
    assert!(copies.len() >= 4 && copies.values().all(|&n| n == 1), "{copies:?}");
}

#[test]
fn losing_one_copy_of_every_status_kills_nobody_with_the_echo() {
    let mut c = cluster(10, 30);
    assert!(!lose_first_copies(&mut c, Duration::from_secs(2)), "n2 declared n1 dead");
    // Without the echo (deadtime ten keepalives) the same loss is a death: the test can fail.
    let mut c = cluster(100, 1000);
    assert!(lose_first_copies(&mut c, Duration::from_secs(3)), "n1 should have been lost");
}

/// The copy never follows a higher `seq`: when something else was sent after the status, the
/// copy is skipped.
#[test]
fn no_copy_after_a_later_message() {
    let mut c = cluster(10, 30);
    let t = c.now;
    // An admin request makes n1 send sequenced messages between statuses.
    c.input(0, crate::Input::Admin(crate::AdminCommand::Standby(crate::ResourceSet::All)));
    c.run_for(Duration::from_secs(1));
    let mut highest = 0;
    for m in c.sent_since(0, t) {
        let Some(seq) = m.get_str("seq").and_then(|s| u32::from_str_radix(s, 16).ok()) else {
            continue;
        };
        assert!(seq >= highest || m.get_str("t") != Some("status"), "status {seq} after {highest}");
        highest = highest.max(seq);
    }
    assert!(highest > 0);
}
