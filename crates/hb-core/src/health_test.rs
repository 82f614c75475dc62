//! The health-check policy through the two-node harness.

use std::time::Duration;

use crate::health::{HealthEvent, HealthInput, HealthPolicy};
use crate::tests::harness::{config, Cluster};
use crate::{
    Action, AdminCommand, AutoFailback, EngineConfig, Event, GroupConfig, GroupId, Input,
    ResourceSet,
};

const G0: GroupId = GroupId(0);

fn settled() -> Cluster {
    let mut c = Cluster::new(&["n1", "n2"], 1, AutoFailback::On);
    c.start_all();
    c.secs(20);
    assert_eq!((c.running_on(0), c.running_on(1)), (vec![0], vec![1]));
    c
}

fn fail(c: &mut Cluster, k: usize, why: &str) {
    c.input(
        k,
        Input::Health(HealthInput::ResourceFailed { group: G0, resource: 0, reason: why.into() }),
    );
    c.secs(1);
}

fn health_events(c: &Cluster, k: usize) -> Vec<HealthEvent> {
    c.events(k)
        .into_iter()
        .filter_map(|e| match e {
            Event::Health(h) => Some(h),
            _ => None,
        })
        .collect()
}

#[test]
fn a_failure_restarts_the_group_in_place_and_the_wire_sees_nothing() {
    let mut c = settled();
    let t = c.now;
    fail(&mut c, 0, "httpd status: not running");
    assert_eq!(c.actions_since(0, t), [(G0, Action::Stop), (G0, Action::Start)]);
    assert_eq!(c.running_on(0), [0]);
    assert!(c.sent_types_since(0, t).is_empty(), "{:?}", c.sent_types_since(0, t));
    assert!(
        !c.events_since(0, t).iter().any(|e| matches!(e, Event::Ownership { .. })),
        "a restart is no change of owner"
    );
    assert_eq!(
        health_events(&c, 0),
        [HealthEvent::Restarting {
            group: G0,
            from: 0,
            reason: "httpd status: not running".into(),
            attempt: 1,
            limit: 2
        }]
    );
}

#[test]
fn one_failure_more_than_restarts_hands_the_group_over_like_standby() {
    let mut c = settled();
    let t = c.now;
    fail(&mut c, 0, "a");
    fail(&mut c, 0, "b");
    assert_eq!(c.running_on(0), [0], "two restarts allowed");
    fail(&mut c, 0, "c");
    c.secs(3);
    assert!(c.running_on(0).is_empty());
    assert_eq!(c.running_on(1), [0, 1]);
    assert!(c.double_run.is_empty());
    let sent = c.sent_types_since(0, t);
    assert_eq!(sent.first().map(String::as_str), Some("ask_resources rsc_hold=local info=me"));
    let ev = health_events(&c, 0);
    assert!(
        matches!(
            ev.last(),
            Some(HealthEvent::HandingOver { group: G0, with, reason, avoid_for })
                if with.is_empty() && reason == "c" && *avoid_for == Duration::from_secs(600)
        ),
        "{ev:?}"
    );
    assert!(c.events(0).contains(&Event::StandbyCompleted { set: ResourceSet::Local }));
}

#[test]
fn the_node_where_it_failed_is_not_chosen_again_until_cleared() {
    let mut c = settled();
    for why in ["a", "b", "c"] {
        fail(&mut c, 0, why);
    }
    c.secs(3);
    assert_eq!(c.running_on(1), [0, 1]);
    // The operator on n2 hands back n1's group: n1 refuses it while it is avoided, and n2
    // takes it back rather than leaving it nowhere.
    c.input(1, Input::Admin(AdminCommand::Standby(ResourceSet::Foreign)));
    let t = c.now;
    c.secs(30);
    assert!(c.running_on(0).is_empty(), "n1 took a group that failed there");
    // n1 ignores the request, so n2 never even stops the group.
    assert!(c.actions_since(1, t).is_empty(), "{:?}", c.actions_since(1, t));
    assert!(c.events_since(0, t).iter().any(
        |e| matches!(e, Event::StandbyRefused { reason } if reason.contains("failed its health check"))
    ));
    assert_eq!(c.running_on(1), [0, 1]);
    c.input(0, Input::Health(HealthInput::Clear { group: G0 }));
    assert!(health_events(&c, 0).contains(&HealthEvent::Cleared { group: G0 }));
    c.input(1, Input::Admin(AdminCommand::Standby(ResourceSet::Foreign)));
    c.secs(5);
    assert_eq!(c.running_on(0), [0], "cleared: n1 may take it again");
}

