//! Families of the health subsystem (issue 15): probe results and current health per check,
//! what the health policy did, VIPs the address watch added back or removed, carrier losses;
//! and of the cloud reserved-IP resources: re-claims and API failures.
//!
//! Every label value comes from the configuration (group keys, check names, VIPs, interface
//! names of VIPs, reserved IPs) or from a fixed list, so the number of series is bounded by
//! the configuration, never by what the network sends.

use std::sync::OnceLock;

use hb_core::HealthEvent;
use hb_platform::check::{Health, ProbeOutcome};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// The values of `heartbeat_check_health`'s `health` label.
pub const CHECK_HEALTHS: [&str; 4] = ["up", "down", "unknown", "idle"];

/// Which check: its group (key), its name (resource and target) and its kind.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CheckLabel {
    /// The group key, as in `haresources`.
    pub group: String,
    /// The check's name (`resource target`).
    pub check: String,
    /// status, exec, tcp or http.
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    group: String,
    check: String,
    kind: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HealthLabel {
    group: String,
    check: String,
    kind: String,
    health: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PolicyLabel {
    group: String,
    action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VipLabel {
    vip: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IfaceLabel {
    interface: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IpLabel {
    ip: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FailureLabel {
    ip: String,
    class: &'static str,
}

/// Handles for the health checks, the health policy and the address watch. Cheap to clone:
/// every clone counts into the same series.
#[derive(Debug, Clone, Default)]
pub struct HealthMetrics {
    results: Family<OutcomeLabel, Counter>,
    health: Family<HealthLabel, Gauge>,
    policy: Family<PolicyLabel, Counter>,
    readds: Family<VipLabel, Counter>,
    strays: Family<VipLabel, Counter>,
    carrier: Family<IfaceLabel, Counter>,
}

impl HealthMetrics {
    /// Registers the families (once per registry).
    pub fn register(&self, r: &mut Registry) {
        r.register(
            "heartbeat_check_results",
            "Health check probes by outcome (pass, fail, timeout)",
            self.results.clone(),
        );
        r.register(
            "heartbeat_check_health",
            "1 for each check's current debounced health (up, down, unknown; idle while its \
             group is not started here)",
            self.health.clone(),
        );
        r.register(
            "heartbeat_health_actions",
            "What the health policy did about a failed group: restart (in place), handover, \
             stays (no node could take it), cleared (hbctl clear)",
            self.policy.clone(),
        );
        r.register(
            "heartbeat_vip_readds",
            "Virtual addresses removed under us and added back by the address watch",
            self.readds.clone(),
        );
        r.register(
            "heartbeat_vip_strays_removed",
            "Copies of our virtual addresses found on this node while it did not hold the \
             group, removed by the address watch",
            self.strays.clone(),
        );
        r.register(
            "heartbeat_carrier_losses",
            "Carrier losses on interfaces that carry a virtual address",
            self.carrier.clone(),
        );
    }

    /// A check exists (idle until its group starts): its series appear before any probe.
    pub fn check_idle(&self, c: &CheckLabel) {
        self.set_health(c, "idle");
    }

    /// Counts one probe of a check and records its health after it.
    pub fn check_probed(&self, c: &CheckLabel, outcome: &ProbeOutcome, health: Health) {
        let outcome = match outcome {
            ProbeOutcome::Pass => "pass",
            ProbeOutcome::Fail(_) => "fail",
            ProbeOutcome::TimedOut => "timeout",
        };
        let label = OutcomeLabel {
            group: c.group.clone(),
            check: c.check.clone(),
            kind: c.kind.clone(),
            outcome,
        };
        self.results.get_or_create(&label).inc();
        self.set_health(
            c,
            match health {
                Health::Up => "up",
                Health::Down => "down",
                Health::Unknown => "unknown",
            },
        );
    }

    fn set_health(&self, c: &CheckLabel, now: &'static str) {
        for health in CHECK_HEALTHS {
            let label = HealthLabel {
                group: c.group.clone(),
                check: c.check.clone(),
                kind: c.kind.clone(),
                health,
            };
            self.health.get_or_create(&label).set(i64::from(health == now));
        }
    }

    /// Counts what the health policy decided (`group` names a group id).
    pub fn on_health_event(&self, ev: &HealthEvent, group: impl Fn(&hb_core::GroupId) -> String) {
        let (g, action) = match ev {
            HealthEvent::Restarting { group, .. } => (group, "restart"),
            HealthEvent::HandingOver { group, .. } => (group, "handover"),
            HealthEvent::Stays { group, .. } => (group, "stays"),
            HealthEvent::Cleared { group } => (group, "cleared"),
            _ => return,
        };
        self.policy.get_or_create(&PolicyLabel { group: group(g), action }).inc();
    }

    /// The address watch added `vip` (as written in `haresources`) back.
    pub fn vip_readded(&self, vip: &str) {
        self.readds.get_or_create(&VipLabel { vip: vip.to_owned() }).inc();
    }

    /// The address watch removed a stray copy of `vip`.
    pub fn vip_stray_removed(&self, vip: &str) {
        self.strays.get_or_create(&VipLabel { vip: vip.to_owned() }).inc();
    }

    /// `interface` (named by a VIP) lost its carrier or went down.
    pub fn carrier_lost(&self, interface: &str) {
        self.carrier.get_or_create(&IfaceLabel { interface: interface.to_owned() }).inc();
    }
}

/// Handles for the reserved-IP resources. One set per process ([`cloud`]): the resources are
/// built from the configuration before the metrics exist and live across reloads.
#[derive(Debug, Clone, Default)]
pub struct CloudMetrics {
    reclaims: Family<IpLabel, Counter>,
    failures: Family<FailureLabel, Counter>,
}

/// The process's reserved-IP metrics.
pub fn cloud() -> &'static CloudMetrics {
    static CLOUD: OnceLock<CloudMetrics> = OnceLock::new();
    CLOUD.get_or_init(CloudMetrics::default)
}

impl CloudMetrics {
    /// Registers the families (once per registry).
    pub fn register(&self, r: &mut Registry) {
        r.register(
            "heartbeat_cloud_reclaims",
            "Times a reserved IP was found pointing elsewhere while its group was held here \
             and was claimed back",
            self.reclaims.clone(),
        );
        r.register(
            "heartbeat_cloud_api_failures",
            "Failed provider API calls (after retries) by class: 4xx, 5xx (the HTTP status, \
             429 counts as 4xx), no_answer, bad_answer, action_failed, other",
            self.failures.clone(),
        );
    }

    /// Makes the series of `ip` exist at zero (configured resources show before any event).
    pub fn resource(&self, ip: &str) {
        let _series = self.reclaims.get_or_create(&IpLabel { ip: ip.to_owned() });
    }

    /// Counts a claim-back of `ip`.
    pub fn reclaimed(&self, ip: &str) {
        self.reclaims.get_or_create(&IpLabel { ip: ip.to_owned() }).inc();
    }

    /// Counts a failed API call about `ip`.
    pub fn api_failed(&self, ip: &str, e: &hb_cloud::CloudError) {
        let label = FailureLabel { ip: ip.to_owned(), class: failure_class(e) };
        self.failures.get_or_create(&label).inc();
    }
}

/// The class a cloud failure is counted under.
pub fn failure_class(e: &hb_cloud::CloudError) -> &'static str {
    use hb_cloud::CloudError as E;
    let status = match e {
        E::Refused { status, .. } => Some(*status),
        E::GaveUp { status, .. } => *status,
        E::BadAnswer { .. } => return "bad_answer",
        E::ActionFailed { .. } => return "action_failed",
        _ => return "other",
    };
    match status {
        Some(s) if (400..500).contains(&s) => "4xx",
        Some(s) if s >= 500 => "5xx",
        Some(_) => "bad_answer",
        None => "no_answer",
    }
}

#[cfg(test)]
#[path = "health_test.rs"]
mod tests;
