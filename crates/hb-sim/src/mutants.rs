//! Deliberately wrong engines, built by wrapping a correct one on one node, to show that the
//! checkers catch real mistakes: declaring a peer dead (and taking its groups) at warntime
//! instead of deadtime, losing the completion of group starts, restarting groups for no
//! reason, ignoring operator requests, never taking over a peer's groups, and three ways of
//! defeating ping-node arbitration and fencing.

use crate::engine::{
    ActionKind, ActionOutcome, ActionReq, Engine, EngineFactory, EngineOutput, LocalTime,
    Observation,
};
use crate::faults::AdminCmd;
use crate::scenario::Scenario;

/// The wrong rule to inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutation {
    /// Declare a silent peer dead after `warntime` and start its groups.
    DeadAtWarntime,
    /// Never tell the engine that a start finished.
    DropStartDone,
    /// Every 10 s from 30 s after boot, restart the node's own groups for no reason.
    Flap,
    /// Swallow `hb_standby` / `hb_takeover` without an answer.
    IgnoreAdmin,
    /// Never start a group whose preferred node is another node.
    NoForeignStart,
    /// Never ask the shell to persist the generation (a restart would reuse it).
    ForgetGeneration,
    /// Never hear that the ping nodes stopped answering.
    IgnorePingLoss,
    /// Answer its own fence requests with success at once, without fencing anything.
    SkipFence,
    /// Hear every fencing failure as a success.
    IgnoreFenceFailure,
}

/// Every mutation, for parsing and tests.
pub const ALL_MUTATIONS: [Mutation; 9] = [
    Mutation::DeadAtWarntime,
    Mutation::DropStartDone,
    Mutation::Flap,
    Mutation::IgnoreAdmin,
    Mutation::NoForeignStart,
    Mutation::ForgetGeneration,
    Mutation::IgnorePingLoss,
    Mutation::SkipFence,
    Mutation::IgnoreFenceFailure,
];

/// Token marking actions the mutant itself injected (their completions are swallowed).
const INJECTED: u64 = 0xf1a9;
/// When flapping starts, after boot, and how often it repeats (µs).
const FLAP_AFTER_US: u64 = 30_000_000;
const FLAP_EVERY_US: u64 = 10_000_000;

impl Mutation {
    /// Command-line spelling.
    pub fn name(self) -> &'static str {
        match self {
            Mutation::DeadAtWarntime => "dead-at-warntime",
            Mutation::DropStartDone => "drop-start-done",
            Mutation::Flap => "flap",
            Mutation::IgnoreAdmin => "ignore-admin",
            Mutation::NoForeignStart => "no-foreign-start",
            Mutation::ForgetGeneration => "forget-generation",
            Mutation::IgnorePingLoss => "ignore-ping-loss",
            Mutation::SkipFence => "skip-fence",
            Mutation::IgnoreFenceFailure => "ignore-fence-failure",
        }
    }

    /// Parses the command-line spelling.
    pub fn parse(s: &str) -> Option<Mutation> {
        ALL_MUTATIONS.into_iter().find(|m| m.name() == s)
    }
}

/// Wraps `inner`'s engine on node `node` with `mutation`; other nodes are left correct.
pub struct Mutant {
    /// Factory of the correct engine.
    pub inner: Box<dyn EngineFactory>,
    /// The node that gets the wrong rule.
    pub node: usize,
    /// The wrong rule.
    pub mutation: Mutation,
}

impl EngineFactory for Mutant {
    fn boot(
        &self,
        sc: &Scenario,
        node: usize,
        generation: u64,
        seed: u64,
        now: LocalTime,
    ) -> Result<Box<dyn Engine>, String> {
        let engine = self.inner.boot(sc, node, generation, seed, now)?;
        if node != self.node {
            return Ok(engine);
        }
        Ok(Box::new(MutantEngine {
            inner: engine,
            mutation: self.mutation,
            me: node,
            names: (0..sc.nodes).map(|n| sc.node_name(n)).collect(),
            preferred: sc.groups.iter().map(|g| g.preferred).collect(),
            warntime_us: sc.timing.warntime_ms * 1000,
            last_heard: vec![None; sc.nodes],
            declared: vec![false; sc.nodes],
            extra: Vec::new(),
            next_flap_us: now.mono_us + FLAP_AFTER_US,
            last_now: now,
        }))
    }
}

struct MutantEngine {
    inner: Box<dyn Engine>,
    mutation: Mutation,
    me: usize,
    names: Vec<String>,
    preferred: Vec<usize>,
    warntime_us: u64,
    last_heard: Vec<Option<u64>>,
    declared: Vec<bool>,
    extra: Vec<EngineOutput>,
    next_flap_us: u64,
    /// The time of the latest input (for answers the mutant gives itself).
    last_now: LocalTime,
}

impl MutantEngine {
    fn early_deadline(&self) -> Option<u64> {
        (0..self.names.len())
            .filter(|p| *p != self.me && !self.declared[*p])
            .filter_map(|p| self.last_heard[p].map(|t| t + self.warntime_us))
            .min()
    }
}

