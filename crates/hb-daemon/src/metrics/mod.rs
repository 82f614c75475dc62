//! Prometheus metrics: what the cluster is doing and how close it runs to a false failover.
//!
//! Off by default. `--metrics-listen ADDR:PORT` or a `listen` line in the optional
//! `/etc/ha.d/metrics.cf` (see [`config`]) turns on a small HTTP server ([`http`]) that answers
//! `GET /metrics` in the OpenMetrics text format. The file is not `ha.cf` on purpose: a
//! heartbeat 3.0.6 peer may share `ha.cf` and would reject an unknown directive.
//!
//! # Two halves, neither blocking the heartbeat path
//!
//! - **Events** (inter-arrival gaps, transitions, takeover durations, announcement frames,
//!   retransmissions, rejections before the engine) are counted by the run loop as they happen
//!   into `prometheus-client` metrics: atomics, no lock on the hot path once a label set exists.
//! - **State** (node status, links, group owner and state, the engine's drop counters, late
//!   heartbeats) is the engine snapshot the daemon already builds for `cl_status`: the run loop
//!   publishes a [`View`] a few times a second (a pointer swap) and a [`Collector`] encodes the
//!   latest one when a scrape comes in.
//!
//! The HTTP server runs on its own thread with its own runtime, so a scrape (or a storm of
//! them) never takes the run loop's thread; the two sides share only atomics, the registry's
//! read lock and the view pointer.
//!
//! # Adding a family (VRRP, …)
//!
//! A subsystem that wants its own metrics creates them and registers them once, before or
//! after the server starts, with [`Metrics::register`]; then it updates its handles from
//! wherever it runs. The health checks, the address watch and the reserved IPs do so through
//! [`health`] (registered with the daemon's own families). For example, VRRP adverts:
//!
//! ```
//! use prometheus_client::metrics::{counter::Counter, family::Family};
//! # let metrics = hb_daemon::metrics::Metrics::new(std::time::Duration::from_secs(1));
//! let adverts: Family<Vec<(&'static str, String)>, Counter> = Family::default();
//! metrics.register(|r| {
//!     r.register("heartbeat_vrrp_adverts", "Adverts sent by instance", adverts.clone())
//! });
//! adverts.get_or_create(&vec![("instance", "VI_1".into())]).inc();
//! ```
//!
//! State that only exists as a snapshot is better served by a [`Collector`] of its own,
//! registered the same way (`r.register_collector(Box::new(..))`). Name families
//! `heartbeat_<subsystem>_…` and add them to the dashboard (`packaging/grafana`); the
//! dashboard test fails when a panel names a metric that nothing exports.
//!
//! [`Collector`]: prometheus_client::collector::Collector

pub mod config;
pub mod health;
pub mod http;
pub mod launch;
mod view;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use hb_core::{Action, ActionResult, Event, GroupId, Instant};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

pub use view::{GroupView, NodeView, View, DROP_REASONS, GROUP_STATES, NODE_STATUSES};

/// Upper bounds of the inter-arrival histogram, as multiples of `keepalive`: fine around 1×
/// (normal jitter), coarse towards the deadtimes people configure (10×–30×).
pub const GAP_BUCKETS: [f64; 14] =
    [0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0];

/// Upper bounds of the takeover (group start) duration histogram, in seconds.
pub const TAKEOVER_BUCKETS: [f64; 12] =
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0];

/// How often the run loop publishes the state view (state metrics lag by at most this).
pub const PUBLISH_EVERY: Duration = Duration::from_millis(200);

/// The daemon's metrics: cheap handles for the run loop plus the shared registry the HTTP
/// server encodes.
#[derive(Debug)]
pub struct Metrics {
    shared: Arc<Shared>,
    /// Per group: when its running start action began (engine time).
    starts: Vec<Option<Instant>>,
    /// Highest (generation, seq) we have sent: a message sent again at or below it is a
    /// retransmission answering a peer's request.
    sent_high: Option<(u32, u32)>,
    /// The server runs: publishing is worth its snapshot.
    enabled: bool,
    /// The server thread and its settings, when serving.
    server: Option<(http::Server, config::MetricsConfig)>,
}

/// What the HTTP server needs: the registry.
#[derive(Debug, Clone)]
pub struct Scrape {
    registry: Arc<RwLock<Registry>>,
}

impl Scrape {
    /// A registry of its own (the keepalived mode's, which has none of heartbeat's families).
    pub fn new(registry: Registry) -> Scrape {
        Scrape { registry: Arc::new(RwLock::new(registry)) }
    }
}

