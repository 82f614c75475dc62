//! Invariant: while the network is connected and some node is live, a period without master
//! ends within the largest master-down interval among live nodes plus the maximum network
//! delay (an advert sent just before a crash may arrive that late and re-arm a timer) + 1 ms.
//! Covers start-up, crashes and every other way of losing the master.

use std::time::Duration;

use crate::world::{Happening, World};
use crate::{Disturbance, Invariant};

#[derive(Default)]
pub struct Takeover {
    /// Start of the masterless period and its bound.
    since: Option<(hb_vrrp::Instant, Duration)>,
    checks: u64,
}

impl Invariant for Takeover {
    fn name(&self) -> &'static str {
        "takeover within master-down + delay"
    }

    fn observe(&mut self, w: &World, _new: &[(hb_vrrp::Instant, Happening)]) -> Result<(), String> {
        let any_live = (0..w.nodes.len()).any(|n| w.live(n));
        if !w.connected() || !any_live {
            self.since = None;
            return Ok(());
        }
        if w.masters().is_empty() {
            let bound = w.max_master_down() + w.net.max_delay + Duration::from_millis(1);
            let (since, bound) = *self.since.get_or_insert((w.now, bound));
            if w.now - since > bound {
                return Err(format!(
                    "no master for {:?} (bound {bound:?}) at {:?}",
                    w.now - since,
                    w.now
                ));
            }
        } else if let Some((since, bound)) = self.since.take() {
            // Nothing else happens while backups wait, so the check is made at the takeover.
            self.checks += 1;
            if w.now - since > bound {
                return Err(format!(
                    "takeover after {:?} (bound {bound:?}) at {:?}",
                    w.now - since,
                    w.now
                ));
            }
        }
        Ok(())
    }

    fn disturb(&mut self, _w: &World, d: Disturbance) {
        // A heal or a restart changes who competes: measure from now.
        if matches!(d, Disturbance::Heal | Disturbance::Partition) {
            self.since = None;
        }
    }

    fn checks(&self) -> u64 {
        self.checks
    }
}
