//! The Grafana dashboard (`packaging/grafana/heartbeat-rs.json`) only queries metrics the
//! daemon exports: every `heartbeat_*` name in a panel or variable query must be one the
//! metrics registry encodes (with the `_total`, `_bucket`, `_sum`, `_count`, `_info` suffixes
//! the exposition format gives each type). Runs anywhere, no root needed.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use hb_daemon::metrics::Metrics;

fn dashboard() -> serde_json::Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../packaging/grafana/heartbeat-rs.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()))
}

/// Every string under a key called `expr`, `query` or `definition` (panel targets and the
/// template variables).
fn queries(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("expr" | "query" | "definition", serde_json::Value::String(s)) => {
                        out.push(s.clone());
                    }
                    _ => queries(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| queries(i, out)),
        _ => {}
    }
}

/// `heartbeat_…` identifiers in a PromQL text.
fn metric_names(q: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = q;
    while let Some(i) = rest.find("heartbeat_") {
        let before_ok =
            rest[..i].chars().last().is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
        let tail = &rest[i..];
        let end = tail.find(|c: char| !c.is_ascii_alphanumeric() && c != '_').unwrap_or(tail.len());
        if before_ok {
            names.push(tail[..end].to_owned());
        }
        rest = &tail[end..];
    }
    names
}

/// Sample names the registry produces, from its `# TYPE` lines, once every labelled family
/// has a sample (a family without any is not encoded at all).
fn exported() -> BTreeSet<String> {
    use hb_core::{Action, ActionResult, Event, GroupId, Instant, OwnershipReason};
    let mut m = Metrics::new(Duration::from_secs(1));
    let groups = ["g".to_owned()];
    m.observe_gap("b", Duration::from_secs(1));
    let owner = Some("a".to_owned());
    m.on_event(
        &Event::Ownership { group: GroupId(0), owner, reason: OwnershipReason::Startup },
        &groups,
    );
    m.on_event(&Event::NodeStatus { node: "b".into(), status: hb_core::NodeStatus::Dead }, &groups);
    m.on_event(&Event::PacketLost { node: "b".into(), seq: 1 }, &groups);
    m.action_started(GroupId(0), Action::Start, Instant::ZERO);
    m.action_done(GroupId(0), Action::Start, &ActionResult::Ok, Instant::ZERO, &groups);
    let mut rexmit = hb_wire::Message::new();
    rexmit.push_str("t", "NS_rexmit");
    m.on_transmit(&rexmit);
    let check = hb_daemon::metrics::health::CheckLabel {
        group: "g".into(),
        check: "web".into(),
        kind: "http".into(),
    };
    let h = m.health();
    h.check_probed(&check, &hb_platform::check::ProbeOutcome::Pass, hb_platform::check::Health::Up);
    m.on_event(&Event::Health(hb_core::HealthEvent::Cleared { group: GroupId(0) }), &groups);
    h.vip_readded("v");
    h.vip_stray_removed("v");
    h.carrier_lost("eth0");
    let cloud = hb_daemon::metrics::health::cloud();
    cloud.reclaimed("ip");
    let refused = hb_cloud::CloudError::GaveUp {
        what: "w".into(),
        attempts: 1,
        last: "l".into(),
        status: None,
    };
    cloud.api_failed("ip", &refused);
    let published = Some(std::time::Instant::now());
    m.publish(hb_daemon::metrics::View { published, ..Default::default() });
    // The keepalived mode's families, from one instance.
    let vrrp = hb_daemon::vrrp::observe::Published::default();
    hb_daemon::vrrp::observe::publish(&vrrp, vec![vrrp_instance()]);
    m.register(|r| hb_daemon::vrrp::observe::register(r, vrrp.clone()));
    let text = m.scrape().encode().expect("encode");
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("# TYPE ") else { continue };
        let Some((name, kind)) = rest.split_once(' ') else { continue };
        let suffixes: &[&str] = match kind {
            "counter" => &["_total"],
            "histogram" => &["_bucket", "_sum", "_count"],
            "info" => &["_info"],
            _ => &[""],
        };
        names.extend(suffixes.iter().map(|s| format!("{name}{s}")));
    }
    names
}

fn vrrp_instance() -> hb_api::VrrpStatus {
    hb_api::VrrpStatus {
        name: "VI_1".into(),
        interface: "eth0".into(),
        vrid: 51,
        version: 2,
        state: "MASTER".into(),
        since_ms: 0,
        base_priority: 100,
        priority: 100,
        master: None,
        advert_int_ms: 1000,
        vips: vec![],
        track_scripts: vec![],
        adverts_sent: 1,
        adverts_received: 0,
        became_master: 1,
        released_master: 0,
        priority_zero_sent: 0,
        priority_zero_received: 0,
        address_list_errors: 0,
        rejects: Default::default(),
    }
}

#[test]
fn every_dashboard_query_names_an_exported_metric() {
    let dash = dashboard();
    assert_eq!(dash["uid"], "heartbeat-rs");
    let panels = dash["panels"].as_array().map_or(0, Vec::len);
    assert!(panels > 0, "no panels");
    let mut qs = Vec::new();
    queries(&dash, &mut qs);
    let exported = exported();
    assert!(exported.len() > 20, "registry exports only {exported:?}");
    let mut used = BTreeSet::new();
    let mut missing = Vec::new();
    for q in &qs {
        for name in metric_names(q) {
            if !exported.contains(&name) {
                missing.push(format!("{name} (in {q})"));
            }
            used.insert(name);
        }
    }
    eprintln!(
        "dashboard: {panels} panels, {} queries, {} distinct metric names, all checked against \
         {} exported",
        qs.len(),
        used.len(),
        exported.len()
    );
    assert!(used.len() >= 10, "the check found only {} metric names: {used:?}", used.len());
    assert!(
        missing.is_empty(),
        "dashboard queries metrics nobody exports:\n{}",
        missing.join("\n")
    );
    let unused: Vec<&String> = exported.iter().filter(|n| !used.contains(*n)).collect();
    eprintln!("exported but not on the dashboard: {unused:?}");
}

#[test]
fn the_name_extractor_finds_names_and_skips_lookalikes() {
    let q = "sum by (le) (rate(heartbeat_a_bucket{x=\"heartbeat_b\"}[5m])) / my_heartbeat_c";
    // A label value is still a name as far as this check goes: it errs on the strict side.
    assert_eq!(metric_names(q), ["heartbeat_a_bucket", "heartbeat_b"]);
}
