//! The state half of the metrics: a [`View`] of the engine snapshot that the run loop publishes
//! and a [`Collector`] that turns the latest one into gauges and counters at scrape time.
//!
//! Everything here is derived from data the daemon already keeps for `cl_status` (the engine's
//! [`Snapshot`], the late-heartbeat statistics of [`crate::report`]), so nothing is counted
//! twice. Ages ("last heard N seconds ago") are computed when the scrape runs, from instants,
//! so they stay exact however long ago the view was published.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant as StdInstant};

use hb_core::{Instant, Snapshot};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

use crate::report::{self, LateStats};

/// Node statuses in `cl_status` spelling: the values of `heartbeat_node_status`'s `status`.
pub const NODE_STATUSES: [&str; 4] = ["init", "up", "active", "dead"];

/// Group states as `hbctl status` spells them: the values of `heartbeat_group_state`'s `state`.
pub const GROUP_STATES: [&str; 5] = ["stopped", "starting", "started", "stopping", "failed"];

/// Resource sets as `cl_status rscstatus` spells them.
pub const RESOURCE_SETS: [&str; 4] = ["none", "local", "foreign", "all"];

/// The engine's drop reasons, in the order of `Snapshot::drops`, as `reason` label values.
pub const DROP_REASONS: [&str; 8] = [
    "malformed",
    "unknown_node",
    "own",
    "replay",
    "duplicate",
    "not_for_us",
    "ignored",
    "shut_down",
];

/// What the run loop last published: plain data, cheap to share.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// This node's name.
    pub local_node: String,
    /// `cl_status rscstatus`.
    pub resources: &'static str,
    /// Every configured node.
    pub nodes: Vec<NodeView>,
    /// Every group.
    pub groups: Vec<GroupView>,
    /// The engine's drop counters (see [`DROP_REASONS`]).
    pub drops: [u64; 8],
    /// Per node: late heartbeats and the worst lateness.
    pub late: Vec<(String, u64, Duration)>,
    /// Failed sends on any medium.
    pub send_failures: u64,
    /// When the run loop built it (`None` before the first one).
    pub published: Option<StdInstant>,
}

/// One node of a [`View`].
#[derive(Debug, Clone)]
pub struct NodeView {
    /// Name.
    pub name: String,
    /// Status (`init`, `up`, `active`, `dead`).
    pub status: &'static str,
    /// Is this us.
    pub is_local: bool,
    /// Per medium: name, up, when a packet for us last came on it.
    pub links: Vec<(String, bool, Option<StdInstant>)>,
}

/// One group of a [`View`].
#[derive(Debug, Clone)]
pub struct GroupView {
    /// Group key.
    pub name: String,
    /// Holder as far as this node knows.
    pub owner: Option<String>,
    /// What it is doing here (see [`GROUP_STATES`]).
    pub state: &'static str,
}

impl View {
    /// Builds a view from an engine snapshot; `origin` is the real instant of engine time zero.
    pub fn from_snapshot(
        snap: &Snapshot,
        origin: StdInstant,
        late: &LateStats,
        send_failures: u64,
    ) -> View {
        let real = |t: Instant| origin + Duration::from_nanos(t.as_nanos());
        View {
            local_node: snap.local_node.clone(),
            resources: snap.resources.as_str(),
            nodes: snap
                .nodes
                .iter()
                .map(|n| NodeView {
                    name: n.name.clone(),
                    status: n.status.as_str(),
                    is_local: n.is_local,
                    links: n
                        .links
                        .iter()
                        .map(|l| (l.name.clone(), l.up, l.last_heard.map(real)))
                        .collect(),
                })
                .collect(),
            groups: snap
                .groups
                .iter()
                .map(|g| GroupView {
                    name: g.name.clone(),
                    owner: g.owner.clone(),
                    state: report::group_state(g.local_state),
                })
                .collect(),
            drops: snap.drops,
            late: late.iter().map(|(n, c, w)| (n.to_owned(), c, w)).collect(),
            send_failures,
            published: Some(StdInstant::now()),
        }
    }
}

/// Rejections the daemon makes before the engine sees a packet (the digest check and the
/// codec), by reason.
#[derive(Debug, Default)]
pub struct WireRejects {
    /// Bad or missing digest, unknown key index.
    pub auth: AtomicU64,
    /// Not a heartbeat message at all (framing, netstrings, size).
    pub malformed: AtomicU64,
}

/// The scrape-time collector over the latest published [`View`].
#[derive(Debug)]
pub struct StateCollector {
    /// The latest view; the run loop swaps the `Arc`, the scrape clones it (the lock is held
    /// for a pointer copy only, so neither side ever waits for the other's work).
    pub view: Arc<Mutex<Arc<View>>>,
    /// Rejections counted outside the engine.
    pub wire: Arc<WireRejects>,
}

