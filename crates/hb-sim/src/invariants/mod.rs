//! Invariant checkers, one per file. The world feeds every checker the same stream of
//! [`Fact`]s (ground truth: faults, real deliveries, real resource state, what engines
//! reported) together with a [`View`] of the cluster at that instant; a checker answers with a
//! violation message or nothing. Each checker counts how often it actually judged something,
//! so a sweep can show that no checker passes vacuously.

mod admin_completes;
mod arbitrated_owner;
mod carrier_leaves;
mod convergence;
mod failed_check_leaves;
mod failover_deadline;
mod fence_before_takeover;
mod fence_failure_blocks;
mod isolated_releases;
mod liveness;
mod moves_per_window;
mod no_false_death;
mod no_flapping;
mod no_isolated_takeover;
mod restart_scope;
mod single_owner;

pub use admin_completes::AdminCompletes;
pub use arbitrated_owner::ArbitratedOwner;
pub use carrier_leaves::CarrierLeaves;
pub use convergence::Convergence;
pub use failed_check_leaves::FailedCheckLeaves;
pub use failover_deadline::FailoverDeadline;
pub use fence_before_takeover::FenceBeforeTakeover;
pub use fence_failure_blocks::FenceFailureBlocks;
pub use isolated_releases::IsolatedReleases;
pub use liveness::Liveness;
pub use moves_per_window::MovesPerWindow;
pub use no_false_death::NoFalseDeath;
pub use no_flapping::NoFlapping;
pub use no_isolated_takeover::NoIsolatedTakeover;
pub use restart_scope::RestartScope;
pub use single_owner::SingleOwner;

