//! A simulated LAN of VRRP instances on a virtual clock: adverts travel as bytes (through the
//! real codec) with loss, duplication and reordering (random delay), nodes crash, restart,
//! shut down gracefully, and the network partitions and heals.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use hb_vrrp::{Input, Instance, InstanceConfig, Output, State, MULTICAST_V4};

/// Deterministic randomness for the world (splitmix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5eed_5eed_5eed_5eed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `per_mille / 1000`.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

/// The fault model of one run.
#[derive(Clone, Copy, Debug)]
pub struct Net {
    /// Loss, per mille per delivery.
    pub loss: u64,
    /// Duplication, per mille per delivery.
    pub dup: u64,
    /// Each delivery is delayed uniformly in 0..=max_delay (reorders packets).
    pub max_delay: Duration,
}

/// One node: its configuration and, while alive, its engine.
pub struct Node {
    pub cfg: InstanceConfig,
    pub inst: Option<Instance>,
    /// Partition side; nodes hear each other only on the same side.
    pub side: u8,
}

struct Packet {
    to: usize,
    src: IpAddr,
    dst: IpAddr,
    bytes: Vec<u8>,
    /// Priority, for the observers (priority-0 deliveries).
    priority: u8,
}

/// Something the observers may want to know, in time order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Happening {
    /// A node changed state.
    State { node: usize, from: State, to: State },
    /// A priority-0 advert reached a live node.
    PriorityZeroDelivered { to: usize },
}

pub struct World {
    pub now: hb_vrrp::Instant,
    pub nodes: Vec<Node>,
    pub net: Net,
    pub rng: Rng,
    /// Pending deliveries keyed by (time, sequence) so equal times keep send order.
    queue: BTreeMap<(hb_vrrp::Instant, u64), Packet>,
    seq: u64,
    /// Filled by `step`, drained by the runner.
    pub happenings: Vec<(hb_vrrp::Instant, Happening)>,
    pub delivered: u64,
    pub lost: u64,
}

impl World {
    pub fn new(cfgs: Vec<InstanceConfig>, net: Net, seed: u64) -> World {
        let nodes = cfgs.into_iter().map(|cfg| Node { cfg, inst: None, side: 0 }).collect();
        World {
            now: hb_vrrp::Instant::ZERO,
            nodes,
            net,
            rng: Rng::new(seed),
            queue: BTreeMap::new(),
            seq: 0,
            happenings: Vec::new(),
            delivered: 0,
            lost: 0,
        }
    }

    /// Starts (or restarts) node `n` with a fresh engine.
    pub fn start(&mut self, n: usize) {
        let seed = self.rng.next_u64();
        let inst = Instance::new(self.nodes[n].cfg.clone(), seed, self.now);
        self.nodes[n].inst = Some(inst.expect("valid sim config"));
        self.pump(n);
    }

    /// Kills node `n` silently (kill -9 + link cut: nothing more leaves it).
    pub fn crash(&mut self, n: usize) {
        if let Some(i) = &self.nodes[n].inst {
            if i.state() != State::Stop {
                let from = i.state();
                self.happenings
                    .push((self.now, Happening::State { node: n, from, to: State::Stop }));
            }
        }
        self.nodes[n].inst = None;
    }

    /// Feeds `input` to node `n` (if alive) now.
    pub fn input(&mut self, n: usize, input: Input) {
        if let Some(i) = self.nodes[n].inst.as_mut() {
            i.handle_input(self.now, input);
            self.pump(n);
        }
    }

    pub fn state(&self, n: usize) -> Option<State> {
        self.nodes[n].inst.as_ref().map(Instance::state)
    }

    /// The earliest timer or delivery.
    pub fn next_event(&self) -> Option<hb_vrrp::Instant> {
        let timers = self.nodes.iter().filter_map(|n| n.inst.as_ref()?.poll_timeout());
        let packet = self.queue.keys().next().map(|k| k.0);
        timers.chain(packet).min()
    }

