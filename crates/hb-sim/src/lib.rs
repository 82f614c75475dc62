//! Deterministic N-node simulator for `hb-core`, with fault injection and invariant checkers.
//!
//! Contract: one seed fully determines a run. [`Scenario::generate`] draws the cluster, the
//! network's and scripts' misbehaviour, clock drift and a schedule of faults from the seed;
//! [`run`] drives one engine per node on a virtual clock, passing every packet through the real
//! `hb-wire` codec and authenticator, and feeds ground truth to the invariant checkers (one per
//! file in [`invariants`]). A run is a safety phase with faults, then a heal phase that must
//! converge. A violation comes back as a [`Failure`] whose text names the seed and the exact
//! `vopr` command that replays it; success gives a [`RunReport`] with the trace hash.
//! Scenarios may opt in to ping nodes and fencing ([`arbitration`]): the world then models
//! each node's uplink, a pinger and a fencing device, and five more checkers judge them.
//! Scenarios may also opt in to health checks ([`checks`]): check failures per node and group,
//! fed to the engines as the daemon does, judged by two more checkers.

pub mod arbitration;
pub mod checks;
pub mod core_adapter;
pub mod engine;
pub mod faults;
pub mod invariants;
pub mod minimize;
pub mod model;
pub mod mutants;
pub mod net;
pub mod queue;
pub mod report;
pub mod resources;
pub mod rng;
pub mod scenario;
pub mod settled;
pub mod time;
pub mod trace;
pub mod world;

pub use core_adapter::CoreFactory;
pub use report::{Failure, RunReport};
pub use scenario::{Knobs, Scenario};
pub use world::{run, run_with, RunOptions};

/// The engine factory the knobs ask for: `hb-core` (or the reference model), possibly with a
/// mutant on one node.
pub fn factory(knobs: &Knobs) -> Box<dyn engine::EngineFactory> {
    let base: Box<dyn engine::EngineFactory> =
        if knobs.model { Box::new(model::ModelFactory) } else { Box::new(CoreFactory) };
    match knobs.mutant {
        Some((mutation, node)) => Box::new(mutants::Mutant { inner: base, node, mutation }),
        None => base,
    }
}

/// Runs seed `seed` with the engine and knobs given, and the standard checkers.
pub fn run_seed(seed: u64, knobs: &Knobs, opts: RunOptions) -> Result<RunReport, Failure> {
    let scenario = Scenario::generate(seed, knobs);
    run(&scenario, factory(knobs).as_ref(), opts)
}
