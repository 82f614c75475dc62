//! v1 "nice failback" resource negotiation (spec §8.3–§8.5, §8.8): `starting`/`resource`,
//! start-up acquisition, takeover of dead or leaving nodes' groups, failback trigger and
//! split-brain resolution after a partition heals (preferred node keeps the group).

use std::time::Duration;

use crate::api::{OwnershipReason, ResourceSet};
use crate::config::AutoFailback;
use crate::node::{Comm, Node, Shutdown};
use crate::standby::Standby;
use crate::timers::Timer;
use crate::wire_msg;

/// `RQSTDELAY`: how long a starting node waits for a stable peer before taking its groups.
pub(crate) const RQSTDELAY: Duration = Duration::from_secs(10);

/// Our resource-manager state (heartbeat's `resourcestate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RscState {
    /// Comm not up yet.
    Init,
    /// `starting` sent.
    Starting,
    /// A peer was starting at the same time.
    BothStarting,
    /// A peer's `resource` arrived; waiting for stability or `RQSTDELAY`.
    RscRcvd,
    /// Settled.
    Stable,
    /// Shutting down.
    Shutdown,
}

impl Node {
    pub(crate) fn is_nice(&self) -> bool {
        self.cfg.auto_failback != AutoFailback::Legacy
    }

    /// Whether node `k` (possibly us) is running and willing to hold groups.
    pub(crate) fn node_alive(&self, k: usize) -> bool {
        if k == self.me {
            self.comm == Comm::Up && self.shutdown == Shutdown::None
        } else {
            self.peers.get(k).is_some_and(|p| p.is_alive())
        }
    }

    /// Who should hold `g` when its holder is gone: its preferred node if alive, else the
    /// first live node in configuration order (so every node computes the same answer).
    pub(crate) fn takeover_target(&self, g: usize) -> Option<usize> {
        let pref = self.pref(g);
        if self.node_alive(pref) {
            return Some(pref);
        }
        (0..self.cfg.nodes.len()).find(|&k| self.node_alive(k))
    }

    /// Whether peer `p` claims `g`. A peer's `foreign` is ambiguous with three or more nodes;
    /// we only read it as covering `g` when `g` is ours, the cluster has two nodes, or `g`'s
    /// preferred node is gone.
    pub(crate) fn claimed_by_peer(&self, p: usize, g: usize) -> bool {
        let peer = &self.peers[p];
        if p == self.me || !peer.is_alive() {
            return false;
        }
        if let Some(c) = &peer.claims {
            return c.contains(&g);
        }
        let pref = self.pref(g);
        if pref == p {
            peer.holds.has_local()
        } else {
            peer.holds.has_foreign()
                && (pref == self.me || self.cfg.nodes.len() == 2 || !self.node_alive(pref))
        }
    }

    pub(crate) fn claimed_by_any_peer(&self, g: usize) -> bool {
        self.other_indices().any(|p| self.claimed_by_peer(p, g))
    }

    /// Sends our full `resource` statement.
    pub(crate) fn send_full_resource(&mut self, stable: bool, info: Option<&str>) {
        let set = self.held_set();
        self.announced = Some(set);
        self.announced_groups = self.wanted_groups();
        let body = wire_msg::resource_full(set.as_str(), stable, info);
        let body = self.with_claims(body);
        self.send(body);
    }

    /// Adds the exact group list in clusters of more than two nodes.
    pub(crate) fn with_claims(&self, body: wire_msg::Body) -> wire_msg::Body {
        if self.cfg.nodes.len() <= 2 {
            return body;
        }
        wire_msg::with_groups(body, &self.wanted_groups())
    }

    /// The groups we want, in index order (what `rsc_groups` lists).
    pub(crate) fn wanted_groups(&self) -> Vec<usize> {
        (0..self.groups.len()).filter(|&g| self.groups[g].want).collect()
    }

    /// Re-states our holdings once they differ from our last statement: the category, and
    /// with more than two nodes the exact group list (a group dropped from a category we still
    /// hold, e.g. by split-brain resolution, must not stay claimed in the peers' view, or
    /// nobody takes it when its preferred node asks for it or dies). Also while our own
    /// standby request waits for its `other`: nothing is released yet, and that wait can last
    /// [`REPLY_TIMEOUT`](crate::standby) when the partner ignored us.
    pub(crate) fn reannounce_if_changed(&mut self) {
        let changed = self.announced.is_some_and(|a| a != self.held_set())
            || (self.announced.is_some()
                && self.cfg.nodes.len() > 2
                && self.announced_groups != self.wanted_groups());
        if self.is_nice()
            && self.rsc == RscState::Stable
            && matches!(self.standby, Standby::Not | Standby::Me(_))
            && self.shutdown == Shutdown::None
            && changed
        {
            self.send_full_resource(true, None);
        }
    }

    pub(crate) fn rsc_on_comm_up(&mut self) {
        if !self.is_nice() {
            return self.legacy_on_comm_up();
        }
        self.send(wire_msg::starting());
        self.rsc = RscState::Starting;
        // Safety net: a peer that never sends a `resource` must not keep us starting forever.
        self.timers.set(Timer::RscDelay, self.now + RQSTDELAY * 2);
        if !self.other_indices().any(|i| self.peers[i].is_alive()) {
            self.become_stable();
        }
    }

