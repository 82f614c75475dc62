//! Seeded simulation of `vrrp_sync_group`s: 2 or 3 routers, each running the same two
//! instances (VRID 51 and 52, one per interface) in one sync group, adverts through the real
//! codec with loss, duplication and reordering, and at random: tracked faults on single
//! members, router crashes, restarts and shutdowns, partitions. Two invariants:
//!
//! - **fault containment**, after every step: on a running router, while any member's own
//!   tracking fails, no member of its group is Master or Backup;
//! - **coherence**, after a calm converge phase (faults cleared, crashed routers restarted,
//!   network healed and lossless): every router's two members are in the same state and one
//!   router, the best, is master of both VRIDs.
//!
//! `VRRP_SYNC_SIM_SEEDS` (default 200) seeds; `VRRP_SYNC_SIM_SEED=n` replays one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use hb_vrrp::{Event, Input, Instance, InstanceConfig, Output, State, SyncGroup, Version};

const MEMBERS: usize = 2;
const MAX_STEPS: u64 = 1_000_000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

struct Router {
    cfgs: Vec<InstanceConfig>,
    /// `None` while crashed.
    inst: Option<Vec<Instance>>,
    faults: [bool; MEMBERS],
    side: u8,
}

struct Packet {
    to: usize,
    member: usize,
    src: IpAddr,
    dst: IpAddr,
    bytes: Vec<u8>,
}

struct World {
    now: hb_vrrp::Instant,
    routers: Vec<Router>,
    group: SyncGroup,
    rng: Rng,
    loss: u64,
    dup: u64,
    max_delay_us: u64,
    queue: BTreeMap<(hb_vrrp::Instant, u64), Packet>,
    seq: u64,
    checks: u64,
    sync_moves: u64,
}

impl World {
    fn start(&mut self, r: usize) {
        let now = self.now;
        let seed = self.rng.next();
        let insts =
            self.routers[r].cfgs.iter().map(|c| Instance::new(c.clone(), seed, now).unwrap());
        self.routers[r].inst = Some(insts.collect());
        for k in 0..MEMBERS {
            let f = self.routers[r].faults[k];
            self.input(r, k, Input::Fault(f));
        }
    }

    fn input(&mut self, r: usize, k: usize, input: Input) {
        let now = self.now;
        let Some(insts) = self.routers[r].inst.as_mut() else { return };
        insts[k].handle_input(now, input);
        self.pump(r);
    }

    /// Executes router `r`'s outputs until none is left, applying the group's rules.
    fn pump(&mut self, r: usize) {
        for _ in 0..64 {
            let now = self.now;
            let Some(insts) = self.routers[r].inst.as_mut() else { return };
            // Group faults first (idempotent), as the daemon does before each drain.
            let faults: Vec<bool> = insts.iter().map(Instance::tracking_fault).collect();
            for (i, f) in self.group.group_faults(|i| faults[i]) {
                insts[i].handle_input(now, Input::GroupFault(f));
            }
            let mut sends = Vec::new();
            let mut changes = Vec::new();
            for (k, inst) in insts.iter_mut().enumerate() {
                while let Some(o) = inst.poll_output() {
                    match o {
                        Output::SendAdvert { src, dst, bytes, .. } => {
                            sends.push((k, src, dst, bytes))
                        }
                        Output::Event(Event::StateChange { from, to, reason }) => {
                            changes.push((k, from, to, reason))
                        }
                        _ => {}
                    }
                }
            }
            for (k, src, dst, bytes) in sends {
                self.send(r, k, src, dst, bytes);
            }
            if changes.is_empty() {
                return;
            }
            let insts = self.routers[r].inst.as_mut().unwrap();
            let states: Vec<State> = insts.iter().map(Instance::state).collect();
            for (k, from, to, reason) in changes {
                for (i, input) in self.group.follow(k, from, to, reason, |i| states[i]) {
                    self.sync_moves += 1;
                    insts[i].handle_input(now, input);
                }
            }
        }
        panic!("router {r}: outputs never settled");
    }

