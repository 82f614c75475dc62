use std::time::{Duration, Instant as StdInstant};

use hb_core::{Action, ActionResult, EngineConfig, Event, GroupId, Instant, Node, OwnershipReason};

use super::*;
use crate::report::LateStats;

/// The value of the sample `name{labels}` (labels as encoded, `""` for none).
fn value(text: &str, name: &str, labels: &str) -> Option<f64> {
    let key = if labels.is_empty() { name.to_owned() } else { format!("{name}{{{labels}}}") };
    text.lines()
        .find_map(|l| l.strip_prefix(&key).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.split(' ').next())
        .and_then(|v| v.parse().ok())
}

fn two_nodes() -> Node {
    let mut cfg = EngineConfig::with_defaults("a", &["a", "b"], [7; 16]);
    cfg.groups.push(hb_core::GroupConfig {
        name: "10.0.0.1".into(),
        preferred_node: "a".into(),
        resources: vec!["10.0.0.1".into()],
    });
    Node::new(cfg, 1, Instant::ZERO).expect("node")
}

#[test]
fn state_comes_from_the_published_snapshot() {
    let m = Metrics::new(Duration::from_millis(100));
    let text = m.scrape().encode().expect("encode");
    assert_eq!(value(&text, "heartbeat_up", ""), Some(0.0), "nothing published yet");
    assert_eq!(value(&text, "heartbeat_state_age_seconds", ""), None);
    assert!(text.contains("heartbeat_build_info{version=\""), "{text}");

    let node = two_nodes();
    let mut late = LateStats::default();
    late.record("b", Duration::from_millis(700));
    late.record("b", Duration::from_millis(300));
    let mut snap = node.snapshot();
    snap.drops = [1, 2, 0, 3, 4, 0, 0, 0];
    snap.groups[0].owner = Some("b".into());
    m.publish(View::from_snapshot(&snap, StdInstant::now(), &late, 5));
    m.reject_wire(&hb_wire::WireError::BadDigest { index: 1, method: hb_wire::AuthMethod::Sha1 });
    m.reject_wire(&hb_wire::WireError::UnknownFraming);
    m.reject_wire(&hb_wire::WireError::UnknownFraming);

    let text = m.scrape().encode().expect("encode");
    let v = |name: &str, labels: &str| value(&text, name, labels);
    assert_eq!(v("heartbeat_up", ""), Some(1.0));
    let age = v("heartbeat_state_age_seconds", "").expect("state age");
    assert!((0.0..5.0).contains(&age), "age {age}");
    assert_eq!(v("heartbeat_node_status", "node=\"a\",status=\"up\""), Some(1.0), "{text}");
    assert_eq!(v("heartbeat_node_status", "node=\"a\",status=\"active\""), Some(0.0));
    assert_eq!(v("heartbeat_node_status", "node=\"b\",status=\"init\""), Some(1.0));
    assert_eq!(v("heartbeat_group_owner", "group=\"10.0.0.1\",owner=\"b\""), Some(1.0));
    assert_eq!(v("heartbeat_group_state", "group=\"10.0.0.1\",state=\"stopped\""), Some(1.0));
    assert_eq!(v("heartbeat_resources_held", "set=\"none\""), Some(1.0));
    assert_eq!(v("heartbeat_link_up", "node=\"b\",link=\"eth0\""), Some(0.0), "{text}");
    assert_eq!(v("heartbeat_link_up", "node=\"a\",link=\"eth0\""), None, "not our own links");
    let rejected = |r: &str| v("heartbeat_messages_rejected_total", &format!("reason=\"{r}\""));
    assert_eq!(rejected("auth"), Some(1.0));
    assert_eq!(rejected("malformed"), Some(3.0), "2 before the engine + 1 in it");
    assert_eq!(rejected("unknown_node"), Some(2.0));
    assert_eq!(rejected("replay"), Some(3.0));
    assert_eq!(rejected("duplicate"), Some(4.0));
    assert_eq!(v("heartbeat_late_heartbeats_total", "node=\"b\""), Some(2.0));
    assert_eq!(v("heartbeat_late_heartbeat_max_seconds", "node=\"b\""), Some(0.7));
    assert_eq!(v("heartbeat_send_failures_total", ""), Some(5.0));
}

#[test]
fn last_heard_is_an_age_at_scrape_time() {
    let m = Metrics::new(Duration::from_millis(100));
    let node = two_nodes();
    let mut snap = node.snapshot();
    snap.nodes[1].links[0].last_heard = Some(Instant::ZERO);
    let origin = StdInstant::now() - Duration::from_secs(3);
    m.publish(View::from_snapshot(&snap, origin, &LateStats::default(), 0));
    let text = m.scrape().encode().expect("encode");
    let age =
        value(&text, "heartbeat_link_last_heard_seconds", "node=\"b\",link=\"eth0\"").expect("age");
    assert!((3.0..10.0).contains(&age), "age {age}");
}

