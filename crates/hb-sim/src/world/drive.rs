//! Driving engines: handing them inputs, draining their outputs into the network, the
//! resource model and the checkers, and keeping their wake-ups scheduled.

use super::{Ev, Violation, World, MAX_OUTPUTS_PER_INPUT};
use crate::engine::{ActionKind, ActionOutcome, ActionReq, EngineOutput};
use crate::invariants::Fact;
use crate::net::DeliveryKind;
use crate::resources::plan_action;

impl World<'_> {
    pub(super) fn wake(&mut self, node: usize) -> Result<(), Violation> {
        if !self.alive[node] || self.nodes[node].wake != Some(self.now) {
            return Ok(()); // stale wake-up
        }
        self.nodes[node].wake = None;
        let now = self.local_time(node);
        if let Some(e) = self.nodes[node].engine.as_mut() {
            e.handle_timeout(now);
        }
        self.drain(node)
    }

    pub(super) fn link_state(
        &mut self,
        node: usize,
        medium: usize,
        up: bool,
    ) -> Result<(), Violation> {
        if !self.alive[node] {
            return Ok(());
        }
        let now = self.local_time(node);
        if let Some(e) = self.nodes[node].engine.as_mut() {
            e.handle_link_state(now, medium, up);
        }
        self.drain(node)
    }

    pub(super) fn deliver(
        &mut self,
        to: usize,
        medium: usize,
        bytes: &[u8],
        kind: DeliveryKind,
    ) -> Result<(), Violation> {
        if !self.alive[to] || !self.net.link_is_up(to, medium) {
            return Ok(());
        }
        let verified = match self.auth.open(bytes) {
            Ok(v) => v,
            Err(err) => {
                self.rejected += 1;
                self.trace.record_line(self.now, "reject", to, bytes, || {
                    format!("{kind:?} datagram on medium {medium} rejected: {err}")
                });
                return Ok(());
            }
        };
        self.delivered += 1;
        let status = self.status_key(&verified);
        self.trace.record_line(self.now, "deliver", to, bytes, || {
            format!("{kind:?} {} on medium {medium}", summary(verified.message()))
        });
        let now = self.local_time(to);
        if let Some(e) = self.nodes[to].engine.as_mut() {
            e.handle_message(now, medium, verified);
        }
        self.drain(to)?;
        // Recorded after the engine ran, so a death it declares while handling this very
        // status is judged against the previous one.
        if let Some((from, key)) = status {
            let slot = &mut self.nodes[to];
            let fresh = slot.max_status[from].is_none_or(|max| key > max);
            if fresh {
                slot.max_status[from] = Some(key);
                // A replayed datagram is not the peer talking now: it never counts as proof
                // of life (the engine may rightly ignore it).
                if kind != DeliveryKind::Replay {
                    self.last_fresh[to][from] = Some(self.now);
                }
            }
            let replay = kind == DeliveryKind::Replay;
            self.fact(&Fact::Status { from, to, fresh, replay })?;
        }
        Ok(())
    }

    /// (sender, (generation, seq)) of a `t=status` message from one of our nodes.
    fn status_key(&self, msg: &hb_wire::Message) -> Option<(usize, (u64, u64))> {
        if msg.msg_type() != Some("status") {
            return None;
        }
        let from = self.sc.node_index(msg.get_str("src")?)?;
        let hg = u64::from_str_radix(msg.get_str("hg").unwrap_or("0"), 16).ok()?;
        let seq = u64::from_str_radix(msg.get_str("seq")?, 16).ok()?;
        Some((from, (hg, seq)))
    }

    pub(super) fn action_done(
        &mut self,
        node: usize,
        boot: u64,
        req: ActionReq,
        outcome: ActionOutcome,
    ) -> Result<(), Violation> {
        if !self.alive[node] || self.nodes[node].boots != boot {
            return Ok(()); // the machine died meanwhile; its scripts died with it
        }
        self.trace.record_line(self.now, "done", node, &[outcome as u8, req.kind as u8], || {
            format!("{:?} group {} member {:?}: {outcome:?}", req.kind, req.group, req.member)
        });
        self.change_group(node, req.group, |r| r.finish(node, &req, outcome))?;
        if outcome != ActionOutcome::Success && req.kind != ActionKind::Monitor {
            self.disturb();
            self.fact(&Fact::ActionTrouble { node, group: req.group })?;
        }
        let now = self.local_time(node);
        if let Some(e) = self.nodes[node].engine.as_mut() {
            e.handle_action_done(now, &req, outcome);
        }
        self.drain(node)
    }

    /// Drains a node's outputs and reschedules its wake-up.
    pub(super) fn drain(&mut self, node: usize) -> Result<(), Violation> {
        for _ in 0..MAX_OUTPUTS_PER_INPUT {
            let Some(out) = self.nodes[node].engine.as_mut().and_then(|e| e.poll_output()) else {
                return self.reschedule(node);
            };
            self.output(node, out)?;
        }
        Err((
            "runaway",
            format!(
                "node{} produced more than {MAX_OUTPUTS_PER_INPUT} outputs for one input",
                node + 1
            ),
        ))
    }

    fn reschedule(&mut self, node: usize) -> Result<(), Violation> {
        let Some(deadline) = self.nodes[node].engine.as_ref().and_then(|e| e.poll_timeout()) else {
            self.nodes[node].wake = None;
            return Ok(());
        };
        let at = self.nodes[node].clock.true_time_of(deadline).max(self.now);
        if self.nodes[node].wake != Some(at) {
            self.nodes[node].wake = Some(at);
            self.queue.push(at, Ev::Wake { node });
        }
        Ok(())
    }

    fn output(&mut self, node: usize, out: EngineOutput) -> Result<(), Violation> {
        match out {
            EngineOutput::Transmit { medium, msg } => {
                self.check_generation(node, &msg)?;
                let sealed = if self.sc.classic_node == Some(node) {
                    self.auth.seal_classic(&msg)
                } else {
                    self.auth.seal(&msg)
                };
                let bytes = match sealed {
                    Ok(b) => b,
                    Err(err) => {
                        return Err((
                            "engine-output",
                            format!(
                                "node{} emitted a message that cannot be sealed: {err}: {}",
                                node + 1,
                                summary(&msg)
                            ),
                        ))
                    }
                };
                self.trace.record_line(self.now, "send", node, &bytes, || summary(&msg));
                let media: Vec<usize> = match medium {
                    Some(m) if m < self.sc.media => vec![m],
                    Some(_) => Vec::new(),
                    None => (0..self.sc.media).collect(),
                };
                for m in media {
                    self.send(node, m, &msg, &bytes);
                }
            }
            EngineOutput::RunAction(req) => {
                let ok = self.resources.monitor_ok(node, &req);
                let plan = plan_action(&mut self.action_rng, &self.actions, &req, ok);
                self.trace.record_line(self.now, "action", node, &[req.kind as u8], || {
                    format!(
                        "{:?} group {} member {:?} -> {:?} in {} ms",
                        req.kind, req.group, req.member, plan.outcome, plan.after_ms
                    )
                });
                self.fact(&Fact::ActionBegun { node, req: req.clone() })?;
                let r = req.clone();
                self.change_group(node, req.group, |res| {
                    res.begin(node, &r);
                })?;
                // A script that will fail or hang is a fault injected now: everything that
                // waits on it may legitimately be late from this moment.
                if plan.outcome != ActionOutcome::Success && req.kind != ActionKind::Monitor {
                    self.disturb();
                    self.fact(&Fact::ActionTrouble { node, group: req.group })?;
                }
                let boot = self.nodes[node].boots;
                let at = self.now.plus_millis(plan.after_ms);
                self.queue.push(at, Ev::ActionDone { node, boot, req, outcome: plan.outcome });
            }
            EngineOutput::Observe(obs) => {
                let text = format!("{obs:?}");
                self.trace.record_line(self.now, "event", node, text.as_bytes(), || text.clone());
                self.fact(&Fact::Observed { node, obs })?;
            }
            EngineOutput::Exited { restart } => self.exit(node, restart)?,
            EngineOutput::Fence { target } => self.fence_request(node, target)?,
            EngineOutput::PersistGeneration(g) => {
                let old = self.nodes[node].generation;
                if g <= old {
                    return Err((
                        "generation",
                        format!(
                            "node{} persisted generation {g}, not above the stored {old}",
                            node + 1
                        ),
                    ));
                }
                self.nodes[node].generation = g;
                self.nodes[node].persisted = true;
                self.trace.record(self.now, "persist", node, &g.to_le_bytes());
            }
        }
        Ok(())
    }

    /// Spec §6.5: a node persists its generation before its first packet and never sends a
    /// generation its state file does not hold (a crash would then make it reuse it).
    fn check_generation(&self, node: usize, msg: &hb_wire::Message) -> Result<(), Violation> {
        let slot = &self.nodes[node];
        if !slot.persisted {
            return Err((
                "generation",
                format!("node{} sent {} before persisting its generation", node + 1, summary(msg)),
            ));
        }
        let hg = msg.get_str("hg").and_then(|h| u64::from_str_radix(h, 16).ok());
        match hg {
            Some(h) if h > slot.generation => Err((
                "generation",
                format!(
                    "node{} sent hg={h:x} above its persisted generation {:x}",
                    node + 1,
                    slot.generation
                ),
            )),
            _ => Ok(()),
        }
    }

    fn send(&mut self, node: usize, medium: usize, msg: &hb_wire::Message, bytes: &[u8]) {
        let deliveries = self.net.send(&mut self.net_rng, self.now, node, medium, bytes);
        for d in deliveries {
            let ev = Ev::Deliver { to: d.to, medium: d.medium, bytes: d.bytes, kind: d.kind };
            self.queue.push(d.at, ev);
        }
        let p = *self.net.profile();
        if self.net_rng.chance_ppm(p.forge_ppm) {
            let to = self.net_rng.index(self.sc.nodes);
            let at = self.now.plus_micros(self.net_rng.range(p.delay_min_us, p.delay_max_us));
            let forged = match &self.forger {
                Some(f) => f.seal(msg).unwrap_or_default(),
                None => {
                    (0..self.net_rng.range(1, 200)).map(|_| self.net_rng.below(256) as u8).collect()
                }
            };
            self.queue
                .push(at, Ev::Deliver { to, medium, bytes: forged, kind: DeliveryKind::Corrupted });
        }
    }

    /// Applies a change to the resource model and reports the group's new state if it changed.
    fn change_group(
        &mut self,
        node: usize,
        group: usize,
        change: impl FnOnce(&mut crate::resources::Resources),
    ) -> Result<(), Violation> {
        let before = (self.resources.present(node, group), self.resources.running(node, group));
        change(&mut self.resources);
        let after = (self.resources.present(node, group), self.resources.running(node, group));
        if before.1 != after.1 {
            self.checks.group_changed(node, group, after.1, self.now);
        }
        if before != after {
            let (present, running) = after;
            self.trace.record_line(
                self.now,
                "group",
                node,
                &[group as u8, present as u8, running as u8],
                || format!("group {group} present={present} running={running}"),
            );
            self.fact(&Fact::Group { node, group, present, running })?;
        }
        Ok(())
    }
}

/// A one-line description of a message for the trace: type plus a few telling fields.
pub(crate) fn summary(msg: &hb_wire::Message) -> String {
    let mut s = msg.msg_type().unwrap_or("?").to_string();
    for f in ["st", "src", "dest", "seq", "hg", "rsc_hold", "info", "ipaddr", "isstable"] {
        if let Some(v) = msg.get_str(f) {
            s.push_str(&format!(" {f}={v}"));
        }
    }
    s
}
