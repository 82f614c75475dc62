//! The lease arbiter (issue 19): an external consensus store (etcd) decides which node may run
//! each group. The engine only decides; the shell talks to the store.
//!
//! Rules, per group, when the arbiter is on ([`Node::set_lease_policy`]):
//! - A group is started only while this node holds its key under a live lease
//!   ([`LeaseInput::Acquired`]). Whenever the protocol wants a group that we do not hold, the
//!   engine asks for its key once ([`LeaseRequest::Acquire`]); the shell keeps trying
//!   (create-if-absent) until it gets it or the engine withdraws ([`LeaseRequest::Release`]).
//!   A key held by another node stays theirs until they release it or their lease expires, so
//!   taking a group from a silent peer waits for the end of its lease: two nodes cut from
//!   each other but not from the store never both run it.
//! - A group that stops here because the protocol moved it (standby, shutdown, failback, a
//!   split brain resolved against us) releases its key as soon as its stop succeeded, in the
//!   same step; a group whose stop failed keeps its key (it may still be partly running).
//! - A holder that learns its key is gone or owned by another node ([`LeaseInput::Lost`],
//!   [`LeaseInput::OwnedBy`], [`LeaseInput::LeaseExpired`]) stops the group at once and asks
//!   for the key again (it still wants the group; it runs again only with the key). Tests:
//!   `tests/lease.rs`, with a store model in `tests/lease_store.rs`.
//! - Store unreachable ([`LeaseInput::StoreUnreachable`]): with [`UnreachablePolicy::Keep`]
//!   what is held keeps running and nothing new starts (no key can be had). With
//!   [`UnreachablePolicy::Release`] the groups are let go `grace` after the store became
//!   unreachable: handed to a live peer through the standby exchange when one can take them
//!   (it starts them once our lease has expired and it got the keys), otherwise stopped.

use std::time::Duration;

use crate::api::{Event, GroupId, Output, OwnershipReason, ResourceSet};
use crate::groups::GroupState;
use crate::node::{Node, Shutdown};
use crate::timers::Timer;

/// What the node does with its groups while the store cannot be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnreachablePolicy {
    /// Keep running what runs; start nothing new.
    Keep,
    /// Let everything go this long after the store became unreachable.
    Release {
        /// The grace time.
        grace: Duration,
    },
}

/// A request to the shell's store client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseRequest {
    /// Get the group's key under our lease (create it if absent; if another node holds it,
    /// keep watching and take it once it is gone) and report with [`LeaseInput`].
    Acquire {
        /// The group.
        group: GroupId,
    },
    /// Stop trying to get the key, and delete it if it is ours.
    Release {
        /// The group.
        group: GroupId,
    },
}

/// What the shell's store client learnt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseInput {
    /// The group's key is ours, under our live lease.
    Acquired {
        /// The group.
        group: GroupId,
    },
    /// The key is held by `node` (our create failed, or a watch saw it change hands).
    OwnedBy {
        /// The group.
        group: GroupId,
        /// The holder named in the key.
        node: String,
    },
    /// The key we held is gone (deleted, or written by someone else).
    Lost {
        /// The group.
        group: GroupId,
    },
    /// Our lease expired or was revoked: every key we held is gone.
    LeaseExpired,
    /// The store stopped answering (a request or the keep-alive failed or timed out).
    StoreUnreachable,
    /// The store answers again.
    StoreReachable,
}

/// Lease-related events, for logs, alerts and metrics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseEvent {
    /// We hold the group's key now.
    KeyAcquired {
        /// The group.
        group: GroupId,
    },
    /// We want the group, but `node` holds its key: we wait.
    KeyBusy {
        /// The group.
        group: GroupId,
        /// The holder.
        node: String,
    },
    /// We released the key after stopping the group.
    KeyReleased {
        /// The group.
        group: GroupId,
    },
    /// We held the key and lost it; the group is stopped at once if it runs.
    KeyLost {
        /// The group.
        group: GroupId,
        /// Who holds it now, if known.
        holder: Option<String>,
    },
    /// The store is (un)reachable.
    Store {
        /// Reachable.
        reachable: bool,
    },
    /// `release` policy: the grace ran out; the groups are let go.
    GraceExpired {
        /// Groups let go.
        groups: Vec<GroupId>,
    },
}