#[derive(Debug)]
struct Shared {
    registry: Arc<RwLock<Registry>>,
    view: Arc<Mutex<Arc<View>>>,
    wire: Arc<view::WireRejects>,
    gaps: Family<NodeLabel, Histogram, GapBuckets>,
    transitions: Family<GroupReason, Counter>,
    node_transitions: Family<NodeStatusLabel, Counter>,
    takeover: Family<GroupResult, Histogram, TakeoverBuckets>,
    garp_frames: Counter,
    retransmissions: Family<KindLabel, Counter>,
    packets_lost: Family<NodeLabel, Counter>,
    split_brain: Counter,
    up: Gauge,
    health: health::HealthMetrics,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NodeLabel {
    node: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NodeStatusLabel {
    node: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GroupReason {
    group: String,
    owner: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GroupResult {
    group: String,
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Clone, Debug)]
struct GapBuckets(Arc<[f64]>);

impl MetricConstructor<Histogram> for GapBuckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(self.0.iter().copied())
    }
}

#[derive(Clone, Debug)]
struct TakeoverBuckets;

impl MetricConstructor<Histogram> for TakeoverBuckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(TAKEOVER_BUCKETS)
    }
}

impl Metrics {
    /// Creates every family of the daemon; `keepalive` scales the inter-arrival buckets.
    pub fn new(keepalive: Duration) -> Metrics {
        let k = keepalive.as_secs_f64();
        let shared = Shared {
            registry: Arc::new(RwLock::new(Registry::default())),
            view: Arc::new(Mutex::new(Arc::new(View::default()))),
            wire: Arc::default(),
            gaps: Family::new_with_constructor(GapBuckets(
                // Rounded to the microsecond so that `le` labels read 0.11, not 0.11000000000000002.
                GAP_BUCKETS.iter().map(|m| (m * k * 1e6).round() / 1e6).collect(),
            )),
            transitions: Family::default(),
            node_transitions: Family::default(),
            takeover: Family::new_with_constructor(TakeoverBuckets),
            garp_frames: Counter::default(),
            retransmissions: Family::default(),
            packets_lost: Family::default(),
            split_brain: Counter::default(),
            up: Gauge::default(),
            health: health::HealthMetrics::default(),
        };
        let metrics = Metrics {
            shared: Arc::new(shared),
            starts: Vec::new(),
            sent_high: None,
            enabled: false,
            server: None,
        };
        metrics.register_own(keepalive);
        metrics
    }

    fn register_own(&self, keepalive: Duration) {
        let s = &self.shared;
        let build = Info::new(vec![
            ("version", env!("CARGO_PKG_VERSION").to_owned()),
            ("protocol", "heartbeat 3.0.6".to_owned()),
            ("keepalive_seconds", keepalive.as_secs_f64().to_string()),
        ]);
        self.register(|r| {
            r.register("heartbeat_build", "heartbeat-rs version and protocol", build);
            r.register(
                "heartbeat_up",
                "1 once the daemon's run loop has published its state (see \
                 heartbeat_state_age_seconds for whether it still does)",
                s.up.clone(),
            );
            r.register(
                "heartbeat_interarrival_seconds",
                "Gaps between consecutive accepted heartbeats (status messages) per node; \
                 buckets are multiples of keepalive",
                s.gaps.clone(),
            );
            r.register(
                "heartbeat_group_transitions",
                "Ownership changes of a group on this node, by reason: owner is this node when \
                 it took the group, none when it released it",
                s.transitions.clone(),
            );
            r.register(
                "heartbeat_node_transitions",
                "Node status changes, by new status",
                s.node_transitions.clone(),
            );
            r.register(
                "heartbeat_takeover_duration_seconds",
                "How long starting a group took on this node (addresses, announcements, \
                 scripts), by result",
                s.takeover.clone(),
            );
            r.register(
                "heartbeat_garp_frames",
                "Gratuitous ARP and unsolicited neighbour advertisement frames sent",
                s.garp_frames.clone(),
            );
            r.register(
                "heartbeat_retransmissions",
                "Retransmission traffic: requests we sent, messages we sent again on request, \
                 refusals we sent, and status echoes (the latest status sent twice on purpose)",
                s.retransmissions.clone(),
            );
            r.register(
                "heartbeat_packets_lost",
                "Messages a peer could no longer retransmit to us",
                s.packets_lost.clone(),
            );
            r.register(
                "heartbeat_split_brain",
                "Times another node was found holding a group we hold",
                s.split_brain.clone(),
            );
            s.health.register(r);
            health::cloud().register(r);
            r.register_collector(Box::new(view::StateCollector {
                view: Arc::clone(&s.view),
                wire: Arc::clone(&s.wire),
            }));
        });
    }