#[test]
fn events_count_transitions_gaps_and_takeovers() {
    let mut m = Metrics::new(Duration::from_millis(100));
    let groups = vec!["10.0.0.1".to_owned()];
    let owner = Event::Ownership {
        group: GroupId(0),
        owner: Some("b".into()),
        reason: OwnershipReason::NodeDead,
    };
    m.on_event(&owner, &groups);
    m.on_event(&owner, &groups);
    m.on_event(&Event::NodeStatus { node: "a".into(), status: hb_core::NodeStatus::Dead }, &groups);
    for ms in [95, 100, 105, 260] {
        m.observe_gap("a", Duration::from_millis(ms));
    }
    let t0 = Instant::from_nanos(1_000_000_000);
    m.action_started(GroupId(0), Action::Start, t0);
    let done = Instant::from_nanos(1_250_000_000);
    m.action_done(GroupId(0), Action::Start, &ActionResult::Ok, done, &groups);
    // A stop is not a takeover, and a second completion without a start counts nothing.
    m.action_done(GroupId(0), Action::Start, &ActionResult::Ok, done, &groups);
    m.garp_frames().inc_by(6);

    let text = m.scrape().encode().expect("encode");
    let v = |name: &str, labels: &str| value(&text, name, labels);
    assert_eq!(
        v(
            "heartbeat_group_transitions_total",
            "group=\"10.0.0.1\",owner=\"b\",reason=\"holder dead\""
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(v("heartbeat_node_transitions_total", "node=\"a\",status=\"dead\""), Some(1.0));
    assert_eq!(v("heartbeat_interarrival_seconds_count", "node=\"a\""), Some(4.0));
    // Buckets are multiples of keepalive (100 ms): 1.1× holds 95, 100 and 105 ms; 3× the 260.
    assert_eq!(v("heartbeat_interarrival_seconds_bucket", "le=\"0.1\",node=\"a\""), Some(2.0));
    assert_eq!(
        v("heartbeat_interarrival_seconds_bucket", "le=\"0.11\",node=\"a\""),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        v("heartbeat_takeover_duration_seconds_count", "group=\"10.0.0.1\",result=\"ok\""),
        Some(1.0)
    );
    assert_eq!(
        v("heartbeat_takeover_duration_seconds_sum", "group=\"10.0.0.1\",result=\"ok\""),
        Some(0.25)
    );
    assert_eq!(v("heartbeat_garp_frames_total", ""), Some(6.0));
}

#[test]
fn retransmissions_are_told_from_new_messages() {
    let mut m = Metrics::new(Duration::from_millis(100));
    let msg = |t: &str, hg: &str, seq: &str| {
        let mut msg = hb_wire::Message::new();
        msg.push_str("t", t);
        msg.push_str("hg", hg);
        msg.push_str("seq", seq);
        msg
    };
    for (hg, seq) in [("10", "1"), ("10", "2"), ("10", "a"), ("10", "2"), ("10", "b"), ("f", "c")] {
        m.on_transmit(&msg("status", hg, seq));
    }
    m.on_transmit(&msg("status", "10", "b"));
    m.on_transmit(&msg("ip-request", "10", "b"));
    m.on_transmit(&msg("NS_rexmit", "10", "c"));
    m.on_transmit(&msg("NS_nak_rexmit", "10", "d"));
    let text = m.scrape().encode().expect("encode");
    let v =
        |kind: &str| value(&text, "heartbeat_retransmissions_total", &format!("kind=\"{kind}\""));
    assert_eq!(v("resent"), Some(3.0), "seq 2 again, an older generation, b again: {text}");
    assert_eq!(v("status_echo"), Some(1.0), "the latest status once more");
    assert_eq!(v("request_sent"), Some(1.0));
    assert_eq!(v("nak_sent"), Some(1.0));
}

#[test]
fn other_subsystems_register_their_own_families() {
    use prometheus_client::metrics::family::Family;
    let m = Metrics::new(Duration::from_secs(1));
    let results: Family<Vec<(&'static str, String)>, Counter> = Family::default();
    m.register(|r| r.register("heartbeat_check_results", "Check results", results.clone()));
    results.get_or_create(&vec![("check", "web".into())]).inc();
    let text = m.scrape().encode().expect("encode");
    assert_eq!(value(&text, "heartbeat_check_results_total", "check=\"web\""), Some(1.0));
}

#[test]
fn drop_reasons_follow_the_engine_counters() {
    use hb_core::DropReason as D;
    let order = [
        (D::Malformed, "malformed"),
        (D::UnknownNode, "unknown_node"),
        (D::OwnMessage, "own"),
        (D::Replay, "replay"),
        (D::Duplicate, "duplicate"),
        (D::NotForUs, "not_for_us"),
        (D::Ignored, "ignored"),
        (D::ShutDown, "shut_down"),
    ];
    for (reason, name) in order {
        assert_eq!(DROP_REASONS[reason as usize], name, "Snapshot::drops index of {reason:?}");
    }
}

#[test]
fn the_flag_is_on_the_command_line() {
    use clap::Parser;
    let cli = crate::cli::Cli::try_parse_from(["heartbeat", "--metrics-listen", "127.0.0.1:9694"])
        .expect("parse");
    assert_eq!(cli.metrics_listen.as_deref(), Some("127.0.0.1:9694"));
    let cli = crate::cli::Cli::try_parse_from(["heartbeat"]).expect("parse");
    assert_eq!(cli.metrics_listen, None, "off by default");
}
