//! Invariant checkers, one per file. The world feeds every checker the same stream of
//! [`Fact`]s (ground truth: faults, real deliveries, real resource state, what engines
//! reported) together with a [`View`] of the cluster at that instant; a checker answers with a
//! violation message or nothing. Each checker counts how often it actually judged something,
//! so a sweep can show that no checker passes vacuously.

mod admin_completes;
mod convergence;
mod failover_deadline;
mod no_false_death;
mod no_flapping;
mod single_owner;

pub use admin_completes::AdminCompletes;
pub use convergence::Convergence;
pub use failover_deadline::FailoverDeadline;
pub use no_false_death::NoFalseDeath;
pub use no_flapping::NoFlapping;
pub use single_owner::SingleOwner;

use crate::engine::Observation;
use crate::faults::Fault;
use crate::resources::Resources;
use crate::scenario::Scenario;
use crate::time::{SimTime, MAX_DRIFT_PPM};

/// Something that happened, as the checkers see it.
#[derive(Clone, Debug, PartialEq)]
pub enum Fact {
    /// A node's engine booted (first start or restart).
    Booted(usize),
    /// A node crashed; `held` lists the groups present on it just before.
    Crashed {
        /// The node.
        node: usize,
        /// Groups present on it when it died.
        held: Vec<usize>,
        /// Last disturbance before this crash.
        quiet_since: SimTime,
    },
    /// A node's engine shut down gracefully and its process exited.
    Exited(usize),
    /// Any other fault was applied.
    Fault(Fault),
    /// A `t=status` from `from` (generation, seq) was handed to `to`'s engine; `fresh` when it
    /// is newer than every status `to` was handed from `from` before.
    Status {
        /// Sender.
        from: usize,
        /// Receiver.
        to: usize,
        /// Newer than anything delivered before on this path.
        fresh: bool,
        /// An old datagram replayed by the network (not proof that the sender lives now).
        replay: bool,
    },
    /// A group's real state on a node changed.
    Group {
        /// The node.
        node: usize,
        /// The group.
        group: usize,
        /// Present (any trace of it) after the change.
        present: bool,
        /// Fully running after the change.
        running: bool,
    },
    /// An engine reported something.
    Observed {
        /// The reporting node.
        node: usize,
        /// What it said.
        obs: Observation,
    },
    /// A standby or takeover command was handed to a node's engine.
    AdminIssued {
        /// The node.
        node: usize,
        /// True for `hb_takeover` (whose outcome the *other* node reports).
        takeover: bool,
    },
    /// A resource action failed or hung (a disturbance).
    ActionTrouble {
        /// The node.
        node: usize,
        /// The group.
        group: usize,
    },
    /// The heal phase began: faults repaired, network clean from now on.
    HealStart,
    /// Periodic check point.
    Tick,
}

/// The cluster at the instant of a fact.
pub struct View<'a> {
    /// Now.
    pub now: SimTime,
    /// The scenario.
    pub scenario: &'a Scenario,
    /// Which machines are up.
    pub alive: &'a [bool],
    /// Real resource state.
    pub resources: &'a Resources,
    /// Last time anything that may legitimately move groups happened (fault, boot, script
    /// trouble, a real heartbeat gap of deadtime between live nodes).
    pub last_disturbance: SimTime,
    /// Whether every pair of live nodes can currently exchange packets both ways.
    pub connected: bool,
    /// Last time a status from node `b` was freshly delivered to node `a` (replays excluded):
    /// `last_fresh[a][b]`.
    pub last_fresh: &'a [Vec<Option<SimTime>>],
    /// When each node's current engine booted (None while crashed).
    pub booted_at: &'a [Option<SimTime>],
}

impl View<'_> {
    /// Microseconds since the last disturbance.
    pub fn quiet_for_us(&self) -> u64 {
        self.now.since(self.last_disturbance)
    }

    /// Time for a connected cluster to get back to at most one holder per group after a
    /// disturbance: start-up (initdead), a death decision, the partition-heal restart (2 s) and
    /// every script once, with slack.
    pub fn safety_settle_us(&self) -> u64 {
        self.scenario.safety_settle_ms() * 1000
    }

    /// Time after which a healthy cluster must have stopped moving groups: the safety settle
    /// time plus heartbeat's fixed delays (RQSTDELAY 10 s for simultaneous start, the failback
    /// standby exchange) with slack.
    pub fn quiet_settle_us(&self) -> u64 {
        self.scenario.quiet_settle_ms() * 1000
    }

    /// `deadtime` shortened by the worst clock drift: no correct node can time a peer out in
    /// less real time than this.
    pub fn min_dead_interval_us(&self) -> u64 {
        let dt = self.scenario.timing.deadtime_ms * 1000;
        dt - dt * (2 * MAX_DRIFT_PPM as u64 + 500) / 1_000_000
    }
}

/// One invariant.
pub trait Invariant {
    /// Short name used in reports.
    fn name(&self) -> &'static str;
    /// Judges one fact; `Err` carries the violation description.
    fn observe(&mut self, fact: &Fact, view: &View<'_>) -> Result<(), String>;
    /// End of the run.
    fn finish(&mut self, view: &View<'_>) -> Result<(), String> {
        let _ = view;
        Ok(())
    }
    /// How many times this checker actually judged something (not vacuous).
    fn checks(&self) -> u64;
}

/// The standard set of checkers, in report order.
pub fn standard() -> Vec<Box<dyn Invariant>> {
    vec![
        Box::new(SingleOwner::default()),
        Box::new(FailoverDeadline::default()),
        Box::new(NoFlapping::default()),
        Box::new(NoFalseDeath::default()),
        Box::new(AdminCompletes::default()),
        Box::new(Convergence::default()),
    ]
}