impl Engine for MutantEngine {
    fn handle_message(&mut self, now: LocalTime, medium: usize, msg: hb_wire::Verified) {
        self.last_now = now;
        if msg.msg_type() == Some("status") {
            if let Some(p) = msg.get_str("src").and_then(|s| self.names.iter().position(|n| n == s))
            {
                self.last_heard[p] = Some(now.mono_us);
                self.declared[p] = false;
            }
        }
        self.inner.handle_message(now, medium, msg);
    }

    fn handle_timeout(&mut self, now: LocalTime) {
        self.last_now = now;
        if self.mutation == Mutation::DeadAtWarntime {
            for p in 0..self.names.len() {
                let due = self.last_heard[p].is_some_and(|t| now.mono_us >= t + self.warntime_us);
                if p != self.me && !self.declared[p] && due {
                    self.declared[p] = true;
                    self.extra.push(EngineOutput::Observe(Observation::PeerDead(p)));
                    for (g, pref) in self.preferred.iter().enumerate() {
                        if *pref == p {
                            let req = ActionReq {
                                group: g,
                                member: None,
                                from: 0,
                                kind: ActionKind::Start,
                                token: 0,
                            };
                            self.extra.push(EngineOutput::RunAction(req));
                        }
                    }
                }
            }
        }
        if self.mutation == Mutation::Flap && now.mono_us >= self.next_flap_us {
            self.next_flap_us = now.mono_us + FLAP_EVERY_US;
            for (g, pref) in self.preferred.iter().enumerate() {
                if *pref == self.me {
                    let req = ActionReq {
                        group: g,
                        member: None,
                        from: 0,
                        kind: ActionKind::Stop,
                        token: INJECTED,
                    };
                    self.extra.push(EngineOutput::RunAction(req));
                }
            }
        }
        if self.inner.poll_timeout().is_some_and(|t| now.mono_us >= t) {
            self.inner.handle_timeout(now);
        }
    }

    fn handle_admin(&mut self, now: LocalTime, cmd: AdminCmd) {
        self.last_now = now;
        if self.mutation == Mutation::IgnoreAdmin && cmd != AdminCmd::Shutdown {
            return;
        }
        self.inner.handle_admin(now, cmd);
    }

    fn handle_action_done(&mut self, now: LocalTime, req: &ActionReq, outcome: ActionOutcome) {
        self.last_now = now;
        if req.token == INJECTED {
            // Our own flap: bring the group back after stopping it.
            if req.kind == ActionKind::Stop {
                let start = ActionReq { kind: ActionKind::Start, ..req.clone() };
                self.extra.push(EngineOutput::RunAction(start));
            }
            return;
        }
        if self.mutation == Mutation::DropStartDone && req.kind == ActionKind::Start {
            return;
        }
        self.inner.handle_action_done(now, req, outcome);
    }

    fn handle_link_state(&mut self, now: LocalTime, medium: usize, up: bool) {
        self.last_now = now;
        self.inner.handle_link_state(now, medium, up);
    }

    fn handle_wall_step(&mut self, now: LocalTime) {
        self.last_now = now;
        self.inner.handle_wall_step(now);
    }

    fn handle_ping_reach(&mut self, now: LocalTime, reachable: bool) {
        self.last_now = now;
        if self.mutation == Mutation::IgnorePingLoss && !reachable {
            return;
        }
        self.inner.handle_ping_reach(now, reachable);
    }

    fn handle_fence_done(&mut self, now: LocalTime, target: usize, ok: bool) {
        self.last_now = now;
        let ok = ok || self.mutation == Mutation::IgnoreFenceFailure;
        self.inner.handle_fence_done(now, target, ok);
    }

    fn handle_carrier_lost(&mut self, now: LocalTime, group: usize, reason: String) {
        self.last_now = now;
        self.inner.handle_carrier_lost(now, group, reason);
    }

    fn handle_check_failed(&mut self, now: LocalTime, group: usize, member: usize, reason: String) {
        self.last_now = now;
        self.inner.handle_check_failed(now, group, member, reason);
    }

    fn poll_output(&mut self) -> Option<EngineOutput> {
        if !self.extra.is_empty() {
            return Some(self.extra.remove(0));
        }
        loop {
            let out = self.inner.poll_output()?;
            if self.mutation == Mutation::ForgetGeneration
                && matches!(out, EngineOutput::PersistGeneration(_))
            {
                continue;
            }
            if let (Mutation::SkipFence, EngineOutput::Fence { target }) = (self.mutation, &out) {
                let (now, target) = (self.last_now, *target);
                self.inner.handle_fence_done(now, target, true);
                continue;
            }
            if let EngineOutput::RunAction(req) = &out {
                let foreign = self.preferred.get(req.group).is_some_and(|p| *p != self.me);
                if self.mutation == Mutation::NoForeignStart
                    && req.kind == ActionKind::Start
                    && foreign
                {
                    continue;
                }
            }
            return Some(out);
        }
    }

    fn poll_timeout(&self) -> Option<u64> {
        let inner = self.inner.poll_timeout();
        let own = match self.mutation {
            Mutation::DeadAtWarntime => self.early_deadline(),
            Mutation::Flap => Some(self.next_flap_us),
            _ => None,
        };
        match (inner, own) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
