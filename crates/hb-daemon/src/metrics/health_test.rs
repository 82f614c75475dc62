use std::time::Duration;

use hb_cloud::CloudError;
use hb_core::{Event, GroupId, HealthEvent};
use hb_platform::check::{Health, ProbeOutcome};

use super::{failure_class, CheckLabel};
use crate::metrics::Metrics;

/// The value of the one sample whose line starts with `series ` (panics when absent).
fn value(text: &str, series: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.strip_prefix(series).is_some_and(|r| r.starts_with(' ')))
        .unwrap_or_else(|| panic!("no sample {series} in:\n{text}"));
    line.rsplit_once(' ').and_then(|(_, v)| v.parse().ok()).expect("value")
}

fn web() -> CheckLabel {
    CheckLabel { group: "g1".into(), check: "web http://x/".into(), kind: "http".into() }
}

const L: &str = r#"group="g1",check="web http://x/",kind="http""#;

#[test]
fn probes_are_counted_by_outcome_and_the_health_gauge_follows() {
    let m = Metrics::new(Duration::from_secs(1));
    let h = m.health();
    h.check_idle(&web());
    let t = m.scrape().encode().expect("encode");
    assert_eq!(value(&t, &format!("heartbeat_check_health{{{L},health=\"idle\"}}")), 1.0);
    assert_eq!(value(&t, &format!("heartbeat_check_health{{{L},health=\"up\"}}")), 0.0);

    h.check_probed(&web(), &ProbeOutcome::Pass, Health::Up);
    h.check_probed(&web(), &ProbeOutcome::Pass, Health::Up);
    h.check_probed(&web(), &ProbeOutcome::Fail("status 503".into()), Health::Up);
    h.check_probed(&web(), &ProbeOutcome::TimedOut, Health::Down);
    let t = m.scrape().encode().expect("encode");
    let results =
        |o: &str| value(&t, &format!("heartbeat_check_results_total{{{L},outcome=\"{o}\"}}"));
    assert_eq!((results("pass"), results("fail"), results("timeout")), (2.0, 1.0, 1.0));
    let health = |s: &str| value(&t, &format!("heartbeat_check_health{{{L},health=\"{s}\"}}"));
    assert_eq!(
        (health("down"), health("up"), health("idle"), health("unknown")),
        (1.0, 0.0, 0.0, 0.0)
    );

    h.check_idle(&web());
    let t = m.scrape().encode().expect("encode");
    assert_eq!(value(&t, &format!("heartbeat_check_health{{{L},health=\"idle\"}}")), 1.0);
    assert_eq!(value(&t, &format!("heartbeat_check_health{{{L},health=\"down\"}}")), 0.0);
}

#[test]
fn policy_decisions_address_watch_and_carrier_are_counted() {
    let m = Metrics::new(Duration::from_secs(1));
    let groups = ["g0".to_owned(), "g1".to_owned()];
    let restart = HealthEvent::Restarting {
        group: GroupId(1),
        from: 0,
        reason: "x".into(),
        attempt: 1,
        limit: 2,
    };
    m.on_event(&Event::Health(restart.clone()), &groups);
    m.on_event(&Event::Health(restart), &groups);
    let over = HealthEvent::HandingOver {
        group: GroupId(1),
        with: vec![GroupId(0)],
        reason: "x".into(),
        avoid_for: Duration::ZERO,
    };
    m.on_event(&Event::Health(over), &groups);
    m.on_event(&Event::Health(HealthEvent::Cleared { group: GroupId(0) }), &groups);
    let h = m.health();
    h.vip_readded("10.99.0.5/24/eth0");
    h.vip_readded("10.99.0.5/24/eth0");
    h.vip_stray_removed("10.99.0.5/24/eth0");
    h.carrier_lost("eth1");
    let t = m.scrape().encode().expect("encode");
    let action = |g: &str, a: &str| {
        value(&t, &format!("heartbeat_health_actions_total{{group=\"{g}\",action=\"{a}\"}}"))
    };
    assert_eq!(action("g1", "restart"), 2.0);
    assert_eq!(action("g1", "handover"), 1.0);
    assert_eq!(action("g0", "cleared"), 1.0);
    assert!(!t.contains("action=\"stays\""), "{t}");
    assert_eq!(value(&t, "heartbeat_vip_readds_total{vip=\"10.99.0.5/24/eth0\"}"), 2.0);
    assert_eq!(value(&t, "heartbeat_vip_strays_removed_total{vip=\"10.99.0.5/24/eth0\"}"), 1.0);
    assert_eq!(value(&t, "heartbeat_carrier_losses_total{interface=\"eth1\"}"), 1.0);
}

#[test]
fn cloud_failures_are_classed_by_http_status() {
    let refused = |status| CloudError::Refused {
        what: "w".into(),
        provider: "p",
        status,
        message: "m".into(),
    };
    let gave_up =
        |status| CloudError::GaveUp { what: "w".into(), attempts: 4, last: "l".into(), status };
    assert_eq!(failure_class(&refused(404)), "4xx");
    assert_eq!(failure_class(&refused(422)), "4xx");
    assert_eq!(failure_class(&gave_up(Some(429))), "4xx");
    assert_eq!(failure_class(&gave_up(Some(503))), "5xx");
    assert_eq!(failure_class(&gave_up(None)), "no_answer");
    let bad = CloudError::BadAnswer { what: "w".into(), provider: "p", detail: "d".into() };
    assert_eq!(failure_class(&bad), "bad_answer");
    let action = CloudError::ActionFailed { what: "w".into(), detail: "d".into() };
    assert_eq!(failure_class(&action), "action_failed");

    // The process-wide families reach every registry; this test's own IP keeps its series
    // apart from other tests'.
    let ip = "10.99.77.1";
    let cloud = super::cloud();
    cloud.resource(ip);
    let m = Metrics::new(Duration::from_secs(1));
    let t = m.scrape().encode().expect("encode");
    assert_eq!(value(&t, &format!("heartbeat_cloud_reclaims_total{{ip=\"{ip}\"}}")), 0.0);
    cloud.reclaimed(ip);
    cloud.api_failed(ip, &gave_up(Some(502)));
    cloud.api_failed(ip, &refused(403));
    cloud.api_failed(ip, &refused(401));
    let t = m.scrape().encode().expect("encode");
    assert_eq!(value(&t, &format!("heartbeat_cloud_reclaims_total{{ip=\"{ip}\"}}")), 1.0);
    let failures = |c: &str| {
        value(&t, &format!("heartbeat_cloud_api_failures_total{{ip=\"{ip}\",class=\"{c}\"}}"))
    };
    assert_eq!((failures("4xx"), failures("5xx")), (2.0, 1.0));
}
