//! What the daemon tells people: engine events as log lines and API event records, and the
//! engine snapshot as the API's status.

use std::collections::BTreeMap;
use std::time::Duration;

use hb_api::{EventRecord, GroupStatus, LinkStatus, NodeStatus, Status};
use hb_core::{Event, GroupState, Instant, OwnershipReason, Snapshot};

/// Late-heartbeat statistics per node, gathered from [`Event::LateHeartbeat`].
#[derive(Debug, Clone, Default)]
pub struct LateStats {
    /// Per node name: (count, worst lateness).
    by_node: BTreeMap<String, (u64, Duration)>,
}

impl LateStats {
    /// Counts one late heartbeat.
    pub fn record(&mut self, node: &str, late_by: Duration) {
        let e = self.by_node.entry(node.to_owned()).or_default();
        e.0 += 1;
        e.1 = e.1.max(late_by);
    }

    /// Per node: name, count, worst lateness.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64, Duration)> + '_ {
        self.by_node.iter().map(|(n, (c, w))| (n.as_str(), *c, *w))
    }
}

/// Static facts about the configuration that the status shows.
#[derive(Debug, Clone, Default)]
pub struct StaticInfo {
    /// `cl_status hbparameter` values by heartbeat's key.
    pub parameters: BTreeMap<String, String>,
    /// Each group's resources as written.
    pub group_resources: Vec<Vec<String>>,
}

/// Builds the API status from a snapshot taken at `now`, with heartbeat 3.0.6's views:
///
/// - Nodes, and each node's links, come in the order `cl_status` walks them: the reverse of
///   `ha.cf` order. heartbeat's API sends its node (and interface) table in `ha.cf` order and
///   its client library prepends each name it receives, so `cl_status listnodes` prints `n2`
///   before `n1` for `node n1` / `node n2`, on every node.
/// - This node's own links read `dead`: heartbeat never hears itself on them
///   (`cl_status hblinkstatus n1 eth0` on n1 prints `dead` and exits 1).
pub fn status(snap: &Snapshot, now: Instant, late: &LateStats, info: &StaticInfo) -> Status {
    let age = |t: Option<Instant>| {
        t.map(|t| u64::try_from(now.saturating_duration_since(t).as_millis()).unwrap_or(u64::MAX))
    };
    let nodes = snap
        .nodes
        .iter()
        .rev()
        .map(|n| {
            let (count, worst) = late.by_node.get(&n.name).copied().unwrap_or_default();
            NodeStatus {
                name: n.name.clone(),
                node_type: "normal".into(),
                status: n.status.as_str().into(),
                weight: 100,
                site: String::new(),
                links: n
                    .links
                    .iter()
                    .rev()
                    .map(|l| LinkStatus {
                        name: l.name.clone(),
                        status: if l.up && !n.is_local { "up" } else { "dead" }.into(),
                        last_heard_ms: if n.is_local { None } else { age(l.last_heard) },
                        late_heartbeats: count,
                        max_late_ms: u64::try_from(worst.as_millis()).unwrap_or(u64::MAX),
                    })
                    .collect(),
            }
        })
        .collect();
    let groups = snap
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| GroupStatus {
            index: i,
            preferred: g.preferred_node.clone(),
            resources: info.group_resources.get(i).cloned().unwrap_or_default(),
            owner: g.owner.clone(),
            state: group_state(g.local_state).into(),
            since_ms: age(Some(g.since)).unwrap_or(0),
            reason: g.reason.map(reason_text).unwrap_or("").into(),
        })
        .collect();
    Status {
        version: env!("CARGO_PKG_VERSION").into(),
        node: snap.local_node.clone(),
        rsc_status: snap.resources.as_str().into(),
        nodes,
        groups,
        parameters: info.parameters.clone(),
        checks: BTreeMap::new(),
        reserved_ips: BTreeMap::new(),
        vrrp: Vec::new(),
        arbiter: BTreeMap::new(),
    }
}

/// A group state as `hbctl status` spells it.
pub(crate) fn group_state(s: GroupState) -> &'static str {
    match s {
        GroupState::Stopped => "stopped",
        GroupState::Starting => "starting",
        GroupState::Running => "started",
        GroupState::Stopping => "stopping",
        GroupState::Failed => "failed",
    }
}

