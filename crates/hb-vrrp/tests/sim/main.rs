//! Seeded simulation of N VRRP instances (2 to 4, v2 or v3, multicast or unicast) under loss,
//! duplication and reordering, with crashes, restarts, graceful shutdowns, priority changes
//! and partitions; four invariants, one per file, observed after every simulated event.
//!
//! `cargo test -p hb-vrrp --test sim -- --nocapture` sweeps `VRRP_SIM_SEEDS` seeds (default
//! 300) and prints how many checks each invariant made (it fails if one made none);
//! `VRRP_SIM_SEED=n` replays one seed. A failure prints the seed and that command.
// Test helpers outside #[test] functions unwrap freely: a bad fixture should fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod no_flap;
mod one_master;
mod prio_zero;
mod scenario;
mod takeover;
mod world;

use world::{Happening, World};

/// A scripted change of the world, told to every invariant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disturbance {
    /// Node started or restarted.
    Start(usize),
    /// Node killed silently.
    Crash(usize),
    /// Node asked to shut down (priority-0 advert if master).
    Shutdown(usize),
    /// Node's effective priority changed.
    Priority(usize),
    /// The network split.
    Partition,
    /// The network healed.
    Heal,
    /// Loss and duplication switched off for the converge phase.
    Calm,
}

/// One property checked throughout a run.
pub trait Invariant {
    /// Its name in the report.
    fn name(&self) -> &'static str;
    /// After every simulated step, with what happened in it.
    fn observe(&mut self, w: &World, new: &[(hb_vrrp::Instant, Happening)]) -> Result<(), String>;
    /// Before a scripted disturbance is applied.
    fn disturb(&mut self, _w: &World, _d: Disturbance) {}
    /// At the end of the run.
    fn finish(&mut self, _w: &World) -> Result<(), String> {
        Ok(())
    }
    /// How many times it was actually checked.
    fn checks(&self) -> u64;
}

fn replay_command(seed: u64) -> String {
    format!("VRRP_SIM_SEED={seed} cargo test -p hb-vrrp --test sim -- --nocapture")
}

#[test]
fn seed_sweep() {
    let seeds: Vec<u64> = match std::env::var("VRRP_SIM_SEED") {
        Ok(s) => vec![s.parse().expect("VRRP_SIM_SEED is a number")],
        Err(_) => {
            let n =
                std::env::var("VRRP_SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(300);
            (0..n).collect()
        }
    };
    let mut totals: Vec<(&'static str, u64)> = Vec::new();
    let mut stats = scenario::Stats::default();
    for &seed in &seeds {
        match scenario::run(seed, &mut stats) {
            Ok(checks) => {
                for (name, c) in checks {
                    match totals.iter_mut().find(|(n, _)| *n == name) {
                        Some(t) => t.1 += c,
                        None => totals.push((name, c)),
                    }
                }
            }
            Err(e) => panic!("seed {seed}: {e}\nreplay: {}", replay_command(seed)),
        }
    }
    println!("vrrp sim: {} seeds, {stats}", seeds.len());
    for (name, c) in &totals {
        println!("  invariant {name}: {c} checks");
    }
    assert_eq!(totals.len(), 4, "every invariant reports");
    for (name, c) in &totals {
        assert!(*c > 0, "invariant {name} never checked anything");
    }
}