#[test]
fn a_group_that_just_moved_stays_and_an_alert_says_so() {
    let mut c = settled();
    for why in ["a", "b", "c"] {
        fail(&mut c, 0, why);
    }
    c.secs(3);
    assert_eq!(c.running_on(1), [0, 1]);
    for why in ["x", "y", "z", "again"] {
        fail(&mut c, 1, why);
    }
    c.secs(3);
    assert_eq!(c.running_on(1), [0, 1], "a second move within the window");
    let ev = health_events(&c, 1);
    let stays: Vec<&HealthEvent> =
        ev.iter().filter(|e| matches!(e, HealthEvent::Stays { .. })).collect();
    assert_eq!(stays.len(), 2, "{ev:?}");
    assert!(
        matches!(stays[0], HealthEvent::Stays { why, .. } if why.contains("at most one move per window"))
    );
    assert!(!ev.iter().any(|e| matches!(e, HealthEvent::HandingOver { .. })));
}

#[test]
fn restarts_older_than_the_window_are_forgotten() {
    let mut c = settled();
    let policy = HealthPolicy { restarts: 1, window: Duration::from_secs(5) };
    c.input(0, Input::Health(HealthInput::Policy { group: G0, policy }));
    fail(&mut c, 0, "a");
    c.secs(6);
    fail(&mut c, 0, "b");
    assert_eq!(c.running_on(0), [0]);
    let attempts: Vec<u32> = health_events(&c, 0)
        .iter()
        .filter_map(|e| match e {
            HealthEvent::Restarting { attempt, limit: 1, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, [1, 1]);
    fail(&mut c, 0, "c");
    c.secs(3);
    assert_eq!(c.running_on(1), [0, 1], "second failure within 5 s moves it");
}

#[test]
fn carrier_loss_hands_over_without_restarting() {
    let mut c = settled();
    let t = c.now;
    c.input(0, Input::Health(HealthInput::CarrierLost { group: G0, reason: "eth0 down".into() }));
    c.secs(3);
    assert_eq!(c.running_on(1), [0, 1]);
    assert_eq!(c.actions_since(0, t), [(G0, Action::Stop)]);
    // Not avoided afterwards: handed back, n1 takes it again.
    c.input(1, Input::Admin(AdminCommand::Standby(ResourceSet::Foreign)));
    c.secs(5);
    assert_eq!(c.running_on(0), [0]);
}

#[test]
fn reports_about_groups_not_running_here_change_nothing() {
    let mut c = settled();
    let t = c.now;
    c.input(
        1,
        Input::Health(HealthInput::ResourceFailed {
            group: G0,
            resource: 0,
            reason: "late".into(),
        }),
    );
    c.input(
        0,
        Input::Health(HealthInput::ResourceFailed {
            group: GroupId(99),
            resource: 0,
            reason: "x".into(),
        }),
    );
    c.secs(2);
    assert!(c.actions_since(0, t).is_empty() && c.actions_since(1, t).is_empty());
    assert!(health_events(&c, 1).is_empty());
}

#[test]
fn without_a_live_peer_the_group_stays_and_is_restarted() {
    let mut c = settled();
    c.crash(1);
    c.secs(15);
    assert_eq!(c.running_on(0), [0, 1]);
    for why in ["a", "b", "c"] {
        fail(&mut c, 0, why);
    }
    assert_eq!(c.running_on(0), [0, 1]);
    let ev = health_events(&c, 0);
    assert!(
        matches!(ev.last(), Some(HealthEvent::Stays { why, .. }) if why.contains("no other node")),
        "{ev:?}"
    );
}

/// Simulator seed 94 (`vopr --checks`): n1 handed its group over after failed checks, took it
/// back during a partition (started as its own group, not as an arrival), kept it at the
/// heal, and then handed it over again on the next failure: two moves within one window.
#[test]
fn a_group_that_came_back_after_a_hand_over_stays_within_the_window() {
    let mut c = settled();
    for why in ["a", "b", "c"] {
        fail(&mut c, 0, why);
    }
    c.secs(3);
    assert_eq!(c.running_on(1), [0, 1]);
    for (a, b) in [(0, 1), (1, 0)] {
        c.cut.insert((a, b, 0));
    }
    c.secs(15);
    assert_eq!(c.running_on(0), [0, 1], "n1 took everything during the partition");
    c.cut.clear();
    c.secs(10);
    assert_eq!(c.running_on(0), [0], "n1 kept its own group at the heal");
    let t = c.now;
    fail(&mut c, 0, "again");
    c.secs(3);
    assert_eq!(c.running_on(0), [0], "a second move within the window");
    let ev: Vec<Event> = c.events_since(0, t);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Health(HealthEvent::Stays { why, .. })
            if why.contains("at most one move per window"))),
        "{ev:?}"
    );
    assert!(!ev.iter().any(|e| matches!(e, Event::Health(HealthEvent::HandingOver { .. }))));
}