    fn send(&mut self, from: usize, k: usize, src: IpAddr, dst: IpAddr, bytes: Vec<u8>) {
        for to in 0..self.routers.len() {
            if to == from || self.routers[to].side != self.routers[from].side {
                continue;
            }
            let copies = if self.rng.chance(self.dup) { 2 } else { 1 };
            for _ in 0..copies {
                if self.rng.chance(self.loss) {
                    continue;
                }
                let at = self.now + Duration::from_micros(self.rng.below(self.max_delay_us + 1));
                self.seq += 1;
                let p = Packet { to, member: k, src, dst, bytes: bytes.clone() };
                self.queue.insert((at, self.seq), p);
            }
        }
    }

    fn next_event(&self) -> Option<hb_vrrp::Instant> {
        let timers = self
            .routers
            .iter()
            .filter_map(|r| r.inst.as_ref())
            .flatten()
            .filter_map(Instance::poll_timeout);
        timers.chain(self.queue.keys().next().map(|k| k.0)).min()
    }

    fn step(&mut self) {
        let now = self.now;
        while let Some(e) = self.queue.first_entry() {
            if e.key().0 > now {
                break;
            }
            let p = e.remove();
            let Some(insts) = self.routers[p.to].inst.as_mut() else { continue };
            insts[p.member].handle_packet(now, &p.bytes, p.src, p.dst, 255);
            self.pump(p.to);
        }
        for r in 0..self.routers.len() {
            for k in 0..MEMBERS {
                let due = self.routers[r].inst.as_ref().and_then(|i| i[k].poll_timeout());
                if due.is_some_and(|t| t <= now) {
                    self.input(r, k, Input::Timeout);
                }
            }
        }
    }

    fn states(&self, r: usize) -> Option<Vec<State>> {
        self.routers[r].inst.as_ref().map(|i| i.iter().map(Instance::state).collect())
    }

    /// Fault containment, after every step.
    fn check_faults(&mut self) -> Result<(), String> {
        for r in 0..self.routers.len() {
            let Some(insts) = self.routers[r].inst.as_ref() else { continue };
            if insts.iter().any(Instance::tracking_fault) {
                self.checks += 1;
                let bad = insts.iter().any(|i| matches!(i.state(), State::Master | State::Backup));
                if bad {
                    return Err(format!(
                        "router {r} has a faulty member but states {:?}",
                        self.states(r)
                    ));
                }
            }
        }
        Ok(())
    }

    fn run_for(&mut self, d: Duration, steps: &mut u64) -> Result<(), String> {
        let until = self.now + d;
        while let Some(t) = self.next_event().filter(|t| *t <= until) {
            *steps += 1;
            if *steps > MAX_STEPS {
                return Err("livelock: step limit".into());
            }
            self.now = self.now.max(t);
            self.step();
            self.check_faults()?;
        }
        self.now = until;
        Ok(())
    }
}

