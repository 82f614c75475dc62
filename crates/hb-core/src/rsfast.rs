//! Shortcuts taken only when every other node is heartbeat-rs (issue 20): each says so with
//! the field [`RS_FIELD`] in its `status` (heartbeat 3.0.6 ignores unknown fields, spec §2, and
//! never sends it). With a single real heartbeat node in the cluster nothing here applies and
//! heartbeat 3.0.6's timing is kept exactly.
//!
//! - **Start-up** (spec §8.4 step 4): when both nodes start together neither is stable, and
//!   heartbeat waits `RQSTDELAY` (10 s) before each takes its own groups. That wait lets a
//!   stable node's answer arrive; an answer with `isstable=0` comes from a node that is itself
//!   starting, which then takes only its own groups too. Every heartbeat-rs node applies the same
//!   rule, so [`RQSTDELAY_RS`] is enough.
//! - **Restart / first contact**: a node that starts waits for every peer's next `status`
//!   before its comm comes up (up to a keepalive). A heartbeat-rs peer that hears a heartbeat-rs
//!   node for the first time (or in a new generation) answers with its `status` at once.

use std::time::Duration;

use crate::api::NodeStatus;
use crate::node::Node;

/// The `status` field by which a heartbeat-rs node identifies itself.
pub const RS_FIELD: &str = "hbrs";
/// `RQSTDELAY` when every other node is heartbeat-rs.
pub const RQSTDELAY_RS: Duration = Duration::from_millis(200);

impl Node {
    /// Every other configured node said it runs heartbeat-rs in its last `status`.
    pub(crate) fn all_peers_rs(&self) -> bool {
        self.other_indices().all(|i| self.peers[i].rs)
    }

    /// The start-up wait for a stable peer (spec §8.4 step 4).
    pub(crate) fn rqstdelay(&self) -> Duration {
        if self.all_peers_rs() {
            RQSTDELAY_RS
        } else {
            crate::resources::RQSTDELAY
        }
    }

    /// A `status` from peer `i` was processed: it was `prev` before; `restarted` when in a new
    /// generation. Answers at once a heartbeat-rs peer we had not heard (or that restarted),
    /// so its comm comes up without waiting for our next keepalive.
    pub(crate) fn greet_rs_peer(&mut self, i: usize, prev: NodeStatus, restarted: bool) {
        let first = restarted || matches!(prev, NodeStatus::Init | NodeStatus::Dead);
        if first && self.peers[i].rs && self.started && self.shutdown == crate::node::Shutdown::None
        {
            self.send_status();
        }
    }
}
