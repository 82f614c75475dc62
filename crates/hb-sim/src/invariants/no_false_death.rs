//! Invariant 4: a node never declares a live peer dead while that peer's heartbeats reach it:
//! when node A reports peer B dead, the last fresh status from B handed to A's current engine
//! must be at least deadtime old (shortened by the worst clock drift).

use super::{Fact, Invariant, View};
use crate::engine::Observation;

/// Checker for invariant 4.
#[derive(Debug, Default)]
pub struct NoFalseDeath {
    checks: u64,
}

impl Invariant for NoFalseDeath {
    fn name(&self) -> &'static str {
        "no-false-death"
    }

    fn observe(&mut self, fact: &Fact, view: &View<'_>) -> Result<(), String> {
        let Fact::Observed { node, obs: Observation::PeerDead(peer) } = fact else {
            return Ok(());
        };
        self.checks += 1;
        let booted = view.booted_at.get(*node).copied().flatten();
        let last = view.last_fresh.get(*node).and_then(|row| row.get(*peer)).copied().flatten();
        let (Some(booted), Some(last)) = (booted, last) else {
            return Ok(());
        };
        // Only statuses this engine itself received count.
        if last < booted {
            return Ok(());
        }
        let gap = view.now.since(last);
        if gap < view.min_dead_interval_us() {
            return Err(format!(
                "{} declared {} dead although a fresh heartbeat from it arrived {} ms ago \
                 (deadtime {} ms)",
                view.scenario.node_name(*node),
                view.scenario.node_name(*peer),
                gap / 1000,
                view.scenario.timing.deadtime_ms
            ));
        }
        Ok(())
    }

    fn checks(&self) -> u64 {
        self.checks
    }
}