    /// Delivers every packet due at `now`, then fires every due timer.
    pub fn step(&mut self) {
        let now = self.now;
        while let Some(entry) = self.queue.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let p = entry.remove();
            let Some(inst) = self.nodes[p.to].inst.as_mut() else { continue };
            if p.priority == 0 && matches!(inst.state(), State::Backup | State::Master) {
                self.happenings.push((now, Happening::PriorityZeroDelivered { to: p.to }));
            }
            inst.handle_packet(now, &p.bytes, p.src, p.dst, 255);
            self.delivered += 1;
            self.pump(p.to);
        }
        for n in 0..self.nodes.len() {
            let due = self.nodes[n].inst.as_ref().and_then(Instance::poll_timeout);
            if due.is_some_and(|t| t <= now) {
                self.input(n, Input::Timeout);
            }
        }
    }

    /// Executes node `n`'s outputs.
    fn pump(&mut self, n: usize) {
        loop {
            let Some(out) = self.nodes[n].inst.as_mut().and_then(Instance::poll_output) else {
                return;
            };
            match out {
                Output::SendAdvert { src, dst, bytes, advert } => {
                    self.send(n, src, dst, &bytes, advert.priority)
                }
                Output::Event(hb_vrrp::Event::StateChange { from, to, .. }) => {
                    self.happenings.push((self.now, Happening::State { node: n, from, to }));
                }
                _ => {}
            }
        }
    }

    fn send(&mut self, from: usize, src: IpAddr, dst: IpAddr, bytes: &[u8], priority: u8) {
        let side = self.nodes[from].side;
        for to in 0..self.nodes.len() {
            let reaches = to != from
                && self.nodes[to].side == side
                && (dst == IpAddr::V4(MULTICAST_V4) || dst == self.nodes[to].cfg.primary_address);
            if !reaches {
                continue;
            }
            let copies = if self.rng.chance(self.net.dup) { 2 } else { 1 };
            for _ in 0..copies {
                if self.rng.chance(self.net.loss) {
                    self.lost += 1;
                    continue;
                }
                let max = u64::try_from(self.net.max_delay.as_micros()).unwrap_or(0);
                let delay = Duration::from_micros(self.rng.below(max + 1));
                self.seq += 1;
                let p = Packet { to, src, dst, bytes: bytes.to_vec(), priority };
                self.queue.insert((self.now + delay, self.seq), p);
            }
        }
    }

    /// A node that takes part in elections (started, not crashed, not shut down).
    pub fn live(&self, n: usize) -> bool {
        matches!(self.state(n), Some(State::Init | State::Backup | State::Master))
    }

    /// True when every live node hears every other live node.
    pub fn connected(&self) -> bool {
        let mut sides = (0..self.nodes.len()).filter(|n| self.live(*n)).map(|n| self.nodes[n].side);
        let first = sides.next();
        sides.all(|s| Some(s) == first)
    }

    /// Masters among live nodes.
    pub fn masters(&self) -> Vec<usize> {
        (0..self.nodes.len()).filter(|n| self.state(*n) == Some(State::Master)).collect()
    }

    /// The live node with the highest effective priority (ties: higher address), if any.
    pub fn best_live(&self) -> Option<usize> {
        (0..self.nodes.len()).filter(|n| self.live(*n)).max_by_key(|n| self.rank(*n))
    }

    /// (effective priority, address): what an election compares.
    pub fn rank(&self, n: usize) -> (u8, IpAddr) {
        let prio = self.nodes[n].inst.as_ref().map_or(0, Instance::effective_priority);
        (prio, self.nodes[n].cfg.primary_address)
    }

    /// Largest master-down interval among live nodes, at their effective priorities.
    pub fn max_master_down(&self) -> Duration {
        self.live_timing(hb_vrrp::timing::master_down)
    }

    /// Largest skew among live nodes.
    pub fn max_skew(&self) -> Duration {
        self.live_timing(hb_vrrp::timing::skew)
    }

    fn live_timing(&self, f: fn(hb_vrrp::Version, u8, u32) -> Duration) -> Duration {
        (0..self.nodes.len())
            .filter(|n| self.live(*n))
            .map(|n| {
                let cfg = &self.nodes[n].cfg;
                f(cfg.version, self.rank(n).0, interval_cs(cfg))
            })
            .max()
            .unwrap_or_default()
    }
}

fn interval_cs(cfg: &InstanceConfig) -> u32 {
    u32::from(cfg.advert_int_cs)
}
