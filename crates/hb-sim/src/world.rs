//! The simulated world: nodes (engine, clock, persisted generation, authenticator), the
//! network, the resources, the fault schedule and the checkers, driven by one event queue on a
//! virtual clock that jumps to the next event. [`run`] executes one scenario.

use hb_wire::{AuthKey, AuthMethod, Authenticator};

use crate::engine::{ActionOutcome, ActionReq, EngineFactory, LocalTime};
use crate::faults::Fault;
use crate::invariants::{self, Fact, Invariant, View};
use crate::net::{DeliveryKind, Network};
use crate::queue::EventQueue;
use crate::report::{Failure, RunReport};
use crate::resources::Resources;
use crate::rng::SimRng;
use crate::scenario::{ActionProfile, AuthChoice, Scenario};
use crate::time::{NodeClock, SimTime};
use crate::trace::Trace;

mod arbitration;
mod checks;
mod drive;
mod lifecycle;

/// Hard limit on processed events per run (a livelocked engine is reported, not waited for).
pub const MAX_EVENTS: u64 = 20_000_000;
/// Hard limit on engine outputs drained after one input.
pub const MAX_OUTPUTS_PER_INPUT: usize = 10_000;
/// Unix time the simulated wall clocks start near.
const WALL_EPOCH: i64 = 1_795_000_000;

/// Options of one run that do not change what happens in it.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    /// Keep readable trace lines for failure reports (slower).
    pub trace_lines: bool,
    /// Print every trace line to standard error as it happens.
    pub log: bool,
}

/// Runs `scenario` with engines from `factory` and every standard checker.
pub fn run(
    scenario: &Scenario,
    factory: &dyn EngineFactory,
    opts: RunOptions,
) -> Result<RunReport, Failure> {
    run_with(scenario, factory, opts, invariants::standard())
}

/// Runs `scenario` with a chosen set of checkers.
pub fn run_with(
    scenario: &Scenario,
    factory: &dyn EngineFactory,
    opts: RunOptions,
    checkers: Vec<Box<dyn Invariant>>,
) -> Result<RunReport, Failure> {
    let (auth, forger) = authenticators(scenario).map_err(|detail| Failure {
        seed: scenario.seed,
        invariant: "setup",
        at: SimTime::ZERO,
        detail,
        replay: scenario.replay_command(),
        tail: Vec::new(),
    })?;
    let mut world = World::new(scenario, factory, opts, checkers, auth, forger);
    let result = world.run_all();
    result.map_err(|(invariant, detail)| Failure {
        seed: scenario.seed,
        invariant,
        at: world.now,
        detail,
        replay: scenario.replay_command(),
        tail: world.trace.tail().cloned().collect(),
    })
}

/// Events in the queue.
enum Ev {
    Deliver { to: usize, medium: usize, bytes: Vec<u8>, kind: DeliveryKind },
    Wake { node: usize },
    ActionDone { node: usize, boot: u64, req: ActionReq, outcome: ActionOutcome },
    Fault(Fault),
    Reboot { node: usize },
    PingReport { node: usize, boot: u64, reachable: bool },
    FenceDone { node: usize, boot: u64, target: usize, ok: bool },
    Heal,
    Tick,
    End,
}

/// A violation: checker name and description.
type Violation = (&'static str, String);

struct NodeSlot {
    engine: Option<Box<dyn crate::engine::Engine>>,
    clock: NodeClock,
    /// What the node's state file holds.
    generation: u64,
    /// The current engine has persisted a generation (it may not send before).
    persisted: bool,
    booted_at: Option<SimTime>,
    boots: u64,
    wake: Option<SimTime>,
    /// Highest (generation, seq) of a status handed to this node, per sender.
    max_status: Vec<Option<(u64, u64)>>,
    alive_since: Option<SimTime>,
    /// An orderly stop was asked of the current engine (it exits once its groups are released).
    stopping: bool,
    /// A restart was scheduled while the engine was still stopping: boot once it exits, as an
    /// operator's `heartbeat -k; heartbeat` would.
    boot_after_exit: bool,
}

struct World<'a> {
    sc: &'a Scenario,
    factory: &'a dyn EngineFactory,
    now: SimTime,
    queue: EventQueue<Ev>,
    rng: SimRng,
    net_rng: SimRng,
    action_rng: SimRng,
    fence_rng: SimRng,
    net: Network,
    /// Ground truth: whose machine reaches its ping nodes.
    uplink: Vec<bool>,
    /// Since when each uplink has been in its current state.
    uplink_since: Vec<SimTime>,
    /// What the simulated pinger last told each node's current engine (`None`: nothing yet).
    ping_reported: Vec<Option<bool>>,
    /// `hears[from][to]`: a datagram from `from` can reach `to` on some medium.
    hears: Vec<Vec<bool>>,
    actions: ActionProfile,
    nodes: Vec<NodeSlot>,
    auth: Authenticator,
    forger: Option<Authenticator>,
    resources: Resources,
    checkers: Vec<Box<dyn Invariant>>,
    trace: Trace,
    last_disturbance: SimTime,
    last_fresh: Vec<Vec<Option<SimTime>>>,
    alive: Vec<bool>,
    booted_at: Vec<Option<SimTime>>,
    /// When each node last booted (kept while it is down).
    last_boot: Vec<Option<SimTime>>,
    healed: bool,
    /// Simulated health checks (`--checks`).
    checks: checks::CheckSim,
    events: u64,
    node_ms: u64,
    delivered: u64,
    rejected: u64,
}