/// Why a group is where it is, in words.
pub fn reason_text(r: OwnershipReason) -> &'static str {
    match r {
        OwnershipReason::Startup => "start-up",
        OwnershipReason::NodeDead => "holder dead",
        OwnershipReason::PeerShutdown => "holder shut down",
        OwnershipReason::Failback => "failback",
        OwnershipReason::Standby => "standby/takeover requested",
        OwnershipReason::LocalShutdown => "local shutdown",
        OwnershipReason::SplitBrain => "split brain resolved",
        OwnershipReason::StartFailed => "start failed",
        OwnershipReason::IpRequest => "ip-request",
        OwnershipReason::Isolated => "isolated (no peer, no ping node)",
        OwnershipReason::ArbiterUnreachable => "etcd unreachable past the grace (release)",
    }
}

/// Logs an event the way heartbeat words it where it has a wording, and returns its API
/// record. `groups` names groups by their key.
pub fn event(ev: &Event, unix_ms: u64, groups: &[String], links: &[String]) -> EventRecord {
    let group = |g: &hb_core::GroupId| {
        groups.get(usize::from(g.0)).cloned().unwrap_or_else(|| format!("#{}", g.0))
    };
    let link = |l: &hb_core::LinkId| {
        links.get(usize::from(l.0)).cloned().unwrap_or_else(|| format!("#{}", l.0))
    };
    let (name, detail) = match ev {
        Event::NodeStatus { node, status } => {
            if *status == hb_core::NodeStatus::Dead {
                tracing::warn!("node {node}: is dead");
            } else {
                tracing::info!("Status update for node {node}: status {status}");
            }
            ("node_status", format!("{node} {status}"))
        }
        Event::LateHeartbeat { node, gap, late_by } => {
            tracing::warn!(
                "Late heartbeat: Node {node}: interval {} ms (late by {} ms)",
                gap.as_millis(),
                late_by.as_millis()
            );
            ("late_heartbeat", format!("{node} gap {} ms", gap.as_millis()))
        }
        Event::LinkStatus { node, link: l, up } => {
            let word = if *up { "up" } else { "dead" };
            if *up {
                tracing::info!("Link {node}:{} {word}.", link(l));
            } else {
                tracing::warn!("Link {node}:{} {word}.", link(l));
            }
            (if *up { "link_up" } else { "link_down" }, format!("{node}:{}", link(l)))
        }
        Event::CommUp => {
            tracing::info!("Comm_now_up(): updating status to active");
            ("comm_up", String::new())
        }
        Event::Ownership { group: g, owner, reason } => {
            let who = owner.clone().unwrap_or_else(|| "nobody".into());
            tracing::info!("Group {}: now held by {who} ({})", group(g), reason_text(*reason));
            ("ownership", format!("{} {who} {}", group(g), reason_text(*reason)))
        }
        Event::StandbyRefused { reason } => {
            tracing::warn!("Standby/takeover request refused: {reason}");
            ("standby_refused", reason.clone())
        }
        Event::StandbyCompleted { set } => {
            tracing::info!("Standby/takeover of {set} resources completed");
            ("standby_completed", set.to_string())
        }
        Event::SplitBrainSuspected { node, groups: gs, we_keep } => {
            let names: Vec<String> = gs.iter().map(group).collect();
            tracing::error!(
                "Split brain: node {node} also holds {}; {}",
                names.join(", "),
                if *we_keep { "we keep them (preferred node)" } else { "releasing them" }
            );
            ("split_brain", format!("{node} {} keep={we_keep}", names.join(",")))
        }
        Event::StartFailed { group: g, reason } => {
            tracing::error!("Group {} failed to start: {reason}", group(g));
            ("start_failed", format!("{}: {reason}", group(g)))
        }
        Event::StopFailed { group: g, reason } => {
            tracing::error!("Group {} failed to stop: {reason}", group(g));
            ("stop_failed", format!("{}: {reason}", group(g)))
        }
        Event::PeerRestarted { node, generation } => {
            tracing::info!("node {node} restarted (generation {generation})");
            ("peer_restarted", format!("{node} {generation}"))
        }
        Event::PeerReturned { node } => {
            tracing::warn!("node {node} returned after being declared dead (partition healed?)");
            ("peer_returned", node.clone())
        }
        Event::Dropped { node, reason } => {
            tracing::debug!("dropped message from {node:?}: {reason:?}");
            ("dropped", format!("{node} {reason:?}"))
        }
        Event::PacketLost { node, seq } => {
            tracing::error!("lost packet from {node}: seq {seq} cannot be retransmitted");
            ("packet_lost", format!("{node} {seq}"))
        }
        Event::StonithNotice { from, node, result } => {
            tracing::info!("stonith notice from {from}: node {node}: {result}");
            ("stonith_notice", format!("{from} {node} {result}"))
        }
        Event::Health(h) => crate::health::describe(h, group),
        Event::Lease(l) => crate::arbiter_report::describe(l, group),
        Event::ShutdownComplete => {
            tracing::info!("Heartbeat shutdown complete.");
            ("shutdown_complete", String::new())
        }
        other => {
            tracing::info!("{other:?}");
            ("other", format!("{other:?}"))
        }
    };
    EventRecord { unix_ms, event: name.into(), detail }
}

