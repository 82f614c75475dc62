//! The simulated network: every node has one interface per medium, each medium reaches every
//! other node. A sent datagram becomes zero or more deliveries, shaped by link failures,
//! partitions, loss, delay, duplication, reordering and corruption; old datagrams are kept
//! (bounded) so they can be replayed later, as an attacker or a confused switch would.

use std::collections::VecDeque;

use crate::rng::SimRng;
use crate::scenario::NetProfile;
use crate::time::SimTime;

/// Datagrams kept per medium for replays.
pub const REPLAY_POOL: usize = 64;
/// Extra delay bound for a reordered packet, in microseconds.
pub const REORDER_MAX_US: u64 = 400_000;

/// One delivery the network decided on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// Receiving node.
    pub to: usize,
    /// Medium it arrives on.
    pub medium: usize,
    /// When it arrives.
    pub at: SimTime,
    /// The bytes that arrive (possibly corrupted).
    pub bytes: Vec<u8>,
    /// How the network treated it (for the trace).
    pub kind: DeliveryKind,
}

/// Why a delivery exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryKind {
    /// The normal copy.
    Normal,
    /// A duplicate copy.
    Duplicate,
    /// A copy with flipped bytes.
    Corrupted,
    /// An old datagram sent again.
    Replay,
}

/// Network state: links, partitions, misbehaviour profile and replay pool.
#[derive(Clone, Debug)]
pub struct Network {
    nodes: usize,
    media: usize,
    link_up: Vec<Vec<bool>>,
    /// `blocked[from][to]`: partition cuts that direction on every medium.
    blocked: Vec<Vec<bool>>,
    profile: NetProfile,
    pool: Vec<VecDeque<Vec<u8>>>,
}

impl Network {
    /// A network with all links up, no partition, behaving as `profile` says.
    pub fn new(nodes: usize, media: usize, profile: NetProfile) -> Network {
        Network {
            nodes,
            media,
            link_up: vec![vec![true; media]; nodes],
            blocked: vec![vec![false; nodes]; nodes],
            profile,
            pool: vec![VecDeque::new(); media],
        }
    }

    /// Replaces the misbehaviour profile (the heal phase installs a clean one).
    pub fn set_profile(&mut self, profile: NetProfile) {
        self.profile = profile;
    }

    /// The current profile.
    pub fn profile(&self) -> &NetProfile {
        &self.profile
    }

    /// Sets one node's link on one medium up or down.
    pub fn set_link(&mut self, node: usize, medium: usize, up: bool) {
        if let Some(slot) = self.link_up.get_mut(node).and_then(|l| l.get_mut(medium)) {
            *slot = up;
        }
    }

    /// Whether a node's link on a medium is up.
    pub fn link_is_up(&self, node: usize, medium: usize) -> bool {
        self.link_up.get(node).and_then(|l| l.get(medium)).copied().unwrap_or(false)
    }

    /// Cuts traffic from every node in mask `from` to every node in mask `to` (and back when
    /// `two_way`).
    pub fn partition(&mut self, from: u32, to: u32, two_way: bool) {
        for a in 0..self.nodes {
            for b in 0..self.nodes {
                let (fa, tb) = (from >> a & 1 == 1, to >> b & 1 == 1);
                if fa && tb {
                    self.blocked[a][b] = true;
                    if two_way {
                        self.blocked[b][a] = true;
                    }
                }
            }
        }
    }

    /// Removes every partition.
    pub fn heal_partitions(&mut self) {
        for row in &mut self.blocked {
            row.iter_mut().for_each(|b| *b = false);
        }
    }

    /// Brings every link up.
    pub fn all_links_up(&mut self) {
        for row in &mut self.link_up {
            row.iter_mut().for_each(|b| *b = true);
        }
    }

    /// Whether `from` can currently reach `to` on `medium`.
    pub fn path_open(&self, from: usize, to: usize, medium: usize) -> bool {
        self.link_is_up(from, medium)
            && self.link_is_up(to, medium)
            && !self.blocked.get(from).and_then(|r| r.get(to)).copied().unwrap_or(true)
    }

    /// Whether `a` and `b` can exchange packets both ways on some medium (maybe different ones).
    pub fn connected(&self, a: usize, b: usize) -> bool {
        let ab = (0..self.media).any(|m| self.path_open(a, b, m));
        let ba = (0..self.media).any(|m| self.path_open(b, a, m));
        ab && ba
    }

