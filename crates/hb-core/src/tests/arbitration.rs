//! Ping-node arbitration and fencing before takeover.

use super::harness::{config, Cluster};
use crate::{AutoFailback, Event, Input, Output};

/// Two nodes started together and settled (each runs its own group).
fn settled(fencing: bool) -> Cluster {
    let names = ["n1", "n2"];
    let cfgs = names
        .iter()
        .map(|n| {
            let mut c = config(n, &names, 1, AutoFailback::On);
            c.fencing = fencing;
            c
        })
        .collect();
    let mut c = Cluster::with_configs(cfgs);
    c.start_all();
    c.secs(25);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
    c
}

fn cut_all(c: &mut Cluster) {
    c.cut.insert((0, 1, 0));
    c.cut.insert((1, 0, 0));
}

#[test]
fn unreachable_ping_nodes_block_takeover_and_release_when_alone() {
    let mut c = settled(false);
    c.input(1, Input::PingReach(false));
    assert_eq!(c.running_on(1), [1], "the peer is alive: losing the ping nodes moves nothing");
    let t = c.now;
    c.crash(0);
    c.secs(15);
    assert_eq!(c.running_on(1), Vec::<u16>::new(), "isolated: n2 releases and takes nothing");
    assert!(!c.actions_since(1, t).contains(&(crate::GroupId(0), crate::Action::Start)));
    let ev = c.events(1);
    assert!(ev.contains(&Event::PingReach { reachable: false }));
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::Ownership { owner: None, reason: crate::OwnershipReason::Isolated, .. }
    )));
    c.input(1, Input::PingReach(true));
    c.secs(2);
    assert_eq!(c.running_on(1), [0, 1], "uplink back: the orphans are taken over");
}

#[test]
fn partition_keeps_groups_on_the_side_that_reaches_ping_nodes() {
    let mut c = settled(false);
    // n2's uplink went first; then the heartbeat link is cut too.
    c.input(1, Input::PingReach(false));
    let t = c.now;
    cut_all(&mut c);
    c.secs(15);
    assert!(
        !c.actions_since(1, t).contains(&(crate::GroupId(0), crate::Action::Start)),
        "n2 never starts n1's group, not even briefly"
    );
    assert_eq!(c.running_on(0), [0, 1], "n1 reaches the ping nodes: it takes n2's group");
    assert_eq!(c.running_on(1), Vec::<u16>::new(), "n2 is isolated: it releases its own");
}

#[test]
fn fencing_precedes_takeover_and_a_failure_blocks_it() {
    let mut c = settled(true);
    c.crash(0);
    c.secs(15);
    let asked = c.log.iter().any(|r| r.node == 1 && r.out == Output::Fence { node: "n1".into() });
    assert!(asked, "n2 asks to fence n1");
    assert_eq!(c.running_on(1), [1], "no takeover before fencing is confirmed");
    c.input(1, Input::FenceDone { node: "n1".into(), ok: false, detail: "exit 1".into() });
    c.secs(5);
    assert_eq!(c.running_on(1), [1], "failed fencing: still no takeover");
    assert!(c
        .events(1)
        .contains(&Event::FenceFailed { node: "n1".into(), reason: "exit 1".into() }));
    // A late success report for a failed fence is ignored; the node returning clears it.
    c.start(0);
    c.secs(25);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
}

#[test]
fn fencing_success_lets_takeover_proceed() {
    let mut c = settled(true);
    c.crash(0);
    c.secs(15);
    assert_eq!(c.running_on(1), [1]);
    c.input(1, Input::FenceDone { node: "n1".into(), ok: true, detail: String::new() });
    c.secs(2);
    assert_eq!(c.running_on(1), [0, 1]);
    assert!(c.events(1).contains(&Event::Fenced { node: "n1".into() }));
}

#[test]
fn graceful_stop_needs_no_fencing() {
    let mut c = settled(true);
    c.input(0, Input::Admin(crate::AdminCommand::Shutdown));
    c.secs(15);
    assert!(!c.log.iter().any(|r| matches!(r.out, Output::Fence { .. })));
    assert_eq!(c.running_on(1), [0, 1]);
}
