//! Partition and heal (spec §7.5): both sides take everything; on heal the preferred node keeps
//! each doubly held group without a gap and the other releases it.

use super::harness::Cluster;
use crate::{Action, AutoFailback, Event, GroupId, NodeStatus, OwnershipReason};

fn partition_and_heal(mode: AutoFailback) -> (Cluster, crate::Instant) {
    let mut c = Cluster::new(&["n1", "n2"], 1, mode);
    c.start_all();
    c.secs(20);
    for (a, b) in [(0, 1), (1, 0)] {
        c.cut.insert((a, b, 0));
    }
    c.secs(15);
    assert_eq!(c.running_on(0), [0, 1], "each side took everything");
    assert_eq!(c.running_on(1), [0, 1]);
    let heal = c.now;
    c.cut.clear();
    c.secs(10);
    (c, heal)
}

#[test]
fn heal_preferred_node_keeps_its_group_without_a_gap() {
    let (c, heal) = partition_and_heal(AutoFailback::On);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
    assert!(!c.actions_since(0, heal).contains(&(GroupId(0), Action::Stop)), "n1 kept g0 running");
    assert!(!c.actions_since(1, heal).contains(&(GroupId(1), Action::Stop)), "n2 kept g1 running");
    assert!(c.actions_since(0, heal).contains(&(GroupId(1), Action::Stop)));
    assert!(c.actions_since(1, heal).contains(&(GroupId(0), Action::Stop)));
    for (k, other, keep, release) in [(0, "n2", 0, 1), (1, "n1", 1, 0)] {
        let ev = c.events_since(k, heal);
        assert!(ev.contains(&Event::PeerReturned { node: other.into() }), "{ev:?}");
        assert!(ev.contains(&Event::SplitBrainSuspected {
            node: other.into(),
            groups: vec![GroupId(keep)],
            we_keep: true
        }));
        assert!(ev.contains(&Event::SplitBrainSuspected {
            node: other.into(),
            groups: vec![GroupId(release)],
            we_keep: false
        }));
        assert!(ev.contains(&Event::Ownership {
            group: GroupId(release),
            owner: None,
            reason: OwnershipReason::SplitBrain
        }));
        assert_eq!(c.node(k).snapshot().nodes[1 - k].status, NodeStatus::Active);
        assert!(!ev.iter().any(|e| matches!(e, Event::StandbyRefused { .. })), "{ev:?}");
    }
    let s = c.node(0).snapshot();
    assert_eq!(s.groups[0].owner.as_deref(), Some("n1"));
    assert_eq!(s.groups[1].owner.as_deref(), Some("n2"));
}

#[test]
fn heal_resolves_the_same_way_with_auto_failback_off() {
    let (c, _) = partition_and_heal(AutoFailback::Off);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
}

#[test]
fn heal_in_legacy_mode_preferred_node_reclaims_with_ip_request() {
    let (c, heal) = partition_and_heal(AutoFailback::Legacy);
    assert!(c.events_since(0, heal).contains(&Event::PeerReturned { node: "n2".into() }));
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
    assert!(!c.actions_since(0, heal).contains(&(GroupId(0), Action::Stop)), "no gap on n1");
    assert!(!c.actions_since(1, heal).contains(&(GroupId(1), Action::Stop)), "no gap on n2");
    let n1 = c.sent_types_since(0, heal);
    assert!(n1.iter().any(|m| m == "ip-request ipaddr=IPaddr::10.99.0.50/24/eth0"), "{n1:?}");
}

#[test]
fn one_way_partition_heal_ends_double_ownership() {
    let mut c = Cluster::new(&["n1", "n2"], 1, AutoFailback::On);
    c.start_all();
    c.secs(20);
    c.cut.insert((1, 0, 0)); // n1 no longer hears n2; n2 still hears n1
    c.secs(15);
    assert_eq!(c.running_on(0), [0, 1], "n1 buried n2 and took its group");
    assert_eq!(c.running_on(1), [1]);
    assert!(c
        .events(1)
        .iter()
        .any(|e| matches!(e, Event::SplitBrainSuspected { we_keep: true, .. })));
    let heal = c.now;
    c.cut.clear();
    c.secs(5);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
    assert!(!c.actions_since(1, heal).contains(&(GroupId(1), Action::Stop)));
}
