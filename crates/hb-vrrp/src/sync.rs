//! `vrrp_sync_group`: instances that move together (typically the outside and inside
//! addresses of one router). The members stay separate [`crate::Instance`]s; this pure logic
//! tells the shell which inputs to feed the other members after one of them changed:
//!
//! - a member that becomes Master takes the Backup members with it ([`Input::SyncMaster`]);
//! - a member that a better router pushes from Master to Backup takes the other Masters with
//!   it ([`Input::SyncBackup`]);
//! - while any member's own tracked objects fail, every other member is held in Fault
//!   ([`Input::GroupFault`], see [`SyncGroup::group_faults`]), as keepalived 2.2.7 syncs
//!   instances to FAULT.
//!
//! Moves caused by the group itself ([`Reason::Sync`]) are not propagated again, so one
//! change produces one round of inputs.

use crate::api::{Input, Reason, State};

/// Most members of one sync group.
pub const MAX_SYNC_MEMBERS: usize = 64;

/// One sync group: the positions of its members in the shell's instance list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncGroup {
    /// The group's name (for logs).
    pub name: String,
    /// Member positions (distinct; order as configured).
    pub members: Vec<usize>,
}

impl SyncGroup {
    /// A group of `members` (positions in the shell's list); duplicates and members beyond
    /// [`MAX_SYNC_MEMBERS`] are dropped.
    pub fn new(name: &str, members: &[usize]) -> SyncGroup {
        let mut m: Vec<usize> = Vec::new();
        for &i in members {
            if !m.contains(&i) && m.len() < MAX_SYNC_MEMBERS {
                m.push(i);
            }
        }
        SyncGroup { name: name.to_owned(), members: m }
    }

    /// Whether position `i` belongs to the group.
    pub fn contains(&self, i: usize) -> bool {
        self.members.contains(&i)
    }

    /// The inputs for the other members after member `who` changed from `from` to `to` for
    /// `reason`; `state(i)` gives member `i`'s current state.
    pub fn follow(
        &self,
        who: usize,
        from: State,
        to: State,
        reason: Reason,
        state: impl Fn(usize) -> State,
    ) -> Vec<(usize, Input)> {
        if reason == Reason::Sync || !self.contains(who) {
            return Vec::new();
        }
        let others = self.members.iter().copied().filter(|&i| i != who);
        match (from, to) {
            (_, State::Master) => others
                .filter(|&i| state(i) == State::Backup)
                .map(|i| (i, Input::SyncMaster))
                .collect(),
            (State::Master, State::Backup) => others
                .filter(|&i| state(i) == State::Master)
                .map(|i| (i, Input::SyncBackup))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The group's own state, for its notify scripts (keepalived's `GROUP name STATE`): Fault
    /// if a member is in Fault, else the members' common state; `None` while they differ
    /// (the group is moving) or the group is empty.
    pub fn group_state(&self, state: impl Fn(usize) -> State) -> Option<State> {
        let states: Vec<State> = self.members.iter().map(|&i| state(i)).collect();
        if states.contains(&State::Fault) {
            return Some(State::Fault);
        }
        let first = *states.first()?;
        (first != State::Init && states.iter().all(|s| *s == first)).then_some(first)
    }

    /// For each member (in [`Self::members`] order), whether another member's own tracked
    /// objects fail, given `tracking_fault(i)` ([`crate::Instance::tracking_fault`]).
    pub fn group_faults(&self, tracking_fault: impl Fn(usize) -> bool) -> Vec<(usize, bool)> {
        let faulty: Vec<bool> = self.members.iter().map(|&i| tracking_fault(i)).collect();
        self.members
            .iter()
            .enumerate()
            .map(|(k, &i)| (i, faulty.iter().enumerate().any(|(j, f)| *f && j != k)))
            .collect()
    }
}

#[cfg(test)]
#[path = "sync_test.rs"]
mod tests;
