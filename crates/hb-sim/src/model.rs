//! A deliberately small reference engine used to test the simulator itself (and as a control
//! in the checker tests): it sends `t=status` every keepalive on every medium, declares a peer
//! dead after deadtime (initdead before it first heard it), and runs each group on its
//! preferred node if that node looks alive, else on the lowest-numbered live node. It is not
//! heartbeat-compatible and implements no standby protocol (admin requests are refused).

use hb_wire::Message;

use crate::engine::{
    ActionKind, ActionOutcome, ActionReq, AdminOutcome, Engine, EngineFactory, EngineOutput,
    LocalTime, Observation,
};
use crate::faults::AdminCmd;
use crate::scenario::Scenario;
use std::collections::VecDeque;

/// Builds [`ModelEngine`]s.
#[derive(Clone, Copy, Debug, Default)]
pub struct ModelFactory;

impl EngineFactory for ModelFactory {
    fn boot(
        &self,
        sc: &Scenario,
        node: usize,
        generation: u64,
        _seed: u64,
        now: LocalTime,
    ) -> Result<Box<dyn Engine>, String> {
        Ok(Box::new(ModelEngine::new(sc, node, generation + 1, now)))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Held {
    No,
    Starting,
    Yes,
    Stopping,
}

/// The reference engine (see the module documentation).
pub struct ModelEngine {
    me: usize,
    names: Vec<String>,
    preferred: Vec<usize>,
    keepalive_us: u64,
    deadtime_us: u64,
    initdead_us: u64,
    booted_us: u64,
    generation: u64,
    seq: u64,
    next_status_us: u64,
    /// Per peer: last status time, (generation, seq) seen, alive flag.
    last_heard: Vec<Option<u64>>,
    seen: Vec<(u64, u64)>,
    alive: Vec<bool>,
    held: Vec<Held>,
    shutting_down: bool,
    exited: bool,
    out: VecDeque<EngineOutput>,
}

impl ModelEngine {
    /// Boots with generation `generation` (already incremented).
    pub fn new(sc: &Scenario, me: usize, generation: u64, now: LocalTime) -> ModelEngine {
        let mut e = ModelEngine {
            me,
            names: (0..sc.nodes).map(|n| sc.node_name(n)).collect(),
            preferred: sc.groups.iter().map(|g| g.preferred).collect(),
            keepalive_us: sc.timing.keepalive_ms * 1000,
            deadtime_us: sc.timing.deadtime_ms * 1000,
            initdead_us: sc.timing.initdead_ms * 1000,
            booted_us: now.mono_us,
            generation,
            seq: 0,
            next_status_us: now.mono_us,
            last_heard: vec![None; sc.nodes],
            seen: vec![(0, 0); sc.nodes],
            alive: (0..sc.nodes).map(|n| n == me).collect(),
            held: vec![Held::No; sc.groups.len()],
            shutting_down: false,
            exited: false,
            out: VecDeque::new(),
        };
        e.out.push_back(EngineOutput::PersistGeneration(generation));
        e
    }

    fn status(&mut self, now: LocalTime) {
        self.seq += 1;
        let mut m = Message::new();
        m.push_str("t", "status");
        m.push_str("st", "active");
        m.push_str("dt", &format!("{:x}", self.deadtime_us / 1000));
        m.push_str("src", &self.names[self.me]);
        m.push_str("seq", &format!("{:x}", self.seq));
        m.push_str("hg", &format!("{:x}", self.generation));
        m.push_str("ts", &format!("{:x}", (now.wall_us / 1_000_000).max(1)));
        self.out.push_back(EngineOutput::Transmit { medium: None, msg: m });
    }

    fn check_peers(&mut self, now: LocalTime) {
        for p in 0..self.alive.len() {
            if p == self.me {
                continue;
            }
            let limit = match self.last_heard[p] {
                Some(t) => t + self.deadtime_us,
                None => self.booted_us + self.initdead_us,
            };
            if self.alive[p] && now.mono_us > limit {
                self.alive[p] = false;
                self.out.push_back(EngineOutput::Observe(Observation::PeerDead(p)));
            }
        }
    }

    /// Starts what should run here, stops what should not.
    fn reconcile(&mut self, now: LocalTime) {
        if self.exited {
            return;
        }
        if self.shutting_down {
            for g in 0..self.held.len() {
                if self.held[g] == Held::Yes {
                    self.held[g] = Held::Stopping;
                    let req = ActionReq {
                        group: g,
                        member: None,
                        from: 0,
                        kind: ActionKind::Stop,
                        token: 0,
                    };
                    self.out.push_back(EngineOutput::RunAction(req));
                }
            }
            if self.held.iter().all(|h| *h == Held::No) {
                self.exited = true;
                self.out.push_back(EngineOutput::Exited { restart: false });
            }
            return;
        }
        if now.mono_us < self.booted_us + self.initdead_us
            && self.last_heard.iter().enumerate().any(|(p, h)| p != self.me && h.is_none())
        {
            return; // still waiting for peers
        }
        for g in 0..self.held.len() {
            let pref = self.preferred[g];
            let owner = if self.alive[pref] {
                pref
            } else {
                self.alive.iter().position(|a| *a).unwrap_or(self.me)
            };
            let kind = match (owner == self.me, self.held[g]) {
                (true, Held::No) => ActionKind::Start,
                (false, Held::Yes) => ActionKind::Stop,
                _ => continue,
            };
            self.held[g] = if kind == ActionKind::Start { Held::Starting } else { Held::Stopping };
            let req = ActionReq { group: g, member: None, from: 0, kind, token: g as u64 };
            self.out.push_back(EngineOutput::RunAction(req));
        }
    }
}

impl Engine for ModelEngine {
    fn handle_message(&mut self, now: LocalTime, _medium: usize, msg: hb_wire::Verified) {
        if msg.msg_type() != Some("status") {
            return;
        }
        let Some(p) = msg.get_str("src").and_then(|s| self.names.iter().position(|n| n == s))
        else {
            return;
        };
        let hex = |f: &str| msg.get_str(f).and_then(|v| u64::from_str_radix(v, 16).ok());
        let (Some(hg), Some(seq)) = (hex("hg"), hex("seq")) else { return };
        if p == self.me || (hg, seq) <= self.seen[p] {
            return; // own packet, replay or duplicate
        }
        self.seen[p] = (hg, seq);
        self.last_heard[p] = Some(now.mono_us);
        if !self.alive[p] {
            self.alive[p] = true;
            self.out.push_back(EngineOutput::Observe(Observation::PeerUp(p)));
        }
        self.reconcile(now);
    }

    fn handle_timeout(&mut self, now: LocalTime) {
        if now.mono_us >= self.next_status_us {
            self.status(now);
            self.next_status_us = now.mono_us + self.keepalive_us;
        }
        self.check_peers(now);
        self.reconcile(now);
    }

    fn handle_admin(&mut self, now: LocalTime, cmd: AdminCmd) {
        if cmd == AdminCmd::Shutdown {
            self.shutting_down = true;
            self.reconcile(now);
            return;
        }
        self.out.push_back(EngineOutput::Observe(Observation::Admin(AdminOutcome::Refused)));
    }

    fn handle_action_done(&mut self, now: LocalTime, req: &ActionReq, outcome: ActionOutcome) {
        let Some(h) = self.held.get_mut(req.group) else { return };
        *h = match (req.kind, outcome) {
            (ActionKind::Start, ActionOutcome::Success) => Held::Yes,
            // A failed start is cleaned up by a stop; the next reconcile retries.
            (ActionKind::Start, _) => {
                let stop = ActionReq { kind: ActionKind::Stop, ..req.clone() };
                self.out.push_back(EngineOutput::RunAction(stop));
                Held::Stopping
            }
            (ActionKind::Stop, _) => Held::No,
            (ActionKind::Monitor, _) => *h,
        };
        self.reconcile(now);
    }

    fn handle_link_state(&mut self, _now: LocalTime, _medium: usize, _up: bool) {}

    fn poll_output(&mut self) -> Option<EngineOutput> {
        self.out.pop_front()
    }

    fn poll_timeout(&self) -> Option<u64> {
        // Wake at the next status, and in time to notice each peer's death.
        let mut next = self.next_status_us;
        for (p, h) in self.last_heard.iter().enumerate() {
            if p != self.me && self.alive[p] {
                let limit =
                    h.map_or(self.booted_us + self.initdead_us, |t| t + self.deadtime_us) + 1;
                next = next.min(limit);
            }
        }
        Some(next)
    }
}
