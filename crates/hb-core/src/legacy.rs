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
                self.legacy_ask(g);
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
                self.legacy_ask(g);
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
            if self.ip_requested[g]
                && self.pref(g) != self.me
                && self.takeover_target(g) != Some(self.me)
            {
                // Asked for as a dead node's group; it is no longer ours to take.
                self.ip_requested[g] = false;
            }
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
        let pref = self.pref(g);
        if pref != i && self.node_alive(pref) {
            // Only a group's preferred node, or (more than two nodes) the node taking it
            // over while the preferred one is dead, asks for it. Asked for another node's
            // group while that node is alive: a late retransmission of a request made while
            // the preferred node was dead (or we just rebooted and never saw it); acting on
            // it would stop the group with nobody left to start it.
            return;
        }
        if self.groups[g].want {
            self.ip_answer[g] = Some(i);
            self.set_want(g, false, OwnershipReason::IpRequest);
        } else if self.ip_answer[g].is_none() {
            let name = self.name(i);
            self.send(wire_msg::ip_request_resp(i, &name, key, false));
        }
    }

    pub(crate) fn on_ip_request_resp(&mut self, i: usize, key: &str, weown: bool) {
        if self.is_nice() || self.comm != Comm::Up {
            return;
        }
        let Some(g) = self.cfg.groups.iter().position(|c| c.name == key) else { return };
        if self.cfg.nodes.len() > 2 && !weown && self.ip_requested[g] {
            // One peer does not hold it; another may still run it (it stops it first and
            // answers `weown=yes`): wait for every live peer.
            if let Some(d) = self.ip_declined[g].get_mut(i) {
                *d = true;
            }
            return self.legacy_check_declines();
        }
        if std::mem::take(&mut self.ip_requested[g]) && !self.takeover_blocked() {
            self.set_want(g, true, OwnershipReason::IpRequest);
        }
    }

    /// Legacy mode, more than two nodes, some peer alive: nobody states what it holds, so a
    /// node that just booted (or was cut off) cannot know whether a third node already took a
    /// dead peer's group (finding B: a node took the group on the peer's `shutdone`, which a
    /// later-booted node never heard; that node then took it too on the peer's exit, and both
    /// held it for good). So we ask for such a group with `ip-request`, as for our own groups,
    /// before starting it. A holder stops it and answers `weown=yes`; we start it on that
    /// answer, once every live peer answered `weown=no` (or died), or at the latest after
    /// half a keepalive (`on_ask_takeover_timer`), so that a lost answer does not delay the
    /// failover past its deadline; we then keep asking until answered, so a holder that
    /// missed the request still lets go. heartbeat 3.0.6 peers answer `ip-request` the same
    /// way (its `rc.d/ip-request` runs on every node), so this is an exchange they already
    /// speak; nothing new goes on the wire. Returns the groups to take at once.
    pub(crate) fn legacy_ask_first(&mut self, take: Vec<usize>) -> Vec<usize> {
        if self.is_nice()
            || self.cfg.nodes.len() <= 2
            || !self.other_indices().any(|k| self.peers[k].is_alive())
        {
            return take;
        }
        for &g in &take {
            self.legacy_ask(g);
        }
        if !take.is_empty() {
            self.timers.set(Timer::AskTakeover, self.now + self.cfg.keepalive / 2);
        }
        Vec::new()
    }

    /// The answers did not all come in time: take the asked-for groups of dead peers that are
    /// still ours to take (requests stay pending until answered).
    pub(crate) fn on_ask_takeover_timer(&mut self) {
        if self.comm != Comm::Up || self.shutdown != Shutdown::None || self.takeover_blocked() {
            return;
        }
        for g in 0..self.groups.len() {
            let ours = self.pref(g) != self.me && self.takeover_target(g) == Some(self.me);
            if self.ip_requested[g] && ours && !self.groups[g].want {
                self.set_want(g, true, OwnershipReason::NodeDead);
            }
        }
    }

    fn legacy_ask(&mut self, g: usize) {
        self.ip_requested[g] = true;
        self.ip_declined[g] = vec![false; self.cfg.nodes.len()];
        let key = self.cfg.groups[g].name.clone();
        self.send(wire_msg::ip_request(&key));
        self.timers.set(Timer::IpRequest, self.now + IP_REQUEST_RETRY);
    }

    /// Starts the asked-for groups every live peer declined (more than two nodes).
    pub(crate) fn legacy_check_declines(&mut self) {
        if self.is_nice() || self.cfg.nodes.len() <= 2 || self.takeover_blocked() {
            return;
        }
        for g in 0..self.groups.len() {
            if !self.ip_requested[g] {
                continue;
            }
            let declined = &self.ip_declined[g];
            let all = self
                .other_indices()
                .all(|k| !self.peers[k].is_alive() || declined.get(k).copied().unwrap_or(false));
            if all {
                self.ip_requested[g] = false;
                if !self.groups[g].want {
                    self.set_want(g, true, OwnershipReason::IpRequest);
                }
            }
        }
    }
}
