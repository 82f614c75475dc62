//! Copies of a `status` (the echo, see `Node::send_status`) as proof of node liveness.
//!
//! Heartbeat 3.0.6 lets a duplicate refresh only the link it came on. With fast timers that
//! wastes the copies the sender spreads over its keepalive: after the first copy of a status
//! arrived, losing everything up to one deadtime after *that* arrival is a death, although a
//! later copy proved the sender alive. So a duplicate `status` also refreshes the node, but only
//! when all of these hold, which bounds what a replayed datagram can do:
//! - it is the newest message of the sender's current generation (its `seq` is the highest we
//!   accepted, and it is a `status`): an older message replayed proves nothing;
//! - the node is not dead or leaving (a copy never brings a node back; that needs a newer
//!   status, spec §6.2 step 6);
//! - it arrives within [`COPY_WINDOW_KEEPALIVES`] keepalive of the first arrival of that
//!   `seq`, which is when the sender's copies arrive (they go out within one keepalive).
//!
//! The bound: replaying the newest status as often as one likes keeps a silent node alive at
//! most one keepalive longer than heartbeat would, that is a silent node is declared dead at
//! most deadtime + keepalive after the first arrival of its last status (the simulator's
//! `replay-bound` checker holds the engine to it).

use crate::api::NodeStatus;
use crate::node::Node;

/// How long after the first arrival of a `status` its copies count for liveness, in keepalives.
pub const COPY_WINDOW_KEEPALIVES: u32 = 1;

impl Node {
    /// A `status` `seq` from node `i` was accepted (its first arrival).
    pub(crate) fn note_status_accepted(&mut self, i: usize, seq: u32) {
        let p = &mut self.peers[i];
        if p.rx.last_status_seq == Some(seq) && p.rx.high == Some(seq) {
            p.newest_status = Some((p.rx.generation, seq, self.now));
        } else {
            // A gap filler or a status followed by other messages: no copy of it counts.
            p.newest_status = None;
        }
    }

    /// A duplicate `status` `seq` of generation `hg` from node `i`: refreshes the node's
    /// liveness when it is a copy of its newest message within the window. Returns whether it
    /// counted.
    pub(crate) fn count_status_copy(&mut self, i: usize, seq: u32, hg: u32) -> bool {
        let window = self.cfg.keepalive * COPY_WINDOW_KEEPALIVES;
        let now = self.now;
        let p = &mut self.peers[i];
        if matches!(p.status, NodeStatus::Dead) || p.shutdone {
            return false;
        }
        let Some((g, s, first)) = p.newest_status else { return false };
        if g != hg || s != seq || p.rx.generation != hg || p.rx.high != Some(seq) {
            return false;
        }
        if now > first + window {
            return false;
        }
        p.last_status = Some(p.last_status.map_or(now, |l| l.max(now)));
        true
    }
}