/// `cl_status hbparameter` values: heartbeat's keys with values as heartbeat prints them.
pub fn parameters(config: &hb_config::Config) -> BTreeMap<String, String> {
    let t = &config.hacf.timers;
    let dur = |d: Duration| {
        if d.subsec_millis() == 0 && d.subsec_nanos() == 0 {
            d.as_secs().to_string()
        } else {
            format!("{}ms", d.as_millis())
        }
    };
    let mut p = BTreeMap::new();
    // heartbeat's value is `3.0.6 (node: <build id>)`; scripts read the leading number.
    p.insert("hbversion".into(), format!("3.0.6 (heartbeat-rs {})", env!("CARGO_PKG_VERSION")));
    p.insert("keepalive".into(), dur(t.keepalive));
    p.insert("deadtime".into(), dur(t.deadtime));
    p.insert("warntime".into(), dur(t.warntime));
    p.insert("initdead".into(), dur(t.initdead));
    p.insert(
        "auto_failback".into(),
        match config.hacf.auto_failback {
            hb_config::AutoFailback::On => "on",
            hb_config::AutoFailback::Off => "off",
            hb_config::AutoFailback::Legacy => "legacy",
        }
        .into(),
    );
    p.insert("cluster".into(), config.hacf.tuning.cluster_name.clone());
    // Values heartbeat 3.0.6 showed for these with them unset (`hopfudge 1`, `realtime true`,
    // `debug 0`) or as written (`logfile`).
    let tuning = &config.hacf.tuning;
    p.insert("hopfudge".into(), tuning.hopfudge.to_string());
    p.insert("realtime".into(), tuning.realtime.to_string());
    p.insert("debug".into(), config.hacf.logging.debug_level.to_string());
    if let Some(f) = &config.hacf.logging.logfile {
        p.insert("logfile".into(), f.display().to_string());
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use hb_core::{EngineConfig, Node};

    #[test]
    fn snapshot_maps_to_status() {
        let mut cfg = EngineConfig::with_defaults("a", &["a", "b"], [7; 16]);
        cfg.groups.push(hb_core::GroupConfig {
            name: "10.0.0.1".into(),
            preferred_node: "a".into(),
            resources: vec!["10.0.0.1".into()],
        });
        let node = Node::new(cfg, 1, Instant::ZERO).expect("node");
        let mut late = LateStats::default();
        late.record("b", Duration::from_millis(1500));
        late.record("b", Duration::from_millis(700));
        let info = StaticInfo {
            parameters: BTreeMap::from([("deadtime".to_owned(), "30".to_owned())]),
            group_resources: vec![vec!["10.0.0.1".into()]],
        };
        let st = status(&node.snapshot(), Instant::from_nanos(5_000_000_000), &late, &info);
        assert_eq!(st.node, "a");
        let names: Vec<&str> = st.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["b", "a"], "cl_status's walk order: ha.cf order reversed");
        assert_eq!(st.nodes[0].links[0].late_heartbeats, 2);
        assert_eq!(st.nodes[0].links[0].max_late_ms, 1500);
        assert_eq!(st.nodes[1].links[0].status, "dead", "heartbeat never hears itself");
        assert_eq!(st.nodes[1].links[0].last_heard_ms, None);
        assert_eq!(st.groups[0].state, "stopped");
        assert_eq!(st.groups[0].since_ms, 5000);
        assert_eq!(st.parameters["deadtime"], "30");
    }

    #[test]
    fn parameters_print_seconds_or_ms() {
        let c = hb_config::Config::from_texts(
            "keepalive 200ms\ndeadtime 2\nbcast eth0\nnode a b\n",
            "",
            "auth 1\n1 crc\n",
            694,
        )
        .expect("config");
        let p = parameters(&c);
        assert_eq!(p["keepalive"], "200ms");
        assert_eq!(p["deadtime"], "2");
        assert_eq!(p["auto_failback"], "legacy", "heartbeat's code default");
        assert_eq!((p["hopfudge"].as_str(), p["realtime"].as_str()), ("1", "true"));
        assert_eq!((p["debug"].as_str(), p.get("logfile")), ("0", None));
        assert!(p["hbversion"].starts_with("3.0.6 (heartbeat-rs "), "{}", p["hbversion"]);
    }
}
