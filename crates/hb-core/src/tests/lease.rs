//! The lease arbiter's rules (see `lease.rs`), against the store model in `lease_store`.
//! The harness asserts on every start that the starting node holds the group's key.

use std::time::Duration;

use super::harness::{config, Cluster};
use super::lease_store::Store;
use crate::{
    Action, AdminCommand, AutoFailback, Event, GroupId, Instant, LeaseEvent, OwnershipReason,
    ResourceSet, UnreachablePolicy,
};

const TTL: Duration = Duration::from_secs(6);

/// Two nodes with the arbiter, started together and settled (each runs its own group).
fn settled(policy: UnreachablePolicy) -> Cluster {
    let names = ["n1", "n2"];
    let cfgs = names.iter().map(|n| config(n, &names, 1, AutoFailback::On)).collect();
    let mut c = Cluster::with_configs(cfgs);
    c.store = Some(Store::new(2, policy, TTL));
    c.start_all();
    c.secs(25);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
    assert_eq!(c.store().holder(0), Some(0));
    assert_eq!(c.store().holder(1), Some(1));
    c
}

impl Cluster {
    fn store(&self) -> &Store {
        self.store.as_ref().expect("a store")
    }

    fn cut_store(&mut self, k: usize, cut: bool) {
        let now = self.now;
        self.store.as_mut().expect("a store").set_reachable(k, !cut, now);
    }

    fn cut_link(&mut self) {
        self.cut.insert((0, 1, 0));
        self.cut.insert((1, 0, 0));
    }

    /// First time node `k` started group `g` at or after `t`.
    fn start_of(&self, k: usize, g: u16, t: Instant) -> Option<Instant> {
        self.log.iter().find_map(|r| match &r.out {
            crate::Output::RunAction { group, action: Action::Start, .. }
                if r.node == k && group.0 == g && r.at >= t =>
            {
                Some(r.at)
            }
            _ => None,
        })
    }

    /// Holding intervals of different nodes for the same group never overlap.
    fn assert_no_overlap(&self) -> usize {
        let h = &self.store().history;
        for (i, a) in h.iter().enumerate() {
            for b in &h[i + 1..] {
                let overlap = a.1 == b.1
                    && a.0 != b.0
                    && a.3.is_none_or(|end| end > b.2)
                    && b.3.is_none_or(|end| end > a.2);
                assert!(!overlap, "overlapping key holdings: {a:?} and {b:?}");
            }
        }
        h.len()
    }
}

#[test]
fn link_cut_with_both_reaching_the_store_never_doubles_a_group() {
    let mut c = settled(UnreachablePolicy::Keep);
    let t = c.now;
    c.cut_link();
    c.secs(40);
    // Each side buries the other and wants its groups, but the keys stay with their holders.
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
    assert_eq!(c.start_of(1, 0, t), None);
    assert!(c.events_since(1, t).iter().any(|e| matches!(
        e,
        Event::Lease(LeaseEvent::KeyBusy { group: GroupId(0), node }) if node == "n1"
    )));
    c.cut.clear();
    c.secs(30);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
    assert!(c.double_run.is_empty());
    let n = c.assert_no_overlap();
    println!("{n} key holdings checked for overlap");
    assert!(n >= 2);
}

#[test]
fn a_silent_peers_group_is_taken_only_after_its_lease_expired() {
    let mut c = settled(UnreachablePolicy::Keep);
    let t = c.now;
    c.crash(0);
    c.cut_store(0, true);
    c.secs(30);
    let started = c.start_of(1, 0, t).expect("n2 takes group 0 over");
    let gap = started.saturating_duration_since(t);
    assert!(gap >= TTL, "taken {gap:?} after the crash, before the {TTL:?} lease ended");
    assert_eq!(c.running_on(1), [0, 1]);
    assert_eq!(c.store().holder(0), Some(1));
    c.assert_no_overlap();
}

#[test]
fn standby_moves_the_key_with_the_group() {
    let mut c = settled(UnreachablePolicy::Keep);
    let t = c.now;
    c.input(0, crate::Input::Admin(AdminCommand::Standby(ResourceSet::All)));
    c.secs(5);
    assert_eq!(c.running_on(0), Vec::<u16>::new());
    assert_eq!(c.running_on(1), [0, 1]);
    assert_eq!(c.store().holder(0), Some(1));
    assert!(c
        .events_since(0, t)
        .contains(&Event::Lease(LeaseEvent::KeyReleased { group: GroupId(0) })));
    // No lease wait: the key went with the group as soon as n1's stop finished.
    let gap = c.start_of(1, 0, t).expect("started").saturating_duration_since(t);
    assert!(gap < Duration::from_secs(2), "hand-over took {gap:?}");
    c.assert_no_overlap();
}

