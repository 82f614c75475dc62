//! Seeded random runs of the lease arbiter against the store model: heartbeat links cut and
//! healed, nodes cut off the store (alone or all at once), crashes and restarts, standby
//! requests, slow store answers, both policies, two and three nodes. Invariants: a node
//! starts a group only while the store names it as the key's holder (asserted by the
//! harness at each start), and no two nodes' holdings of a key overlap in time. Every failure
//! names the seed; `HB_LEASE_SEEDS=N` runs more seeds (default 40).

use std::time::Duration;

use super::harness::{config, Cluster};
use super::lease_store::Store;
use crate::rng::Rng;
use crate::{AdminCommand, AutoFailback, Input, ResourceSet, UnreachablePolicy};

const TTL: Duration = Duration::from_secs(5);

fn run(seed: u64) -> usize {
    let mut rng = Rng::new(seed);
    let n = if rng.range(0, 1) == 0 { 2 } else { 3 };
    let names: Vec<&str> = ["n1", "n2", "n3"][..n].to_vec();
    let mode = if rng.range(0, 1) == 0 { AutoFailback::On } else { AutoFailback::Off };
    let cfgs = names.iter().map(|x| config(x, &names, 1, mode)).collect();
    let policy = if rng.range(0, 1) == 0 {
        UnreachablePolicy::Keep
    } else {
        UnreachablePolicy::Release { grace: Duration::from_millis(rng.range(500, 2500)) }
    };
    let mut c = Cluster::with_configs(cfgs);
    let mut store = Store::new(n, policy, TTL);
    store.delay = Duration::from_millis(rng.range(0, 400));
    c.store = Some(store);
    c.start_all();
    c.secs(25);
    let mut down = vec![false; n];
    for _ in 0..rng.range(5, 15) {
        let k = rng.range(0, n as u64 - 1) as usize;
        let now = c.now;
        match rng.range(0, 5) {
            0 => {
                let j = (k + 1 + rng.range(0, n as u64 - 2) as usize) % n;
                c.cut.insert((k, j, 0));
                c.cut.insert((j, k, 0));
            }
            1 => c.cut.clear(),
            2 => {
                let cut = rng.range(0, 1) == 0;
                if let Some(s) = c.store.as_mut() {
                    if rng.range(0, 3) == 0 {
                        for x in 0..n {
                            s.set_reachable(x, !cut, now);
                        }
                    } else if !down[k] {
                        s.set_reachable(k, !cut, now);
                    }
                }
            }
            3 if !down[k] => {
                c.crash(k);
                if let Some(s) = c.store.as_mut() {
                    s.forget(k);
                    s.set_reachable(k, false, now);
                }
                down[k] = true;
            }
            3 => {
                if let Some(s) = c.store.as_mut() {
                    s.set_reachable(k, true, now);
                    s.forget(k);
                }
                c.start(k);
                down[k] = false;
            }
            4 => c.input(k, Input::Admin(AdminCommand::Standby(ResourceSet::All))),
            _ => {}
        }
        c.run_for(Duration::from_millis(rng.range(200, 8000)));
    }
    // Heal everything and let it settle.
    c.cut.clear();
    let now = c.now;
    for (k, &was_down) in down.iter().enumerate() {
        if let Some(s) = c.store.as_mut() {
            s.set_reachable(k, true, now);
        }
        if was_down {
            c.start(k);
        }
    }
    c.secs(60);
    c.assert_no_overlap_for(seed)
}

impl Cluster {
    /// Holding intervals of different nodes for the same key never overlap; returns how many
    /// holdings were checked.
    fn assert_no_overlap_for(&self, seed: u64) -> usize {
        let h = &self.store.as_ref().expect("store").history;
        for (i, a) in h.iter().enumerate() {
            for b in &h[i + 1..] {
                let overlap = a.1 == b.1
                    && a.0 != b.0
                    && a.3.is_none_or(|end| end > b.2)
                    && b.3.is_none_or(|end| end > a.2);
                assert!(!overlap, "seed {seed}: overlapping key holdings {a:?} and {b:?}");
            }
        }
        h.len()
    }
}

#[test]
fn random_faults_never_give_a_key_to_two_nodes() {
    let seeds: u64 =
        std::env::var("HB_LEASE_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(40);
    let mut holdings = 0;
    for seed in 1..=seeds {
        let r = std::panic::catch_unwind(|| run(seed));
        match r {
            Ok(n) => holdings += n,
            Err(e) => {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                panic!(
                    "seed {seed} failed: {msg}\nreplay: HB_LEASE_SEEDS={seed} (runs 1..={seed})"
                );
            }
        }
    }
    println!("{seeds} seeds, {holdings} key holdings checked for overlap");
    assert!(holdings > 0);
}
