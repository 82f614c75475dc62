//! The heal phase's promise: when the run ends (all faults repaired, every node up, a clean
//! network for the whole heal phase), every group runs fully on exactly one node and has no
//! trace anywhere else; with `auto_failback on` that node is the group's preferred node, unless
//! an operator moved groups during the run (`hb_standby` / `hb_takeover` placements are sticky
//! in heartbeat: auto-failback only acts when the preferred node rejoins), or a start of the
//! group failed or hung on its preferred node since that node last booted (moving a group
//! away from a node whose script failed, and not back, is a legitimate policy). A failed
//! health check (`--checks`) counts as an operator move: the policy hands groups over the way
//! `hb_standby` does, whole resource sets, just as sticky; so does a carrier loss under a
//! running group.

use super::{Fact, Invariant, View};
use crate::scenario::FailbackMode;

/// Checker for the end-of-run convergence.
#[derive(Debug, Default)]
pub struct Convergence {
    healed: bool,
    operator_moved: bool,
    /// Groups whose script failed on their preferred node since it last booted.
    failed_on_preferred: Vec<usize>,
    checks: u64,
}

impl Invariant for Convergence {
    fn name(&self) -> &'static str {
        "convergence"
    }

    fn observe(&mut self, fact: &Fact, view: &View<'_>) -> Result<(), String> {
        match fact {
            Fact::HealStart => self.healed = true,
            Fact::AdminIssued { .. } | Fact::CheckFailed { .. } => self.operator_moved = true,
            Fact::CarrierLost { groups, .. } if !groups.is_empty() => self.operator_moved = true,
            Fact::ActionTrouble { node, group }
                if view.scenario.groups.get(*group).is_some_and(|g| g.preferred == *node)
                    && !self.failed_on_preferred.contains(group) =>
            {
                self.failed_on_preferred.push(*group);
            }
            Fact::Booted(node) => {
                let groups = &view.scenario.groups;
                self.failed_on_preferred
                    .retain(|g| groups.get(*g).is_some_and(|s| s.preferred != *node));
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(&mut self, view: &View<'_>) -> Result<(), String> {
        if !self.healed {
            return Ok(());
        }
        let sc = view.scenario;
        for (g, spec) in sc.groups.iter().enumerate() {
            self.checks += 1;
            let holders = view.resources.holders(g);
            let key = &spec.resources[0];
            let names: Vec<String> = holders.iter().map(|n| sc.node_name(*n)).collect();
            match holders.as_slice() {
                [] => return Err(format!("after healing, group {g} ({key}) runs nowhere")),
                [one] => {
                    if !view.resources.running(*one, g) {
                        return Err(format!(
                            "after healing, group {g} ({key}) is only partly running on {}",
                            sc.node_name(*one)
                        ));
                    }
                    let preferred = spec.preferred;
                    if sc.failback == FailbackMode::On
                        && !self.operator_moved
                        && !self.failed_on_preferred.contains(&g)
                        && *one != preferred
                        && view.alive.get(preferred).copied().unwrap_or(false)
                    {
                        return Err(format!(
                            "after healing with auto_failback on, group {g} ({key}) runs on {} \
                             instead of its preferred node {}",
                            sc.node_name(*one),
                            sc.node_name(preferred)
                        ));
                    }
                }
                _ => {
                    return Err(format!(
                        "after healing, group {g} ({key}) is held by several nodes: {}",
                        names.join(", ")
                    ))
                }
            }
        }
        Ok(())
    }

    fn checks(&self) -> u64 {
        self.checks
    }
}
