//! The status echo: with deadtime under eight keepalives each `status` goes out twice, half a
//! keepalive apart, with the same `seq` (three times, a third of a keepalive apart, at four
//! keepalives or less), so losing one copy of every status kills nobody; and a copy of the
//! newest status counts for node liveness for one keepalive after its first arrival, no
//! longer, however often it is replayed.

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

/// Send times of node `k`'s `status` transmissions since `t`.
fn status_times(c: &Cluster, k: usize, t: crate::Instant) -> Vec<(crate::Instant, u32)> {
    c.log
        .iter()
        .filter(|r| r.node == k && r.at >= t)
        .filter_map(|r| match &r.out {
            crate::Output::Transmit { msg, .. } if msg.get_str("t") == Some("status") => {
                let seq = msg.get_str("seq").and_then(|s| u32::from_str_radix(s, 16).ok())?;
                Some((r.at, seq))
            }
            _ => None,
        })
        .collect()
}

fn assert_copies(keepalive_ms: u64, deadtime_ms: u64, per_status: usize, gap: Duration) {
    let mut c = cluster(keepalive_ms, deadtime_ms);
    let t = c.now;
    c.run_for(Duration::from_millis(keepalive_ms * 100));
    let copies = status_copies(&c, 0, t);
    assert!(copies.len() >= 95, "{} statuses in 100 keepalives", copies.len());
    // The last one's copies may still be pending.
    let full = copies.values().filter(|&&n| n == per_status).count();
    assert!(full >= copies.len() - 1, "{copies:?}");
    assert!(copies.values().all(|&n| n <= per_status), "{copies:?}");
    let times = status_times(&c, 0, t);
    let gaps: Vec<Duration> = times
        .windows(2)
        .filter(|w| w[0].1 == w[1].1)
        .map(|w| w[1].0.saturating_duration_since(w[0].0))
        .collect();
    assert!(gaps.len() >= 95, "{} gaps", gaps.len());
    assert!(gaps.iter().all(|g| *g == gap), "copies not {gap:?} apart: {gaps:?}");
}

#[test]
fn fast_timers_send_every_status_three_times_a_third_of_a_keepalive_apart() {
    assert_copies(10, 30, 3, Duration::from_millis(10) / 3);
}

#[test]
fn deadtime_five_keepalives_sends_every_status_twice_half_a_keepalive_apart() {
    assert_copies(100, 500, 2, Duration::from_millis(50));
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

/// Runs until n2 has received every copy of one of n1's statuses, then cuts n1 → n2. Returns
/// (first arrival of that status at n2, the last copy's arrival, the sealed copy).
fn cut_after_all_copies(c: &mut Cluster) -> (crate::Instant, crate::Instant, hb_wire::Message) {
    let t = c.now;
    loop {
        c.run_for(Duration::from_micros(100));
        let times = status_times(c, 0, t);
        let Some(&(last_at, seq)) = times.last() else { continue };
        let same: Vec<_> = times.iter().filter(|(_, s)| *s == seq).collect();
        if same.len() == 3 && c.now >= last_at + c.latency {
            c.cut.insert((0, 1, 0));
            let msg = c
                .sent_since(0, last_at)
                .into_iter()
                .find(|m| m.get_str("t") == Some("status"))
                .expect("the copy just sent");
            return (same[0].0 + c.latency, last_at + c.latency, msg);
        }
    }
}

fn n1_dead_since(c: &Cluster, t: crate::Instant) -> bool {
    c.events_since(1, t)
        .iter()
        .any(|e| matches!(e, Event::NodeStatus { node, status: NodeStatus::Dead } if node == "n1"))
}

/// Heartbeat would time n1 out one deadtime after the *first* copy of its last status arrived;
/// the later copies prove it was alive later, and count (fails when duplicates only refresh
/// the link).
#[test]
fn copies_of_the_newest_status_count_for_node_liveness() {
    let mut c = cluster(10, 30);
    let t = c.now;
    let (first, last, _) = cut_after_all_copies(&mut c);
    assert!(last > first + Duration::from_millis(6), "{first:?} {last:?}");
    c.run_for((first + Duration::from_millis(31)).saturating_duration_since(c.now));
    assert!(!n1_dead_since(&c, t), "n1 declared dead one deadtime after the first copy");
    c.run_for((last + Duration::from_millis(31)).saturating_duration_since(c.now));
    assert!(n1_dead_since(&c, t), "n1 still alive one deadtime after its last copy");
}

/// The replay bound: the newest status replayed every 2 ms keeps a silent node alive at most
/// one keepalive longer than its first arrival allows; an older status never counts; a dead
/// node is not brought back by a copy.
#[test]
fn replayed_copies_extend_liveness_by_one_keepalive_at_most() {
    let mut c = cluster(10, 30);
    let t = c.now;
    let (first, _, copy) = cut_after_all_copies(&mut c);
    let bound = first + Duration::from_millis(10 + 30);
    let mut dead_at = None;
    while c.now < first + Duration::from_millis(200) {
        c.deliver_msg(1, &copy);
        c.run_for(Duration::from_millis(2));
        if dead_at.is_none() && n1_dead_since(&c, t) {
            dead_at = Some(c.now);
        }
    }
    let dead_at = dead_at.expect("a replayed status kept n1 alive for 200 ms");
    assert!(dead_at <= bound + Duration::from_millis(2), "dead at {dead_at:?}, bound {bound:?}");
    assert!(dead_at >= first + Duration::from_millis(30), "dead at {dead_at:?}");
    // Dead stays dead: the copy is no newer status.
    let after = c.now;
    c.deliver_msg(1, &copy);
    c.run_for(Duration::from_millis(5));
    assert!(
        !c.events_since(1, after).iter().any(
            |e| matches!(e, Event::NodeStatus { node, status } if node == "n1" && *status != NodeStatus::Dead)
        ),
        "a copy revived n1"
    );
}

/// An older status (not the sender's newest message) is never proof of life, even inside the
/// window.
#[test]
fn a_copy_of_an_older_status_does_not_count() {
    let mut c = cluster(10, 30);
    let t = c.now;
    let older: hb_wire::Message = {
        let (_, _, m) = cut_after_all_copies(&mut c);
        c.cut.clear();
        m
    };
    // Two more statuses get through, then n1 falls silent.
    c.run_for(Duration::from_millis(20));
    let (first, _, _) = cut_after_all_copies(&mut c);
    let mut dead_at = None;
    while c.now < first + Duration::from_millis(100) {
        c.deliver_msg(1, &older);
        c.run_for(Duration::from_millis(1));
        if dead_at.is_none() && n1_dead_since(&c, t) {
            dead_at = Some(c.now);
        }
    }
    let dead_at = dead_at.expect("n1 never declared dead");
    // Its own copies count (up to one keepalive), the older status adds nothing.
    assert!(dead_at <= first + Duration::from_millis(41), "dead at {dead_at:?}, first {first:?}");
}
