//! Defences heartbeat 3.0.6's v1 mode did not have: ping-node arbitration and fencing before a
//! takeover. Both only ever *withhold* a takeover or *release* groups; neither makes a node
//! take something the protocol would not give it.
//!
//! Ping arbitration (the shell pings the `ping`/`ping_group` nodes and reports with
//! [`crate::Input::PingReach`] whether any answered within `deadping`):
//! - while no ping node answers, this node takes over nothing (a node whose uplink is down
//!   cannot serve clients, and its peer is probably fine);
//! - when no ping node answers **and** every peer is dead, it also releases what it holds
//!   (it is the isolated one: the peer, if alive, takes the groups over);
//! - when ping nodes answer again, orphaned groups are taken over as usual;
//! - a peer that is alive is never second-guessed: losing the ping nodes alone does not move
//!   groups (heartbeat's `ipfail` did that; we do not yet);
//! - both sides isolated: nobody holds the groups until one side can reach a ping node again.
//!
//! Fencing (`EngineConfig::fencing`): when a peer dies without a clean handover, the engine
//! asks the shell to fence it ([`crate::Output::Fence`]) and takes nothing over until the shell
//! reports success ([`crate::Input::FenceDone`]). A failure is an alert
//! ([`crate::Event::FenceFailed`]) and the groups stay unowned; the peer showing up alive again
//! clears the state.

use crate::api::{Event, Output, OwnershipReason};
use crate::node::{Comm, Node, Shutdown};
use crate::resources::RscState;

/// Fencing state of one peer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Fence {
    /// Nothing to do.
    #[default]
    None,
    /// The shell is fencing it.
    Pending,
    /// Fencing failed; no takeover from it.
    Failed,
}

impl Node {
    /// Whether takeovers are withheld (isolated from the ping nodes, or a fence outstanding).
    pub(crate) fn takeover_blocked(&self) -> bool {
        !self.ping_ok || self.peers.iter().any(|p| p.fence != Fence::None)
    }

    /// `Input::PingReach`.
    pub(crate) fn on_ping_reach(&mut self, reachable: bool) {
        if self.ping_ok == reachable {
            return;
        }
        self.ping_ok = reachable;
        self.emit(Event::PingReach { reachable });
        if reachable {
            self.retake_after_unblock();
        } else {
            self.check_isolation();
        }
    }

    /// Releases everything when we can reach neither a peer nor a ping node.
    pub(crate) fn check_isolation(&mut self) {
        if self.ping_ok || self.shutdown != Shutdown::None {
            return;
        }
        if self.other_indices().any(|k| self.peers[k].is_alive()) {
            return;
        }
        let held: Vec<usize> = (0..self.groups.len()).filter(|&g| self.groups[g].want).collect();
        if held.is_empty() {
            return;
        }
        for g in held {
            self.set_want(g, false, OwnershipReason::Isolated);
        }
        self.after_settle();
    }

    /// Called when a peer is declared dead and needs fencing (it did not hand over cleanly).
    pub(crate) fn request_fence(&mut self, i: usize) {
        if !self.cfg.fencing || self.peers[i].fence == Fence::Pending {
            return;
        }
        self.peers[i].fence = Fence::Pending;
        self.peers[i].must_fence = self.cfg.fencing;
        let node = self.name(i);
        self.push_output(Output::Fence { node });
    }

    /// `Input::FenceDone`.
    pub(crate) fn on_fence_done(&mut self, node: &str, ok: bool, detail: String) {
        let Some(i) = self.other_indices().find(|&k| self.peers[k].name == node) else {
            return;
        };
        if self.peers[i].fence != Fence::Pending {
            return;
        }
        if ok {
            self.peers[i].fence = Fence::None;
            self.peers[i].must_fence = false;
            self.emit(Event::Fenced { node: node.to_owned() });
            self.retake_after_unblock();
        } else {
            self.peers[i].fence = Fence::Failed;
            self.emit(Event::FenceFailed { node: node.to_owned(), reason: detail });
        }
    }

    /// A peer is alive again: no takeover from it is pending, so nothing is blocked on it. If
    /// it was never fenced, its next death still needs a fence (`must_fence` stays). Groups
    /// left orphaned meanwhile are looked at again.
    pub(crate) fn clear_fence(&mut self, i: usize) {
        if self.peers[i].fence != Fence::None {
            self.peers[i].fence = Fence::None;
            self.retake_after_unblock();
        }
    }

    fn retake_after_unblock(&mut self) {
        if self.takeover_blocked()
            || self.comm != Comm::Up
            || self.shutdown != Shutdown::None
            || self.rsc != RscState::Stable
        {
            return;
        }
        if !self.is_nice() {
            // An `ip-request` still unanswered when we got blocked: its retry timer stopped
            // there (every peer dead, nothing to take while blocked). Ask again now, or take
            // the group if nobody is left to ask; `legacy_claim_own` skips requested groups.
            if self.ip_requested.iter().any(|&r| r) {
                self.on_ip_request_timer();
            }
            self.legacy_claim_own();
        }
        self.takeover_orphans(OwnershipReason::NodeDead, false);
        self.after_settle();
    }
}
