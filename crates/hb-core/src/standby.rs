//! The standby / takeover / failback exchange (spec §8.7) in both roles, and admin commands.

use std::time::Duration;

use crate::api::{AdminCommand, Event, OwnershipReason, ResourceSet};
use crate::node::{Comm, Node, Shutdown};
use crate::resources::RscState;
use crate::timers::Timer;
use crate::wire_msg;

/// How long a requester waits for `other` (heartbeat: 10 s).
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a partner waits for the requester's `done` (heartbeat: 1 h).
const PARTNER_TIMEOUT: Duration = Duration::from_secs(3600);
/// How long a requester waits for the partner's `done` once it has released.
const DONE_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a standby exchange stands. Sets are from the requester's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Standby {
    Not,
    /// We asked (`me`), waiting for `other`.
    Me(ResourceSet),
    /// We are stopping the set.
    GivingUp(ResourceSet),
    /// We sent `done`; waiting for the partner's `done`.
    Done(ResourceSet),
    /// We answered `other` to `from`; waiting for its `done`.
    Other {
        set: ResourceSet,
        from: usize,
    },
    /// We are starting the mirror set for `from`.
    Acquiring {
        set: ResourceSet,
        from: usize,
    },
}

impl Node {
    pub(crate) fn handle_admin(&mut self, cmd: AdminCommand) {
        match cmd {
            AdminCommand::Standby(set) => self.start_standby(set),
            AdminCommand::Takeover(set) => match self.standby_refusal(false) {
                Some(reason) => self.emit(Event::StandbyRefused { reason: reason.to_owned() }),
                None => self.send(wire_msg::hb_takeover(set.as_str())),
            },
            AdminCommand::Shutdown => self.request_shutdown(),
        }
    }

