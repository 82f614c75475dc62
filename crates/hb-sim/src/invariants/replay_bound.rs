//! Invariant 15 (the replay bound): copies of a `status` — the sender's own echo, network
//! duplicates, datagrams replayed by the network or an attacker — keep a crashed node alive at
//! most one keepalive longer than its first arrivals do. Each live node that heard a crashed
//! peer declares it dead by the *first* arrival of the last status it was handed from it (any
//! status never handed to that engine before, including a late gap filler) + one keepalive +
//! the dead interval in force, with clock-drift slack. The engine lets a copy of the newest
//! status count for liveness (hb-core `echo`); this checker bounds how far.

use super::{Fact, Invariant, View};
use crate::engine::Observation;
use crate::time::{SimTime, MAX_DRIFT_PPM};

/// Checker for invariant 15.
#[derive(Debug, Default)]
pub struct ReplayBound {
    /// `first[to][from]`: last first arrival of a status from `from` at `to`'s engine, and
    /// whether it was a replayed datagram (sent at an unknown earlier time).
    first: Vec<Vec<Option<(SimTime, bool)>>>,
    /// `dt[to][from]`: the largest `dt` a first arrival carried since `to` last judged `from`
    /// (the engine applies the `dt` of the last status it accepted, and a late retransmission
    /// of an old status carries the start-up bump).
    dt: Vec<Vec<u64>>,
    /// `dead[to][from]`: `to`'s engine reported `from` dead since.
    dead: Vec<Vec<bool>>,
    crashed: Vec<bool>,
    checks: u64,
}

impl ReplayBound {
    fn size(&mut self, n: usize) {
        if self.first.len() != n {
            self.first = vec![vec![None; n]; n];
            self.dead = vec![vec![false; n]; n];
            self.dt = vec![vec![0; n]; n];
            self.crashed = vec![false; n];
        }
    }

    /// When `to` must have declared `from` dead, if it is bound to.
    fn deadline(&self, to: usize, from: usize, view: &View<'_>) -> Option<SimTime> {
        if !self.crashed[from] || !view.alive[to] || self.dead[to][from] {
            return None;
        }
        let (at, replayed) = self.first[to][from]?;
        let t = &view.scenario.timing;
        // The engine uses the `dt` the status carries: deadtime + 2 s if it was sent during a
        // node's first 5 s, which a replayed or delayed datagram may have been.
        let late_us = crate::net::REORDER_MAX_US + 3 * view.scenario.net.delay_max_us;
        let bumped = replayed
            || view
                .last_boot
                .iter()
                .flatten()
                .any(|b| at < b.plus_millis(5_000).plus_micros(late_us));
        let mut iv_ms = (t.deadtime_ms + if bumped { 2_000 } else { 0 }).max(self.dt[to][from]);
        // Until every node was heard from or buried, an engine times peers out at initdead.
        if view.booted_at[to].is_none_or(|b| at < b.plus_millis(2 * t.initdead_ms)) {
            iv_ms = iv_ms.max(t.initdead_ms);
        }
        let bound_ms = iv_ms + t.keepalive_ms;
        let drift_us = bound_ms * (2 * MAX_DRIFT_PPM as u64 + 500) / 1000;
        Some(at.plus_micros(bound_ms * 1000 + drift_us + 1_000))
    }
}

impl Invariant for ReplayBound {
    fn name(&self) -> &'static str {
        "replay-bound"
    }

    fn observe(&mut self, fact: &Fact, view: &View<'_>) -> Result<(), String> {
        let n = view.scenario.nodes;
        self.size(n);
        match fact {
            Fact::Booted(k) => {
                self.crashed[*k] = false;
                self.first[*k].iter_mut().for_each(|f| *f = None);
                self.dt[*k].iter_mut().for_each(|d| *d = 0);
                self.dead[*k].iter_mut().for_each(|d| *d = false);
            }
            Fact::Crashed { node, .. } => self.crashed[*node] = true,
            // A first arrival restarts the clock; whether it brings a node declared dead back
            // is the engine's call (it tells, below).
            Fact::Status { from, to, repeat: false, replay, dt_ms, .. } => {
                self.first[*to][*from] = Some((view.now, *replay));
                let dt = &mut self.dt[*to][*from];
                *dt = (*dt).max(dt_ms.unwrap_or(0));
            }
            Fact::Observed { node, obs: Observation::PeerDead(p) } => {
                if let Some(d) = self.deadline(*node, *p, view) {
                    self.checks += 1;
                    if view.now > d {
                        return Err(self.late(*node, *p, d, view));
                    }
                }
                if let Some(row) = self.dead.get_mut(*node) {
                    if let Some(x) = row.get_mut(*p) {
                        *x = true;
                    }
                }
                if let Some(x) = self.dt.get_mut(*node).and_then(|r| r.get_mut(*p)) {
                    *x = 0;
                }
            }
            // Reported while the engine handles the delivery that revived the peer, before that
            // delivery's `Status` fact.
            Fact::Observed { node, obs: Observation::PeerUp(p) } => {
                if let Some(x) = self.dead.get_mut(*node).and_then(|r| r.get_mut(*p)) {
                    *x = false;
                }
                if let Some(f) = self.first.get_mut(*node).and_then(|r| r.get_mut(*p)) {
                    *f = Some((view.now, true));
                }
            }
            _ => {}
        }
        for to in 0..n {
            for from in 0..n {
                if to == from {
                    continue;
                }
                if let Some(d) = self.deadline(to, from, view) {
                    if view.now > d {
                        self.checks += 1;
                        return Err(self.late(to, from, d, view));
                    }
                }
            }
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

impl ReplayBound {
    fn late(&self, to: usize, from: usize, d: SimTime, view: &View<'_>) -> String {
        let first = self.first[to][from].map_or(SimTime::ZERO, |f| f.0);
        format!(
            "{} still counts crashed {} alive at {} although the last new status from it \
             arrived at {} (bound {}: dead interval + keepalive {} ms; copies and replays of \
             a status may extend liveness by one keepalive at most)",
            view.scenario.node_name(to),
            view.scenario.node_name(from),
            view.now,
            first,
            d,
            view.scenario.timing.keepalive_ms,
        )
    }
}
