//! The standby / takeover / failback exchange (spec §8.7) in both roles, and admin commands.

use std::time::Duration;

use crate::api::{AdminCommand, Event, OwnershipReason, ResourceSet};
use crate::groups::GroupState;
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
            AdminCommand::Takeover(_) if self.takeover_blocked() => {
                self.emit(Event::StandbyRefused {
                    reason: "takeovers are blocked: no ping node answers or a fence is outstanding"
                        .to_owned(),
                })
            }
            // One outcome per request: a second takeover while one is outstanding would
            // share the single pending flag and reply timer, so the first would never get its
            // own answer. Refuse it, as a second standby is refused while one runs.
            AdminCommand::Takeover(_) if self.takeover_pending => self
                .emit(Event::StandbyRefused { reason: "takeover already in progress".to_owned() }),
            AdminCommand::Takeover(set) => match self.standby_refusal(false) {
                Some(reason) => self.emit(Event::StandbyRefused { reason: reason.to_owned() }),
                None => {
                    self.send(wire_msg::hb_takeover(set.as_str()));
                    self.takeover_pending = true;
                    self.timers.set(Timer::TakeoverReply, self.now + REPLY_TIMEOUT);
                }
            },
            AdminCommand::Shutdown => self.request_shutdown(),
        }
    }

    pub(crate) fn standby_refusal(&self, check_busy: bool) -> Option<&'static str> {
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

    pub(crate) fn on_ask_resources(
        &mut self,
        i: usize,
        seq: u32,
        set: ResourceSet,
        info: &str,
        for_node: Option<&str>,
    ) {
        if !self.is_nice() || self.comm != Comm::Up {
            return;
        }
        // A partner's answer naming another requester is not for our exchange.
        let for_me = for_node.is_none_or(|n| n == self.cfg.local_node);
        match info {
            "me" => {
                // A request whose exchange is already over (a late retransmission: the
                // requester has since been in flux and stable again) gets no answer: its
                // sender no longer waits, and acting on it would hold us as its partner for
                // PARTNER_TIMEOUT. A follow-up sent before the request (heartbeat does) is
                // only the first half of that and does not count.
                let log = &self.peers[i].stable_log;
                let flux = log.iter().position(|(s, stable)| *s > seq && !*stable);
                if flux.is_some_and(|k| log.iter().skip(k + 1).any(|(_, stable)| *stable)) {
                    return;
                }
                let ok = self.standby == Standby::Not
                    && !self.takeover_blocked()
                    && self.rsc == RscState::Stable
                    && self.shutdown == Shutdown::None
                    && self.peers[i].stable_at(seq);
                if let Some(reason) = self.declines_standby(set, i).filter(|_| ok) {
                    return self.emit(Event::StandbyRefused { reason });
                }
                if !ok {
                    let reason = format!("ignored standby request from {}: in flux", self.name(i));
                    self.takeover_pending = false;
                    self.timers.stop(Timer::TakeoverReply);
                    return self.emit(Event::StandbyRefused { reason });
                }
                let requester = self.requester_tag(i);
                self.send(wire_msg::ask_resources_for(set.as_str(), "other", requester.as_deref()));
                self.timers.stop(Timer::TakeoverReply);
                self.other_answered = vec![false; self.cfg.nodes.len()];
                self.other_answered[self.me] = true;
                self.standby = Standby::Other { set, from: i };
                self.timers.set(Timer::StandbyReply, self.now + PARTNER_TIMEOUT);
            }
            "other" if self.standby == Standby::Me(set) && for_me => {
                self.timers.stop(Timer::StandbyReply);
                self.standby_partners = vec![i];
                // The partner is in flux until its final `resource … isstable=1` (which we
                // then echo, as heartbeat does).
                self.peers[i].stable = false;
                self.standby = Standby::GivingUp(set);
                let f = self.claim_flags;
                self.claim_flags = ResourceSet::from_bits(
                    f.has_local() && !set.has_local(),
                    f.has_foreign() && !set.has_foreign(),
                );
                let give: Vec<usize> = self
                    .groups_in(set, self.me)
                    .into_iter()
                    .filter(|&g| self.groups[g].want)
                    .collect();
                self.standby_released.clone_from(&give);
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
            // Another partner's answer to our request: its `done` completes it too.
            "other"
                if for_me
                    && matches!(self.standby, Standby::GivingUp(s) | Standby::Done(s) if s == set)
                    && !self.standby_partners.contains(&i) =>
            {
                self.standby_partners.push(i);
            }
            // Another partner's answer: it will take part in the hand-over.
            "other" => {
                let same = match (self.standby, for_node) {
                    (Standby::Other { from, .. } | Standby::Acquiring { from, .. }, Some(n)) => {
                        self.cfg.nodes.get(from).is_some_and(|f| f == n)
                    }
                    _ => true,
                };
                if let Some(a) = self.other_answered.get_mut(i).filter(|_| same) {
                    *a = true;
                }
            }
            "done" => match self.standby {
                Standby::Done(s) if s == set && for_me => {
                    self.timers.stop(Timer::StandbyReply);
                    let check = self.now + self.cfg.keepalive * 3;
                    self.timers.set(Timer::StandbyVerify, check);
                    self.standby = Standby::Not;
                    self.send_full_resource(true, None);
                    self.emit(Event::StandbyCompleted { set });
                }
                Standby::Other { set: s, from } if from == i && s == set => {
                    let take: Vec<usize> = self
                        .groups_in(set, i)
                        .into_iter()
                        .filter(|&g| {
                            // Not a group a third node states it holds: the requester's set
                            // is a category, not what it really released (finding E).
                            !self.groups[g].want
                                && self.partner_should_take(g, i)
                                && !self.takeover_blocked()
                                && !self
                                    .other_indices()
                                    .any(|k| k != i && self.claimed_by_peer(k, g))
                        })
                        .collect();
                    self.standby = Standby::Acquiring { set, from: i };
                    self.claim_flags = self.claim_flags.union(set.mirror());
                    for g in take {
                        // Owed back to its preferred node unless that node is the one going
                        // standby (or us): a group passed on from a third node's hands (its
                        // owner was dead or cut off then) goes home once the owner is stable.
                        let pref = self.pref(g);
                        self.groups[g].needs_failback = pref != self.me && pref != i;
                        self.set_want(g, true, OwnershipReason::Standby);
                        if pref == self.me {
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

    /// A group failed to start here: ask a peer to take it (nice modes), through the standby
    /// exchange for the group's set, unless that set has other groups running fine here. One
    /// hand-off per failure streak, so a group failing everywhere does not bounce forever.
    pub(crate) fn try_handoff_failed(&mut self) {
        if !self.is_nice() || self.standby != Standby::Not || !self.actions_idle() {
            return;
        }
        let Some(g) = (0..self.groups.len()).find(|&g| self.groups[g].handoff_pending) else {
            return;
        };
        let own = self.pref(g) == self.me;
        let set = if own { ResourceSet::Local } else { ResourceSet::Foreign };
        let others_here = (0..self.groups.len())
            .any(|h| h != g && self.groups[h].want && (self.pref(h) == self.me) == own);
        if others_here {
            // Heartbeat's sets cannot move this group alone: keep retrying here instead.
            let rt = &mut self.groups[g];
            rt.handoff_pending = false;
            rt.retry_at =
                Some(self.now + crate::groups::retry_delay(self.cfg.deadtime, rt.start_failures));
            return;
        }
        self.groups[g].handoff_pending = false;
        if self.standby_refusal(true).is_none() {
            self.start_standby(set);
        } else {
            // Nobody to hand it to right now: keep retrying here.
            let rt = &mut self.groups[g];
            let delay = crate::groups::retry_delay(self.cfg.deadtime, rt.start_failures);
            rt.retry_at = Some(self.now + delay);
        }
    }

    /// The requester's name for `rsc_for`, only in clusters of more than two nodes.
    fn requester_tag(&self, requester: usize) -> Option<String> {
        (self.cfg.nodes.len() > 2).then(|| self.name(requester))
    }

    /// Partner side: which of the requester's released groups we start.
    fn partner_should_take(&self, g: usize, requester: usize) -> bool {
        if self.avoids(g) {
            // It failed its check here within its window: a released copy goes back to the
            // requester (`verify_standby_handover`) rather than to a node known to fail it.
            return false;
        }
        let pref = self.pref(g);
        if pref == self.me {
            return true;
        }
        if pref == requester || !self.node_alive(pref) {
            // Among the partners that answered `other` (a node that ignored the request takes
            // nothing), the first in configuration order.
            let answered = |k: usize| self.other_answered.get(k).copied().unwrap_or(k == self.me);
            let first = (0..self.cfg.nodes.len())
                .find(|&k| k != requester && self.node_alive(k) && answered(k));
            return first == Some(self.me);
        }
        false
    }

    /// After our standby: a released group nobody claims (its designated taker ignored the
    /// request or failed) comes back here rather than running nowhere.
    pub(crate) fn verify_standby_handover(&mut self) {
        if self.shutdown != Shutdown::None || self.standby != Standby::Not {
            return;
        }
        let released = std::mem::take(&mut self.standby_released);
        for g in released {
            // Not while our ping nodes are lost (or a fence is outstanding): taking it back
            // then would be a takeover by a node that may be the isolated one. Once unblocked,
            // `retake_after_unblock` claims it if it is still an orphan ours to take.
            if !self.groups[g].want && !self.claimed_by_any_peer(g) && !self.takeover_blocked() {
                let reason = format!("nobody took {}; keeping it", self.cfg.groups[g].name);
                self.emit(Event::StandbyRefused { reason });
                self.set_want(g, true, OwnershipReason::Standby);
                self.groups[g].needs_failback = self.pref(g) != self.me;
            }
        }
        self.retry_unclaimed_failed();
    }

    /// A failing group offered to the peers (it was not running, so it is not among the
    /// released ones above) that nobody took is retried here with back-off, not abandoned.
    pub(crate) fn retry_unclaimed_failed(&mut self) {
        for g in 0..self.groups.len() {
            let rt = &self.groups[g];
            let failing = !rt.want
                && rt.state == GroupState::Stopped
                && rt.start_failures > crate::groups::LOCAL_START_RETRIES
                && rt.retry_at.is_none();
            if failing && !self.claimed_by_any_peer(g) {
                let delay = crate::groups::retry_delay(self.cfg.deadtime, rt.start_failures);
                self.groups[g].retry_at = Some(self.now + delay);
            }
        }
    }

    pub(crate) fn finish_giving_up(&mut self, set: ResourceSet) {
        self.send(wire_msg::ask_resources(set.as_str(), "done"));
        self.standby = Standby::Done(set);
        self.timers.set(Timer::StandbyReply, self.now + DONE_TIMEOUT);
    }

    pub(crate) fn finish_acquiring(&mut self, set: ResourceSet) {
        self.timers.stop(Timer::StandbyReply);
        self.takeover_pending = false;
        let requester = match self.standby {
            Standby::Acquiring { from, .. } => self.requester_tag(from),
            _ => None,
        };
        self.standby = Standby::Not;
        self.send(wire_msg::ask_resources_for(set.as_str(), "done", requester.as_deref()));
        self.send_full_resource(true, None);
        self.emit(Event::StandbyCompleted { set });
    }

    pub(crate) fn on_standby_timeout(&mut self) {
        match self.standby {
            Standby::Me(_) => {
                self.standby = Standby::Not;
                let reason = "No reply to standby request".to_owned();
                self.emit(Event::StandbyRefused { reason });
                // An automatic failback the partner could not take then (it was in flux, or
                // a message was lost) is tried again rather than forgotten.
                self.check_failbacks(true);
                self.retry_unclaimed_failed();
            }
            Standby::Done(_) => {
                self.standby = Standby::Not;
                self.send_full_resource(true, None);
                let reason = "partner never confirmed the standby".to_owned();
                self.emit(Event::StandbyRefused { reason });
                self.verify_standby_handover();
            }
            Standby::Other { .. } => {
                self.standby = Standby::Not;
                self.takeover_outcome_lost("the requester never finished");
            }
            Standby::Not | Standby::GivingUp(_) | Standby::Acquiring { .. } => {}
        }
    }

    pub(crate) fn on_takeover_timeout(&mut self) {
        if self.standby == Standby::Not {
            self.takeover_outcome_lost("No reply to takeover request");
        }
    }

    /// Reports a takeover we asked for that will not complete.
    fn takeover_outcome_lost(&mut self, reason: &str) {
        if std::mem::take(&mut self.takeover_pending) {
            self.timers.stop(Timer::TakeoverReply);
            self.emit(Event::StandbyRefused { reason: reason.to_owned() });
        }
    }

    /// Node `i` died, left or restarted: abandon an exchange that depends on it.
    pub(crate) fn cancel_standby_with(&mut self, i: usize) {
        let ends = match self.standby {
            Standby::Other { from, .. } | Standby::Acquiring { from, .. } => from == i,
            Standby::Me(_) => !self.other_indices().any(|k| k != i && self.peers[k].is_alive()),
            // Every partner that answered `other` is gone: no `done` will come (the others
            // ignored or refused the request).
            Standby::GivingUp(_) | Standby::Done(_) => {
                !self.other_indices().any(|k| k != i && self.peers[k].is_alive())
                    || self.standby_partners.iter().all(|&k| k == i || !self.peers[k].is_alive())
            }
            Standby::Not => false,
        };
        if ends {
            let requester =
                matches!(self.standby, Standby::Me(_) | Standby::GivingUp(_) | Standby::Done(_));
            if matches!(self.standby, Standby::Done(_)) {
                // We released and are stable again; whoever should take the released groups
                // now (the dead partner's orphans) is checked as after a completed exchange.
                self.send_full_resource(true, None);
                self.timers.set(Timer::StandbyVerify, self.now + self.cfg.keepalive * 3);
            }
            self.standby = Standby::Not;
            self.timers.stop(Timer::StandbyReply);
            let reason = format!("{} left during the standby exchange", self.name(i));
            if requester {
                self.emit(Event::StandbyRefused { reason });
            } else {
                self.takeover_outcome_lost(&reason);
            }
        }
    }
}
