//! Losing and regaining peers (spec §8.5, §8.6 survivor side, §7.4, §7.5): takeover of
//! orphaned groups, failback trigger, and split-brain resolution when a peer claims a group we
//! hold (the preferred node keeps it).

use crate::api::{Event, GroupId, OwnershipReason, ResourceSet};
use crate::config::AutoFailback;
use crate::node::{Comm, Node, Shutdown};
use crate::resources::RscState;
use crate::standby::Standby;
use crate::wire_msg;

impl Node {
    /// Groups nobody holds whose takeover target is us.
    pub(crate) fn orphans_for_us(&self) -> Vec<usize> {
        if self.takeover_blocked() {
            return Vec::new();
        }
        (0..self.groups.len())
            .filter(|&g| {
                !self.groups[g].want
                    && !self.ip_requested[g]
                    && !self.claimed_by_any_peer(g)
                    && self.takeover_target(g) == Some(self.me)
            })
            .collect()
    }

    /// Takes over orphaned groups (dead/leaving/restarted holder) and announces it the way
    /// heartbeat's `req_our_resources` and `mach_down` do.
    /// `claim_all`: a node was lost, so (like heartbeat's `req_our_resources` + `mach_down`)
    /// we become responsible for every category.
    pub(crate) fn takeover_orphans(&mut self, reason: OwnershipReason, claim_all: bool) {
        let take = self.orphans_for_us();
        let before = self.held_set();
        if claim_all {
            self.claim_flags = ResourceSet::All;
        }
        if take.is_empty() && self.held_set() == before {
            return;
        }
        let take = self.legacy_ask_first(take);
        self.claim(&take, reason);
        let foreign = take.iter().any(|&g| self.pref(g) != self.me);
        if self.is_nice() {
            self.send_full_resource(true, Some("req_our_resources()"));
            self.pending_machdown |= foreign;
        }
        for g in take {
            self.reconcile(g);
        }
    }

    /// Spec §8.5, called once `i` is marked dead.
    pub(crate) fn on_peer_dead(&mut self, i: usize, had_heard: bool) {
        self.cancel_standby_with(i);
        let p = &self.peers[i];
        // Heartbeat's rule, for the `stonith` message: no fencing for a clean exit or a peer
        // that held nothing.
        let fencing_needed =
            !(had_heard && (p.shutdone || (self.is_nice() && p.holds == ResourceSet::None)));
        // Our fencing is stricter: what a peer holds may have changed since its last statement
        // reached us, so every death but a clean hand-over is fenced. Even before our own
        // comm-up: otherwise comm-up would take its groups unfenced.
        let must_fence = p.must_fence || !(had_heard && p.shutdone);
        if must_fence && self.shutdown == Shutdown::None {
            self.request_fence(i);
        }
        let p = &mut self.peers[i];
        p.holds = ResourceSet::None;
        p.claims = None;
        p.stable = false;
        p.stable_log.clear();
        p.shutdone = false;
        if self.comm != Comm::Up || self.shutdown != Shutdown::None {
            return;
        }
        let name = self.name(i);
        let result = if fencing_needed { "n_stnth" } else { "unneeded" };
        self.send(wire_msg::stonith(&name, result));
        self.take_after_loss(OwnershipReason::NodeDead);
        self.check_isolation();
    }

    fn take_after_loss(&mut self, reason: OwnershipReason) {
        if !self.is_nice() {
            if !self.other_indices().any(|k| self.peers[k].is_alive()) {
                self.legacy_take_requested();
            } else {
                // The dead peer may have been the last one whose answer we waited for.
                self.legacy_check_declines();
            }
            return self.takeover_orphans(reason, true);
        }
        match self.rsc {
            RscState::Stable => self.takeover_orphans(reason, true),
            RscState::Starting | RscState::BothStarting | RscState::RscRcvd => {
                if !self.other_indices().any(|k| self.peers[k].is_alive()) {
                    self.become_stable();
                }
            }
            RscState::Init | RscState::Shutdown => {}
        }
    }

    /// Spec §8.6 survivor side: the leaving node holds nothing; take over at once.
    pub(crate) fn on_shutdone(&mut self, i: usize) {
        self.cancel_standby_with(i);
        let p = &mut self.peers[i];
        p.shutdone = true;
        p.holds = ResourceSet::None;
        p.claims = None;
        p.stable = true;
        p.stable_log.clear();
        if self.comm == Comm::Up && self.shutdown == Shutdown::None {
            let stable = self.rsc == RscState::Stable;
            self.take_after_loss(OwnershipReason::PeerShutdown);
            // Heartbeat acquires through its standby path, which ends with `ask_resources all
            // done` and a full `resource` once the groups run.
            self.pending_shutdone_ack |= stable && self.is_nice();
            self.after_settle();
        }
    }

