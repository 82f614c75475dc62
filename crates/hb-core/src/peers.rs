//! Per-node membership state and failure detection (spec §7.1, §7.3): node liveness from
//! `status` messages only, per-link liveness from any packet, dead only when silent on all.

use std::time::Duration;

use crate::api::{Event, LinkId, NodeStatus, ResourceSet};
use crate::node::Node;
use crate::seqtrack::RxSeq;
use crate::time::Instant;

/// One (node, medium) path.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PathState {
    pub(crate) up: bool,
    pub(crate) last: Option<Instant>,
}

/// What we know about one other node.
#[derive(Clone, Debug)]
pub(crate) struct Peer {
    pub(crate) name: String,
    pub(crate) uuid: Option<[u8; 16]>,
    pub(crate) status: NodeStatus,
    /// Any packet received since start (or since it was last declared dead).
    pub(crate) heard: bool,
    /// Ever declared dead after being heard (for partition-heal detection).
    pub(crate) was_dead: bool,
    pub(crate) last_status: Option<Instant>,
    /// When it was first heard from (any packet) since start or since it was declared dead:
    /// the liveness reference until its first `status` is processed.
    pub(crate) first_heard: Option<Instant>,
    /// The peer's advertised `dt`.
    pub(crate) dead_interval: Option<Duration>,
    pub(crate) paths: Vec<PathState>,
    pub(crate) rx: RxSeq,
    /// Highest of our seqs this node acknowledged.
    pub(crate) acked_ours: u32,
    /// What it holds, in its own point of view (from `resource` messages).
    pub(crate) holds: ResourceSet,
    /// Exact groups it claims, when it sends the `rsc_groups` extension (> 2 nodes).
    pub(crate) claims: Option<Vec<usize>>,
    pub(crate) stable: bool,
    /// (seq, isstable) of its recent full `resource` messages, to judge a message that arrived
    /// out of order by the state the sender was in when it sent it.
    pub(crate) stable_log: std::collections::VecDeque<(u32, bool)>,
    /// It sent `shutdone`.
    pub(crate) shutdone: bool,
    /// Fencing state (see `arbitration`).
    pub(crate) fence: crate::arbitration::Fence,
    /// It died without a clean hand-over and was never fenced since; seeing it alive again
    /// (same generation) does not clear this, only a fence or a restart does.
    pub(crate) must_fence: bool,
}

impl Peer {
    pub(crate) fn new(name: String, links: usize, ack_trigger: u32) -> Peer {
        Peer {
            name,
            uuid: None,
            status: NodeStatus::Init,
            heard: false,
            was_dead: false,
            last_status: None,
            first_heard: None,
            dead_interval: None,
            paths: vec![PathState::default(); links],
            rx: RxSeq::new(ack_trigger),
            acked_ours: 0,
            holds: ResourceSet::None,
            fence: crate::arbitration::Fence::None,
            must_fence: false,
            claims: None,
            stable: false,
            stable_log: std::collections::VecDeque::new(),
            shutdone: false,
        }
    }

    /// Whether it was stable when it sent its message `seq` (per its full `resource`
    /// statements sent before that one), or now if we know of none.
    pub(crate) fn stable_at(&self, seq: u32) -> bool {
        self.stable_log.iter().rev().find(|(s, _)| *s < seq).map_or(self.stable, |(_, st)| *st)
    }

    /// Time its silence is measured from: its last `status`, else when it was first heard,
    /// else our start. (A peer heard first through a message other than `status` — or whose
    /// first `status` waits for a retransmission — must not look silent since our boot.)
    pub(crate) fn liveness_ref(&self, start: Instant) -> Instant {
        self.last_status.or(self.first_heard).unwrap_or(start)
    }

    /// Running and not leaving: counts for takeover decisions. A node heard from before its
    /// first `status` (e.g. its `reqnodes` came first) is running too.
    pub(crate) fn is_alive(&self) -> bool {
        let running = match self.status {
            NodeStatus::Up | NodeStatus::Active => true,
            NodeStatus::Init => self.heard,
            NodeStatus::Dead => false,
        };
        running && !self.shutdone
    }
}