    fn standby_refusal(&self, check_busy: bool) -> Option<&'static str> {
        if self.shutdown != Shutdown::None {
            return Some("shutting down");
        }
        if !self.is_nice() {
            return Some("Standby mode only implemented when nice_failback on");
        }
        if self.comm != Comm::Up || self.rsc != RscState::Stable || !self.actions_idle() {
            return Some("local resources in flux");
        }
        if check_busy && self.standby != Standby::Not {
            return Some("standby already in progress");
        }
        let mut alive = self.other_indices().filter(|&i| self.peers[i].is_alive()).peekable();
        if alive.peek().is_none() {
            return Some("no other node is active");
        }
        if alive.any(|i| !self.peers[i].stable) {
            return Some("other node is in flux");
        }
        None
    }

    /// Requester side: ask the partner to take `set` (our point of view).
    pub(crate) fn start_standby(&mut self, set: ResourceSet) {
        if let Some(reason) = self.standby_refusal(true) {
            return self.emit(Event::StandbyRefused { reason: reason.to_owned() });
        }
        self.send(wire_msg::ask_resources(set.as_str(), "me"));
        self.standby = Standby::Me(set);
        self.timers.set(Timer::StandbyReply, self.now + REPLY_TIMEOUT);
    }

    /// `hb_takeover S` from a peer: run standby with the mirrored set.
    pub(crate) fn on_hb_takeover(&mut self, _i: usize, set: ResourceSet) {
        if self.is_nice() && self.comm == Comm::Up {
            self.start_standby(set.mirror());
        }
    }

    pub(crate) fn on_ask_resources(&mut self, i: usize, set: ResourceSet, info: &str) {
        if !self.is_nice() || self.comm != Comm::Up {
            return;
        }
        match info {
            "me" => {
                let ok = self.standby == Standby::Not
                    && self.rsc == RscState::Stable
                    && self.shutdown == Shutdown::None
                    && self.peers[i].stable;
                if !ok {
                    let reason = format!("ignored standby request from {}: in flux", self.name(i));
                    return self.emit(Event::StandbyRefused { reason });
                }
                self.send(wire_msg::ask_resources(set.as_str(), "other"));
                self.standby = Standby::Other { set, from: i };
                self.timers.set(Timer::StandbyReply, self.now + PARTNER_TIMEOUT);
            }
            "other" if self.standby == Standby::Me(set) => {
                self.timers.stop(Timer::StandbyReply);
                // The partner is in flux until its final `resource … isstable=1` (which we
                // then echo, as heartbeat does).
                self.peers[i].stable = false;
                self.standby = Standby::GivingUp(set);
                let f = self.claim_flags;
                self.claim_flags = ResourceSet::from_bits(
                    f.has_local() && !set.has_local(),
                    f.has_foreign() && !set.has_foreign(),
                );
                let give = self.groups_in(set, self.me);
                for &g in &give {
                    let rt = &mut self.groups[g];
                    rt.want = false;
                    rt.needs_failback = false;
                    rt.reason = Some(OwnershipReason::Standby);
                }
                self.send_full_resource(false, Some("standby"));
                for g in give {
                    self.reconcile(g);
                }
                self.after_settle();
            }
            "done" => match self.standby {
                Standby::Done(s) if s == set => {
                    self.timers.stop(Timer::StandbyReply);
                    self.standby = Standby::Not;
                    self.send_full_resource(true, None);
                    self.emit(Event::StandbyCompleted { set });
                }
                Standby::Other { set: s, from } if from == i && s == set => {
                    let take: Vec<usize> = self
                        .groups_in(set, i)
                        .into_iter()
                        .filter(|&g| !self.groups[g].want && self.partner_should_take(g, i))
                        .collect();
                    self.standby = Standby::Acquiring { set, from: i };
                    self.claim_flags = self.claim_flags.union(set.mirror());
                    for g in take {
                        self.groups[g].needs_failback = false;
                        self.set_want(g, true, OwnershipReason::Standby);
                        let own = self.pref(g) == self.me;
                        if own {
                            self.groups[g].reason = Some(OwnershipReason::Failback);
                        }
                    }
                    self.after_settle();
                }
                _ => {}
            },
            _ => {}
        }
    }

    /// Partner side: which of the requester's released groups we start.
    fn partner_should_take(&self, g: usize, requester: usize) -> bool {
        let pref = self.pref(g);
        if pref == self.me {
            return true;
        }
        if pref == requester || !self.node_alive(pref) {
            let first = (0..self.cfg.nodes.len()).find(|&k| k != requester && self.node_alive(k));
            return first == Some(self.me);
        }
        false
    }

    pub(crate) fn finish_giving_up(&mut self, set: ResourceSet) {
        self.send(wire_msg::ask_resources(set.as_str(), "done"));
        self.standby = Standby::Done(set);
        self.timers.set(Timer::StandbyReply, self.now + DONE_TIMEOUT);
    }

    pub(crate) fn finish_acquiring(&mut self, set: ResourceSet) {
        self.timers.stop(Timer::StandbyReply);
        self.standby = Standby::Not;
        self.send(wire_msg::ask_resources(set.as_str(), "done"));
        self.send_full_resource(true, None);
        self.emit(Event::StandbyCompleted { set });
    }

    pub(crate) fn on_standby_timeout(&mut self) {
        match self.standby {
            Standby::Me(_) => {
                self.standby = Standby::Not;
                let reason = "No reply to standby request".to_owned();
                self.emit(Event::StandbyRefused { reason });
            }
            Standby::Done(_) => {
                self.standby = Standby::Not;
                self.send_full_resource(true, None);
                let reason = "partner never confirmed the standby".to_owned();
                self.emit(Event::StandbyRefused { reason });
            }
            Standby::Other { .. } => self.standby = Standby::Not,
            Standby::Not | Standby::GivingUp(_) | Standby::Acquiring { .. } => {}
        }
    }

    /// Node `i` died, left or restarted: abandon an exchange that depends on it.
    pub(crate) fn cancel_standby_with(&mut self, i: usize) {
        let ends = match self.standby {
            Standby::Other { from, .. } | Standby::Acquiring { from, .. } => from == i,
            Standby::Me(_) | Standby::GivingUp(_) | Standby::Done(_) => {
                !self.other_indices().any(|k| k != i && self.peers[k].is_alive())
            }
            Standby::Not => false,
        };
        if ends {
            let requester =
                matches!(self.standby, Standby::Me(_) | Standby::GivingUp(_) | Standby::Done(_));
            self.standby = Standby::Not;
            self.timers.stop(Timer::StandbyReply);
            if requester {
                let reason = format!("{} left during the standby exchange", self.name(i));
                self.emit(Event::StandbyRefused { reason });
            }
        }
    }
}