    pub(crate) fn on_starting(&mut self, i: usize, seq: u32) {
        if !self.is_nice() || self.comm != Comm::Up || self.rsc == RscState::Init {
            return;
        }
        let p = &mut self.peers[i];
        // A `starting` overtaken by the sender's later statements (reordering) must not undo
        // them; it is still answered.
        let stale = p.stable_log.back().is_some_and(|(s, _)| *s > seq);
        if !stale {
            p.stable = false;
            p.stable_log.clear();
            p.stable_log.push_back((seq, false));
            p.holds = ResourceSet::None;
            p.claims = None;
        }
        if self.rsc == RscState::Starting {
            self.rsc = RscState::BothStarting;
        }
        let stable = self.rsc == RscState::Stable;
        self.send_full_resource(stable, None);
    }

    pub(crate) fn on_resource(
        &mut self,
        i: usize,
        seq: u32,
        hold: ResourceSet,
        full: bool,
        stable: bool,
        claims: Option<Vec<usize>>,
    ) {
        if !self.is_nice() || self.comm != Comm::Up {
            return;
        }
        let p = &mut self.peers[i];
        if full {
            // A statement older than one already applied (it filled a gap) is history only.
            let stale = p.stable_log.back().is_some_and(|(s, _)| *s > seq);
            let at = p.stable_log.iter().position(|(s, _)| *s > seq).unwrap_or(p.stable_log.len());
            p.stable_log.insert(at, (seq, stable));
            if p.stable_log.len() > 8 {
                p.stable_log.pop_front();
            }
            if stale {
                return;
            }
        } else if p.stable_log.back().is_some_and(|(s, _)| *s > seq) {
            // A partial statement (`mach_down`) older than a full one already applied, e.g.
            // a retransmission arriving late, is history too: its claims would undo the
            // newer statement and hide a released group from the standby check.
            return;
        }
        if claims.is_some() {
            p.claims = claims;
        }
        let was_stable = p.stable;
        if full {
            p.holds = hold;
            p.stable = stable;
        } else if hold == ResourceSet::None {
            p.holds = hold;
        } else {
            p.holds = p.holds.union(hold);
        }
        let now_stable = self.peers[i].stable;
        match self.rsc {
            RscState::Starting | RscState::BothStarting => {
                self.rsc = RscState::RscRcvd;
                self.timers.set(Timer::RscDelay, self.now + RQSTDELAY);
                if now_stable {
                    self.send_full_resource(false, None);
                    self.become_stable();
                }
            }
            RscState::RscRcvd => {
                if now_stable && !was_stable {
                    self.send_full_resource(false, None);
                    self.become_stable();
                }
            }
            RscState::Stable => {
                // Conflicts first: a group we release is not one we fail back.
                self.resolve_conflicts(i);
                let settled = matches!(self.standby, Standby::Not | Standby::Done(_));
                if full && now_stable && !was_stable && settled {
                    self.send_full_resource(true, None);
                    self.check_failbacks(false);
                    self.try_handoff_failed();
                }
            }
            RscState::Init | RscState::Shutdown => {}
        }
    }

    pub(crate) fn on_rsc_delay(&mut self) {
        if matches!(self.rsc, RscState::Starting | RscState::BothStarting | RscState::RscRcvd) {
            self.become_stable();
        }
    }

    /// Takes what we should hold, goes `STABLE`, announces it (spec §8.4 steps 3, 4, 6).
    pub(crate) fn become_stable(&mut self) {
        self.timers.stop(Timer::RscDelay);
        self.rsc = RscState::Stable;
        let take = self.orphans_for_us();
        // Heartbeat skips `req_our_resources` when the peer already holds our local set.
        let peer_has_ours = self.other_indices().any(|p| {
            let holds = self.peers[p].holds;
            self.peers[p].is_alive()
                && if self.has_local_groups() {
                    (0..self.groups.len())
                        .any(|g| self.pref(g) == self.me && self.claimed_by_peer(p, g))
                } else {
                    holds.has_foreign() && self.cfg.nodes.len() == 2
                }
        });
        if !peer_has_ours {
            self.claim_flags = self.claim_flags.union(ResourceSet::Local);
        }
        if take.iter().any(|&g| self.pref(g) != self.me) {
            self.claim_flags = self.claim_flags.union(ResourceSet::Foreign);
        }
        self.claim(&take, OwnershipReason::NodeDead);
        self.send_full_resource(true, None);
        if !take.is_empty() || (!peer_has_ours && !self.has_local_groups()) {
            for &g in &take {
                let key = self.cfg.groups[g].name.clone();
                let me = self.name(self.me);
                self.send(wire_msg::ip_request_resp(self.me, &me, &key, true));
            }
            self.send_full_resource(true, Some("req_our_resources()"));
        }
        for g in take {
            self.reconcile(g);
        }
    }

    /// Marks groups as wanted here (actions follow with `reconcile`).
    pub(crate) fn claim(&mut self, take: &[usize], foreign_reason: OwnershipReason) {
        for &g in take {
            let own = self.pref(g) == self.me;
            let rt = &mut self.groups[g];
            rt.want = true;
            rt.reason = Some(if own { OwnershipReason::Startup } else { foreign_reason });
            rt.needs_failback = !own;
        }
    }
}
