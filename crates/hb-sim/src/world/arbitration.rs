//! The simulated shell's pinger and fencing device. The pinger reports a lost uplink once it has
//! been down for `deadping` and a restored one at the next answer (one ping interval), as the
//! daemon's pinger does; a fence request powers the target off (a crash, if it still runs)
//! after the device's delay and reports success, or reports failure, as the scenario's model
//! draws. In the heal phase the device always works and a fenced machine boots again (a reset),
//! since that phase promises every node up at the end.

use super::{Ev, Violation, World};
use crate::invariants::Fact;

impl World<'_> {
    /// Recomputes which node's datagrams can reach which node (after any network change).
    pub(super) fn refresh_hears(&mut self) {
        for a in 0..self.sc.nodes {
            for b in 0..self.sc.nodes {
                self.hears[a][b] =
                    a == b || (0..self.sc.media).any(|m| self.net.path_open(a, b, m));
            }
        }
    }

    /// An uplink changes (a fault, or the heal phase): the node's pinger notices after its delay.
    pub(super) fn set_uplink(&mut self, node: usize, up: bool) {
        if self.uplink[node] == up {
            return;
        }
        self.uplink[node] = up;
        self.uplink_since[node] = self.now;
        self.disturb();
        if self.alive[node] {
            self.schedule_ping_report(node);
        }
    }

    /// A booted engine's pinger starts: it reports a dead uplink after `deadping`, a working
    /// one at the first answer.
    pub(super) fn start_pinger(&mut self, node: usize) {
        self.schedule_ping_report(node);
    }

    fn ping_delay_ms(&self, reachable: bool) -> u64 {
        let a = &self.sc.arbitration;
        if reachable {
            a.ping_interval_ms
        } else {
            a.deadping_ms
        }
    }

    fn schedule_ping_report(&mut self, node: usize) {
        if !self.sc.arbitration.ping_nodes {
            return;
        }
        let reachable = self.uplink[node];
        let at = self.now.plus_millis(self.ping_delay_ms(reachable));
        let boot = self.nodes[node].boots;
        self.queue.push(at, Ev::PingReport { node, boot, reachable });
    }

    /// A pinger report falls due: it is handed over if the uplink stayed in that state for the
    /// whole delay and the engine believes otherwise.
    pub(super) fn ping_report(
        &mut self,
        node: usize,
        boot: u64,
        reachable: bool,
    ) -> Result<(), Violation> {
        if !self.alive[node] || self.nodes[node].boots != boot || self.uplink[node] != reachable {
            return Ok(());
        }
        let since =
            [Some(self.uplink_since[node]), self.booted_at[node]].into_iter().flatten().max();
        let stable_us = since.map_or(0, |s| self.now.since(s));
        if stable_us < self.ping_delay_ms(reachable) * 1000 {
            return Ok(()); // a later report covers the latest change
        }
        // The engine assumes reachable until told otherwise.
        if self.ping_reported[node].unwrap_or(true) == reachable {
            return Ok(());
        }
        self.ping_reported[node] = Some(reachable);
        self.disturb();
        self.trace.record_line(self.now, "ping", node, &[u8::from(reachable)], || {
            format!("pinger reports ping nodes {}", if reachable { "reachable" } else { "lost" })
        });
        self.fact(&Fact::PingReported { node, reachable })?;
        let now = self.local_time(node);
        if let Some(e) = self.nodes[node].engine.as_mut() {
            e.handle_ping_reach(now, reachable);
        }
        self.drain(node)
    }

    /// An engine asks for `target` to be fenced.
    pub(super) fn fence_request(&mut self, node: usize, target: usize) -> Result<(), Violation> {
        let Some(model) = self.sc.arbitration.fencing else {
            return Err((
                "engine-output",
                format!("node{} asked to fence node{} with fencing off", node + 1, target + 1),
            ));
        };
        if target >= self.sc.nodes || target == node {
            return Err((
                "engine-output",
                format!("node{} asked to fence node {target}", node + 1),
            ));
        }
        // The heal phase repairs the fencing device too.
        let ok = self.fence_rng.chance_ppm(model.success_ppm) || self.healed;
        let after_ms = self.fence_rng.range(model.min_ms, model.max_ms);
        self.trace.record_line(self.now, "fence", node, &[target as u8, u8::from(ok)], || {
            format!(
                "fence node{} requested: {} in {after_ms} ms",
                target + 1,
                if ok { "powers it off" } else { "will fail" }
            )
        });
        if !ok {
            // Like a failing script: a fault injected now, everything waiting on it may stall.
            self.disturb();
        }
        self.fact(&Fact::FenceRequested { by: node, target })?;
        let boot = self.nodes[node].boots;
        self.queue.push(self.now.plus_millis(after_ms), Ev::FenceDone { node, boot, target, ok });
        Ok(())
    }

    /// The fencing device finished: on success the target is off (crashed if it still ran),
    /// then the requester hears the outcome. A requester that died meanwhile took its fencing
    /// command with it, and nothing happens.
    pub(super) fn fence_done(
        &mut self,
        node: usize,
        boot: u64,
        target: usize,
        ok: bool,
    ) -> Result<(), Violation> {
        if !self.alive[node] || self.nodes[node].boots != boot {
            return Ok(());
        }
        if ok && self.alive[target] {
            self.trace.record_line(self.now, "fenced", target, &[node as u8], || {
                format!("powered off by node{}'s fence request", node + 1)
            });
            self.crash(target)?;
            if self.healed {
                // The heal phase boots every machine: one fenced now is reset, not left off.
                self.queue.push(self.now.plus_millis(1_000), Ev::Reboot { node: target });
            }
        }
        self.disturb();
        self.trace.record_line(self.now, "fence-done", node, &[target as u8, u8::from(ok)], || {
            format!("fencing node{} {}", target + 1, if ok { "succeeded" } else { "failed" })
        });
        self.fact(&Fact::FenceDone { by: node, target, ok })?;
        let now = self.local_time(node);
        if let Some(e) = self.nodes[node].engine.as_mut() {
            e.handle_fence_done(now, target, ok);
        }
        self.drain(node)
    }
}