impl Collector for StateCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let view = match self.view.lock() {
            Ok(v) => Arc::clone(&v),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        };
        let now = StdInstant::now();
        let one = |b: bool| ConstGauge::new(i64::from(b));

        let mut m = enc.encode_descriptor(
            "heartbeat_node_status",
            "Node status as cl_status nodestatus shows it: 1 for the current status.",
            None,
            MetricType::Gauge,
        )?;
        for n in &view.nodes {
            for s in NODE_STATUSES {
                one(n.status == s)
                    .encode(m.encode_family(&[("node", &*n.name), ("status", s)])?)?;
            }
        }

        let mut m = enc.encode_descriptor(
            "heartbeat_resources_held",
            "What this node holds as cl_status rscstatus shows it: 1 for the current set.",
            None,
            MetricType::Gauge,
        )?;
        for s in RESOURCE_SETS {
            one(view.resources == s).encode(m.encode_family(&[("set", s)])?)?;
        }

        let peer_links = || {
            view.nodes
                .iter()
                .filter(|n| !n.is_local)
                .flat_map(|n| n.links.iter().map(move |l| (&*n.name, l)))
        };
        let mut m = enc.encode_descriptor(
            "heartbeat_link_up",
            "Whether heartbeats from the node arrive on the medium (1 up, 0 dead).",
            None,
            MetricType::Gauge,
        )?;
        for (node, (link, up, _)) in peer_links() {
            one(*up).encode(m.encode_family(&[("node", node), ("link", &**link)])?)?;
        }
        let mut m = enc.encode_descriptor(
            "heartbeat_link_last_heard_seconds",
            "Seconds since a packet from the node last arrived on the medium.",
            None,
            MetricType::Gauge,
        )?;
        for (node, (link, _, heard)) in peer_links() {
            if let Some(t) = heard {
                let age = now.saturating_duration_since(*t).as_secs_f64();
                ConstGauge::new(age)
                    .encode(m.encode_family(&[("node", node), ("link", &**link)])?)?;
            }
        }

        let mut m = enc.encode_descriptor(
            "heartbeat_group_owner",
            "The group's holder as this node knows it (owner=\"none\" when nobody holds it).",
            None,
            MetricType::Gauge,
        )?;
        for g in &view.groups {
            let owner = g.owner.as_deref().unwrap_or("none");
            one(true).encode(m.encode_family(&[("group", &*g.name), ("owner", owner)])?)?;
        }
        let mut m = enc.encode_descriptor(
            "heartbeat_group_state",
            "What the group is doing on this node: 1 for the current state.",
            None,
            MetricType::Gauge,
        )?;
        for g in &view.groups {
            for s in GROUP_STATES {
                one(g.state == s).encode(m.encode_family(&[("group", &*g.name), ("state", s)])?)?;
            }
        }

        let mut m = enc.encode_descriptor(
            "heartbeat_messages_rejected",
            "Received messages dropped, by reason (auth and malformed before the engine, the \
             rest by the engine; duplicates are normal with several media).",
            None,
            MetricType::Counter,
        )?;
        let auth = self.wire.auth.load(Ordering::Relaxed);
        let wire_malformed = self.wire.malformed.load(Ordering::Relaxed);
        ConstCounter::new(auth).encode(m.encode_family(&[("reason", "auth")])?)?;
        for (i, reason) in DROP_REASONS.iter().enumerate() {
            let mut v = view.drops.get(i).copied().unwrap_or(0);
            if i == 0 {
                v += wire_malformed;
            }
            ConstCounter::new(v).encode(m.encode_family(&[("reason", *reason)])?)?;
        }

        let mut m = enc.encode_descriptor(
            "heartbeat_late_heartbeats",
            "Heartbeats that arrived later than warntime, per node.",
            None,
            MetricType::Counter,
        )?;
        for n in view.nodes.iter().filter(|n| !n.is_local) {
            let count = view.late.iter().find(|l| l.0 == n.name).map_or(0, |l| l.1);
            ConstCounter::new(count).encode(m.encode_family(&[("node", &*n.name)])?)?;
        }
        let mut m = enc.encode_descriptor(
            "heartbeat_late_heartbeat_max_seconds",
            "The worst lateness beyond warntime seen from the node.",
            None,
            MetricType::Gauge,
        )?;
        for (node, _, worst) in &view.late {
            ConstGauge::new(worst.as_secs_f64()).encode(m.encode_family(&[("node", &**node)])?)?;
        }

        let m = enc.encode_descriptor(
            "heartbeat_send_failures",
            "Sends that failed on any medium.",
            None,
            MetricType::Counter,
        )?;
        ConstCounter::new(view.send_failures).encode(m)?;

        if let Some(at) = view.published {
            let m = enc.encode_descriptor(
                "heartbeat_state_age_seconds",
                "Age of the state these metrics show; far above 0.2 s means the daemon's run \
                 loop is stuck (scrapes are served by another thread).",
                None,
                MetricType::Gauge,
            )?;
            ConstGauge::new(now.saturating_duration_since(at).as_secs_f64()).encode(m)?;
        }
        Ok(())
    }
}
