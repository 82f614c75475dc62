//! Restart scope of the health policy (issue 15): a failed resource is restarted in place by
//! stopping the group right to left from its last resource down to the failed one, then
//! starting it again from the failed one; the resources left of it are never touched.

use crate::health::{HealthEvent, HealthInput};
use crate::tests::harness::{config, Cluster};
use crate::{Action, AutoFailback, EngineConfig, Event, GroupId, Input};

const G0: GroupId = GroupId(0);

/// n1's group is `VIP fs web` (three resources), n2's is one address.
fn settled() -> Cluster {
    let names = ["n1", "n2"];
    let mut cfgs: Vec<EngineConfig> =
        names.iter().map(|n| config(n, &names, 1, AutoFailback::On)).collect();
    for c in &mut cfgs {
        c.groups[0].resources.extend(["Filesystem::/dev/vdb::/srv".into(), "web".into()]);
    }
    let mut c = Cluster::with_configs(cfgs);
    c.start_all();
    c.secs(20);
    assert_eq!((c.running_on(0), c.running_on(1)), (vec![0], vec![1]));
    c
}

fn fail(c: &mut Cluster, resource: u16, why: &str) {
    let input = HealthInput::ResourceFailed { group: G0, resource, reason: why.into() };
    c.input(0, Input::Health(input));
}

#[test]
fn a_failed_resource_is_stopped_and_started_from_itself_rightwards() {
    let mut c = settled();
    let mut checked = 0;
    for (resource, why) in [(2u16, "web down"), (1, "fs gone")] {
        let t = c.now;
        fail(&mut c, resource, why);
        c.secs(1);
        assert_eq!(
            c.scoped_actions_since(0, t),
            [(G0, Action::Stop, resource), (G0, Action::Start, resource)],
            "failure of resource {resource}"
        );
        assert!(c.sent_types_since(0, t).is_empty(), "{:?}", c.sent_types_since(0, t));
        assert!(c.scoped_actions_since(1, t).is_empty());
        assert_eq!(c.running_on(0), [0]);
        checked += 1;
    }
    let froms: Vec<u16> = c
        .events(0)
        .into_iter()
        .filter_map(|e| match e {
            Event::Health(HealthEvent::Restarting { from, .. }) => Some(from),
            _ => None,
        })
        .collect();
    assert_eq!(froms, [2, 1]);
    assert_eq!(checked, 2);
}

#[test]
fn a_resource_index_past_the_group_restarts_the_whole_group() {
    let mut c = settled();
    let t = c.now;
    fail(&mut c, 3, "no such resource");
    c.secs(1);
    assert_eq!(c.scoped_actions_since(0, t), [(G0, Action::Stop, 0), (G0, Action::Start, 0)]);
}

#[test]
fn the_hand_over_after_the_last_restart_stops_the_whole_group() {
    let mut c = settled();
    for why in ["a", "b"] {
        fail(&mut c, 2, why);
        c.secs(1);
    }
    let t = c.now;
    fail(&mut c, 2, "c");
    c.secs(5);
    assert_eq!(c.scoped_actions_since(0, t), [(G0, Action::Stop, 0)]);
    assert_eq!(c.scoped_actions_since(1, t), [(G0, Action::Start, 0)]);
    assert_eq!(c.running_on(1), [0, 1]);
    assert!(c.double_run.is_empty());
}

/// A release while a partial restart's stop runs must not leave the resources left of the
/// failed one running: once the partial stop is done, the whole group is stopped. (Here the
/// release is an isolation: the peer is dead and no ping node answers.)
#[test]
fn a_release_during_a_partial_restart_stops_the_rest_of_the_group() {
    let mut c = settled();
    c.crash(1);
    c.secs(15);
    assert_eq!(c.running_on(0), [0, 1]);
    c.action_delay = std::time::Duration::from_secs(2);
    let t = c.now;
    fail(&mut c, 2, "web down");
    c.secs(1);
    c.input(0, Input::PingReach(false));
    c.secs(10);
    let g0: Vec<_> =
        c.scoped_actions_since(0, t).into_iter().filter(|(g, _, _)| *g == G0).collect();
    assert_eq!(
        g0,
        [(G0, Action::Stop, 2), (G0, Action::Stop, 0)],
        "the partial stop, then the rest; never a start"
    );
    assert!(c.running_on(0).is_empty());
    assert!(!c.node(0).groups[0].want, "released");
}

/// A failed start at the end of a restart is an ordinary failed start: the whole group is
/// stopped (and retried or handed over as usual).
#[test]
fn a_failed_start_after_a_partial_restart_stops_the_whole_group() {
    let mut c = settled();
    c.failing_starts.insert((0, 0));
    let t = c.now;
    fail(&mut c, 1, "fs gone");
    c.secs(1);
    let acts = c.scoped_actions_since(0, t);
    assert_eq!(
        acts[..3],
        [(G0, Action::Stop, 1), (G0, Action::Start, 1), (G0, Action::Stop, 0)],
        "{acts:?}"
    );
    assert!(c.events_since(0, t).iter().any(|e| matches!(e, Event::StartFailed { .. })));
}

/// The netns web-server test: the web server died during a restart's start, the start failed
/// and was retried here; the retry's success was then taken for an arrival, so the failure
/// after the restarts kept the group here ("it moved here…") instead of handing it over.
#[test]
fn a_retry_after_a_failed_start_here_is_no_arrival() {
    let mut c = settled();
    c.failing_starts.insert((0, 0));
    fail(&mut c, 2, "a");
    c.secs(1);
    c.failing_starts.clear();
    c.secs(15);
    assert_eq!(c.running_on(0), [0], "retried here after the failed start");
    fail(&mut c, 2, "b");
    c.secs(1);
    assert_eq!(c.running_on(0), [0], "second restart of two");
    let t = c.now;
    fail(&mut c, 2, "c");
    c.secs(5);
    let ev = c.events_since(0, t);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Health(HealthEvent::HandingOver { .. }))),
        "{ev:?}"
    );
    assert_eq!(c.running_on(1), [0, 1]);
}
