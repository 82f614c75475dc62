//! Health-check invariant b (`--checks`): no ping-pong. A group moves at most once per policy
//! window because of failed checks: two health moves of one group are at least a window apart
//! (less the worst clock drift and a tick).
//!
//! A health move, from ground truth: the group's check failure was reported to node `from`,
//! within a hand-over time (two deadtimes and a second) the group stopped there (`from` still
//! up, not started there again), and within a hand-over time of that stop it started on
//! another node that had no copy of it at the stop (a split brain's second copy is no move). It is timed at the failure report (the engine's decision), since the start
//! elsewhere is delayed by the hand-over exchange. Moves for other reasons (a crash or exit,
//! a failed or hung script, a partition's split-brain resolution, a failback) are not health
//! moves.

use super::{Fact, Invariant, View};
use crate::time::{SimTime, MAX_DRIFT_PPM};

/// Checker for health-check invariant b.
#[derive(Debug, Default)]
pub struct MovesPerWindow {
    /// `failed[node][group]`: last failure reported there since the group last started there.
    failed: Vec<Vec<Option<SimTime>>>,
    /// Per group: (node, failure report, stop, nodes that held a copy at the stop) of a stop
    /// that may begin a health move.
    pending: Vec<Option<(usize, SimTime, SimTime, u64)>>,
    /// Per group: last health move (its failure report).
    last_move: Vec<Option<SimTime>>,
    checks: u64,
}

impl Invariant for MovesPerWindow {
    fn name(&self) -> &'static str {
        "moves-per-window"
    }

    fn observe(&mut self, fact: &Fact, view: &View<'_>) -> Result<(), String> {
        let sc = view.scenario;
        if !sc.health.enabled {
            return Ok(());
        }
        let groups = sc.groups.len();
        self.failed.resize(sc.nodes, vec![None; groups]);
        self.pending.resize(groups, None);
        self.last_move.resize(groups, None);
        let handover_us = (2 * sc.timing.deadtime_ms + 1_000) * 1000;
        let within = |t: SimTime| view.now.since(t) <= handover_us;
        match fact {
            Fact::CheckFailed { node, group, .. } => self.failed[*node][*group] = Some(view.now),
            // A carrier loss moves groups for its own reason.
            Fact::CarrierLost { node, groups: lost } => {
                for &g in lost {
                    self.failed[*node][g] = None;
                    if self.pending[g].is_some_and(|(n, ..)| n == *node) {
                        self.pending[g] = None;
                    }
                }
            }
            // A failed or hung script moves the group for its own reason.
            Fact::ActionTrouble { node, group } => {
                self.failed[*node][*group] = None;
                if self.pending[*group].is_some_and(|(n, ..)| n == *node) {
                    self.pending[*group] = None;
                }
            }
            Fact::Crashed { node, .. } | Fact::Exited(node) => {
                self.failed[*node].iter_mut().for_each(|f| *f = None);
                for p in &mut self.pending {
                    if p.is_some_and(|(n, ..)| n == *node) {
                        *p = None;
                    }
                }
            }
            Fact::Group { node, group, present: false, .. } => {
                if let Some(at) = self.failed[*node][*group].filter(|&t| within(t)) {
                    let held = (0..sc.nodes)
                        .filter(|&n| view.resources.present(n, *group))
                        .fold(0u64, |m, n| m | 1 << n);
                    self.pending[*group] = Some((*node, at, view.now, held));
                }
            }
            Fact::Group { node, group, running: true, .. } => {
                self.failed[*node][*group] = None;
                let Some((from, decided, stopped, held)) = self.pending[*group].take() else {
                    return Ok(());
                };
                // Not a move: `from` runs it again (a restart in place, in a split brain next
                // to this one), or this node already had its copy when `from` stopped.
                if from == *node
                    || !within(stopped)
                    || view.resources.present(from, *group)
                    || held & (1 << *node) != 0
                {
                    return Ok(());
                }
                self.checks += 1;
                let window_us = sc.health.window_ms * 1000;
                let slack_us = window_us * (2 * MAX_DRIFT_PPM as u64 + 500) / 1_000_000
                    + sc.timing.keepalive_ms * 1000;
                if let Some(last) = self.last_move[*group] {
                    let gap = decided.since(last);
                    if gap + slack_us < window_us {
                        return Err(format!(
                            "group {group} ({}) moved from {} to {} after a failed check only \
                             {} ms after its previous such move (window {} ms)",
                            sc.groups[*group].resources[0],
                            sc.node_name(from),
                            sc.node_name(*node),
                            gap / 1000,
                            sc.health.window_ms
                        ));
                    }
                }
                self.last_move[*group] = Some(decided);
            }
            _ => {}
        }
        Ok(())
    }

    fn checks(&self) -> u64 {
        self.checks
    }
}
