//! Simulated health checks (`--checks`): what each group's check answers on each node, and
//! the reports the daemon's check runner would hand its engine.

use super::{Violation, World};
use crate::checks::CheckMode;
use crate::invariants::Fact;
use crate::time::SimTime;

/// Per node and group: the check's answer and its runner's state.
#[derive(Debug, Default)]
pub(super) struct CheckSim {
    /// `mode[node][group]`: what the check answers there now.
    pub(super) mode: Vec<Vec<CheckMode>>,
    /// When the check (re)started: the group turned running there, or the mode changed.
    since: Vec<Vec<Option<SimTime>>>,
    /// The failure (flap phase) already reported since `since`.
    reported: Vec<Vec<Option<u64>>>,
    /// `carrier[node]`: its addresses' interface has carrier.
    pub(super) carrier: Vec<bool>,
}

impl CheckSim {
    pub(super) fn new(nodes: usize, groups: usize) -> CheckSim {
        CheckSim {
            mode: vec![vec![CheckMode::Pass; groups]; nodes],
            since: vec![vec![None; groups]; nodes],
            reported: vec![vec![None; groups]; nodes],
            carrier: vec![true; nodes],
        }
    }

    /// The daemon restarts a group's checks whenever the group starts and stops them when it
    /// stops: a failure is reported afresh after every (re)start.
    pub(super) fn group_changed(&mut self, node: usize, group: usize, running: bool, now: SimTime) {
        if let Some(s) = self.since.get_mut(node).and_then(|r| r.get_mut(group)) {
            *s = running.then_some(now);
            self.reported[node][group] = None;
        }
    }
}

impl World<'_> {
    /// A `check` fault: the check answers `mode` from now on (a running check starts over).
    pub(super) fn set_check(&mut self, node: usize, group: usize, mode: CheckMode) {
        let Some(m) = self.checks.mode.get_mut(node).and_then(|r| r.get_mut(group)) else {
            return;
        };
        *m = mode;
        let running = self.alive[node] && self.resources.running(node, group);
        self.checks.group_changed(node, group, running, self.now);
    }

    /// A `carrier` fault: the node's address interface loses or regains carrier. A loss is
    /// reported, as the daemon's carrier watch does, once per group running there now (a
    /// group that starts there later while carrier is still down is not reported: the watch
    /// reacts to transitions).
    pub(super) fn set_carrier(&mut self, node: usize, up: bool) -> Result<(), Violation> {
        let Some(c) = self.checks.carrier.get_mut(node) else { return Ok(()) };
        if *c == up {
            return Ok(());
        }
        *c = up;
        if up || !self.alive[node] {
            return Ok(());
        }
        let groups: Vec<usize> =
            (0..self.sc.groups.len()).filter(|&g| self.resources.running(node, g)).collect();
        self.trace.record_line(self.now, "carrier", node, &[], || {
            format!("carrier lost under groups {groups:?}")
        });
        self.fact(&Fact::CarrierLost { node, groups: groups.clone() })?;
        let now = self.local_time(node);
        if let Some(e) = self.nodes[node].engine.as_mut() {
            for &g in &groups {
                e.handle_carrier_lost(now, g, "simulated carrier loss".into());
            }
        }
        self.drain(node)
    }

    /// Every tick: hand each due failure to its engine, as the daemon's runner does when a
    /// check turns failed.
    pub(super) fn probe_checks(&mut self) -> Result<(), Violation> {
        if !self.sc.health.enabled {
            return Ok(());
        }
        for node in 0..self.sc.nodes {
            for group in 0..self.sc.groups.len() {
                let running = self.alive[node] && self.resources.running(node, group);
                if !running {
                    self.checks.group_changed(node, group, false, self.now);
                    continue;
                }
                let since = *self.checks.since[node][group].get_or_insert(self.now);
                let mode = self.checks.mode[node][group];
                let Some(phase) = self.sc.health.due(mode, since, self.now) else { continue };
                if self.checks.reported[node][group] == Some(phase) {
                    continue;
                }
                self.checks.reported[node][group] = Some(phase);
                self.disturb();
                self.trace.record_line(self.now, "check", node, &[group as u8], || {
                    format!("check of group {group} failed ({})", mode.word())
                });
                // The check watches the group's last member: the service behind its
                // addresses, like the demo's web server.
                let member = self.sc.groups[group].resources.len().saturating_sub(1);
                self.fact(&Fact::CheckFailed { node, group, member })?;
                let now = self.local_time(node);
                if let Some(e) = self.nodes[node].engine.as_mut() {
                    let why = format!("simulated check: {}", mode.word());
                    e.handle_check_failed(now, group, member, why);
                }
                self.drain(node)?;
                self.fact(&Fact::CheckHandled { node, group })?;
            }
        }
        Ok(())
    }
}
