//! The guardian's "gone" message (`gone.rs`): a peer takes over at once when a dead daemon's
//! guardian reports it, and the message cannot be replayed against a later incarnation.

use std::time::Duration;

use super::harness::Cluster;
use crate::{AutoFailback, Event, NodeStatus};

fn settled() -> Cluster {
    let mut c = Cluster::new(&["n1", "n2"], 1, AutoFailback::On);
    c.start_all();
    c.secs(20);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
    c
}

/// kill -9 of n1's daemon: its guardian removes the addresses (the harness forgets them) and
/// sends the sealed message n1 prepared at start.
fn kill9_with_guardian(c: &mut Cluster) -> hb_wire::Message {
    let gone = c.node(0).gone_message();
    c.crash(0);
    c.running[0].clear();
    c.deliver_msg(1, &gone);
    gone
}

#[test]
fn the_guardians_message_moves_the_group_without_waiting_deadtime() {
    let mut c = settled();
    let t = c.now;
    kill9_with_guardian(&mut c);
    let ev = c.events_since(1, t);
    assert!(
        ev.contains(&Event::NodeStatus { node: "n1".into(), status: NodeStatus::Dead }),
        "{ev:?}"
    );
    // The group start takes the harness's action delay (100 ms); deadtime is 10 s.
    c.run_for(Duration::from_millis(500));
    assert_eq!(c.running_on(1), [0, 1]);
    assert!(c.double_run.is_empty(), "{:?}", c.double_run);
}

#[test]
fn without_the_message_the_peer_waits_for_deadtime() {
    let mut c = settled();
    c.crash(0);
    c.running[0].clear();
    c.run_for(Duration::from_millis(500));
    assert_eq!(c.running_on(1), [1]);
}

#[test]
fn a_replayed_gone_message_does_not_kill_the_restarted_node() {
    let mut c = settled();
    let gone = kill9_with_guardian(&mut c);
    c.secs(2);
    c.start(0);
    c.secs(30);
    assert_eq!(c.node(1).snapshot().nodes[0].status, NodeStatus::Active);
    let t = c.now;
    c.deliver_msg(1, &gone);
    c.deliver_msg(1, &gone);
    c.secs(2);
    let ev = c.events_since(1, t);
    assert!(
        !ev.contains(&Event::NodeStatus { node: "n1".into(), status: NodeStatus::Dead }),
        "a replay of the old incarnation's message killed n1: {ev:?}"
    );
    assert_eq!(c.node(1).snapshot().nodes[0].status, NodeStatus::Active);
}

#[test]
fn the_message_is_sequenced_above_anything_sent_and_carries_the_generation() {
    let c = settled();
    let gone = c.node(0).gone_message();
    assert_eq!(gone.msg_type(), Some(crate::GONE_TYPE));
    assert_eq!(gone.get_str("seq"), Some(format!("{:x}", crate::GONE_SEQ).as_str()));
    assert_eq!(gone.get_str("hg"), Some(format!("{:x}", c.node(0).generation()).as_str()));
    assert_eq!(gone.get_str("src"), Some("n1"));
}
