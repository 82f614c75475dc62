//! Faults and node lifecycle: applying scheduled faults, crashes, graceful exits, boots and
//! the heal phase.

use super::{Ev, Violation, World};
use crate::faults::{AdminCmd, Fault};
use crate::invariants::Fact;
use crate::scenario::{ActionProfile, NetProfile};

impl World<'_> {
    pub(super) fn heal(&mut self) -> Result<(), Violation> {
        self.healed = true;
        self.net.set_profile(NetProfile::clean());
        self.net.heal_partitions();
        for n in 0..self.sc.nodes {
            for m in 0..self.sc.media {
                if !self.net.link_is_up(n, m) {
                    self.net.set_link(n, m, true);
                    self.link_state(n, m, true)?;
                }
            }
        }
        self.refresh_hears();
        for n in 0..self.sc.nodes {
            if !self.uplink[n] {
                self.set_uplink(n, true);
            }
        }
        self.actions = ActionProfile { start_fail_ppm: 0, start_hang_ppm: 0, ..self.actions };
        for n in 0..self.sc.nodes {
            for g in 0..self.sc.groups.len() {
                self.set_check(n, g, crate::checks::CheckMode::Pass);
            }
            self.set_carrier(n, true)?;
        }
        self.trace.record_line(self.now, "heal", 0, &[], || "heal phase starts".into());
        self.disturb();
        for n in 0..self.sc.nodes {
            if !self.alive[n] {
                self.boot(n)?;
            } else if self.nodes[n].stopping {
                // Still in a graceful shutdown: it exits after the heal began, and the heal
                // promises every node up, so boot it when it is gone (like a restart fault).
                self.nodes[n].boot_after_exit = true;
            }
        }
        self.fact(&Fact::HealStart)
    }

    pub(super) fn apply_fault(&mut self, fault: Fault) -> Result<(), Violation> {
        let tag = format!("{fault:?}");
        self.trace.record_line(self.now, "fault", 0, tag.as_bytes(), || tag.clone());
        match fault {
            Fault::Crash(n) => return self.crash(n),
            Fault::Restart(n) => {
                if !self.alive[n] {
                    self.boot(n)?;
                } else if self.nodes[n].stopping {
                    self.nodes[n].boot_after_exit = true;
                }
                return Ok(());
            }
            Fault::Partition { from, to, two_way } => {
                self.net.partition(from, to, two_way);
                self.refresh_hears();
                self.disturb();
            }
            Fault::HealPartitions => {
                self.net.heal_partitions();
                self.refresh_hears();
                self.disturb();
            }
            Fault::UplinkDown(node) | Fault::UplinkUp(node) => {
                self.set_uplink(node, matches!(fault, Fault::UplinkUp(_)));
            }
            Fault::LinkDown { node, medium } | Fault::LinkUp { node, medium } => {
                let up = matches!(fault, Fault::LinkUp { .. });
                self.net.set_link(node, medium, up);
                self.refresh_hears();
                self.disturb();
                // A carrier change on the node's own interface is visible to it, sometimes.
                if self.rng.below(2) == 0 {
                    self.link_state(node, medium, up)?;
                }
            }
            Fault::ClockStep { node, secs } => {
                // Not a disturbance: a wall-clock jump must not move anything.
                self.nodes[node].clock.step_wall(secs);
                if self.alive[node] {
                    let now = self.local_time(node);
                    if let Some(e) = self.nodes[node].engine.as_mut() {
                        e.handle_wall_step(now);
                    }
                    self.drain(node)?;
                }
            }
            Fault::Check { node, group, mode } => {
                self.disturb();
                self.set_check(node, group, mode);
            }
            Fault::Carrier { node, up } => {
                // Reported before the disturbance is recorded, so that checkers see how long
                // the cluster had been quiet before it.
                self.set_carrier(node, up)?;
                self.disturb();
            }
            Fault::Admin { node, cmd } => {
                if self.alive[node] {
                    self.disturb();
                    if cmd == AdminCmd::Shutdown {
                        self.nodes[node].stopping = true;
                    } else {
                        let takeover = matches!(cmd, AdminCmd::Takeover(_));
                        self.fact(&Fact::AdminIssued { node, takeover })?;
                    }
                    let now = self.local_time(node);
                    if let Some(e) = self.nodes[node].engine.as_mut() {
                        e.handle_admin(now, cmd);
                    }
                    self.drain(node)?;
                }
            }
        }
        self.fact(&Fact::Fault(fault))
    }

    pub(super) fn crash(&mut self, n: usize) -> Result<(), Violation> {
        if !self.alive[n] {
            return Ok(());
        }
        let quiet_since = self.last_disturbance;
        self.disturb();
        let held: Vec<usize> =
            (0..self.sc.groups.len()).filter(|g| self.resources.present(n, *g)).collect();
        let slot = &mut self.nodes[n];
        slot.engine = None;
        slot.booted_at = None;
        slot.wake = None;
        slot.stopping = false;
        slot.boot_after_exit = false;
        if let Some(since) = slot.alive_since.take() {
            self.node_ms += self.now.since(since) / 1000;
        }
        self.alive[n] = false;
        self.booted_at[n] = None;
        self.fact(&Fact::Crashed { node: n, held: held.clone(), quiet_since })?;
        self.resources.wipe(n);
        for g in 0..self.sc.groups.len() {
            self.checks.group_changed(n, g, false, self.now);
        }
        for group in held {
            self.fact(&Fact::Group { node: n, group, present: false, running: false })?;
        }
        Ok(())
    }

    /// The engine shut down gracefully: the process is gone, and it must not have left any
    /// resource behind.
    pub(super) fn exit(&mut self, n: usize, restart: bool) -> Result<(), Violation> {
        if !self.alive[n] {
            return Ok(());
        }
        self.disturb();
        let slot = &mut self.nodes[n];
        slot.engine = None;
        slot.booted_at = None;
        slot.wake = None;
        slot.stopping = false;
        let restart = restart || std::mem::take(&mut slot.boot_after_exit);
        if let Some(since) = slot.alive_since.take() {
            self.node_ms += self.now.since(since) / 1000;
        }
        self.alive[n] = false;
        self.booted_at[n] = None;
        self.trace.record_line(self.now, "exit", n, &[u8::from(restart)], || {
            format!("engine exited gracefully (restart: {restart})")
        });
        self.fact(&Fact::Exited(n))?;
        let left: Vec<usize> =
            (0..self.sc.groups.len()).filter(|g| self.resources.present(n, *g)).collect();
        if !left.is_empty() {
            return Err((
                "clean-exit",
                format!("node{} exited gracefully with groups {left:?} still present", n + 1),
            ));
        }
        if restart {
            self.queue.push(self.now.plus_millis(100), Ev::Reboot { node: n });
        }
        Ok(())
    }

    pub(super) fn boot(&mut self, n: usize) -> Result<(), Violation> {
        self.disturb();
        let now = self.local_time(n);
        let seed = self.sc.seed ^ ((n as u64 + 1) << 48) ^ (self.nodes[n].boots << 32);
        let generation = self.nodes[n].generation;
        let engine = self
            .factory
            .boot(self.sc, n, generation, seed, now)
            .map_err(|e| ("engine-boot", format!("node{} failed to boot: {e}", n + 1)))?;
        self.ping_reported[n] = None;
        let slot = &mut self.nodes[n];
        slot.engine = Some(engine);
        slot.boots += 1;
        slot.persisted = false;
        slot.booted_at = Some(self.now);
        slot.alive_since = Some(self.now);
        slot.wake = None;
        self.alive[n] = true;
        self.booted_at[n] = Some(self.now);
        self.last_boot[n] = Some(self.now);
        let boots = slot.boots;
        self.trace.record_line(self.now, "boot", n, &boots.to_le_bytes(), || {
            format!("boot #{boots}, state file generation {generation}")
        });
        self.fact(&Fact::Booted(n))?;
        self.start_pinger(n);
        self.drain(n)
    }
}