    /// Registers more families (see the module doc). Takes the registry's write lock briefly;
    /// scrapes wait for it, the run loop never does.
    pub fn register(&self, f: impl FnOnce(&mut Registry)) {
        let mut reg = match self.shared.registry.write() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut reg);
    }

    /// Whether metrics are served (the run loop publishes only then).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The handle the HTTP server encodes from.
    pub fn scrape(&self) -> Scrape {
        Scrape { registry: Arc::clone(&self.shared.registry) }
    }

    /// The counter the address code adds announcement frames to.
    pub fn garp_frames(&self) -> Counter {
        self.shared.garp_frames.clone()
    }

    /// The handles the health checks and the address watch count into.
    pub fn health(&self) -> health::HealthMetrics {
        self.shared.health.clone()
    }

    /// Publishes the latest state for scrapes.
    pub fn publish(&self, view: View) {
        let view = Arc::new(view);
        match self.shared.view.lock() {
            Ok(mut v) => *v = view,
            Err(poisoned) => *poisoned.into_inner() = view,
        }
        self.shared.up.set(1);
    }

    /// Counts a datagram the authenticator refused.
    pub fn reject_wire(&self, e: &hb_wire::WireError) {
        use hb_wire::WireError as W;
        let counter = match e {
            W::MissingTrailer
            | W::MissingAuthField
            | W::MalformedAuth { .. }
            | W::UnknownKeyIndex { .. }
            | W::BadDigest { .. } => &self.shared.wire.auth,
            _ => &self.shared.wire.malformed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Records the gap between two accepted heartbeats from `node`.
    pub fn observe_gap(&self, node: &str, gap: Duration) {
        self.shared
            .gaps
            .get_or_create(&NodeLabel { node: node.to_owned() })
            .observe(gap.as_secs_f64());
    }

    /// Counts what an engine event tells (transitions, lost packets, split brain).
    pub fn on_event(&self, ev: &Event, groups: &[String]) {
        let s = &self.shared;
        match ev {
            Event::Ownership { group, owner, reason } => {
                let label = GroupReason {
                    group: group_name(groups, *group),
                    owner: owner.clone().unwrap_or_else(|| "none".into()),
                    reason: crate::report::reason_text(*reason).into(),
                };
                s.transitions.get_or_create(&label).inc();
            }
            Event::NodeStatus { node, status } => {
                let label = NodeStatusLabel { node: node.clone(), status: status.as_str().into() };
                s.node_transitions.get_or_create(&label).inc();
            }
            Event::PacketLost { node, .. } => {
                s.packets_lost.get_or_create(&NodeLabel { node: node.clone() }).inc();
            }
            Event::SplitBrainSuspected { .. } => {
                s.split_brain.inc();
            }
            Event::Health(h) => s.health.on_health_event(h, |g| group_name(groups, *g)),
            _ => {}
        }
    }

    /// Counts retransmission traffic among the messages we send.
    pub fn on_transmit(&mut self, msg: &hb_wire::Message) {
        let kind = match msg.get_str("t") {
            Some("NS_rexmit") => "request_sent",
            Some("NS_nak_rexmit") => "nak_sent",
            _ => {
                // heartbeat writes `hg` and `seq` in hex.
                let num = |f: &str| msg.get_str(f).and_then(|v| u32::from_str_radix(v, 16).ok());
                let (Some(hg), Some(seq)) = (num("hg"), num("seq")) else { return };
                match self.sent_high {
                    // The engine's status echo: the latest status once more, same `seq`, on
                    // purpose (short deadtimes), not a retransmission.
                    Some(high) if (hg, seq) == high && msg.get_str("t") == Some("status") => {
                        "status_echo"
                    }
                    Some(high) if (hg, seq) <= high => "resent",
                    _ => {
                        self.sent_high = Some((hg, seq));
                        return;
                    }
                }
            }
        };
        self.shared.retransmissions.get_or_create(&KindLabel { kind }).inc();
    }

    /// Notes that a group action began.
    pub fn action_started(&mut self, group: GroupId, action: Action, now: Instant) {
        let i = usize::from(group.0);
        if self.starts.len() <= i {
            self.starts.resize(i + 1, None);
        }
        if let Some(slot) = self.starts.get_mut(i) {
            *slot = (action == Action::Start).then_some(now);
        }
    }

    /// Records how long a group start took once it finished.
    pub fn action_done(
        &mut self,
        group: GroupId,
        action: Action,
        result: &ActionResult,
        now: Instant,
        groups: &[String],
    ) {
        if action != Action::Start {
            return;
        }
        let Some(began) = self.starts.get_mut(usize::from(group.0)).and_then(Option::take) else {
            return;
        };
        let result = match result {
            ActionResult::Ok => "ok",
            ActionResult::TimedOut => "timeout",
            _ => "failed",
        };
        let label = GroupResult { group: group_name(groups, group), result: result.into() };
        let took = now.saturating_duration_since(began).as_secs_f64();
        self.shared.takeover.get_or_create(&label).observe(took);
    }
}

impl Scrape {
    /// The whole registry in the OpenMetrics text format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let reg = match self.registry.read() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut out = String::with_capacity(8192);
        prometheus_client::encoding::text::encode(&mut out, &reg)?;
        Ok(out)
    }
}

fn group_name(groups: &[String], g: GroupId) -> String {
    groups.get(usize::from(g.0)).cloned().unwrap_or_else(|| format!("#{}", g.0))
}

#[cfg(test)]
mod tests;
