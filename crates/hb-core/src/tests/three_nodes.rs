//! Three nodes: start-up, one death (exactly one survivor takes over), failback to the owner.

use super::harness::Cluster;
use crate::{AdminCommand, AutoFailback, Input, ResourceSet};

fn settled() -> Cluster {
    let mut c = Cluster::new(&["n1", "n2", "n3"], 1, AutoFailback::On);
    c.start_all();
    c.secs(25);
    c
}

#[test]
fn three_nodes_each_hold_their_own_group() {
    let c = settled();
    for k in 0..3 {
        assert_eq!(c.running_on(k), [k as u16]);
        assert!(c.node(k).snapshot().stable);
    }
    let s = c.node(0).snapshot();
    let owners: Vec<_> = s.groups.iter().map(|g| g.owner.clone()).collect();
    assert_eq!(owners, [Some("n1".into()), Some("n2".into()), Some("n3".into())]);
    assert!(c.double_run.is_empty());
}

#[test]
fn three_nodes_death_is_taken_over_by_exactly_one_survivor() {
    let mut c = settled();
    c.crash(2);
    c.running[2].clear();
    c.secs(12);
    assert_eq!(c.running_on(0), [0, 2], "first live node in configuration order");
    assert_eq!(c.running_on(1), [1]);
    assert!(c.double_run.is_empty());
}

#[test]
fn three_nodes_failback_goes_to_the_owner_only() {
    let mut c = settled();
    c.crash(2);
    c.running[2].clear();
    c.secs(12);
    c.start(2);
    c.secs(15);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
    assert_eq!(c.running_on(2), [2]);
    assert!(c.double_run.is_empty());
}

#[test]
fn three_nodes_standby_all_spreads_by_preference() {
    let mut c = settled();
    c.input(1, Input::Admin(AdminCommand::Standby(ResourceSet::All)));
    c.secs(5);
    assert!(c.running_on(1).is_empty());
    assert_eq!(c.running_on(0), [0, 1], "n2's own group goes to the first other live node");
    assert_eq!(c.running_on(2), [2]);
    assert!(c.double_run.is_empty());
}

#[test]
fn three_nodes_crash_of_a_node_holding_two_groups_moves_each_once() {
    let mut c = Cluster::new(&["n1", "n2", "n3"], 1, AutoFailback::Off);
    c.start_all();
    c.secs(25);
    c.crash(2);
    c.running[2].clear();
    c.secs(12);
    assert_eq!(c.running_on(0), [0, 2]);
    c.start(2);
    c.secs(15);
    assert!(c.running_on(2).is_empty(), "auto_failback off: n1 keeps g2");
    c.crash(0);
    c.running[0].clear();
    c.secs(12);
    assert_eq!(c.running_on(1), [0, 1], "n1's own group to the first live node");
    assert_eq!(c.running_on(2), [2], "g2 to its live preferred node");
    assert!(c.double_run.is_empty());
}
