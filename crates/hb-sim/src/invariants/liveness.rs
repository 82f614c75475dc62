//! Invariant 12 (liveness, during the safety phase as well as at the end): whenever the cluster
//! has live nodes that can all talk to each other and nothing has disturbed it for a settle
//! time plus the start-retry back-off, every group runs fully on some node. The safety
//! checkers cannot see a group that silently runs nowhere; this one can. With ping nodes only
//! nodes that reach them are eligible, and a fencing device that may fail is left out (a failed
//! fence blocks a takeover on purpose, `fence-failure-blocks` judges that).

use super::{Fact, Invariant, View};

/// How many `deadtime`s a group may wait for a retry after its last failed start (the
/// back-off doubles from the fourth failure; a script failing that often disturbs anyway).
const RETRY_ALLOWANCE_DEADTIMES: u64 = 8;

/// Checker for invariant 12.
#[derive(Debug, Default)]
pub struct Liveness {
    checks: u64,
}

impl Invariant for Liveness {
    fn name(&self) -> &'static str {
        "liveness"
    }

    fn observe(&mut self, fact: &Fact, view: &View<'_>) -> Result<(), String> {
        if !matches!(fact, Fact::Tick) || !view.connected {
            return Ok(());
        }
        let sc = view.scenario;
        if sc.arbitration.fencing.is_some_and(|f| f.success_ppm < 1_000_000) {
            return Ok(());
        }
        let bound_us =
            view.safety_settle_us() + RETRY_ALLOWANCE_DEADTIMES * sc.timing.deadtime_ms * 1000;
        if view.quiet_for_us() < bound_us {
            return Ok(());
        }
        let eligible = (0..sc.nodes).any(|n| {
            view.alive[n]
                && (!sc.arbitration.ping_nodes
                    || (view.uplink[n] && view.ping_reported[n] == Some(true)))
        });
        if !eligible {
            return Ok(());
        }
        self.checks += 1;
        for g in 0..sc.groups.len() {
            if !(0..sc.nodes).any(|n| view.alive[n] && view.resources.running(n, g)) {
                return Err(format!(
                    "group {g} ({}) runs nowhere although the cluster has been connected and \
                     undisturbed for {} ms (bound {} ms)",
                    sc.groups[g].resources[0],
                    view.quiet_for_us() / 1000,
                    bound_us / 1000
                ));
            }
        }
        Ok(())
    }

    fn checks(&self) -> u64 {
        self.checks
    }
}
