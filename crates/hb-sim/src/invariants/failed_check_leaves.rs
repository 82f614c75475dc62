//! Health-check invariant a (`--checks`): a group does not stay on a node where its check
//! keeps failing while a healthy eligible node could take it. Judged once the group runs on
//! exactly one node, its check fails steadily there (fail or hang), the cluster is connected,
//! the group did not arrive there within the policy's window (at most one move per window),
//! and some other live node passes the check and did not fail it within the window. Then,
//! within restarts + 1 detections and restarts, plus the time a hand-over takes, it must have
//! left. Anything else that may move groups (a fault, boot, crash, script trouble, an admin
//! command) starts the wait over.

use super::{Fact, Invariant, View};
use crate::checks::CheckMode;
use crate::time::SimTime;

/// Checker for health-check invariant a.
#[derive(Debug, Default)]
pub struct FailedCheckLeaves {
    /// Per group: last node it ran on.
    last_holder: Vec<Option<usize>>,
    /// Per group: when it last started on a node other than the previous one.
    arrived: Vec<Option<SimTime>>,
    /// `reported[node][group]`: last failure reported there.
    reported: Vec<Vec<Option<SimTime>>>,
    /// Per group: since when the condition has held without a break.
    armed_since: Vec<Option<SimTime>>,
    checks: u64,
}

impl FailedCheckLeaves {
    /// The node `group` should leave, and a node that could take it, if both exist now.
    fn stuck(&self, group: usize, view: &View<'_>) -> Option<(usize, usize)> {
        let sc = view.scenario;
        let window_us = sc.health.window_ms * 1000;
        let mut present = (0..sc.nodes).filter(|&n| view.resources.present(n, group));
        let (Some(n), None) = (present.next(), present.next()) else { return None };
        let recent = |t: Option<SimTime>| t.is_some_and(|t| view.now.since(t) < window_us);
        if !view.connected
            || !view.resources.running(n, group)
            || !view.check_mode[n][group].steadily_failing()
            || recent(self.arrived[group])
        {
            return None;
        }
        let healthy = (0..sc.nodes).find(|&m| {
            m != n
                && view.alive[m]
                && view.check_mode[m][group] == CheckMode::Pass
                && !recent(self.reported[m][group])
        })?;
        Some((n, healthy))
    }

    /// How long a failing group may stay before it must have left.
    fn bound_us(view: &View<'_>) -> u64 {
        let sc = view.scenario;
        let h = &sc.health;
        let members = sc.groups.iter().map(|g| g.resources.len()).max().unwrap_or(1);
        let restart_ms = 2 * sc.action_budget_ms(members);
        let per_try_ms = h.detect_ms() + h.interval_ms + restart_ms;
        (u64::from(h.restarts) + 1) * per_try_ms * 1000 + view.safety_settle_us()
    }
}

impl Invariant for FailedCheckLeaves {
    fn name(&self) -> &'static str {
        "failed-check-leaves"
    }

    fn observe(&mut self, fact: &Fact, view: &View<'_>) -> Result<(), String> {
        let sc = view.scenario;
        if !sc.health.enabled {
            return Ok(());
        }
        let groups = sc.groups.len();
        self.last_holder.resize(groups, None);
        self.arrived.resize(groups, None);
        self.armed_since.resize(groups, None);
        self.reported.resize(sc.nodes, vec![None; groups]);
        match fact {
            Fact::Group { node, group, running: true, .. } => {
                if self.last_holder[*group] != Some(*node) {
                    self.arrived[*group] = Some(view.now);
                }
                self.last_holder[*group] = Some(*node);
            }
            Fact::CheckFailed { node, group, .. } => self.reported[*node][*group] = Some(view.now),
            Fact::Crashed { .. }
            | Fact::Booted(_)
            | Fact::Exited(_)
            | Fact::Fault(_)
            | Fact::ActionTrouble { .. }
            | Fact::AdminIssued { .. }
            | Fact::PingReported { .. }
            | Fact::FenceRequested { .. }
            | Fact::HealStart => self.armed_since.iter_mut().for_each(|a| *a = None),
            Fact::Tick => {
                for g in 0..groups {
                    let Some((n, m)) = self.stuck(g, view) else {
                        self.armed_since[g] = None;
                        continue;
                    };
                    self.checks += 1;
                    let since = *self.armed_since[g].get_or_insert(view.now);
                    let bound = Self::bound_us(view);
                    if view.now.since(since) > bound {
                        return Err(format!(
                            "group {g} ({}) stayed {} ms on {} whose check fails ({}), while {} \
                             passes it and is free to take it (bound {} ms)",
                            sc.groups[g].resources[0],
                            view.now.since(since) / 1000,
                            sc.node_name(n),
                            view.check_mode[n][g].word(),
                            sc.node_name(m),
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