/// One seed; returns (fault checks, coherence checks, sync moves).
fn run(seed: u64) -> Result<(u64, u64, u64), String> {
    let mut rng = Rng(seed ^ 0x51c5_51c5);
    let n = 2 + rng.below(2) as usize;
    let v3 = rng.chance(500);
    let advert_cs: u16 = if v3 { 10 + 10 * rng.below(10) as u16 } else { 100 };
    let mut prios: Vec<u8> = Vec::new();
    while prios.len() < n {
        let p = 50 + rng.below(200) as u8;
        if !prios.contains(&p) {
            prios.push(p);
        }
    }
    let routers = (0..n)
        .map(|r| {
            let cfgs = (0..MEMBERS)
                .map(|k| {
                    let me: IpAddr = format!("10.99.{k}.{}", r + 1).parse().unwrap();
                    let mut c = InstanceConfig::new(&format!("VI_{}", k + 1), 51 + k as u8, me);
                    c.version = if v3 { Version::V3 } else { Version::V2 };
                    c.advert_int_cs = advert_cs;
                    c.priority = prios[r];
                    c.virtual_addresses = vec![format!("10.99.{k}.100").parse().unwrap()];
                    c.garp_master_delay = Duration::ZERO;
                    c
                })
                .collect();
            Router { cfgs, inst: None, faults: [false; MEMBERS], side: 0 }
        })
        .collect();
    let mut w = World {
        now: hb_vrrp::Instant::ZERO,
        routers,
        group: SyncGroup::new("G", &[0, 1]),
        loss: rng.below(200),
        dup: rng.below(50),
        max_delay_us: rng.below(50_000),
        queue: BTreeMap::new(),
        seq: 0,
        checks: 0,
        sync_moves: 0,
        rng,
    };
    let mut steps = 0;
    for r in 0..n {
        w.start(r);
    }
    let adv = Duration::from_millis(u64::from(advert_cs) * 10);
    // Chaos: 30 random events.
    for _ in 0..30 {
        let r = w.rng.below(n as u64) as usize;
        match w.rng.below(10) {
            0..=4 => {
                let k = w.rng.below(MEMBERS as u64) as usize;
                let f = !w.routers[r].faults[k];
                w.routers[r].faults[k] = f;
                w.input(r, k, Input::Fault(f));
            }
            5 => w.routers[r].inst = None,
            6 => {
                if w.routers[r].inst.is_none() {
                    w.start(r);
                }
            }
            7 => {
                for k in 0..MEMBERS {
                    w.input(r, k, Input::Shutdown);
                }
            }
            _ => w.routers[r].side = w.rng.below(2) as u8,
        }
        let wait = adv * (1 + w.rng.below(8) as u32);
        w.run_for(wait, &mut steps)?;
    }
    // Calm: everything repaired, the network clean.
    w.loss = 0;
    w.dup = 0;
    w.max_delay_us = 1_000;
    for r in 0..n {
        w.routers[r].side = 0;
        w.routers[r].faults = [false; MEMBERS];
        let stopped = w.states(r).is_none_or(|s| s.contains(&State::Stop));
        if stopped {
            w.routers[r].inst = None;
            w.start(r);
        } else {
            for k in 0..MEMBERS {
                w.input(r, k, Input::Fault(false));
            }
        }
    }
    w.run_for(adv * 20 + Duration::from_secs(2), &mut steps)?;
    let best = (0..n).max_by_key(|&r| prios[r]).unwrap();
    let mut coherence = 0;
    for r in 0..n {
        let s = w.states(r).unwrap();
        coherence += 1;
        let want = if r == best { State::Master } else { State::Backup };
        if s.iter().any(|x| *x != want) {
            let all: Vec<_> = (0..n).map(|r| w.states(r)).collect();
            return Err(format!("after converging, router {r} is {s:?} (best {best}): {all:?}"));
        }
    }
    Ok((w.checks, coherence, w.sync_moves))
}

#[test]
fn sync_group_seed_sweep() {
    let seeds: Vec<u64> = match std::env::var("VRRP_SYNC_SIM_SEED") {
        Ok(s) => vec![s.parse().expect("a number")],
        Err(_) => {
            let n = std::env::var("VRRP_SYNC_SIM_SEEDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(200);
            (0..n).collect()
        }
    };
    let (mut faults, mut coherence, mut moves) = (0, 0, 0);
    for &seed in &seeds {
        match run(seed) {
            Ok((f, c, m)) => {
                faults += f;
                coherence += c;
                moves += m;
            }
            Err(e) => panic!(
                "seed {seed}: {e}\nreplay: VRRP_SYNC_SIM_SEED={seed} cargo test -p hb-vrrp \
                 --test sync_sim -- --nocapture"
            ),
        }
    }
    println!(
        "sync sim: {} seeds; fault containment {faults} checks, coherence {coherence} checks, \
         {moves} group moves",
        seeds.len()
    );
    assert!(faults > 0 && coherence > 0 && moves > 0, "nothing was checked");
}
