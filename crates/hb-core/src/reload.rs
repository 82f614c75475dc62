//! Live reconfiguration: the difference between the running [`EngineConfig`] and a new one,
//! applied without a restart ([`Node::reconfigure`]).
//!
//! Groups are matched by name (their first resource as written, the key heartbeat uses on the
//! wire). A group present in both with the same resources keeps its state untouched, whatever
//! its position; a group whose resources changed is restarted in place from the first changed
//! resource if it runs here (the shell stops the old resources from that one right to left,
//! then starts the new ones from it; the engine sees an ordinary restart in place and announces
//! no owner change); a new group is acquired by the normal rules; a removed one is forgotten
//! (the shell stops it if it ran here). A new preferred node for an existing group is refused:
//! it flips the group between the `local` and `foreign` sets that `resource` messages state,
//! and two nodes that disagree on it read each other's statements as a split brain. Nodes and media are matched by name; a node added
//! starts as dead and never heard (it joins like a node that boots); a node removed is
//! forgotten. Timers take effect from the next keepalive.
//!
//! A reload is refused while something is in flux (an action outstanding, a standby exchange,
//! a shutdown): the shell applies it once things settle.

use crate::api::{Action, GroupId, NodeStatus, Output, OwnershipReason};
use crate::config::{AutoFailback, EngineConfig};
use crate::error::CoreError;
use crate::groups::{GroupRt, GroupState};
use crate::node::{Comm, Node, Shutdown};
use crate::peers::{PathState, Peer};
use crate::standby::Standby;
use crate::timers::Timer;

/// What happened to one `haresources` group in a reload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupChange {
    /// New: acquired here at once if the normal rules give it to this node.
    Added {
        /// Group name.
        name: String,
        /// Its index in the new configuration.
        id: GroupId,
        /// This node started acquiring it.
        acquired: bool,
    },
    /// Gone from the configuration.
    Removed {
        /// Group name.
        name: String,
        /// Its index in the old configuration.
        old: GroupId,
        /// It was (perhaps partly) running here: the shell must stop its old resources.
        held: bool,
    },
    /// Same name, other resources.
    Changed {
        /// Group name.
        name: String,
        /// Index in the old configuration.
        old: GroupId,
        /// Index in the new configuration.
        id: GroupId,
        /// Index of the first resource that differs.
        from: usize,
        /// It runs here and is being restarted in place from `from`: the next
        /// [`Output::RunAction`] stop of `id` stops the *old* resources from `from` (right to
        /// left), the following start starts the new ones from `from`.
        restart: bool,
    },
}

/// The difference a reload applied, for the operator and for the shell.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReloadPlan {
    /// keepalive, warntime, deadtime or initdead changed.
    pub timers: bool,
    /// `auto_failback` changed (between `on` and `off`).
    pub auto_failback: bool,
    /// Fencing switched on or off.
    pub fencing: bool,
    /// Media added (by name).
    pub links_added: Vec<String>,
    /// Media removed (by name).
    pub links_removed: Vec<String>,
    /// Nodes added.
    pub nodes_added: Vec<String>,
    /// Nodes removed (forgotten).
    pub nodes_removed: Vec<String>,
    /// Groups added, removed or changed; unchanged groups are not listed.
    pub groups: Vec<GroupChange>,
    /// For each old group index, its index in the new configuration (`None`: removed).
    pub group_map: Vec<Option<GroupId>>,
    /// For each old link index, its index in the new configuration (`None`: removed).
    pub link_map: Vec<Option<usize>>,
}

impl ReloadPlan {
    /// Nothing the engine knows about changed.
    pub fn is_empty(&self) -> bool {
        !self.timers
            && !self.auto_failback
            && !self.fencing
            && self.links_added.is_empty()
            && self.links_removed.is_empty()
            && self.nodes_added.is_empty()
            && self.nodes_removed.is_empty()
            && self.groups.is_empty()
    }

    /// One line per change, for logs and `hbctl reload`.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.timers {
            out.push("timers changed".to_owned());
        }
        if self.auto_failback {
            out.push("auto_failback changed".to_owned());
        }
        if self.fencing {
            out.push("fencing switched".to_owned());
        }
        out.extend(self.links_added.iter().map(|l| format!("medium added: {l}")));
        out.extend(self.links_removed.iter().map(|l| format!("medium removed: {l}")));
        out.extend(self.nodes_added.iter().map(|n| format!("node added: {n}")));
        out.extend(self.nodes_removed.iter().map(|n| format!("node removed: {n}")));
        for g in &self.groups {
            out.push(match g {
                GroupChange::Added { name, acquired, .. } => {
                    format!(
                        "group added: {name}{}",
                        if *acquired { " (acquiring here)" } else { "" }
                    )
                }
                GroupChange::Removed { name, held, .. } => {
                    format!("group removed: {name}{}", if *held { " (releasing here)" } else { "" })
                }
                GroupChange::Changed { name, from, restart, .. } => format!(
                    "group changed: {name} from resource {}{}",
                    from + 1,
                    if *restart { " (restarting in place here)" } else { "" }
                ),
            });
        }
        out
    }
}

