//! The one module that knows `hb-core`'s API: it builds an `EngineConfig` from a scenario and
//! translates between the simulator's [`Engine`] interface and `hb_core::Node`'s inputs and
//! outputs. Everything else in the simulator is engine-agnostic.

use std::time::Duration;

use hb_core::{
    Action, ActionResult, AdminCommand, AutoFailback, EngineConfig, Event, GroupConfig, GroupId,
    HealthInput, HealthPolicy, Input, Instant, LinkId, Node, NodeStatus, Output,
    ResourceSet as CoreSet,
};

use crate::engine::{
    ActionKind, ActionOutcome, ActionReq, AdminOutcome, Engine, EngineFactory, EngineOutput,
    LocalTime, Observation,
};
use crate::faults::{AdminCmd, ResourceSet};
use crate::scenario::{FailbackMode, Scenario};

/// Boots real `hb_core::Node`s.
#[derive(Clone, Copy, Debug, Default)]
pub struct CoreFactory;

impl EngineFactory for CoreFactory {
    fn boot(
        &self,
        sc: &Scenario,
        node: usize,
        generation: u64,
        seed: u64,
        now: LocalTime,
    ) -> Result<Box<dyn Engine>, String> {
        let cfg = engine_config(sc, node, generation)?;
        let mut inner = Node::new(cfg, seed, instant(now)).map_err(|e| e.to_string())?;
        inner.handle_input(instant(now), Input::WallClock(wall_secs(now)));
        if sc.health.enabled {
            // As the daemon does at start-up: one policy per group of the monitors file.
            let policy = HealthPolicy {
                restarts: sc.health.restarts,
                window: Duration::from_millis(sc.health.window_ms),
            };
            for g in 0..sc.groups.len() {
                let group = GroupId(u16::try_from(g).map_err(|e| e.to_string())?);
                inner.handle_input(
                    instant(now),
                    Input::Health(HealthInput::Policy { group, policy }),
                );
            }
        }
        Ok(Box::new(CoreEngine { inner, names: names(sc), stop_requested: false, exited: false }))
    }
}

/// The configuration a node of this scenario runs with.
pub fn engine_config(sc: &Scenario, node: usize, generation: u64) -> Result<EngineConfig, String> {
    let mut nodes = names(sc);
    let local = nodes.get(node).cloned().ok_or_else(|| format!("no node {node}"))?;
    if let Some(listed) = &sc.partial_member {
        // This node's `ha.cf` has no `node` line for the last node.
        if !listed.get(node).copied().unwrap_or(true) {
            nodes.truncate(sc.nodes - 1);
        }
    }
    let mut uuid = [0x5au8; 16];
    // Persistent per node (the hb_uuid file survives restarts), distinct between nodes.
    uuid[..8].copy_from_slice(&(node as u64 + 1).to_be_bytes());
    let ms = Duration::from_millis;
    Ok(EngineConfig {
        local_node: local,
        links: (0..sc.media).map(|m| format!("eth{m}")).collect(),
        keepalive: ms(sc.timing.keepalive_ms),
        warntime: ms(sc.timing.warntime_ms),
        deadtime: ms(sc.timing.deadtime_ms),
        initdead: ms(sc.timing.initdead_ms),
        auto_failback: match sc.failback {
            FailbackMode::On => AutoFailback::On,
            FailbackMode::Off => AutoFailback::Off,
            FailbackMode::Legacy => AutoFailback::Legacy,
        },
        groups: sc
            .groups
            .iter()
            .map(|g| GroupConfig {
                name: g.resources.first().cloned().unwrap_or_default(),
                preferred_node: nodes.get(g.preferred).cloned().unwrap_or_default(),
                resources: g.resources.clone(),
            })
            .collect(),
        generation: u32::try_from(generation).map_err(|_| "generation overflow".to_string())?,
        uuid,
        max_rexmit_delay: ms(250),
        fencing: sc.arbitration.fencing.is_some(),
        nodes,
    })
}

fn names(sc: &Scenario) -> Vec<String> {
    (0..sc.nodes).map(|n| sc.node_name(n)).collect()
}

fn instant(now: LocalTime) -> Instant {
    Instant::from_nanos(now.mono_us.saturating_mul(1000))
}

fn wall_secs(now: LocalTime) -> u64 {
    u64::try_from(now.wall_us / 1_000_000).unwrap_or(1).max(1)
}

/// One real engine behind the simulator's interface.
struct CoreEngine {
    inner: Node,
    names: Vec<String>,
    /// An operator asked for the shutdown (so the process exits for good).
    stop_requested: bool,
    exited: bool,
}

impl CoreEngine {
    fn node_index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    fn translate(&mut self, out: Output) -> EngineOutput {
        match out {
            Output::Transmit { msg, link } => {
                EngineOutput::Transmit { medium: link.map(|l| usize::from(l.0)), msg }
            }
            Output::RunAction { group, action, from } => EngineOutput::RunAction(ActionReq {
                group: usize::from(group.0),
                member: None,
                from: usize::from(from),
                kind: match action {
                    Action::Start => ActionKind::Start,
                    Action::Stop => ActionKind::Stop,
                },
                token: 0,
            }),
            Output::PersistGeneration(g) => EngineOutput::PersistGeneration(u64::from(g)),
            Output::Event(ev) => EngineOutput::Observe(self.observation(ev)),
            Output::Fence { node } => match self.node_index(&node) {
                Some(target) => EngineOutput::Fence { target },
                None => EngineOutput::Observe(Observation::Other(format!("fence {node}?"))),
            },
            // The simulated nodes run without the lease arbiter (its rules are tested with a
            // store model in hb-core's `tests/lease.rs`).
            Output::Lease(req) => EngineOutput::Observe(Observation::Other(format!("{req:?}"))),
        }
    }