/// Where one group's key stands on this node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum KeyState {
    /// Not asked for.
    #[default]
    None,
    /// Asked for; `holder` is the node holding it, if known.
    Wanted {
        /// Holder, as last reported.
        holder: Option<String>,
    },
    /// Ours.
    Held,
}

/// The arbiter's state in the node.
#[derive(Clone, Debug)]
pub(crate) struct LeaseRt {
    pub(crate) policy: UnreachablePolicy,
    pub(crate) keys: Vec<KeyState>,
    pub(crate) store_ok: bool,
}

impl Node {
    /// Turns the lease arbiter on (call right after [`Node::new`], before any input).
    pub fn set_lease_policy(&mut self, policy: UnreachablePolicy) {
        self.lease =
            Some(LeaseRt { policy, keys: vec![KeyState::None; self.groups.len()], store_ok: true });
    }

    /// The key state of every group, in `haresources` order (`None` with the arbiter off),
    /// and whether the store answers.
    pub fn lease_view(&self) -> Option<(Vec<KeyState>, bool)> {
        self.lease.as_ref().map(|l| (l.keys.clone(), l.store_ok))
    }

    /// Whether the arbiter lets group `g` run here.
    pub(crate) fn lease_allows(&self, g: usize) -> bool {
        self.lease.as_ref().is_none_or(|l| l.keys[g] == KeyState::Held)
    }

    fn lease_wanted(&self, g: usize) -> bool {
        self.lease.as_ref().is_some_and(|l| matches!(l.keys[g], KeyState::Wanted { .. }))
    }

    /// After `reconcile` decided: ask for the key of a wanted group, give back the key of a
    /// group that is stopped and no longer wanted.
    pub(crate) fn lease_follow(&mut self, g: usize) {
        let want = self.groups[g].want;
        let stopped = self.groups[g].state == GroupState::Stopped;
        let Some(l) = self.lease.as_mut() else { return };
        let group = GroupId(g as u16);
        match (&l.keys[g], want) {
            (KeyState::None, true) => {
                l.keys[g] = KeyState::Wanted { holder: None };
                self.push_output(Output::Lease(LeaseRequest::Acquire { group }));
            }
            (KeyState::Wanted { .. }, false) => {
                l.keys[g] = KeyState::None;
                self.push_output(Output::Lease(LeaseRequest::Release { group }));
            }
            (KeyState::Held, false) if stopped => {
                l.keys[g] = KeyState::None;
                self.push_output(Output::Lease(LeaseRequest::Release { group }));
                self.emit(Event::Lease(LeaseEvent::KeyReleased { group }));
            }
            _ => {}
        }
    }

