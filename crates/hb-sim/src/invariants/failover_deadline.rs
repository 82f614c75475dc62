//! Invariant 2: when the node holding a group dies in a settled cluster, another live node has
//! the group fully running within deadtime + one keepalive + the time its scripts need (plus
//! network delay and clock-drift slack), counted from the crash or from the last status of the
//! dead node still delivered after it (packets in flight outlive their sender, and a reordered
//! one may be accepted as filling a gap), unless something else disturbs the cluster first.
//! With ping nodes the promise needs every live node to reach its ping nodes (and to have been
//! told so); with fencing the budget includes the fencing device's delay (a fence that will
//! fail is a disturbance).

use super::{Fact, Invariant, View};
use crate::time::SimTime;

#[derive(Debug)]
struct Pending {
    group: usize,
    dead: usize,
    crash: SimTime,
    budget_us: u64,
    deadline: SimTime,
}

/// Checker for invariant 2.
#[derive(Debug, Default)]
pub struct FailoverDeadline {
    pending: Vec<Pending>,
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
                let pinging = !view.scenario.arbitration.ping_nodes
                    || (0..view.scenario.nodes).all(|n| {
                        !view.alive[n] || (view.uplink[n] && view.ping_reported[n] != Some(false))
                    });
                // Anything already pending is moot: this crash is a new disturbance.
                self.pending.clear();
                if settled && view.connected && survivors && pinging {
                    let sc = view.scenario;
                    let members: usize = held.iter().map(|g| sc.groups[*g].resources.len()).sum();
                    let budget_ms = sc.timing.deadtime_ms
                        + sc.timing.keepalive_ms
                        + sc.arbitration.fence_max_ms()
                        + members as u64 * sc.actions.max_ms;
                    let slack_us =
                        sc.net.delay_max_us + sc.timing.deadtime_ms * 1000 * 5 / 1000 + 5_000;
                    let budget_us = budget_ms * 1000 + slack_us;
                    for g in held {
                        self.pending.push(Pending {
                            group: *g,
                            dead: *node,
                            crash: view.now,
                            budget_us,
                            deadline: view.now.plus_micros(budget_us),
                        });
                    }
                }
            }
            // Any status of the dead node still arriving may legitimately restart the
            // survivors' dead timer (a late gap-filler is accepted, heartbeat counts it), so the
            // promise is counted from the last one.
            Fact::Status { from, .. } => {
                for p in self.pending.iter_mut().filter(|p| p.dead == *from) {
                    p.deadline = p.deadline.max(view.now.plus_micros(p.budget_us));
                }
            }
            Fact::Tick | Fact::Group { .. } => {
                self.pending.retain(|p| view.last_disturbance <= p.crash);
                if let Some(p) = self.pending.iter().find(|p| view.now > p.deadline) {
                    self.checks += 1;
                    return Err(format!(
                        "group {} ({}) held by {} which crashed at {} is not running anywhere \
                         else by {} (deadtime {} ms + keepalive {} ms + scripts after the crash \
                         or its last delivered heartbeat)",
                        p.group,
                        view.scenario.groups[p.group].resources[0],
                        view.scenario.node_name(p.dead),
                        p.crash,
                        p.deadline,
                        view.scenario.timing.deadtime_ms,
                        view.scenario.timing.keepalive_ms,
                    ));
                }
                if let Fact::Group { node, group, running: true, .. } = fact {
                    let before = self.pending.len();
                    self.pending.retain(|p| !(p.group == *group && p.dead != *node));
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