    /// A higher generation: the old incarnation's holdings are void.
    pub(crate) fn on_peer_restart(&mut self, i: usize, generation: u32) {
        self.emit(Event::PeerRestarted { node: self.name(i), generation });
        self.cancel_standby_with(i);
        let p = &mut self.peers[i];
        p.holds = ResourceSet::None;
        p.claims = None;
        p.stable = false;
        p.stable_log.clear();
        p.shutdone = false;
        p.was_dead = false;
        p.must_fence = false;
        if self.comm == Comm::Up && self.shutdown == Shutdown::None && self.rsc == RscState::Stable
        {
            self.takeover_orphans(OwnershipReason::NodeDead, false);
        }
    }

    /// Same generation after we buried it: a healed partition. Tell it what we hold so the
    /// double-held groups can be sorted out (heartbeat would restart itself instead).
    pub(crate) fn on_peer_returned(&mut self, i: usize) {
        let p = &mut self.peers[i];
        p.holds = ResourceSet::None;
        p.claims = None;
        p.stable = false;
        p.stable_log.clear();
        if self.is_nice() && self.comm == Comm::Up && self.rsc == RscState::Stable {
            // Our view of it is stale and its view of us may be too: ask what it holds (a
            // peer answers every `starting` with its full statement), then say what we hold.
            self.send(wire_msg::starting());
            self.send_full_resource(true, None);
        } else if !self.is_nice() && self.comm == Comm::Up {
            self.legacy_reclaim_own(i);
        }
    }

    /// With `auto_failback on`, give back groups we took over once their owner is stable.
    /// `announce`: state what we hold first (as heartbeat does before `me`), for a retry that
    /// was not prompted by a fresh exchange of statements.
    fn maybe_failback(&mut self, i: usize, announce: bool) {
        if self.cfg.auto_failback != AutoFailback::On || self.standby != Standby::Not {
            return;
        }
        let owed = (0..self.groups.len())
            .any(|g| self.groups[g].want && self.groups[g].needs_failback && self.pref(g) == i);
        // Not now (we or a peer are in flux): `check_failbacks` tries again once settled.
        if owed && self.peers[i].stable && self.standby_refusal(true).is_none() {
            if announce {
                self.send_full_resource(true, None);
            }
            self.start_standby(ResourceSet::Foreign);
        }
    }

    /// Failback towards every live, stable owner (after our actions settle, or a timeout).
    pub(crate) fn check_failbacks(&mut self, announce: bool) {
        let stable: Vec<usize> = self
            .other_indices()
            .filter(|&k| self.peers[k].is_alive() && self.peers[k].stable)
            .collect();
        for k in stable {
            if self.standby == Standby::Not {
                self.maybe_failback(k, announce);
            }
        }
    }

    /// A peer claims groups we hold: the preferred node keeps each one, the other releases it
    /// (neither preferred: the node earlier in the configuration keeps it).
    pub(crate) fn resolve_conflicts(&mut self, i: usize) {
        if self.rsc != RscState::Stable || self.shutdown != Shutdown::None {
            return;
        }
        let both: Vec<usize> = (0..self.groups.len())
            .filter(|&g| self.groups[g].want && self.claimed_by_peer(i, g))
            .collect();
        if both.is_empty() {
            return;
        }
        let (keep, release): (Vec<usize>, Vec<usize>) = both.into_iter().partition(|&g| {
            let pref = self.pref(g);
            pref == self.me || (pref != i && self.me < i)
        });
        let node = self.name(i);
        if !keep.is_empty() {
            let groups = keep.iter().map(|&g| GroupId(g as u16)).collect();
            self.emit(Event::SplitBrainSuspected { node: node.clone(), groups, we_keep: true });
            // The other side may not know what we hold (it may have buried us and reset its
            // view): tell it, so it releases its copy.
            self.send_full_resource(true, None);
        }
        if !release.is_empty() {
            let groups = release.iter().map(|&g| GroupId(g as u16)).collect();
            self.emit(Event::SplitBrainSuspected { node, groups, we_keep: false });
            for g in release {
                self.set_want(g, false, OwnershipReason::SplitBrain);
            }
            self.after_settle();
        }
    }
}
