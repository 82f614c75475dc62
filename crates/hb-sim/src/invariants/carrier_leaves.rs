//! Health-check invariant d (`--checks`): a group leaves a node whose address interface lost
//! carrier. Judged for each group the carrier watch reported (it ran there at the loss) when
//! the cluster had been quiet for a settle time before (every exchange done, so the engine's
//! policy may hand over), is connected, runs a nice failback mode (legacy heartbeat has no
//! standby exchange to hand over with), and another live node has carrier; and the policy
//! allows a move: the group did not arrive there, and no check failure of it was reported
//! there, within the policy's window (at most one move per window: then it stays, restarted,
//! with an alert). Then it must be gone from that node within a settle time. Any later
//! disturbance, or the carrier coming back, ends the wait.

use super::{Fact, Invariant, View};
use crate::time::SimTime;

/// Checker for health-check invariant d.
#[derive(Debug, Default)]
pub struct CarrierLeaves {
    /// Per group: last node it ran on.
    last_holder: Vec<Option<usize>>,
    /// Per group: when it last started on a node other than the previous one.
    arrived: Vec<Option<SimTime>>,
    /// `reported[node][group]`: last check failure reported there.
    reported: Vec<Vec<Option<SimTime>>>,
    /// Per group: (node it must leave, since when).
    armed: Vec<Option<(usize, SimTime)>>,
    checks: u64,
}

impl Invariant for CarrierLeaves {
    fn name(&self) -> &'static str {
        "carrier-leaves"
    }

    fn observe(&mut self, fact: &Fact, view: &View<'_>) -> Result<(), String> {
        let sc = view.scenario;
        if !sc.health.enabled {
            return Ok(());
        }
        let groups = sc.groups.len();
        self.last_holder.resize(groups, None);
        self.arrived.resize(groups, None);
        self.armed.resize(groups, None);
        self.reported.resize(sc.nodes, vec![None; groups]);
        let window_us = sc.health.window_ms * 1000;
        let recent = |t: Option<SimTime>| t.is_some_and(|t| view.now.since(t) < window_us);
        match fact {
            Fact::Group { node, group, running: true, .. } => {
                // As the engine counts arrivals: any start on another node than the last
                // holder, except the very first one on the group's preferred node.
                let first_at_home =
                    self.last_holder[*group].is_none() && sc.groups[*group].preferred == *node;
                if self.last_holder[*group] != Some(*node) && !first_at_home {
                    self.arrived[*group] = Some(view.now);
                }
                self.last_holder[*group] = Some(*node);
            }
            Fact::CheckFailed { node, group, .. } => {
                self.reported[*node][*group] = Some(view.now);
                self.armed.iter_mut().for_each(|a| *a = None);
            }
            Fact::CarrierLost { node, groups: lost } => {
                let quiet = view.quiet_for_us() >= view.safety_settle_us();
                let other = (0..sc.nodes).any(|m| m != *node && view.alive[m] && view.carrier[m]);
                // Heartbeat's legacy mode has no standby exchange: the group cannot be handed
                // over, it stays (restarted) with an alert.
                let legacy = sc.failback == crate::scenario::FailbackMode::Legacy;
                if !quiet || !view.connected || !other || legacy {
                    return Ok(());
                }
                for &g in lost {
                    if !recent(self.arrived[g]) && !recent(self.reported[*node][g]) {
                        self.armed[g] = Some((*node, view.now));
                    }
                }
            }
            Fact::Crashed { .. }
            | Fact::Booted(_)
            | Fact::Exited(_)
            | Fact::ActionTrouble { .. }
            | Fact::AdminIssued { .. }
            | Fact::PingReported { .. }
            | Fact::FenceRequested { .. }
            | Fact::HealStart => self.armed.iter_mut().for_each(|a| *a = None),
            // The carrier fault itself arrives as a `Fault` after its `CarrierLost`.
            Fact::Fault(crate::faults::Fault::Carrier { up: false, .. }) => {}
            Fact::Fault(_) => self.armed.iter_mut().for_each(|a| *a = None),
            Fact::Tick => {
                for g in 0..groups {
                    let Some((n, since)) = self.armed[g] else { continue };
                    if view.carrier[n] || !view.connected {
                        self.armed[g] = None;
                        continue;
                    }
                    self.checks += 1;
                    if !view.resources.present(n, g) {
                        self.armed[g] = None;
                        continue;
                    }
                    let bound = view.safety_settle_us();
                    if view.now.since(since) > bound {
                        return Err(format!(
                            "group {g} ({}) stayed {} ms on {} after its address interface lost \
                             carrier, while another live node has carrier (bound {} ms)",
                            sc.groups[g].resources[0],
                            view.now.since(since) / 1000,
                            sc.node_name(n),
                            bound / 1000
                        ));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn checks(&self) -> u64 {
        self.checks
    }
}