impl<'a> World<'a> {
    fn new(
        sc: &'a Scenario,
        factory: &'a dyn EngineFactory,
        opts: RunOptions,
        checkers: Vec<Box<dyn Invariant>>,
        auth: Authenticator,
        forger: Option<Authenticator>,
    ) -> World<'a> {
        let mut rng = SimRng::new(sc.seed ^ 0x5157_5f57_4f52_4c44);
        let net_rng = rng.fork(1);
        let action_rng = rng.fork(2);
        let mut clock_rng = rng.fork(3);
        let fence_rng = rng.fork(4);
        let nodes = (0..sc.nodes)
            .map(|n| NodeSlot {
                engine: None,
                clock: NodeClock::new(
                    sc.drift_ppm.get(n).copied().unwrap_or(0),
                    clock_rng.range(1_000_000, 1_000_000_000_000),
                    WALL_EPOCH + clock_rng.below(1_000_000) as i64,
                ),
                generation: clock_rng.range(1, 1000),
                persisted: false,
                booted_at: None,
                boots: 0,
                wake: None,
                max_status: vec![None; sc.nodes],
                alive_since: None,
                stopping: false,
                boot_after_exit: false,
            })
            .collect();
        World {
            sc,
            factory,
            now: SimTime::ZERO,
            queue: EventQueue::default(),
            rng,
            net_rng,
            action_rng,
            fence_rng,
            net: Network::new(sc.nodes, sc.media, sc.net),
            uplink: vec![true; sc.nodes],
            uplink_since: vec![SimTime::ZERO; sc.nodes],
            ping_reported: vec![None; sc.nodes],
            hears: vec![vec![true; sc.nodes]; sc.nodes],
            actions: sc.actions,
            nodes,
            auth,
            forger,
            resources: Resources::new(sc),
            checkers,
            trace: if opts.log {
                Trace::new(true).with_echo()
            } else {
                Trace::new(opts.trace_lines)
            },
            last_disturbance: SimTime::ZERO,
            last_fresh: vec![vec![None; sc.nodes]; sc.nodes],
            alive: vec![false; sc.nodes],
            booted_at: vec![None; sc.nodes],
            last_boot: vec![None; sc.nodes],
            healed: false,
            checks: checks::CheckSim::new(sc.nodes, sc.groups.len()),
            events: 0,
            node_ms: 0,
            delivered: 0,
            rejected: 0,
        }
    }

    fn run_all(&mut self) -> Result<RunReport, Violation> {
        let end = SimTime::from_millis(self.sc.safety_ms + self.sc.heal_ms);
        let heal_at = SimTime::from_millis(self.sc.safety_ms);
        for f in &self.sc.faults {
            if f.at < heal_at {
                self.queue.push(f.at, Ev::Fault(f.fault));
            }
        }
        self.queue.push(heal_at, Ev::Heal);
        self.queue.push(end, Ev::End);
        self.queue.push(self.tick_interval(), Ev::Tick);
        for n in 0..self.sc.nodes {
            self.boot(n)?;
        }
        while let Some((at, ev)) = self.queue.pop() {
            self.now = at;
            self.events += 1;
            if self.events > MAX_EVENTS {
                return Err(("runaway", format!("more than {MAX_EVENTS} events")));
            }
            match ev {
                Ev::End => break,
                Ev::Deliver { to, medium, bytes, kind } => {
                    self.deliver(to, medium, &bytes, kind)?
                }
                Ev::Wake { node } => self.wake(node)?,
                Ev::ActionDone { node, boot, req, outcome } => {
                    self.action_done(node, boot, req, outcome)?
                }
                Ev::Fault(f) => self.apply_fault(f)?,
                Ev::Reboot { node } => {
                    if !self.alive[node] {
                        self.boot(node)?;
                    }
                }
                Ev::Heal => self.heal()?,
                Ev::PingReport { node, boot, reachable } => {
                    self.ping_report(node, boot, reachable)?
                }
                Ev::FenceDone { node, boot, target, ok } => {
                    self.fence_done(node, boot, target, ok)?
                }
                Ev::Tick => {
                    self.check_gaps();
                    self.probe_checks()?;
                    self.fact(&Fact::Tick)?;
                    let next = self.now.plus_micros(self.tick_interval().micros());
                    self.queue.push(next, Ev::Tick);
                }
            }
            if self.queue.len() >= crate::queue::MAX_QUEUED {
                return Err(("runaway", "event queue full".to_string()));
            }
        }
        self.finish()
    }

    fn finish(&mut self) -> Result<RunReport, Violation> {
        for n in 0..self.sc.nodes {
            if let Some(since) = self.nodes[n].alive_since.take() {
                self.node_ms += self.now.since(since) / 1000;
            }
        }
        let mut checkers = std::mem::take(&mut self.checkers);
        let view = self.view();
        let mut result = Ok(());
        for c in &mut checkers {
            if let Err(e) = c.finish(&view) {
                result = Err((c.name(), e));
                break;
            }
        }
        let checks = checkers.iter().map(|c| (c.name(), c.checks())).collect();
        self.checkers = checkers;
        result?;
        Ok(RunReport {
            seed: self.sc.seed,
            trace_hash: self.trace.hash(),
            events: self.trace.events(),
            sim_ms: self.now.millis(),
            node_ms: self.node_ms,
            delivered: self.delivered,
            rejected: self.rejected,
            checks,
        })
    }

    fn tick_interval(&self) -> SimTime {
        SimTime::from_millis(self.sc.timing.keepalive_ms.max(2) / 2)
    }

    fn view(&self) -> View<'_> {
        View {
            now: self.now,
            scenario: self.sc,
            alive: &self.alive,
            resources: &self.resources,
            last_disturbance: self.last_disturbance,
            connected: self.connected(),
            last_fresh: &self.last_fresh,
            booted_at: &self.booted_at,
            last_boot: &self.last_boot,
            uplink: &self.uplink,
            ping_reported: &self.ping_reported,
            hears: &self.hears,
            check_mode: &self.checks.mode,
            carrier: &self.checks.carrier,
        }
    }

    fn connected(&self) -> bool {
        // Built for every fact the checkers see: no allocation, each pair once.
        let n = self.sc.nodes;
        (0..n)
            .filter(|&a| self.alive[a])
            .all(|a| (a + 1..n).filter(|&b| self.alive[b]).all(|b| self.net.connected(a, b)))
    }

    /// Feeds one fact to every checker; the first violation ends the run.
    fn fact(&mut self, fact: &Fact) -> Result<(), Violation> {
        let mut checkers = std::mem::take(&mut self.checkers);
        let mut result = Ok(());
        {
            let view = self.view();
            for c in &mut checkers {
                if let Err(e) = c.observe(fact, &view) {
                    result = Err((c.name(), e));
                    break;
                }
            }
        }
        self.checkers = checkers;
        result
    }

    fn disturb(&mut self) {
        self.last_disturbance = self.now;
    }

    /// A real heartbeat gap of (almost) deadtime between two live engines is a legitimate
    /// reason for a death decision, hence a disturbance.
    fn check_gaps(&mut self) {
        let threshold = self.view().min_dead_interval_us();
        for a in 0..self.sc.nodes {
            for b in 0..self.sc.nodes {
                if a == b || !self.alive[a] || !self.alive[b] {
                    continue;
                }
                let reference = [self.last_fresh[a][b], self.booted_at[a], self.booted_at[b]]
                    .into_iter()
                    .flatten()
                    .max();
                if reference.is_some_and(|r| self.now.since(r) >= threshold) {
                    self.disturb();
                }
            }
        }
    }

    fn local_time(&self, node: usize) -> LocalTime {
        let clock = &self.nodes[node].clock;
        LocalTime { mono_us: clock.mono_at(self.now), wall_us: clock.wall_at(self.now) }
    }
}

fn authenticators(sc: &Scenario) -> Result<(Authenticator, Option<Authenticator>), String> {
    let method = match sc.auth {
        AuthChoice::Crc => AuthMethod::Crc,
        AuthChoice::Md5 => AuthMethod::Md5,
        AuthChoice::Sha1 => AuthMethod::Sha1,
    };
    let key = |secret: &str| AuthKey { index: 1, method, secret: secret.as_bytes().to_vec() };
    let good = Authenticator::new(1, vec![key(&format!("sim-secret-{}", sc.seed))])
        .map_err(|e| format!("cluster key: {e}"))?;
    // A crc "forgery" is simply valid (crc authenticates nothing), so only keyed methods get a
    // forger with the wrong secret.
    if method == AuthMethod::Crc {
        return Ok((good, None));
    }
    let bad = Authenticator::new(1, vec![key("not-the-secret")])
        .map_err(|e| format!("forger key: {e}"))?;
    Ok((good, Some(bad)))
}
