//! Invariant 2: when the node holding a group dies in a settled cluster, another live node has
//! the group fully running within deadtime + one keepalive + the time its scripts need (plus
//! network delay and clock-drift slack), unless something else disturbs the cluster first.

use super::{Fact, Invariant, View};
use crate::time::SimTime;

/// Checker for invariant 2.
#[derive(Debug, Default)]
pub struct FailoverDeadline {
    /// (group, dead node, crash time, deadline).
    pending: Vec<(usize, usize, SimTime, SimTime)>,
    checks: u64,
}

impl Invariant for FailoverDeadline {
    fn name(&self) -> &'static str {
        "failover-deadline"
    }

    fn observe(&mut self, fact: &Fact, view: &View<'_>) -> Result<(), String> {
        match fact {
            Fact::Crashed { node, held, quiet_since } => {
                // A crash during another disturbance, or with an unconnected cluster, gives no
                // promise; so does a crash that leaves nobody to take over.
                let settled = view.now.since(*quiet_since) >= view.safety_settle_us();
                let survivors = view.alive.iter().enumerate().any(|(n, a)| *a && n != *node);
                // Anything already pending is moot: this crash is a new disturbance.
                self.pending.clear();
                if settled && view.connected && survivors {
                    let sc = view.scenario;
                    let members: usize = held.iter().map(|g| sc.groups[*g].resources.len()).sum();
                    let budget_ms = sc.timing.deadtime_ms
                        + sc.timing.keepalive_ms
                        + members as u64 * sc.actions.max_ms;
                    let slack_us =
                        sc.net.delay_max_us + sc.timing.deadtime_ms * 1000 * 5 / 1000 + 5_000;
                    let deadline = view.now.plus_millis(budget_ms).plus_micros(slack_us);
                    for g in held {
                        self.pending.push((*g, *node, view.now, deadline));
                    }
                }
            }
            Fact::Tick | Fact::Group { .. } => {
                let disturbed_after = |crash: &SimTime| view.last_disturbance > *crash;
                self.pending.retain(|(_, _, crash, _)| !disturbed_after(crash));
                if let Some((g, dead, crash, deadline)) =
                    self.pending.iter().find(|(_, _, _, d)| view.now > *d)
                {
                    self.checks += 1;
                    return Err(format!(
                        "group {g} ({}) held by {} which crashed at {crash} is not running \
                         anywhere else by {deadline} (deadtime {} ms + keepalive {} ms + scripts)",
                        view.scenario.groups[*g].resources[0],
                        view.scenario.node_name(*dead),
                        view.scenario.timing.deadtime_ms,
                        view.scenario.timing.keepalive_ms,
                    ));
                }
                if let Fact::Group { node, group, running: true, .. } = fact {
                    let before = self.pending.len();
                    self.pending.retain(|(g, dead, _, _)| !(g == group && dead != node));
                    self.checks += (before - self.pending.len()) as u64;
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