use crate::engine::Observation;
use crate::faults::Fault;
use crate::resources::Resources;
use crate::scenario::{Knobs, Scenario};
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
    /// The simulated pinger told a node's engine whether its ping nodes answer.
    PingReported {
        /// The node.
        node: usize,
        /// What it was told.
        reachable: bool,
    },
    /// A node's engine asked for `target` to be fenced.
    FenceRequested {
        /// The requester.
        by: usize,
        /// The node to fence.
        target: usize,
    },
    /// A fence request ended and its requester was told; `ok`: the target is powered off.
    FenceDone {
        /// The requester.
        by: usize,
        /// The fenced node.
        target: usize,
        /// Success.
        ok: bool,
    },
    /// The simulated check runner reported a failed check of `group` to `node`'s engine.
    CheckFailed {
        /// The node.
        node: usize,
        /// The group.
        group: usize,
        /// The member the check watches.
        member: usize,
    },
    /// `node`'s address interface lost carrier under `groups` (those running there), and
    /// its engine is about to be told.
    CarrierLost {
        /// The node.
        node: usize,
        /// The groups reported.
        groups: Vec<usize>,
    },
    /// The engine of `node` finished reacting to a [`Fact::CheckFailed`] (its outputs ran).
    CheckHandled {
        /// The node.
        node: usize,
        /// The group.
        group: usize,
    },
    /// An engine asked for a resource action, and it began.
    ActionBegun {
        /// The node.
        node: usize,
        /// The request.
        req: crate::engine::ActionReq,
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
    /// When each node last booted (kept while it is down).
    pub last_boot: &'a [Option<SimTime>],
    /// Whose uplink reaches its ping nodes (ground truth).
    pub uplink: &'a [bool],
    /// What each node's current engine was last told about its ping nodes.
    pub ping_reported: &'a [Option<bool>],
    /// `hears[from][to]`: datagrams from `from` can reach `to` on some medium.
    pub hears: &'a [Vec<bool>],
    /// `check_mode[node][group]`: what the group's check answers there (`--checks`).
    pub check_mode: &'a [Vec<crate::checks::CheckMode>],
    /// `carrier[node]`: the node's address interface has carrier (`--checks`).
    pub carrier: &'a [bool],
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

    /// Whether `node` is cut off from everything: alive, its uplink down, and no live peer's
    /// datagrams reach it.
    pub fn isolated(&self, node: usize) -> bool {
        self.alive.get(node).copied().unwrap_or(false)
            && !self.uplink.get(node).copied().unwrap_or(true)
            && (0..self.scenario.nodes).all(|p| {
                p == node
                    || !self.alive[p]
                    || !self.hears.get(p).and_then(|r| r.get(node)).copied().unwrap_or(false)
            })
    }

    /// The dead interval peers may apply to a heartbeat heard at `at`: heartbeat advertises
    /// `deadtime` + 2 s during its first 5 s, and peers honour the advertised value.
    pub fn dead_interval_ms(&self, at: SimTime) -> u64 {
        let bumped = self.last_boot.iter().flatten().any(|b| at < b.plus_millis(5_000));
        self.scenario.timing.deadtime_ms + if bumped { 2_000 } else { 0 }
    }

    /// Slack for arbitration deadlines: datagrams still in flight when a cut happens (delay,
    /// reordering, duplicates), clock drift on the timers, fencing, and each group's scripts
    /// twice (a start under way, then its stop), plus one second.
    pub fn arbitration_slack_us(&self) -> u64 {
        let sc = self.scenario;
        let t = &sc.timing;
        let timers_ms = t.keepalive_ms + sc.arbitration.fence_max_ms();
        // Groups run their scripts in parallel, members one after another; a script only runs
        // to the shell's timeout when scripts may hang.
        let a = &sc.actions;
        let per_action_ms =
            if a.start_hang_ppm > 0 { a.max_ms.max(a.timeout_ms) } else { a.max_ms };
        let members = sc.groups.iter().map(|g| g.resources.len()).max().unwrap_or(0) as u64;
        3 * sc.net.delay_max_us
            + crate::net::REORDER_MAX_US
            + (t.deadtime_ms.max(t.initdead_ms) + sc.arbitration.deadping_ms) * 5
            + (timers_ms + 2 * members * per_action_ms + 1_000) * 1000
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
        Box::new(Liveness::default()),
        Box::new(NoIsolatedTakeover::default()),
        Box::new(FenceFailureBlocks::default()),
        Box::new(FenceBeforeTakeover::default()),
        Box::new(IsolatedReleases::default()),
        Box::new(ArbitratedOwner::default()),
        Box::new(FailedCheckLeaves::default()),
        Box::new(MovesPerWindow::default()),
        Box::new(RestartScope::default()),
        Box::new(CarrierLeaves::default()),
    ]
}

/// Fewest seeds a sweep needs before [`expected_to_check`] is enforced on it.
pub const MIN_SWEEP_SEEDS: u64 = 20;

/// The checkers that must each have judged something over a sweep of at least
/// [`MIN_SWEEP_SEEDS`] seeds drawn with `knobs`: a checker that never checks cannot fail, so
/// such a sweep proves nothing about its promise. Explicit fault scripts and mutants are the
/// caller's own experiment and expect nothing.
pub fn expected_to_check(knobs: &Knobs) -> Vec<&'static str> {
    if knobs.script.is_some() || knobs.mutant.is_some() {
        return Vec::new();
    }
    if knobs.quiet {
        return vec!["single-owner", "no-flapping", "convergence", "liveness"];
    }
    let mut names = vec![
        "single-owner",
        "failover-deadline",
        "no-flapping",
        "no-false-death",
        "admin-completes",
        "convergence",
        "liveness",
    ];
    if knobs.arbitration {
        names.extend([
            "no-isolated-takeover",
            "fence-failure-blocks",
            "fence-before-takeover",
            "isolated-releases",
            "arbitrated-owner",
        ]);
    }
    if knobs.checks {
        names.extend([
            "failed-check-leaves",
            "moves-per-window",
            "restart-scope",
            "carrier-leaves",
        ]);
    }
    names
}