impl Node {
    /// The dead interval for a peer: `initdead` until every node has been heard from or
    /// buried, then the peer's advertised `dt`, else our `deadtime`.
    pub(crate) fn dead_interval(&self, idx: usize) -> Duration {
        if !self.links_up {
            return self.cfg.initdead;
        }
        self.peers[idx].dead_interval.unwrap_or(self.cfg.deadtime)
    }

    pub(crate) fn other_indices(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.peers.len()).filter(move |&i| i != self.me)
    }

    pub(crate) fn liveness_deadline(&self) -> Option<Instant> {
        let mut best: Option<Instant> = None;
        for i in self.other_indices() {
            let p = &self.peers[i];
            let iv = self.dead_interval(i);
            if p.status != NodeStatus::Dead {
                let at = p.liveness_ref(self.start) + iv;
                best = Some(best.map_or(at, |b| b.min(at)));
            }
            for path in p.paths.iter().filter(|s| s.up) {
                if let Some(l) = path.last {
                    let at = l + iv;
                    best = Some(best.map_or(at, |b| b.min(at)));
                }
            }
        }
        best
    }

    /// Declares silent nodes dead and silent paths down.
    pub(crate) fn check_liveness(&mut self) {
        let now = self.now;
        let others: Vec<usize> = self.other_indices().collect();
        for i in others {
            let iv = self.dead_interval(i);
            for l in 0..self.peers[i].paths.len() {
                let path = self.peers[i].paths[l];
                if path.up && path.last.is_some_and(|t| t + iv <= now) {
                    self.set_path(i, l, false);
                }
            }
            let p = &self.peers[i];
            if p.status != NodeStatus::Dead && p.liveness_ref(self.start) + iv <= now {
                self.mark_dead(i);
            }
        }
    }

    pub(crate) fn set_path(&mut self, i: usize, l: usize, up: bool) {
        let Some(path) = self.peers[i].paths.get_mut(l) else { return };
        if path.up != up {
            path.up = up;
            let node = self.peers[i].name.clone();
            self.emit(Event::LinkStatus { node, link: LinkId(l as u16), up });
        }
    }

    /// A packet for us from node `i` on link `l`.
    pub(crate) fn refresh_path(&mut self, i: usize, l: usize) {
        if let Some(path) = self.peers[i].paths.get_mut(l) {
            path.last = Some(self.now);
        }
        self.set_path(i, l, true);
    }

    pub(crate) fn set_status(&mut self, i: usize, status: NodeStatus) {
        if self.peers[i].status != status {
            self.peers[i].status = status;
            let node = self.peers[i].name.clone();
            self.emit(Event::NodeStatus { node, status });
            if status != NodeStatus::Dead {
                self.clear_fence(i);
            }
        }
    }

    /// `mark_node_dead`: status dead, forget timestamps and sequence position (keep the
    /// generation), then resource takeover.
    pub(crate) fn mark_dead(&mut self, i: usize) {
        if self.peers[i].status == NodeStatus::Dead {
            return;
        }
        for l in 0..self.peers[i].paths.len() {
            self.set_path(i, l, false);
        }
        let had_heard = self.peers[i].heard;
        let p = &mut self.peers[i];
        p.was_dead = had_heard;
        p.heard = false;
        p.last_status = None;
        p.first_heard = None;
        p.rx.reset();
        self.set_status(i, NodeStatus::Dead);
        self.on_peer_dead(i, had_heard);
    }

    /// The shell reports a medium failing or recovering locally.
    pub(crate) fn handle_link_state(&mut self, link: LinkId, up: bool) {
        let l = link.0 as usize;
        if l >= self.cfg.links.len() || up {
            // Recovery is confirmed by the next packet on that link.
            return;
        }
        let others: Vec<usize> = self.other_indices().collect();
        for i in others {
            self.set_path(i, l, false);
        }
    }
}