#[test]
fn a_holder_that_loses_its_key_stops_at_once() {
    let mut c = settled(UnreachablePolicy::Keep);
    let t = c.now;
    c.input(
        0,
        crate::Input::Lease(crate::LeaseInput::OwnedBy { group: GroupId(0), node: "x".into() }),
    );
    assert_eq!(c.actions_since(0, t), [(GroupId(0), Action::Stop)], "stopped in the same step");
    assert!(c.events_since(0, t).iter().any(|e| matches!(
        e,
        Event::Lease(LeaseEvent::KeyLost { group: GroupId(0), holder: Some(h) }) if h == "x"
    )));
    // The store model still names n1 (the report was injected): the renewed request gets
    // the key back and the group runs again, after its stop finished.
    c.secs(3);
    assert_eq!(c.actions_since(0, t), [(GroupId(0), Action::Stop), (GroupId(0), Action::Start)]);
    assert_eq!(c.running_on(0), [0]);
}

#[test]
fn lease_expiry_stops_everything_held() {
    let mut c = settled(UnreachablePolicy::Keep);
    let t = c.now;
    c.input(1, crate::Input::Lease(crate::LeaseInput::LeaseExpired));
    assert_eq!(c.actions_since(1, t), [(GroupId(1), Action::Stop)]);
}

#[test]
fn keep_policy_holds_through_a_store_outage_and_recovers_without_a_second_holder() {
    let mut c = settled(UnreachablePolicy::Keep);
    let t = c.now;
    c.cut_store(0, true);
    c.cut_store(1, true);
    c.secs(3);
    assert_eq!(c.running_on(0), [0], "keep: n1 keeps serving");
    assert_eq!(c.running_on(1), [1]);
    assert!(c.actions_since(0, t).is_empty() && c.actions_since(1, t).is_empty());
    c.cut_store(0, false);
    c.cut_store(1, false);
    c.secs(10);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
    assert!(c.double_run.is_empty());
    c.assert_no_overlap();
}

#[test]
fn release_policy_drops_after_grace_and_the_peer_takes_over_after_the_lease() {
    let grace = Duration::from_secs(2);
    let mut c = settled(UnreachablePolicy::Release { grace });
    let t = c.now;
    c.cut_store(0, true);
    c.secs(1);
    assert_eq!(c.running_on(0), [0], "within the grace: still serving");
    c.secs(20);
    assert_eq!(c.running_on(0), Vec::<u16>::new(), "released after the grace");
    assert_eq!(c.running_on(1), [0, 1], "the peer took it over");
    let stop = c
        .log
        .iter()
        .find(|r| {
            r.node == 0
                && r.at >= t
                && matches!(r.out, crate::Output::RunAction { action: Action::Stop, .. })
        })
        .map(|r| r.at)
        .expect("n1 stopped");
    assert!(stop.saturating_duration_since(t) >= grace);
    let start = c.start_of(1, 0, t).expect("n2 started group 0");
    assert!(start.saturating_duration_since(t) >= TTL, "not before n1's lease ended");
    assert!(c.events(0).iter().any(|e| matches!(e, Event::Lease(LeaseEvent::GraceExpired { .. }))));
    c.assert_no_overlap();
    // n1 reaches the store again: nothing moves back twice, nobody doubles.
    c.cut_store(0, false);
    c.secs(30);
    assert!(c.double_run.is_empty());
    c.assert_no_overlap();
}

#[test]
fn release_policy_alone_stops_its_groups() {
    let grace = Duration::from_secs(2);
    let mut c = settled(UnreachablePolicy::Release { grace });
    c.crash(1);
    c.cut_store(1, true);
    c.secs(20);
    assert_eq!(c.running_on(0), [0, 1]);
    c.cut_store(0, true);
    c.secs(5);
    assert_eq!(c.running_on(0), Vec::<u16>::new());
    assert!(c.events(0).iter().any(|e| matches!(
        e,
        Event::Ownership { owner: None, reason: OwnershipReason::ArbiterUnreachable, .. }
    )));
}
