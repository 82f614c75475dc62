//! Invariant: while the network is connected, two masters never coexist for longer than it
//! takes the better one's advert to reach the other (one interval plus the maximum delay;
//! eight intervals when adverts can be lost), and at the end of the loss-free converge phase
//! exactly one master remains: the best live node.

use std::time::Duration;

use crate::world::{Happening, World};
use crate::{Disturbance, Invariant};

pub struct OneMaster {
    pub advert: Duration,
    since: Option<hb_vrrp::Instant>,
    checks: u64,
}

impl OneMaster {
    pub fn new(advert: Duration) -> OneMaster {
        OneMaster { advert, since: None, checks: 0 }
    }

    fn bound(&self, w: &World) -> Duration {
        let intervals = if w.net.loss == 0 { 1 } else { 8 };
        self.advert * intervals + w.net.max_delay + Duration::from_millis(1)
    }
}

impl Invariant for OneMaster {
    fn name(&self) -> &'static str {
        "one master when connected"
    }

    fn observe(&mut self, w: &World, _new: &[(hb_vrrp::Instant, Happening)]) -> Result<(), String> {
        if !w.connected() {
            self.since = None;
            return Ok(());
        }
        self.checks += 1;
        let masters = w.masters();
        if masters.len() >= 2 {
            let since = *self.since.get_or_insert(w.now);
            let lasted = w.now - since;
            if lasted > self.bound(w) {
                return Err(format!(
                    "{masters:?} all master for {lasted:?} (bound {:?}) at {:?}",
                    self.bound(w),
                    w.now
                ));
            }
        } else {
            self.since = None;
        }
        Ok(())
    }

    fn disturb(&mut self, _w: &World, d: Disturbance) {
        if d == Disturbance::Heal {
            self.since = None;
        }
    }

    fn finish(&mut self, w: &World) -> Result<(), String> {
        self.checks += 1;
        let masters = w.masters();
        let best = w.best_live();
        if masters.len() != 1 || best != masters.first().copied() {
            return Err(format!("run ends with masters {masters:?}, best live node {best:?}"));
        }
        Ok(())
    }

    fn checks(&self) -> u64 {
        self.checks
    }
}
