//! `auto_failback legacy` (spec §8.2, §8.4 legacy paragraph): no negotiation; each node asks
//! for its own groups with `ip-request` and the holder answers `ip-request-resp`.

use std::time::Duration;

use crate::api::OwnershipReason;
use crate::node::{Comm, Node, Shutdown};
use crate::resources::RscState;
use crate::timers::Timer;
use crate::wire_msg;

/// Interval between repeats of an unanswered `ip-request`. Heartbeat's script sends it once
/// and gives up silently; a peer that was not yet comm-up never answers that one.
const IP_REQUEST_RETRY: Duration = Duration::from_secs(1);

impl Node {
    pub(crate) fn legacy_on_comm_up(&mut self) {
        self.rsc = RscState::Stable;
        self.legacy_claim_own();
        self.takeover_orphans(OwnershipReason::NodeDead, false);
    }

    /// Asks for (peers alive) or takes (alone) our own groups that we do not run; nothing
    /// while takeovers are blocked (no ping node, a fence outstanding).
    pub(crate) fn legacy_claim_own(&mut self) {
        if self.takeover_blocked() {
            return;
        }
        let others_alive = self.other_indices().any(|i| self.peers[i].is_alive());
        let me = self.name(self.me);
        for g in 0..self.groups.len() {
            if self.pref(g) != self.me || self.groups[g].want || self.ip_requested[g] {
                continue;
            }
            let key = self.cfg.groups[g].name.clone();
            if others_alive {
                self.ip_requested[g] = true;
                self.send(wire_msg::ip_request(&key));
                self.timers.set(Timer::IpRequest, self.now + IP_REQUEST_RETRY);
            } else {
                self.send(wire_msg::ip_request_resp(self.me, &me, &key, true));
                self.set_want(g, true, OwnershipReason::Startup);
            }
        }
    }

    /// After a partition heals we cannot know what the peer holds: ask for our own groups
    /// again so that it releases any it took (we keep running them meanwhile).
    pub(crate) fn legacy_reclaim_own(&mut self, peer: usize) {
        // Its own groups: it runs them (it never stopped being alive); let go of our copies.
        let theirs: Vec<usize> = (0..self.groups.len())
            .filter(|&g| self.pref(g) == peer && self.groups[g].want)
            .collect();
        if !theirs.is_empty() {
            let groups = theirs.iter().map(|&g| crate::api::GroupId(g as u16)).collect();
            let node = self.name(peer);
            self.emit(crate::api::Event::SplitBrainSuspected { node, groups, we_keep: false });
            for g in theirs {
                self.set_want(g, false, OwnershipReason::SplitBrain);
            }
        }
        for g in 0..self.groups.len() {
            // Also the ones we do not run: a group released meanwhile (isolation, a failed
            // fence) must be asked for again, or it runs nowhere.
            let ask = self.groups[g].want || !self.takeover_blocked();
            if self.pref(g) == self.me && ask {
                self.ip_requested[g] = true;
                let key = self.cfg.groups[g].name.clone();
                self.send(wire_msg::ip_request(&key));
                self.timers.set(Timer::IpRequest, self.now + IP_REQUEST_RETRY);
            }
        }
    }

    /// Repeats pending requests; with nobody left to answer, takes the groups directly.
    pub(crate) fn on_ip_request_timer(&mut self) {
        if self.comm != Comm::Up || self.shutdown != Shutdown::None {
            return;
        }
        if !self.other_indices().any(|i| self.peers[i].is_alive()) {
            return self.legacy_take_requested();
        }
        let mut any = false;
        for g in 0..self.groups.len() {
            if self.ip_requested[g] {
                any = true;
                let key = self.cfg.groups[g].name.clone();
                self.send(wire_msg::ip_request(&key));
            }
        }
        if any {
            self.timers.set(Timer::IpRequest, self.now + IP_REQUEST_RETRY);
        }
    }

    /// The peers we were asking died: stop asking and take what is ours to take.
    pub(crate) fn legacy_take_requested(&mut self) {
        if self.takeover_blocked() {
            return;
        }
        self.timers.stop(Timer::IpRequest);
        for g in 0..self.groups.len() {
            if std::mem::take(&mut self.ip_requested[g]) && !self.groups[g].want {
                self.set_want(g, true, OwnershipReason::Startup);
            }
        }
    }

    pub(crate) fn on_ip_request(&mut self, i: usize, key: &str) {
        if self.is_nice() || self.comm != Comm::Up {
            return;
        }
        let Some(g) = self.cfg.groups.iter().position(|c| c.name == key) else { return };
        if self.groups[g].want {
            self.ip_answer[g] = Some(i);
            self.set_want(g, false, OwnershipReason::IpRequest);
        } else if self.ip_answer[g].is_none() {
            let name = self.name(i);
            self.send(wire_msg::ip_request_resp(i, &name, key, false));
        }
    }

    pub(crate) fn on_ip_request_resp(&mut self, _i: usize, key: &str, _weown: bool) {
        if self.is_nice() || self.comm != Comm::Up {
            return;
        }
        let Some(g) = self.cfg.groups.iter().position(|c| c.name == key) else { return };
        if std::mem::take(&mut self.ip_requested[g]) && !self.takeover_blocked() {
            self.set_want(g, true, OwnershipReason::IpRequest);
        }
    }
}
