//! The engine's configuration: plain values, no file parsing (hb-config turns `ha.cf`,
//! `haresources` and persisted state into this).

use std::time::Duration;

use crate::error::CoreError;

/// Most nodes a cluster may have (heartbeat's `MAXNODE`).
pub const MAX_NODES: usize = 100;
/// Most media (heartbeat's `MAXMEDIA`).
pub const MAX_LINKS: usize = 64;
/// Most resource groups we manage.
pub const MAX_GROUPS: usize = 256;

/// `auto_failback` directive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoFailback {
    /// Nice failback: groups go back to their preferred node when it returns.
    On,
    /// Nice failback: the current holder keeps them.
    Off,
    /// No `starting`/`resource` negotiation; nodes ask for their groups with `ip-request`.
    Legacy,
}

/// One `haresources` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupConfig {
    /// Group key: the first resource exactly as written (used on the wire as `ipaddr`).
    pub name: String,
    /// The node the line names (lower case).
    pub preferred_node: String,
    /// The resources, left to right; opaque to the engine.
    pub resources: Vec<String>,
}

/// Everything the engine needs to know. Timers are `Duration`s already validated by the
/// caller's parser; [`EngineConfig::validate`] checks the relations heartbeat requires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// This node's name (`uname -n`, lower case).
    pub local_node: String,
    /// All cluster nodes in `ha.cf` order, including the local node.
    pub nodes: Vec<String>,
    /// Media names in `ha.cf` order; [`crate::LinkId`] indexes this list.
    pub links: Vec<String>,
    /// `keepalive`: status interval.
    pub keepalive: Duration,
    /// `warntime`: log a late heartbeat after this long.
    pub warntime: Duration,
    /// `deadtime`: declare a silent node dead after this long.
    pub deadtime: Duration,
    /// `initdead`: dead time used until every node has been heard from.
    pub initdead: Duration,
    /// `auto_failback`.
    pub auto_failback: AutoFailback,
    /// `haresources` groups in file order; [`crate::GroupId`] indexes this list.
    pub groups: Vec<GroupConfig>,
    /// Last generation persisted (the node runs with this + 1 and asks the shell to persist
    /// that). Pass the current Unix time when no state file exists, as heartbeat does.
    pub generation: u32,
    /// This node's persistent UUID.
    pub uuid: [u8; 16],
    /// `max_rexmit_delay` (heartbeat default 250 ms).
    pub max_rexmit_delay: Duration,
    /// Fence a peer that died without handing over before taking its groups (`stonith` /
    /// `stonith_host` configured).
    pub fencing: bool,
}

impl EngineConfig {
    /// A configuration with heartbeat's defaults (keepalive 1 s, deadtime 30 s, warntime 15 s,
    /// initdead 30 s, `auto_failback on`) for tests and examples.
    pub fn with_defaults(local_node: &str, nodes: &[&str], uuid: [u8; 16]) -> EngineConfig {
        EngineConfig {
            local_node: local_node.to_owned(),
            nodes: nodes.iter().map(|n| (*n).to_owned()).collect(),
            links: vec!["eth0".to_owned()],
            keepalive: Duration::from_secs(1),
            warntime: Duration::from_secs(15),
            deadtime: Duration::from_secs(30),
            initdead: Duration::from_secs(30),
            auto_failback: AutoFailback::On,
            groups: Vec::new(),
            generation: 1,
            uuid,
            max_rexmit_delay: Duration::from_millis(250),
            fencing: false,
        }
    }

    /// Checks what heartbeat checks at start-up plus our own limits.
    pub fn validate(&self) -> Result<(), CoreError> {
        if self.nodes.is_empty() || self.nodes.len() > MAX_NODES {
            return Err(CoreError::NodeCount(self.nodes.len()));
        }
        if !self.nodes.contains(&self.local_node) {
            return Err(CoreError::LocalNodeMissing(self.local_node.clone()));
        }
        for (i, n) in self.nodes.iter().enumerate() {
            if n.is_empty() || n.len() > 99 || self.nodes[..i].contains(n) {
                return Err(CoreError::BadNodeName(n.clone()));
            }
        }
        if self.links.is_empty() || self.links.len() > MAX_LINKS {
            return Err(CoreError::LinkCount(self.links.len()));
        }
        if self.groups.len() > MAX_GROUPS {
            return Err(CoreError::GroupCount(self.groups.len()));
        }
        for g in &self.groups {
            if !self.nodes.contains(&g.preferred_node) {
                return Err(CoreError::UnknownPreferredNode(g.name.clone()));
            }
        }
        if self.keepalive.is_zero() || self.deadtime <= self.keepalive * 2 {
            return Err(CoreError::Timing("deadtime must be more than 2 × keepalive"));
        }
        if self.initdead < self.deadtime {
            return Err(CoreError::Timing("initdead must be at least deadtime"));
        }
        if self.warntime.is_zero() {
            return Err(CoreError::Timing("warntime must be positive"));
        }
        Ok(())
    }
}
