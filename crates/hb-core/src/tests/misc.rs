//! Snapshot, configuration validation, stray inputs.

use std::time::Duration;

use super::harness::{config, Cluster};
use crate::{
    Action, ActionResult, AutoFailback, CoreError, Event, GroupId, Input, LinkId, Node, NodeStatus,
    Output, ResourceSet,
};

#[test]
fn snapshot_shows_cl_status_view_after_a_takeover() {
    let mut c = Cluster::new(&["n1", "n2"], 2, AutoFailback::On);
    c.start_all();
    c.secs(20);
    c.crash(0);
    c.secs(12);
    let s = c.node(1).snapshot();
    assert_eq!(s.local_node, "n2");
    assert!(s.comm_up && s.stable);
    assert_eq!(s.resources, ResourceSet::All);
    assert_eq!(s.nodes[0].status.as_str(), "dead");
    assert_eq!(s.nodes[1].status.as_str(), "active");
    assert!(s.nodes[1].is_local);
    assert!(s.nodes[0].links.iter().all(|l| !l.up));
    assert_eq!(s.nodes[0].links[1].name, "eth1");
    assert!(s.groups.iter().all(|g| g.owner.as_deref() == Some("n2")));
    assert_eq!(s.groups[0].preferred_node, "n1");
    assert_eq!(s.generation, c.node(1).generation());
}

#[test]
fn config_errors_are_typed() {
    let good = config("n1", &["n1", "n2"], 1, AutoFailback::On);
    assert_eq!(good.validate(), Ok(()));
    let mut c = good.clone();
    c.local_node = "n3".into();
    assert_eq!(c.validate(), Err(CoreError::LocalNodeMissing("n3".into())));
    let mut c = good.clone();
    c.deadtime = Duration::from_millis(1500);
    assert!(matches!(c.validate(), Err(CoreError::Timing(_))));
    let mut c = good.clone();
    c.initdead = Duration::from_secs(5);
    assert!(matches!(c.validate(), Err(CoreError::Timing(_))));
    let mut c = good.clone();
    c.groups[0].preferred_node = "zz".into();
    assert!(matches!(c.validate(), Err(CoreError::UnknownPreferredNode(_))));
    let mut c = good.clone();
    c.nodes.push("n1".into());
    assert!(matches!(c.validate(), Err(CoreError::BadNodeName(_))));
    let mut c = good;
    c.links.clear();
    assert!(Node::new(c, 1, crate::Instant::ZERO).is_err());
}

#[test]
fn first_output_is_the_generation_to_persist() {
    let cfg = config("n1", &["n1", "n2"], 1, AutoFailback::On);
    let persisted = cfg.generation;
    let mut n = Node::new(cfg, 1, crate::Instant::ZERO).expect("valid");
    assert_eq!(n.poll_output(), Some(Output::PersistGeneration(persisted + 1)));
    assert_eq!(n.poll_timeout(), Some(crate::Instant::ZERO));
    n.handle_input(crate::Instant::ZERO, Input::Timeout);
    let first = n.poll_output();
    let Some(Output::Transmit { msg, link: None }) = first else { panic!("{first:?}") };
    assert_eq!(msg.get_str("hg"), Some(format!("{:x}", persisted + 1).as_str()));
    assert_eq!(msg.get_str("ts"), Some("1"), "no wall clock fed yet: smallest valid ts");
}

#[test]
fn stray_action_reports_and_bad_link_ids_are_ignored() {
    let mut c = Cluster::new(&["n1", "n2"], 1, AutoFailback::On);
    c.start_all();
    c.secs(20);
    let before = c.node(0).snapshot();
    c.input(
        0,
        Input::ActionDone { group: GroupId(1), action: Action::Stop, result: ActionResult::Ok },
    );
    c.input(
        0,
        Input::ActionDone { group: GroupId(77), action: Action::Start, result: ActionResult::Ok },
    );
    c.input(0, Input::LinkState { link: LinkId(9), up: false });
    let after = c.node(0).snapshot();
    assert_eq!(before.groups, after.groups);
    assert_eq!(c.running_on(0), [0]);
}

#[test]
fn peer_joining_after_initdead_gets_its_group_back() {
    let mut c = Cluster::new(&["n1", "n2"], 1, AutoFailback::On);
    c.start(0);
    c.secs(25);
    assert_eq!(c.running_on(0), [0, 1]);
    c.start(1);
    c.secs(10);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
    assert!(c.double_run.is_empty());
    assert!(c
        .events(0)
        .contains(&Event::NodeStatus { node: "n2".into(), status: NodeStatus::Active }));
}