    /// `Input::Lease`.
    pub(crate) fn handle_lease(&mut self, input: LeaseInput) {
        let Some(l) = self.lease.as_mut() else { return };
        match input {
            LeaseInput::Acquired { group } => {
                let g = group.0 as usize;
                if !matches!(l.keys.get(g), Some(KeyState::Wanted { .. })) {
                    // Not asked for (any more): the shell hears our release next.
                    return;
                }
                l.keys[g] = KeyState::Held;
                self.emit(Event::Lease(LeaseEvent::KeyAcquired { group }));
                self.reconcile(g);
                self.after_settle();
            }
            LeaseInput::OwnedBy { group, node } => {
                let g = group.0 as usize;
                match l.keys.get(g) {
                    Some(KeyState::Held) => self.lose_key(g, Some(node)),
                    Some(KeyState::Wanted { holder }) if holder.as_deref() != Some(&node) => {
                        l.keys[g] = KeyState::Wanted { holder: Some(node.clone()) };
                        self.emit(Event::Lease(LeaseEvent::KeyBusy { group, node }));
                    }
                    _ => {}
                }
            }
            LeaseInput::Lost { group } => {
                let g = group.0 as usize;
                if l.keys.get(g) == Some(&KeyState::Held) {
                    self.lose_key(g, None);
                }
            }
            LeaseInput::LeaseExpired => {
                let held: Vec<usize> =
                    (0..l.keys.len()).filter(|&g| l.keys[g] == KeyState::Held).collect();
                for g in held {
                    self.lose_key(g, None);
                }
            }
            LeaseInput::StoreUnreachable => {
                if !l.store_ok {
                    return;
                }
                l.store_ok = false;
                if let UnreachablePolicy::Release { grace } = l.policy {
                    self.timers.set(Timer::LeaseGrace, self.now + grace);
                }
                self.emit(Event::Lease(LeaseEvent::Store { reachable: false }));
            }
            LeaseInput::StoreReachable => {
                if l.store_ok {
                    return;
                }
                l.store_ok = true;
                self.timers.stop(Timer::LeaseGrace);
                self.emit(Event::Lease(LeaseEvent::Store { reachable: true }));
                // Groups halted by the grace that are still wanted (their hand-over stalled):
                // ask again; the shell answers `Acquired` if the key is still ours.
                let again: Vec<usize> = (0..self.groups.len())
                    .filter(|&g| self.groups[g].want && self.lease_wanted(g))
                    .collect();
                for g in again {
                    let group = GroupId(g as u16);
                    self.push_output(Output::Lease(LeaseRequest::Acquire { group }));
                }
            }
        }
    }

    /// `release` policy: the store stayed unreachable for the grace time.
    pub(crate) fn on_lease_grace(&mut self) {
        if self.lease.as_ref().is_none_or(|l| l.store_ok) || self.shutdown != Shutdown::None {
            return;
        }
        // While still cut off, look again every grace (a group taken on meanwhile, say by
        // an operator's takeover, is let go too).
        if let Some(UnreachablePolicy::Release { grace }) = self.lease.as_ref().map(|l| l.policy) {
            self.timers.set(Timer::LeaseGrace, self.now + grace);
        }
        let held: Vec<usize> = (0..self.groups.len()).filter(|&g| self.groups[g].want).collect();
        if held.is_empty() {
            // Nothing to let go: no event, no alert.
            return;
        }
        self.emit(Event::Lease(LeaseEvent::GraceExpired {
            groups: held.iter().map(|&g| GroupId(g as u16)).collect(),
        }));
        if self.standby_refusal(true).is_none() {
            // A live peer takes them through the standby exchange; it runs them once it
            // gets the keys, i.e. once our lease has expired.
            self.start_standby(ResourceSet::All);
            for &g in &held {
                self.halt_without_key(g);
            }
        } else {
            for g in held {
                self.set_want(g, false, OwnershipReason::ArbiterUnreachable);
            }
        }
        self.after_settle();
    }

    /// The key of `g` is no longer ours: stop the group at once if it runs, and ask again.
    fn lose_key(&mut self, g: usize, holder: Option<String>) {
        let group = GroupId(g as u16);
        if let Some(l) = self.lease.as_mut() {
            l.keys[g] = KeyState::Wanted { holder: holder.clone() };
        }
        self.emit(Event::Lease(LeaseEvent::KeyLost { group, holder }));
        if self.groups[g].want {
            // Still wanted: ask again (the shell keeps trying until it gets the key or we
            // release it; a repeated request is harmless).
            self.push_output(Output::Lease(LeaseRequest::Acquire { group }));
            self.reconcile(g);
        } else {
            self.lease_follow(g);
        }
        self.after_settle();
    }

    /// Stops a group that stays wanted until the standby exchange moves it (it must not run
    /// after the grace even if the exchange stalls).
    fn halt_without_key(&mut self, g: usize) {
        if let Some(l) = self.lease.as_mut() {
            if l.keys[g] == KeyState::Held {
                l.keys[g] = KeyState::Wanted { holder: None };
            }
        }
        self.reconcile(g);
    }
}