    fn observation(&mut self, ev: Event) -> Observation {
        match &ev {
            Event::NodeStatus { node, status: NodeStatus::Dead } => {
                if let Some(i) = self.node_index(node) {
                    return Observation::PeerDead(i);
                }
            }
            Event::NodeStatus { node, status: NodeStatus::Active | NodeStatus::Up } => {
                if let Some(i) = self.node_index(node) {
                    return Observation::PeerUp(i);
                }
            }
            Event::StandbyRefused { .. } => return Observation::Admin(AdminOutcome::Refused),
            Event::StandbyCompleted { .. } => return Observation::Admin(AdminOutcome::Completed),
            _ => {}
        }
        Observation::Other(format!("{ev:?}"))
    }
}

impl Engine for CoreEngine {
    fn handle_message(&mut self, now: LocalTime, medium: usize, msg: hb_wire::Verified) {
        let link = LinkId(u16::try_from(medium).unwrap_or(u16::MAX));
        self.inner.handle_input(instant(now), Input::Message { link, msg });
    }

    fn handle_timeout(&mut self, now: LocalTime) {
        self.inner.handle_input(instant(now), Input::Timeout);
    }

    fn handle_admin(&mut self, now: LocalTime, cmd: AdminCmd) {
        let set = |s: ResourceSet| match s {
            ResourceSet::All => CoreSet::All,
            ResourceSet::Local => CoreSet::Local,
            ResourceSet::Foreign | ResourceSet::Failback => CoreSet::Foreign,
        };
        let cmd = match cmd {
            AdminCmd::Standby(s) => AdminCommand::Standby(set(s)),
            AdminCmd::Takeover(s) => AdminCommand::Takeover(set(s)),
            AdminCmd::Shutdown => {
                self.stop_requested = true;
                AdminCommand::Shutdown
            }
        };
        self.inner.handle_input(instant(now), Input::Admin(cmd));
    }

    fn handle_action_done(&mut self, now: LocalTime, req: &ActionReq, outcome: ActionOutcome) {
        let group = GroupId(u16::try_from(req.group).unwrap_or(u16::MAX));
        let action = match req.kind {
            ActionKind::Start => Action::Start,
            ActionKind::Stop => Action::Stop,
            ActionKind::Monitor => return, // the core never asks for monitors
        };
        let result = match outcome {
            ActionOutcome::Success => ActionResult::Ok,
            ActionOutcome::Failed => ActionResult::Failed("simulated script failure".into()),
            ActionOutcome::TimedOut => ActionResult::TimedOut,
        };
        self.inner.handle_input(instant(now), Input::ActionDone { group, action, result });
    }

    fn handle_link_state(&mut self, now: LocalTime, medium: usize, up: bool) {
        let link = LinkId(u16::try_from(medium).unwrap_or(u16::MAX));
        self.inner.handle_input(instant(now), Input::LinkState { link, up });
    }

    fn handle_wall_step(&mut self, now: LocalTime) {
        self.inner.handle_input(instant(now), Input::WallClock(wall_secs(now)));
    }

    fn handle_ping_reach(&mut self, now: LocalTime, reachable: bool) {
        self.inner.handle_input(instant(now), Input::PingReach(reachable));
    }

    fn handle_fence_done(&mut self, now: LocalTime, target: usize, ok: bool) {
        let Some(node) = self.names.get(target).cloned() else { return };
        let detail = if ok { "powered off" } else { "simulated fencing failure" }.to_string();
        self.inner.handle_input(instant(now), Input::FenceDone { node, ok, detail });
    }

    fn handle_check_failed(&mut self, now: LocalTime, group: usize, member: usize, reason: String) {
        let Ok(g) = u16::try_from(group) else { return };
        let resource = u16::try_from(member).unwrap_or(u16::MAX);
        let input = HealthInput::ResourceFailed { group: GroupId(g), resource, reason };
        self.inner.handle_input(instant(now), Input::Health(input));
    }

    fn handle_carrier_lost(&mut self, now: LocalTime, group: usize, reason: String) {
        let Ok(g) = u16::try_from(group) else { return };
        let input = HealthInput::CarrierLost { group: GroupId(g), reason };
        self.inner.handle_input(instant(now), Input::Health(input));
    }

    fn poll_output(&mut self) -> Option<EngineOutput> {
        if let Some(out) = self.inner.poll_output() {
            return Some(self.translate(out));
        }
        if self.inner.is_shut_down() && !self.exited {
            self.exited = true;
            return Some(EngineOutput::Exited { restart: !self.stop_requested });
        }
        None
    }

    fn poll_timeout(&self) -> Option<u64> {
        self.inner.poll_timeout().map(|t| t.as_nanos().div_ceil(1000))
    }
}
