//! The interface between the simulator and the engine under test. The simulator drives any
//! [`Engine`]; the real `hb_core::Node` is adapted to it in `core_adapter` (the only module that
//! knows the core's API), and tests wrap engines to inject deliberately wrong behaviour.

use crate::faults::AdminCmd;
use crate::scenario::Scenario;

/// A node's view of time at one instant: its monotonic clock and its wall clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    /// Monotonic microseconds (drifting, never jumps).
    pub mono_us: u64,
    /// Wall clock, Unix microseconds (drifting and stepping).
    pub wall_us: i64,
}

/// What kind of resource action the engine asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// Start (acquire).
    Start,
    /// Stop (release).
    Stop,
    /// Health check.
    Monitor,
}

/// A resource action request, in simulator terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionReq {
    /// Group index (position in `haresources`).
    pub group: usize,
    /// Member index within the group, or `None` for the whole group.
    pub member: Option<usize>,
    /// For a whole-group action (`member: None`): the first member it covers. 0 is every
    /// member; more is a restart in place from a failed member rightwards.
    pub from: usize,
    /// Start, stop or monitor.
    pub kind: ActionKind,
    /// Opaque handle the engine adapter needs to report completion.
    pub token: u64,
}

/// How an action ended, as the shell reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionOutcome {
    /// Exit status 0.
    Success,
    /// Non-zero exit.
    Failed,
    /// The shell killed it after its timeout.
    TimedOut,
}

/// Whether an admin request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminOutcome {
    /// Carried out.
    Completed,
    /// Explicitly refused or cancelled (with a reason the engine logged).
    Refused,
}

/// Something the engine reported that invariant checkers care about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observation {
    /// The engine declared a peer dead.
    PeerDead(usize),
    /// The engine saw a peer come up (or back).
    PeerUp(usize),
    /// An admin request finished.
    Admin(AdminOutcome),
    /// Anything else, for the trace only.
    Other(String),
}

/// One output of an engine, in simulator terms.
#[derive(Clone, Debug, PartialEq)]
pub enum EngineOutput {
    /// Send a message on one medium, or on every medium when `None`.
    Transmit {
        /// Medium index.
        medium: Option<usize>,
        /// The unsealed message; the simulator seals it with the node's authenticator.
        msg: hb_wire::Message,
    },
    /// Run a resource action.
    RunAction(ActionReq),
    /// An event for the checkers.
    Observe(Observation),
    /// Persist this generation number before sending anything more.
    PersistGeneration(u64),
    /// Fence (power off) this node, then report with [`Engine::handle_fence_done`].
    Fence {
        /// The node to fence.
        target: usize,
    },
    /// The engine finished a graceful shutdown and is inert. `restart` is true when it stopped
    /// in order to restart (heartbeat's partition-heal self-restart), so the shell starts a new
    /// process at once; false when an operator stopped it.
    Exited {
        /// Start again right away.
        restart: bool,
    },
}

/// A node engine the simulator can drive. Every `handle_*` call is followed by draining
/// [`Engine::poll_output`] and reading [`Engine::poll_timeout`].
pub trait Engine {
    /// A verified message arrived on `medium`.
    fn handle_message(&mut self, now: LocalTime, medium: usize, msg: hb_wire::Verified);
    /// The deadline returned by `poll_timeout` has passed.
    fn handle_timeout(&mut self, now: LocalTime);
    /// An admin command.
    fn handle_admin(&mut self, now: LocalTime, cmd: AdminCmd);
    /// A resource action finished.
    fn handle_action_done(&mut self, now: LocalTime, req: &ActionReq, outcome: ActionOutcome);
    /// The OS reported a link going up or down.
    fn handle_link_state(&mut self, now: LocalTime, medium: usize, up: bool);
    /// The wall clock was stepped (`now.wall_us` is the new reading).
    fn handle_wall_step(&mut self, now: LocalTime) {
        let _ = now;
    }
    /// The simulated pinger reports whether any ping node answers (only in scenarios with
    /// ping nodes; an engine assumes `true` until told otherwise).
    fn handle_ping_reach(&mut self, now: LocalTime, reachable: bool) {
        let _ = (now, reachable);
    }
    /// A fence request for `target` ended: `ok` when the target is powered off for sure.
    fn handle_fence_done(&mut self, now: LocalTime, target: usize, ok: bool) {
        let _ = (now, target, ok);
    }
    /// The check of member `member` of `group` turned failed (`--checks`); engines without
    /// health checks ignore it.
    fn handle_check_failed(&mut self, now: LocalTime, group: usize, member: usize, reason: String) {
        let _ = (now, group, member, reason);
    }
    /// The interface of `group`'s addresses lost carrier (`--checks`); engines without
    /// health checks ignore it.
    fn handle_carrier_lost(&mut self, now: LocalTime, group: usize, reason: String) {
        let _ = (now, group, reason);
    }
    /// The next output, if any.
    fn poll_output(&mut self) -> Option<EngineOutput>;
    /// The next local monotonic time (µs) at which the engine wants `handle_timeout`.
    fn poll_timeout(&self) -> Option<u64>;
}

/// Builds engines for nodes, at first boot and at each restart.
pub trait EngineFactory {
    /// A fresh engine for `node`, booting at `now` with persisted `generation` (the value the
    /// state file holds; the engine increments it) and a per-boot `seed`.
    fn boot(
        &self,
        scenario: &Scenario,
        node: usize,
        generation: u64,
        seed: u64,
        now: LocalTime,
    ) -> Result<Box<dyn Engine>, String>;
}
