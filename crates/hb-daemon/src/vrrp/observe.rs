//! What the keepalived mode shows: the admin API's status (with [`hb_api::Status::vrrp`]),
//! read by `hbctl status`, and the Prometheus families `heartbeat_vrrp_*`, served when
//! `--metrics-listen` is given. Both come from one list of [`VrrpStatus`] the run loop
//! builds from its instances.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use hb_api::VrrpStatus;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

/// VRRP states as the `state` label spells them.
pub const STATES: [&str; 5] = ["INIT", "BACKUP", "MASTER", "FAULT", "STOP"];

/// The latest list, shared with the metrics thread.
pub type Published = Arc<Mutex<Arc<Vec<VrrpStatus>>>>;

/// Replaces the published list.
pub fn publish(p: &Published, list: Vec<VrrpStatus>) {
    let list = Arc::new(list);
    match p.lock() {
        Ok(mut g) => *g = list,
        Err(poisoned) => *poisoned.into_inner() = list,
    }
}

/// A registry with the VRRP families read from `p` at scrape time.
pub fn registry(p: Published) -> Registry {
    let mut r = Registry::default();
    register(&mut r, p);
    r
}

/// Registers the VRRP families, read from `p` at scrape time, in `r`.
pub fn register(r: &mut Registry, p: Published) {
    r.register_collector(Box::new(VrrpCollector { list: p }));
}

/// The status answer of the keepalived mode: no heartbeat nodes or groups, the instances,
/// and the `vrrp_script` checks.
pub fn status(
    node: &str,
    list: Vec<VrrpStatus>,
    checks: BTreeMap<String, String>,
) -> hb_api::Status {
    hb_api::Status {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        node: node.to_owned(),
        rsc_status: "none".to_owned(),
        nodes: Vec::new(),
        groups: Vec::new(),
        parameters: BTreeMap::new(),
        checks,
        reserved_ips: BTreeMap::new(),
        arbiter: BTreeMap::new(),
        vrrp: list,
    }
}

/// A family's name, help and value.
type Family<T> = (&'static str, &'static str, fn(&VrrpStatus) -> T);

#[derive(Debug)]
struct VrrpCollector {
    list: Published,
}

