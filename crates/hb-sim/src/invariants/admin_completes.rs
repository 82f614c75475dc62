//! Invariant 5: every `hb_standby` / `hb_takeover` request handed to a live node ends, within a
//! bound, with an engine reporting it completed or explicitly refused (or cancelled). A standby
//! must be answered by the node it was issued on; a takeover makes the *other* node run the
//! standby exchange, so an outcome reported by any node answers the oldest pending takeover.
//! Outcomes nobody asked for are fine (auto-failback runs the same exchange by itself). A node
//! that crashes or exits takes its pending requests with it.

use super::{Fact, Invariant, View};
use crate::engine::Observation;
use crate::time::SimTime;

/// Requests tracked at once.
const MAX_PENDING: usize = 64;

#[derive(Debug)]
struct Pending {
    node: usize,
    takeover: bool,
    at: SimTime,
    deadline: SimTime,
}

/// Checker for invariant 5.
#[derive(Debug, Default)]
pub struct AdminCompletes {
    pending: Vec<Pending>,
    checks: u64,
}

impl AdminCompletes {
    fn bound_us(view: &View<'_>) -> u64 {
        let sc = view.scenario;
        // Standby reply timer (10 s), a death decision, releasing and acquiring everything
        // (scripts may hang to the shell's timeout), slack.
        let ms = 10_000 + 2 * sc.timing.deadtime_ms + 2 * sc.action_budget_ms(sc.total_members());
        (ms + 5_000) * 1000
    }
}

impl Invariant for AdminCompletes {
    fn name(&self) -> &'static str {
        "admin-completes"
    }

    fn observe(&mut self, fact: &Fact, view: &View<'_>) -> Result<(), String> {
        match fact {
            Fact::AdminIssued { node, takeover } if self.pending.len() < MAX_PENDING => {
                let deadline = view.now.plus_micros(Self::bound_us(view));
                self.pending.push(Pending {
                    node: *node,
                    takeover: *takeover,
                    at: view.now,
                    deadline,
                });
            }
            Fact::Observed { node, obs: Observation::Admin(_) } => {
                let own = self.pending.iter().position(|p| p.node == *node);
                let any_takeover = || self.pending.iter().position(|p| p.takeover);
                if let Some(i) = own.or_else(any_takeover) {
                    self.checks += 1;
                    self.pending.remove(i);
                }
            }
            Fact::Crashed { node, .. } | Fact::Exited(node) => {
                self.pending.retain(|p| p.node != *node)
            }
            Fact::Tick => {
                if let Some(p) = self.pending.iter().find(|p| view.now > p.deadline) {
                    self.checks += 1;
                    return Err(format!(
                        "{} request issued on {} at {} neither completed nor refused after {} ms",
                        if p.takeover { "hb_takeover" } else { "hb_standby" },
                        view.scenario.node_name(p.node),
                        p.at,
                        view.now.since(p.at) / 1000
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(&mut self, view: &View<'_>) -> Result<(), String> {
        self.observe(&Fact::Tick, view)
    }

    fn checks(&self) -> u64 {
        self.checks
    }
}
