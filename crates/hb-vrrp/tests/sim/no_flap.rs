//! Invariant: between scripted disturbances, once the best live node is master it stays
//! master whatever the loss, duplication and reordering (a lower node that misses adverts
//! may become master for a moment, but the best one never yields to it); without loss no
//! other node becomes master at all. The window opens once the best node has been the only
//! master for longer than the maximum delay: until its first advert has reached everyone, a
//! backup whose timer was about to expire may still take over, which is a takeover race, not
//! flapping.

use crate::world::{Happening, World};
use crate::{Disturbance, Invariant};

#[derive(Default)]
pub struct NoFlap {
    /// The best live node, once it is master in the current undisturbed window.
    top: Option<usize>,
    /// The best live node while it is the only master, and since when.
    candidate: Option<(usize, hb_vrrp::Instant)>,
    checks: u64,
    /// Lower nodes that became master meanwhile (only with loss).
    pub spurious: u64,
}

impl Invariant for NoFlap {
    fn name(&self) -> &'static str {
        "no flapping between disturbances"
    }

    fn observe(&mut self, w: &World, new: &[(hb_vrrp::Instant, Happening)]) -> Result<(), String> {
        if let Some(top) = self.top {
            for (t, h) in new {
                let Happening::State { node, from, to } = h else { continue };
                if *node == top && *from == hb_vrrp::State::Master {
                    return Err(format!("best node {top} left master for {to:?} at {t:?}"));
                }
                if *node != top && *to == hb_vrrp::State::Master {
                    self.spurious += 1;
                    if w.net.loss == 0 {
                        return Err(format!(
                            "node {node} became master beside {top} at {t:?} without loss"
                        ));
                    }
                }
            }
            self.checks += 1;
        } else if w.connected() {
            let best = w.best_live();
            if best.is_some() && w.masters() == best.into_iter().collect::<Vec<_>>() {
                let (node, since) = *self.candidate.get_or_insert((best.unwrap_or(0), w.now));
                if Some(node) == best && w.now - since > w.net.max_delay {
                    self.top = best;
                } else if Some(node) != best {
                    self.candidate = None;
                }
            } else {
                self.candidate = None;
            }
        }
        Ok(())
    }

    fn disturb(&mut self, _w: &World, _d: Disturbance) {
        self.top = None;
        self.candidate = None;
    }

    fn checks(&self) -> u64 {
        self.checks
    }
}
