//! A read-only status view for the admin API (`cl_status`-style).

use crate::api::{GroupId, LinkId, NodeStatus, OwnershipReason, ResourceSet};
use crate::groups::GroupState;
use crate::node::{Comm, Node};
use crate::time::Instant;

/// The engine's state as `cl_status` and `hbctl status` show it.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Local node name.
    pub local_node: String,
    /// Our generation.
    pub generation: u32,
    /// Our communication is up (`active`).
    pub comm_up: bool,
    /// Our resource negotiation is settled.
    pub stable: bool,
    /// `cl_status rscstatus`: what we claim.
    pub resources: ResourceSet,
    /// Every configured node, in configuration order (the local one included).
    pub nodes: Vec<NodeSnapshot>,
    /// Every group, in `haresources` order.
    pub groups: Vec<GroupSnapshot>,
    /// Dropped-message counters: malformed, unknown node, own, replay, duplicate, not for us,
    /// ignored type, after shutdown.
    pub drops: [u64; 8],
}

/// One node.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeSnapshot {
    /// Name.
    pub name: String,
    /// `cl_status nodestatus`.
    pub status: NodeStatus,
    /// Is this us.
    pub is_local: bool,
    /// Last accepted `status` from it.
    pub last_heard: Option<Instant>,
    /// Its generation as last seen.
    pub generation: u32,
    /// One entry per medium (`cl_status hblinkstatus`: `up`/`dead`).
    pub links: Vec<LinkSnapshot>,
}

/// One (node, medium) path.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkSnapshot {
    /// Medium.
    pub link: LinkId,
    /// Medium name.
    pub name: String,
    /// Up or dead.
    pub up: bool,
    /// Last packet for us on it.
    pub last_heard: Option<Instant>,
}

/// One group.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupSnapshot {
    /// Id.
    pub id: GroupId,
    /// Group key.
    pub name: String,
    /// Preferred node.
    pub preferred_node: String,
    /// Holder as far as we know (us, or a peer that claims it).
    pub owner: Option<String>,
    /// What it is doing on this node.
    pub local_state: GroupState,
    /// When its local state last changed.
    pub since: Instant,
    /// Why it last moved here or away.
    pub reason: Option<OwnershipReason>,
}

impl Node {
    /// When the engine last accepted a `status` (heartbeat) from `node`; cheap, unlike
    /// [`Node::snapshot`], so the shell can time every heartbeat for its metrics.
    pub fn last_status(&self, node: &str) -> Option<Instant> {
        let i = self.cfg.nodes.iter().position(|n| n == node)?;
        self.peers.get(i)?.last_status
    }

    /// The current state for status queries.
    pub fn snapshot(&self) -> Snapshot {
        let nodes = (0..self.cfg.nodes.len())
            .map(|i| {
                let is_local = i == self.me;
                let p = &self.peers[i];
                let status = if is_local {
                    if self.comm == Comm::Up {
                        NodeStatus::Active
                    } else {
                        NodeStatus::Up
                    }
                } else {
                    p.status
                };
                let links = p
                    .paths
                    .iter()
                    .enumerate()
                    .map(|(l, s)| LinkSnapshot {
                        link: LinkId(l as u16),
                        name: self.cfg.links[l].clone(),
                        up: s.up,
                        last_heard: s.last,
                    })
                    .collect();
                NodeSnapshot {
                    name: self.cfg.nodes[i].clone(),
                    status,
                    is_local,
                    last_heard: p.last_status,
                    generation: if is_local { self.generation } else { p.rx.generation },
                    links,
                }
            })
            .collect();
        let groups = (0..self.groups.len())
            .map(|g| {
                let rt = &self.groups[g];
                let owner = if rt.want || rt.state == GroupState::Running {
                    Some(self.cfg.local_node.clone())
                } else {
                    self.other_indices()
                        .find(|&p| self.claimed_by_peer(p, g))
                        .map(|p| self.cfg.nodes[p].clone())
                };
                GroupSnapshot {
                    id: GroupId(g as u16),
                    name: self.cfg.groups[g].name.clone(),
                    preferred_node: self.cfg.groups[g].preferred_node.clone(),
                    owner,
                    local_state: rt.state,
                    since: rt.since,
                    reason: rt.reason,
                }
            })
            .collect();
        Snapshot {
            local_node: self.cfg.local_node.clone(),
            generation: self.generation,
            comm_up: self.comm == Comm::Up,
            stable: self.rsc == crate::resources::RscState::Stable,
            resources: self.held_set(),
            nodes,
            groups,
            drops: self.drops,
        }
    }
}