impl Collector for VrrpCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let list = match self.list.lock() {
            Ok(l) => Arc::clone(&l),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        };
        // Not `instance`: Prometheus gives every scraped sample its target's `instance` label.
        let label = |s: &VrrpStatus| {
            [("vrrp_instance", s.name.clone()), ("interface", s.interface.clone())]
        };

        let mut m = enc.encode_descriptor(
            "heartbeat_vrrp_state",
            "VRRP instance state: 1 for the current state.",
            None,
            MetricType::Gauge,
        )?;
        for s in list.iter() {
            for st in STATES {
                let [(a, av), (b, bv)] = label(s);
                ConstGauge::new(i64::from(s.state == st)).encode(m.encode_family(&[
                    (a, av.as_str()),
                    (b, bv.as_str()),
                    ("state", st),
                ])?)?;
            }
        }
        let gauges: [Family<i64>; 3] = [
            (
                "heartbeat_vrrp_priority",
                "Priority advertised now (tracked script weights applied).",
                |s| i64::from(s.priority),
            ),
            ("heartbeat_vrrp_base_priority", "Configured priority.", |s| {
                i64::from(s.base_priority)
            }),
            ("heartbeat_vrrp_state_age_seconds", "Seconds since the last state change.", |s| {
                (s.since_ms / 1000) as i64
            }),
        ];
        for (name, help, f) in gauges {
            let mut m = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for s in list.iter() {
                let [(a, av), (b, bv)] = label(s);
                ConstGauge::new(f(s))
                    .encode(m.encode_family(&[(a, av.as_str()), (b, bv.as_str())])?)?;
            }
        }
        let counters: [Family<u64>; 7] = [
            ("heartbeat_vrrp_adverts_sent", "Adverts sent.", |s| s.adverts_sent),
            ("heartbeat_vrrp_adverts_received", "Adverts received and accepted.", |s| {
                s.adverts_received
            }),
            ("heartbeat_vrrp_became_master", "Transitions to MASTER.", |s| s.became_master),
            ("heartbeat_vrrp_released_master", "Transitions out of MASTER.", |s| s.released_master),
            ("heartbeat_vrrp_priority_zero_sent", "Priority-0 adverts sent.", |s| {
                s.priority_zero_sent
            }),
            ("heartbeat_vrrp_priority_zero_received", "Priority-0 adverts received.", |s| {
                s.priority_zero_received
            }),
            (
                "heartbeat_vrrp_address_list_errors",
                "Accepted adverts whose address list differs from ours.",
                |s| s.address_list_errors,
            ),
        ];
        for (name, help, f) in counters {
            let mut m = enc.encode_descriptor(name, help, None, MetricType::Counter)?;
            for s in list.iter() {
                let [(a, av), (b, bv)] = label(s);
                ConstCounter::new(f(s))
                    .encode(m.encode_family(&[(a, av.as_str()), (b, bv.as_str())])?)?;
            }
        }
        let mut m = enc.encode_descriptor(
            "heartbeat_vrrp_rejects",
            "Refused VRRP packets by reason (every reason, zeros included).",
            None,
            MetricType::Counter,
        )?;
        for s in list.iter() {
            for r in hb_vrrp::Reject::ALL {
                let n = s.rejects.get(r.as_str()).copied().unwrap_or(0);
                let [(a, av), (b, bv)] = label(s);
                ConstCounter::new(n).encode(m.encode_family(&[
                    (a, av.as_str()),
                    (b, bv.as_str()),
                    ("reason", r.as_str()),
                ])?)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(p: &Published) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry(p.clone())).unwrap();
        out
    }

    #[test]
    fn families_follow_the_published_list() {
        let p: Published = Arc::default();
        let empty = encode(&p);
        assert!(!empty.contains("vrrp_instance="), "{empty}");
        let mut rejects = BTreeMap::new();
        rejects.insert("auth_mismatch".to_owned(), 7);
        let s = VrrpStatus {
            name: "VI_1".into(),
            interface: "eth0".into(),
            vrid: 51,
            version: 2,
            state: "MASTER".into(),
            since_ms: 4200,
            base_priority: 100,
            priority: 90,
            master: None,
            advert_int_ms: 1000,
            vips: vec![],
            track_scripts: vec![],
            adverts_sent: 12,
            adverts_received: 3,
            became_master: 2,
            released_master: 1,
            priority_zero_sent: 0,
            priority_zero_received: 1,
            address_list_errors: 0,
            rejects,
        };
        publish(&p, vec![s]);
        let text = encode(&p);
        let l = "vrrp_instance=\"VI_1\",interface=\"eth0\"";
        for line in [
            format!("heartbeat_vrrp_state{{{l},state=\"MASTER\"}} 1"),
            format!("heartbeat_vrrp_state{{{l},state=\"BACKUP\"}} 0"),
            format!("heartbeat_vrrp_priority{{{l}}} 90"),
            format!("heartbeat_vrrp_base_priority{{{l}}} 100"),
            format!("heartbeat_vrrp_state_age_seconds{{{l}}} 4"),
            format!("heartbeat_vrrp_adverts_sent_total{{{l}}} 12"),
            format!("heartbeat_vrrp_adverts_received_total{{{l}}} 3"),
            format!("heartbeat_vrrp_became_master_total{{{l}}} 2"),
            format!("heartbeat_vrrp_released_master_total{{{l}}} 1"),
            format!("heartbeat_vrrp_rejects_total{{{l},reason=\"auth_mismatch\"}} 7"),
            format!("heartbeat_vrrp_rejects_total{{{l},reason=\"bad_ttl\"}} 0"),
        ] {
            assert!(text.lines().any(|x| x == line), "missing {line}:\n{text}");
        }
        let reasons =
            text.lines().filter(|x| x.starts_with("heartbeat_vrrp_rejects_total{")).count();
        assert_eq!(reasons, hb_vrrp::Reject::COUNT);
    }
}