    /// What happens to a datagram `from` sends on `medium` at `now`: the deliveries to every
    /// other node, plus possibly a replay of an older datagram.
    pub fn send(
        &mut self,
        rng: &mut SimRng,
        now: SimTime,
        from: usize,
        medium: usize,
        bytes: &[u8],
    ) -> Vec<Delivery> {
        let p = self.profile;
        let mut out = Vec::new();
        for to in 0..self.nodes {
            if to == from || !self.path_open(from, to, medium) || rng.chance_ppm(p.loss_ppm) {
                continue;
            }
            let mut delay = rng.range(p.delay_min_us, p.delay_max_us);
            if rng.chance_ppm(p.reorder_ppm) {
                delay += rng.range(1, REORDER_MAX_US);
            }
            let (copy, kind) = if rng.chance_ppm(p.corrupt_ppm) {
                (corrupt(rng, bytes), DeliveryKind::Corrupted)
            } else {
                (bytes.to_vec(), DeliveryKind::Normal)
            };
            out.push(Delivery { to, medium, at: now.plus_micros(delay), bytes: copy, kind });
            if rng.chance_ppm(p.dup_ppm) {
                let at = now.plus_micros(rng.range(p.delay_min_us, p.delay_max_us * 3));
                out.push(Delivery {
                    to,
                    medium,
                    at,
                    bytes: bytes.to_vec(),
                    kind: DeliveryKind::Duplicate,
                });
            }
        }
        if let Some(pool) = self.pool.get_mut(medium) {
            if rng.chance_ppm(p.replay_ppm) && !pool.is_empty() {
                let old = pool[rng.index(pool.len())].clone();
                let to = rng.index(self.nodes);
                let at = now.plus_micros(rng.range(p.delay_min_us, p.delay_max_us));
                out.push(Delivery { to, medium, at, bytes: old, kind: DeliveryKind::Replay });
            }
            if pool.len() == REPLAY_POOL {
                // Keep a spread of ages: drop a random old entry, not always the oldest.
                let victim = rng.index(REPLAY_POOL);
                pool.remove(victim);
            }
            pool.push_back(bytes.to_vec());
        }
        out
    }
}

/// A copy of `bytes` with one to three bytes changed.
fn corrupt(rng: &mut SimRng, bytes: &[u8]) -> Vec<u8> {
    let mut copy = bytes.to_vec();
    if copy.is_empty() {
        return copy;
    }
    for _ in 0..rng.range(1, 3) {
        let i = rng.index(copy.len());
        copy[i] ^= 1 + rng.below(255) as u8;
    }
    if copy == bytes {
        // Two flips of one byte cancelled out.
        copy[0] ^= 0xff;
    }
    copy
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lossless() -> NetProfile {
        NetProfile { delay_min_us: 10, delay_max_us: 20, ..NetProfile::default() }
    }

    #[test]
    fn broadcast_reaches_every_other_node_once_on_a_clean_net() {
        let mut net = Network::new(3, 2, lossless());
        let mut rng = SimRng::new(1);
        let d = net.send(&mut rng, SimTime::ZERO, 1, 0, b"hello");
        let mut to: Vec<usize> = d.iter().map(|d| d.to).collect();
        to.sort_unstable();
        assert_eq!(to, vec![0, 2]);
        assert!(d.iter().all(|d| d.bytes == b"hello" && (10..=20).contains(&d.at.micros())));
    }

    #[test]
    fn one_way_partition_cuts_one_direction_only() {
        let mut net = Network::new(2, 1, lossless());
        net.partition(0b01, 0b10, false);
        assert!(!net.path_open(0, 1, 0));
        assert!(net.path_open(1, 0, 0));
        assert!(!net.connected(0, 1));
        let mut rng = SimRng::new(2);
        assert!(net.send(&mut rng, SimTime::ZERO, 0, 0, b"x").is_empty());
        assert_eq!(net.send(&mut rng, SimTime::ZERO, 1, 0, b"x").len(), 1);
        net.heal_partitions();
        assert!(net.connected(0, 1));
    }

    #[test]
    fn a_failed_link_leaves_the_other_medium_working() {
        let mut net = Network::new(2, 2, lossless());
        net.set_link(0, 0, false);
        assert!(!net.path_open(0, 1, 0) && !net.path_open(1, 0, 0));
        assert!(net.connected(0, 1));
        net.set_link(0, 1, false);
        assert!(!net.connected(0, 1));
    }

    #[test]
    fn loss_dup_corruption_and_replay_happen_at_roughly_their_rates() {
        let profile = NetProfile {
            delay_min_us: 10,
            delay_max_us: 20,
            loss_ppm: 200_000,
            dup_ppm: 100_000,
            corrupt_ppm: 100_000,
            replay_ppm: 100_000,
            ..NetProfile::default()
        };
        let mut net = Network::new(2, 1, profile);
        let mut rng = SimRng::new(3);
        let mut counts = [0usize; 4];
        for i in 0..10_000u32 {
            for d in net.send(&mut rng, SimTime::ZERO, 0, 0, &i.to_be_bytes()) {
                counts[d.kind as usize] += 1;
                if d.kind == DeliveryKind::Corrupted {
                    assert_ne!(d.bytes, i.to_be_bytes());
                }
            }
        }
        let [normal, dup, corrupted, replay] = counts;
        assert!((6_500..7_900).contains(&normal), "{counts:?}");
        assert!((600..1_000).contains(&dup), "{counts:?}");
        assert!((600..1_000).contains(&corrupted), "{counts:?}");
        assert!((800..1_200).contains(&replay), "{counts:?}");
    }
}
