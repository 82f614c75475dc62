//! The run loop's side of the metrics (a child of `daemon`, so the glue stays out of the hot
//! file): publishing the state view and timing heartbeats.

use hb_core::Instant;

use super::Daemon;
use crate::metrics::View;

/// A status message from a peer about to reach the engine, and when the engine last accepted
/// one from that peer.
pub(super) struct HeartbeatIn {
    node: String,
    before: Option<Instant>,
}

impl Daemon {
    /// Publishes the engine snapshot (the one `cl_status` reads) for scrapes.
    pub(super) fn publish_metrics(&self) {
        let view =
            View::from_snapshot(&self.node.snapshot(), self.origin, &self.late, self.send_failures);
        self.metrics.publish(view);
        if let (Some(a), Some(m)) = (&self.arbiter, &self.arbiter_metrics) {
            m.update(&a.snapshot(), &self.local_node, &self.group_names);
        }
    }

    /// Notes a peer's `status` message before the engine sees it; `None` for anything else.
    pub(super) fn heartbeat_before(&self, msg: &hb_wire::Message) -> Option<HeartbeatIn> {
        let is_status = msg.get_str("t").is_some_and(|t| t.eq_ignore_ascii_case("status"));
        if !self.metrics.enabled() || !is_status {
            return None;
        }
        let node = msg.get_str("src")?.to_owned();
        let before = self.node.last_status(&node);
        Some(HeartbeatIn { node, before })
    }

    /// Records the inter-arrival gap if the engine accepted the heartbeat: its time of the
    /// last accepted status moved. Duplicates (the same heartbeat on a second medium), replays
    /// and the first heartbeat after a restart leave no gap.
    pub(super) fn heartbeat_after(&self, seen: Option<HeartbeatIn>) {
        let Some(HeartbeatIn { node, before: Some(before) }) = seen else { return };
        match self.node.last_status(&node) {
            Some(after) if after > before => {
                self.metrics.observe_gap(&node, after.saturating_duration_since(before));
            }
            _ => {}
        }
    }
}
