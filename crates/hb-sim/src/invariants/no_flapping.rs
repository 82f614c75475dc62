//! Invariant 3: no ownership change without a cause. Once a connected cluster has gone long
//! enough without any disturbance (fault, boot, script trouble, real heartbeat gap) for every
//! start-up, failover and failback exchange to have finished, no group may start or stop
//! anywhere.

use super::{Fact, Invariant, View};

/// Checker for invariant 3.
#[derive(Debug, Default)]
pub struct NoFlapping {
    checks: u64,
}

impl Invariant for NoFlapping {
    fn name(&self) -> &'static str {
        "no-flapping"
    }

    fn observe(&mut self, fact: &Fact, view: &View<'_>) -> Result<(), String> {
        let armed = view.connected && view.quiet_for_us() >= view.quiet_settle_us();
        match fact {
            Fact::Tick if armed => self.checks += 1,
            Fact::Group { node, group, present, running } if armed => {
                self.checks += 1;
                return Err(format!(
                    "group {group} ({}) changed on {} (present={present}, running={running}) \
                     with no cause: the cluster has been connected and undisturbed for {} ms",
                    view.scenario.groups[*group].resources[0],
                    view.scenario.node_name(*node),
                    view.quiet_for_us() / 1000
                ));
            }
            _ => {}
        }
        Ok(())
    }

    fn checks(&self) -> u64 {
        self.checks
    }
}
