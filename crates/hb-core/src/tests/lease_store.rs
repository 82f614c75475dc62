//! A model of the lease arbiter's store for the harness: one key per group naming its holder,
//! one lease per node kept alive while the node reaches the store, keys deleted when their
//! lease expires, create-if-absent acquisition, watchers woken when a key goes.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use crate::{GroupId, Input, Instant, LeaseInput, LeaseRequest, UnreachablePolicy};

pub(crate) struct Store {
    pub(crate) policy: UnreachablePolicy,
    pub(crate) ttl: Duration,
    /// group -> holder.
    keys: BTreeMap<u16, usize>,
    /// (node, group) acquisitions outstanding.
    wants: BTreeSet<(usize, u16)>,
    /// (node, group) told `OwnedBy` for the current holder.
    told_busy: BTreeSet<(usize, u16)>,
    /// Per node: reaches the store.
    pub(crate) reachable: Vec<bool>,
    /// Per node: its lease ends at (refreshed while reachable).
    lease_until: Vec<Instant>,
    /// Per node: its lease expired while it could not hear about it.
    expired_unseen: Vec<bool>,
    /// Answers in flight: (delivery time, node, input).
    pub(crate) pending: VecDeque<(Instant, usize, Input)>,
    /// How long the store's answers take (slow store).
    pub(crate) delay: Duration,
    now: Instant,
    /// (node, group, from, to): every holding interval, for the overlap check.
    pub(crate) history: Vec<(usize, u16, Instant, Option<Instant>)>,
}

impl Store {
    pub(crate) fn new(nodes: usize, policy: UnreachablePolicy, ttl: Duration) -> Store {
        Store {
            policy,
            ttl,
            keys: BTreeMap::new(),
            wants: BTreeSet::new(),
            told_busy: BTreeSet::new(),
            reachable: vec![true; nodes],
            lease_until: vec![Instant::from_nanos(0); nodes],
            expired_unseen: vec![false; nodes],
            pending: VecDeque::new(),
            delay: Duration::ZERO,
            now: Instant::from_nanos(0),
            history: Vec::new(),
        }
    }

    pub(crate) fn holder(&self, g: u16) -> Option<usize> {
        self.keys.get(&g).copied()
    }

    fn push(&mut self, k: usize, input: Input) {
        self.pending.push_back((self.now + self.delay, k, input));
    }

    /// The next answer due at `now`, if any.
    pub(crate) fn due(&mut self, now: Instant) -> Option<(usize, Input)> {
        if self.pending.front().is_some_and(|p| p.0 <= now) {
            return self.pending.pop_front().map(|(_, k, i)| (k, i));
        }
        None
    }

    /// A (re)started node: a fresh lease; its old incarnation's requests are void.
    pub(crate) fn restart(&mut self, k: usize, now: Instant) {
        self.wants.retain(|&(n, _)| n != k);
        self.told_busy.retain(|&(n, _)| n != k);
        self.lease_until[k] = now + self.ttl;
        self.expired_unseen[k] = false;
    }

    pub(crate) fn request(&mut self, k: usize, req: &LeaseRequest, now: Instant) {
        match *req {
            LeaseRequest::Acquire { group } => {
                self.wants.insert((k, group.0));
                self.told_busy.remove(&(k, group.0));
            }
            LeaseRequest::Release { group } => {
                self.wants.remove(&(k, group.0));
                if self.reachable[k] && self.keys.get(&group.0) == Some(&k) {
                    self.delete(group.0, now);
                }
            }
        }
        self.advance(now);
    }

    /// Cuts node `k` off the store (or reconnects it).
    pub(crate) fn set_reachable(&mut self, k: usize, up: bool, now: Instant) {
        if self.reachable[k] == up {
            return;
        }
        self.reachable[k] = up;
        self.now = self.now.max(now);
        if !up {
            // Answers in flight to a node that loses the store are lost with the link.
            self.pending.retain(|p| p.1 != k);
        }
        if up {
            self.push(k, Input::Lease(LeaseInput::StoreReachable));
            if std::mem::take(&mut self.expired_unseen[k]) {
                self.push(k, Input::Lease(LeaseInput::LeaseExpired));
                self.lease_until[k] = now + self.ttl;
            }
            // Outstanding acquisitions are tried again (the client re-sends them).
            self.told_busy.retain(|&(n, _)| n != k);
        } else {
            self.push(k, Input::Lease(LeaseInput::StoreUnreachable));
        }
        self.advance(now);
    }

    /// Lease keep-alive, expiry, and grants, at `now`.
    pub(crate) fn advance(&mut self, now: Instant) {
        self.now = self.now.max(now);
        for k in 0..self.reachable.len() {
            if self.reachable[k] && !self.expired_unseen[k] {
                self.lease_until[k] = now + self.ttl;
            } else if now >= self.lease_until[k] && !self.expired_unseen[k] {
                self.expired_unseen[k] = true;
                let gone: Vec<u16> =
                    self.keys.iter().filter(|(_, &h)| h == k).map(|(&g, _)| g).collect();
                for g in gone {
                    self.delete(g, now);
                }
            }
        }
        let wants: Vec<(usize, u16)> = self.wants.iter().copied().collect();
        for (k, g) in wants {
            if !self.reachable[k] {
                continue;
            }
            match self.keys.get(&g).copied() {
                None => {
                    self.keys.insert(g, k);
                    self.history.push((k, g, now, None));
                    self.wants.remove(&(k, g));
                    self.push(k, Input::Lease(LeaseInput::Acquired { group: GroupId(g) }));
                }
                Some(h) if h == k => {
                    self.wants.remove(&(k, g));
                    self.push(k, Input::Lease(LeaseInput::Acquired { group: GroupId(g) }));
                }
                Some(h) => {
                    if self.told_busy.insert((k, g)) {
                        let node = format!("n{}", h + 1);
                        let input = LeaseInput::OwnedBy { group: GroupId(g), node };
                        self.push(k, Input::Lease(input));
                    }
                }
            }
        }
    }

    /// When the next lease of an unreachable node ends, or the next answer is due.
    pub(crate) fn next_expiry(&self) -> Option<Instant> {
        (0..self.reachable.len())
            .filter(|&k| !self.reachable[k] && !self.expired_unseen[k])
            .map(|k| self.lease_until[k])
            .chain(self.pending.front().map(|p| p.0))
            .min()
    }

    /// Drops what is in flight to node `k` (it crashed).
    pub(crate) fn forget(&mut self, k: usize) {
        self.pending.retain(|p| p.1 != k);
    }

    fn delete(&mut self, g: u16, now: Instant) {
        if let Some(h) = self.keys.remove(&g) {
            if let Some(iv) = self.history.iter_mut().rev().find(|iv| iv.1 == g && iv.3.is_none()) {
                iv.3 = Some(now);
            }
            if self.reachable[h] && !self.expired_unseen[h] {
                self.push(h, Input::Lease(LeaseInput::Lost { group: GroupId(g) }));
            }
            self.told_busy.retain(|&(_, x)| x != g);
        }
    }
}
