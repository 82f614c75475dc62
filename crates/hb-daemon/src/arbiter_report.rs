//! How the etcd lease arbiter shows: log lines and event records (which also reach the alert
//! hook), the `hbctl status` table, and metrics.

use std::collections::BTreeMap;

use hb_core::{GroupId, LeaseEvent};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::arbiter::ArbiterStatus;

/// Logs a lease event and names its record: `lease_acquired`, `lease_busy`, `lease_released`,
/// `lease_lost`, `etcd_unreachable`, `etcd_reachable`, `lease_grace_expired`.
pub fn describe(ev: &LeaseEvent, group: impl Fn(&GroupId) -> String) -> (&'static str, String) {
    match ev {
        LeaseEvent::KeyAcquired { group: g } => {
            tracing::info!("Group {}: etcd key acquired; it may run here", group(g));
            ("lease_acquired", group(g))
        }
        LeaseEvent::KeyBusy { group: g, node } => {
            tracing::warn!(
                "Group {}: wanted, but its etcd key is held by {node}; waiting",
                group(g)
            );
            ("lease_busy", format!("{} {node}", group(g)))
        }
        LeaseEvent::KeyReleased { group: g } => {
            tracing::info!("Group {}: etcd key released", group(g));
            ("lease_released", group(g))
        }
        LeaseEvent::KeyLost { group: g, holder } => {
            let who = holder.as_deref().unwrap_or("nobody");
            tracing::error!("Group {}: etcd key lost (now {who}); stopping it here", group(g));
            ("lease_lost", format!("{} {who}", group(g)))
        }
        LeaseEvent::Store { reachable: true } => {
            tracing::warn!("etcd reachable again");
            ("etcd_reachable", String::new())
        }
        LeaseEvent::Store { reachable: false } => {
            tracing::error!("etcd unreachable: holding what is held, starting nothing new");
            ("etcd_unreachable", String::new())
        }
        LeaseEvent::GraceExpired { groups } => {
            let names: Vec<String> = groups.iter().map(group).collect();
            tracing::error!(
                "etcd unreachable past the grace time (unreachable release): letting go of {}",
                if names.is_empty() { "nothing".to_owned() } else { names.join(", ") }
            );
            ("lease_grace_expired", names.join(","))
        }
    }
}

/// The `hbctl status` rows.
pub fn status_rows(s: &ArbiterStatus, groups: &[String]) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert("etcd".into(), if s.reachable { "reachable" } else { "unreachable" }.into());
    let lease = if s.lease_id == 0 {
        "none".to_owned()
    } else {
        format!(
            "{:x} ttl {} s, {} s left at last keep-alive",
            s.lease_id, s.ttl_secs, s.remaining_secs
        )
    };
    m.insert("lease".into(), lease);
    m.insert("policy".into(), s.policy.into());
    m.insert(
        "counters".into(),
        format!(
            "keep-alives {} failures {} acquired {} lost {}",
            s.keepalives, s.failures, s.acquired, s.lost
        ),
    );
    for (g, name) in groups.iter().enumerate() {
        let holder = s.holders.get(g).cloned().flatten().unwrap_or_else(|| "-".into());
        m.insert(format!("key {name}"), holder);
    }
    m
}

/// Metrics families of the arbiter, updated from its status when the run loop publishes.
#[derive(Default)]
pub struct ArbiterMetrics {
    reachable: Gauge,
    remaining: Gauge,
    held: Family<Vec<(&'static str, String)>, Gauge>,
    keepalives: Counter,
    failures: Counter,
    acquired: Counter,
    lost: Counter,
}

impl ArbiterMetrics {
    /// Registers the families.
    pub fn register(&self, r: &mut Registry) {
        r.register(
            "heartbeat_arbiter_etcd_reachable",
            "1 while etcd answers",
            self.reachable.clone(),
        );
        r.register(
            "heartbeat_arbiter_lease_remaining_seconds",
            "Lease TTL etcd reported at the last keep-alive",
            self.remaining.clone(),
        );
        r.register(
            "heartbeat_arbiter_key_held",
            "1 for each group whose etcd key names this node",
            self.held.clone(),
        );
        r.register(
            "heartbeat_arbiter_keepalives",
            "Lease keep-alives answered",
            self.keepalives.clone(),
        );
        r.register(
            "heartbeat_arbiter_failures",
            "Failed or unanswered etcd requests",
            self.failures.clone(),
        );
        r.register("heartbeat_arbiter_keys_acquired", "Group keys acquired", self.acquired.clone());
        r.register("heartbeat_arbiter_keys_lost", "Group keys lost while held", self.lost.clone());
    }

    /// Brings the families up to `s`.
    pub fn update(&self, s: &ArbiterStatus, local: &str, groups: &[String]) {
        self.reachable.set(i64::from(s.reachable));
        self.remaining.set(s.remaining_secs);
        for (g, name) in groups.iter().enumerate() {
            let mine = s.holders.get(g).and_then(|h| h.as_deref()) == Some(local);
            self.held.get_or_create(&vec![("group", name.clone())]).set(i64::from(mine));
        }
        let bump = |c: &Counter, v: u64| {
            let now = c.get();
            if v > now {
                c.inc_by(v - now);
            }
        };
        bump(&self.keepalives, s.keepalives);
        bump(&self.failures, s.failures);
        bump(&self.acquired, s.acquired);
        bump(&self.lost, s.lost);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_rows_name_every_group_and_the_lease() {
        let s = ArbiterStatus {
            reachable: true,
            lease_id: 0x2a,
            ttl_secs: 6,
            remaining_secs: 5,
            holders: vec![Some("n1".into()), None],
            keepalives: 3,
            failures: 1,
            acquired: 1,
            lost: 0,
            policy: "keep",
        };
        let rows = status_rows(&s, &["10.0.0.1".into(), "10.0.0.2".into()]);
        assert_eq!(rows["etcd"], "reachable");
        assert_eq!(rows["lease"], "2a ttl 6 s, 5 s left at last keep-alive");
        assert_eq!(rows["key 10.0.0.1"], "n1");
        assert_eq!(rows["key 10.0.0.2"], "-");
        assert_eq!(rows["counters"], "keep-alives 3 failures 1 acquired 1 lost 0");
        let m = ArbiterMetrics::default();
        m.update(&s, "n1", &["10.0.0.1".into(), "10.0.0.2".into()]);
        m.update(&s, "n1", &["10.0.0.1".into(), "10.0.0.2".into()]);
        assert_eq!(m.keepalives.get(), 3, "counters follow the status, not the call count");
        assert_eq!(m.held.get_or_create(&vec![("group", "10.0.0.1".into())]).get(), 1);
        assert_eq!(m.held.get_or_create(&vec![("group", "10.0.0.2".into())]).get(), 0);
    }
}
