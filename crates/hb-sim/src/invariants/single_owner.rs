//! Invariant 1: while the cluster is connected and has settled after its last disturbance,
//! every resource group is present on at most one node.

use super::{Fact, Invariant, View};

/// Checker for invariant 1.
#[derive(Debug, Default)]
pub struct SingleOwner {
    checks: u64,
}

impl Invariant for SingleOwner {
    fn name(&self) -> &'static str {
        "single-owner"
    }

    fn observe(&mut self, fact: &Fact, view: &View<'_>) -> Result<(), String> {
        if !matches!(fact, Fact::Group { .. } | Fact::Tick) {
            return Ok(());
        }
        if !view.connected || view.quiet_for_us() < view.safety_settle_us() {
            return Ok(());
        }
        self.checks += 1;
        for group in 0..view.scenario.groups.len() {
            let holders = view.resources.holders(group);
            if holders.len() > 1 {
                let names: Vec<String> =
                    holders.iter().map(|n| view.scenario.node_name(*n)).collect();
                return Err(format!(
                    "group {group} ({}) held by {} nodes at once ({}) although the cluster has \
                     been connected and undisturbed for {} ms",
                    view.scenario.groups[group].resources[0],
                    holders.len(),
                    names.join(", "),
                    view.quiet_for_us() / 1000
                ));
            }
        }
        Ok(())
    }

    fn checks(&self) -> u64 {
        self.checks
    }
}