/// Simulator seed 160 (`vopr --checks`): n2 handed back n1's set (two groups, one of them
/// failed on n1 within its window); n1 took the other one and skipped the failed one, while
/// its `resource` answer claimed the whole set, so n2 did not keep it: it ran nowhere.
#[test]
fn a_hand_back_that_includes_a_group_failed_here_is_declined_whole() {
    let names = ["n1", "n2"];
    let mut cfgs: Vec<EngineConfig> =
        names.iter().map(|n| config(n, &names, 1, AutoFailback::On)).collect();
    for c in &mut cfgs {
        c.groups.push(GroupConfig {
            name: "10.0.0.99".into(),
            preferred_node: "n1".into(),
            resources: vec!["10.0.0.99".into()],
        });
    }
    let mut c = Cluster::with_configs(cfgs);
    c.start_all();
    c.secs(20);
    assert_eq!(c.running_on(0), [0, 2]);
    for why in ["a", "b", "c"] {
        fail(&mut c, 0, why);
    }
    c.secs(3);
    assert_eq!(c.running_on(1), [0, 1, 2], "n1's set moved along with its failed group");
    let t = c.now;
    c.input(1, Input::Admin(AdminCommand::Standby(ResourceSet::Foreign)));
    c.secs(30);
    assert_eq!(c.running_on(1), [0, 1, 2], "n2 keeps the set n1 declined");
    assert!(c.running_on(0).is_empty());
    assert!(c
        .events_since(0, t)
        .iter()
        .any(|e| matches!(e, Event::StandbyRefused { reason } if !reason.contains("10.0.0.99")
            && reason.contains("failed its health check"))));
}

/// Simulator seed 513 (`vopr --checks`): the operator moved n1's group to n2, a partition gave
/// it back to n1 (started as its own group, "startup"), and n1's next failures handed it over
/// again: two moves within one window. A return counts as an arrival.
#[test]
fn a_group_back_after_a_partition_counts_as_arrived() {
    let mut c = settled();
    c.input(0, Input::Admin(AdminCommand::Standby(ResourceSet::Local)));
    c.secs(5);
    assert_eq!(c.running_on(1), [0, 1]);
    for (a, b) in [(0, 1), (1, 0)] {
        c.cut.insert((a, b, 0));
    }
    c.secs(15);
    assert_eq!(c.running_on(0), [0, 1], "n1 took everything during the partition");
    c.cut.clear();
    c.secs(10);
    assert_eq!(c.running_on(0), [0]);
    let t = c.now;
    for why in ["a", "b", "c"] {
        fail(&mut c, 0, why);
    }
    c.secs(3);
    assert_eq!(c.running_on(0), [0], "moved again within the window");
    let ev: Vec<Event> = c.events_since(0, t);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Health(HealthEvent::Stays { why, .. })
            if why.contains("moved here"))),
        "{ev:?}"
    );
}