impl Node {
    /// Whether a reload can be applied now (`None`) or why not (something is in flux).
    pub fn reload_blocked(&self) -> Option<&'static str> {
        if self.shutdown != Shutdown::None {
            Some("a shutdown is in progress")
        } else if self.standby != Standby::Not {
            Some("a standby exchange is in progress")
        } else if !self.actions_idle() {
            Some("resource actions are in progress")
        } else {
            None
        }
    }

    /// Replaces the configuration by `new`, keeping this node's generation and UUID, and
    /// applies the difference (see the module documentation). On an error nothing changed.
    pub fn reconfigure(&mut self, new: EngineConfig) -> Result<ReloadPlan, CoreError> {
        let mut new = new;
        new.generation = self.cfg.generation;
        new.uuid = self.cfg.uuid;
        new.validate()?;
        if new.local_node != self.cfg.local_node {
            return Err(CoreError::Reload("the local node name cannot change"));
        }
        let legacy = |a: AutoFailback| a == AutoFailback::Legacy;
        if legacy(new.auto_failback) != legacy(self.cfg.auto_failback) {
            return Err(CoreError::Reload(
                "auto_failback legacy cannot be switched on or off without a restart",
            ));
        }
        // A group's preferred node decides whether it is `local` or `foreign`, and `resource`
        // messages only state those sets: while the two nodes disagree on it (one reloaded,
        // the other not yet) each reads the other's statement wrongly and sees a split brain.
        let moved = self.cfg.groups.iter().any(|g| {
            new.groups.iter().any(|n| n.name == g.name && n.preferred_node != g.preferred_node)
        });
        if moved {
            return Err(CoreError::Reload(
                "a group's preferred node cannot change live (remove the group in one reload, \
                 add it back with the new node in the next)",
            ));
        }
        if let Some(why) = self.reload_blocked() {
            return Err(CoreError::Busy(why));
        }
        let old = std::mem::replace(&mut self.cfg, new);
        let mut plan = ReloadPlan {
            timers: old.keepalive != self.cfg.keepalive
                || old.warntime != self.cfg.warntime
                || old.deadtime != self.cfg.deadtime
                || old.initdead != self.cfg.initdead,
            auto_failback: old.auto_failback != self.cfg.auto_failback,
            fencing: old.fencing != self.cfg.fencing,
            ..ReloadPlan::default()
        };
        self.remap_links(&old, &mut plan);
        self.remap_nodes(&old, &mut plan);
        self.remap_groups(&old, &mut plan);
        if plan.timers {
            self.timers.set(Timer::Keepalive, self.now + self.cfg.keepalive);
        }
        self.acquire_added(&mut plan);
        self.rearm_derived();
        self.reannounce_if_changed();
        Ok(plan)
    }

    fn remap_links(&mut self, old: &EngineConfig, plan: &mut ReloadPlan) {
        // Media are named by interface, so names repeat (`bcast eth0` and `ucast eth0 …`):
        // the k-th medium of a name is matched with the k-th of the same name.
        let mut taken = vec![false; self.cfg.links.len()];
        plan.link_map = old
            .links
            .iter()
            .map(|l| {
                let m = (0..self.cfg.links.len()).find(|&i| !taken[i] && self.cfg.links[i] == *l);
                if let Some(i) = m {
                    taken[i] = true;
                }
                m
            })
            .collect();
        plan.links_removed = old
            .links
            .iter()
            .zip(&plan.link_map)
            .filter(|(_, m)| m.is_none())
            .map(|(l, _)| l.clone())
            .collect();
        plan.links_added = self
            .cfg
            .links
            .iter()
            .zip(&taken)
            .filter(|(_, t)| !**t)
            .map(|(l, _)| l.clone())
            .collect();
        let n = self.cfg.links.len();
        for p in &mut self.peers {
            let mut paths = vec![PathState::default(); n];
            for (o, m) in plan.link_map.iter().enumerate() {
                if let (Some(m), Some(s)) = (m, p.paths.get(o)) {
                    paths[*m] = *s;
                }
            }
            p.paths = paths;
        }
    }

    fn remap_nodes(&mut self, old: &EngineConfig, plan: &mut ReloadPlan) {
        plan.nodes_removed =
            old.nodes.iter().filter(|n| !self.cfg.nodes.contains(n)).cloned().collect();
        plan.nodes_added =
            self.cfg.nodes.iter().filter(|n| !old.nodes.contains(n)).cloned().collect();
        if plan.nodes_added.is_empty()
            && plan.nodes_removed.is_empty()
            && old.nodes == self.cfg.nodes
        {
            return;
        }
        let links = self.cfg.links.len();
        let mut kept: Vec<Option<Peer>> =
            std::mem::take(&mut self.peers).into_iter().map(Some).collect();
        let mut peers = Vec::with_capacity(self.cfg.nodes.len());
        for name in &self.cfg.nodes {
            let found = old.nodes.iter().position(|n| n == name).and_then(|i| kept[i].take());
            peers.push(found.unwrap_or_else(|| {
                // Never heard and not running as far as we know: it joins when it starts,
                // like a node that boots. Nothing of it is taken over (it holds nothing).
                let mut p = Peer::new(name.clone(), links, self.rng.range(0, 9) as u32);
                p.status = NodeStatus::Dead;
                p
            }));
        }
        self.peers = peers;
        self.me = self.cfg.nodes.iter().position(|n| *n == self.cfg.local_node).unwrap_or(0);
        self.other_answered.clear();
    }

    fn remap_groups(&mut self, old: &EngineConfig, plan: &mut ReloadPlan) {
        let now = self.now;
        let mut rts: Vec<Option<GroupRt>> =
            std::mem::take(&mut self.groups).into_iter().map(Some).collect();
        let mut healths: Vec<_> = std::mem::take(&mut self.health).into_iter().map(Some).collect();
        let mut requested = std::mem::take(&mut self.ip_requested);
        let mut answers = std::mem::take(&mut self.ip_answer);
        plan.group_map = old
            .groups
            .iter()
            .map(|g| {
                let at = self.cfg.groups.iter().position(|n| n.name == g.name);
                at.map(|i| GroupId(i as u16))
            })
            .collect();
        let n = self.cfg.groups.len();
        let (mut groups, mut health) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut ip_requested, mut ip_answer) = (vec![false; n], vec![None; n]);
        for (i, g) in self.cfg.groups.iter().enumerate() {
            let Some(o) = old.groups.iter().position(|x| x.name == g.name) else {
                groups.push(GroupRt::new(now));
                health.push(crate::health::HealthRt::default());
                plan.groups.push(GroupChange::Added {
                    name: g.name.clone(),
                    id: GroupId(i as u16),
                    acquired: false,
                });
                continue;
            };
            let rt = rts[o].take().unwrap_or_else(|| GroupRt::new(now));
            let restart = old.groups[o].resources != g.resources && rt.state == GroupState::Running;
            if old.groups[o] != *g {
                let from = old.groups[o]
                    .resources
                    .iter()
                    .zip(&g.resources)
                    .take_while(|(a, b)| a == b)
                    .count();
                plan.groups.push(GroupChange::Changed {
                    name: g.name.clone(),
                    old: GroupId(o as u16),
                    id: GroupId(i as u16),
                    from,
                    restart,
                });
            }
            groups.push(rt);
            health.push(healths[o].take().unwrap_or_default());
            ip_requested[i] = requested.get_mut(o).is_some_and(std::mem::take);
            ip_answer[i] = answers.get_mut(o).and_then(Option::take);
        }
        for (o, g) in old.groups.iter().enumerate() {
            if plan.group_map[o].is_none() {
                let held = rts[o].as_ref().is_some_and(|rt| rt.state != GroupState::Stopped);
                plan.groups.push(GroupChange::Removed {
                    name: g.name.clone(),
                    old: GroupId(o as u16),
                    held,
                });
            }
        }
        self.groups = groups;
        self.health = health;
        self.ip_requested = ip_requested;
        self.ip_answer = ip_answer;
        let map = plan.group_map.clone();
        let remap = |v: &mut Vec<usize>| {
            *v = v
                .iter()
                .filter_map(|&o| map.get(o).copied().flatten())
                .map(|g| g.0.into())
                .collect();
        };
        remap(&mut self.standby_released);
        for p in &mut self.peers {
            if let Some(c) = p.claims.as_mut() {
                remap(c);
            }
        }
        for change in &plan.groups {
            if let GroupChange::Changed { id, restart: true, .. } = change {
                let g = usize::from(id.0);
                self.groups[g].state = GroupState::Stopping;
                self.health[g].restarting = true;
                self.push_output(Output::RunAction { group: *id, action: Action::Stop, from: 0 });
            }
        }
    }

    /// New groups go where the normal rules put them: to their preferred node if it runs,
    /// else to the first live node in configuration order; never one a peer already claims
    /// (it reloaded first and took it).
    fn acquire_added(&mut self, plan: &mut ReloadPlan) {
        if self.comm != Comm::Up || self.takeover_blocked() {
            // Still starting: the start-up acquisition covers the new groups.
            return;
        }
        for change in &mut plan.groups {
            let GroupChange::Added { id, acquired, .. } = change else { continue };
            let g = usize::from(id.0);
            let mine = self.pref(g) == self.me;
            if self.takeover_target(g) != Some(self.me) || (!mine && self.claimed_by_any_peer(g)) {
                continue;
            }
            let reason = if mine { OwnershipReason::Startup } else { OwnershipReason::NodeDead };
            self.set_want(g, true, reason);
            self.groups[g].needs_failback = !mine;
            *acquired = true;
        }
    }
}

#[cfg(test)]
#[path = "reload_test.rs"]
mod reload_test;
