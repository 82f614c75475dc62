//! Invariant: when the master shuts down gracefully and its priority-0 advert reaches a live
//! backup, a new master exists within the largest skew time among live nodes plus the maximum
//! delay + 1 ms — not after a master-down interval. (If every copy was lost, the fallback is
//! the takeover invariant's bound; such runs are counted as skipped here.)

use std::time::Duration;

use crate::world::{Happening, World};
use crate::{Disturbance, Invariant};

#[derive(Default)]
pub struct PriorityZero {
    /// Shutdown time of the master, until a new master appears.
    pending: Option<hb_vrrp::Instant>,
    delivered: bool,
    checks: u64,
    pub skipped: u64,
}

impl Invariant for PriorityZero {
    fn name(&self) -> &'static str {
        "priority-0 hand-over within skew + delay"
    }

    fn observe(&mut self, w: &World, new: &[(hb_vrrp::Instant, Happening)]) -> Result<(), String> {
        let Some(at) = self.pending else { return Ok(()) };
        if new.iter().any(|(_, h)| matches!(h, Happening::PriorityZeroDelivered { .. })) {
            self.delivered = true;
        }
        if w.masters().is_empty() {
            return Ok(());
        }
        self.pending = None;
        if !self.delivered {
            self.skipped += 1;
            return Ok(());
        }
        self.checks += 1;
        let bound = w.max_skew() + w.net.max_delay + Duration::from_millis(1);
        if w.now - at > bound {
            return Err(format!("priority-0 hand-over took {:?} (bound {bound:?})", w.now - at));
        }
        Ok(())
    }

    fn disturb(&mut self, w: &World, d: Disturbance) {
        if let Disturbance::Shutdown(n) = d {
            if w.masters() == vec![n] && w.connected() {
                self.pending = Some(w.now);
                self.delivered = false;
            }
        }
    }

    fn checks(&self) -> u64 {
        self.checks
    }
}
