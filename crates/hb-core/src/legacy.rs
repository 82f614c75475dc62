//! `auto_failback legacy` (spec §8.2, §8.4 legacy paragraph): no negotiation; each node asks
//! for its own groups with `ip-request` and the holder answers `ip-request-resp`.

use crate::api::OwnershipReason;
use crate::node::{Comm, Node};
use crate::resources::RscState;
use crate::wire_msg;

impl Node {
    pub(crate) fn legacy_on_comm_up(&mut self) {
        self.rsc = RscState::Stable;
        let others_alive = self.other_indices().any(|i| self.peers[i].is_alive());
        let me = self.name(self.me);
        for g in 0..self.groups.len() {
            if self.pref(g) != self.me {
                continue;
            }
            let key = self.cfg.groups[g].name.clone();
            if others_alive {
                self.ip_requested[g] = true;
                self.send(wire_msg::ip_request(&key));
            } else {
                self.send(wire_msg::ip_request_resp(self.me, &me, &key, true));
                self.set_want(g, true, OwnershipReason::Startup);
            }
        }
        self.takeover_orphans(OwnershipReason::NodeDead, false);
    }

    /// After a partition heals we cannot know what the peer holds: ask for our own groups
    /// again so that it releases any it took (we keep running them meanwhile).
    pub(crate) fn legacy_reclaim_own(&mut self) {
        for g in 0..self.groups.len() {
            if self.pref(g) == self.me && self.groups[g].want {
                self.ip_requested[g] = true;
                let key = self.cfg.groups[g].name.clone();
                self.send(wire_msg::ip_request(&key));
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
        if std::mem::take(&mut self.ip_requested[g]) {
            self.set_want(g, true, OwnershipReason::IpRequest);
        }
    }
}
