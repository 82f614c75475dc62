//! Health-check invariant b (`--checks`): no ping-pong. A group that leaves a node after its
//! check failed there (a health move: it next runs on another node) moves so at most once per
//! policy window: two health moves of one group are at least a window apart (less the worst
//! clock drift and a tick). A move is timed at the failure report that caused it (the
//! engine's decision), not at the start elsewhere, whose delay depends on the hand-over.

use super::{Fact, Invariant, View};
use crate::time::{SimTime, MAX_DRIFT_PPM};

/// Checker for health-check invariant b.
#[derive(Debug, Default)]
pub struct MovesPerWindow {
    /// Per group: node it last ran on, and its check's last failure there since it started.
    tenure: Vec<Option<(usize, Option<SimTime>)>>,
    /// Per group: last health move.
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
        self.tenure.resize(sc.groups.len(), None);
        self.last_move.resize(sc.groups.len(), None);
        match fact {
            Fact::CheckFailed { node, group } => {
                if let Some((n, failed)) = &mut self.tenure[*group] {
                    if n == node {
                        *failed = Some(view.now);
                    }
                }
            }
            // A crash moves groups for another reason.
            Fact::Crashed { node, .. } => {
                for t in self.tenure.iter_mut().flatten() {
                    if t.0 == *node {
                        t.1 = None;
                    }
                }
            }
            Fact::Group { node, group, running: true, .. } => {
                let prev = self.tenure[*group].replace((*node, None));
                let Some((from, Some(decided))) = prev.filter(|p| p.0 != *node) else {
                    return Ok(());
                };
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
