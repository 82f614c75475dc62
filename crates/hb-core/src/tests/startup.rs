//! Start-up: status announcements, comm up, initial acquisition, initdead.

use std::time::Duration;

use super::harness::{describe, Cluster};
use crate::{AutoFailback, Event, NodeStatus};

#[test]
fn first_statuses_are_init_up_up_with_the_deadtime_bump() {
    let mut c = Cluster::new(&["n1", "n2"], 1, AutoFailback::On);
    let t0 = c.now;
    c.start(0);
    c.run_for(Duration::from_millis(10));
    let sent = c.sent_since(0, t0);
    let first: Vec<String> = sent.iter().take(3).map(describe).collect();
    assert_eq!(first, ["status st=init", "status st=up", "status st=up"]);
    assert_eq!(sent[0].get_str("dt"), Some("2ee0"), "deadtime 10 s + 2 s");
    assert_eq!(sent[0].get_str("seq"), Some("1"));
    assert_eq!(sent[2].get_str("seq"), Some("3"));
    assert_eq!(sent[0].get_str("protocol"), Some("1"));
    c.secs(6);
    let later = c.sent_since(0, t0 + Duration::from_secs(6));
    assert!(later.iter().all(|m| m.get_str("dt") != Some("2ee0")));
    assert!(c.sent_since(0, t0).iter().any(|m| m.get_str("dt") == Some("2710")));
}

#[test]
fn both_nodes_up_each_holds_its_preferred_group() {
    let mut c = Cluster::new(&["n1", "n2"], 1, AutoFailback::On);
    let t0 = c.now;
    c.start_all();
    c.secs(30);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
    assert!(c.double_run.is_empty());
    for k in 0..2 {
        let s = c.node(k).snapshot();
        assert!(s.comm_up && s.stable, "node {k}: {s:?}");
        assert!(s.nodes.iter().all(|n| n.status == NodeStatus::Active));
        assert!(c.events(k).contains(&Event::CommUp));
    }
    let types = c.sent_types_since(0, t0);
    for want in ["reqnodes dest=n2", "repnodes dest=n2", "starting"] {
        assert!(types.iter().any(|t| t == want), "n1 never sent {want}: {types:?}");
    }
    // Both started together: nobody stable, so each waited RQSTDELAY before taking its group.
    assert!(types.iter().any(|t| t == "resource rsc_hold=none isstable=0"), "{types:?}");
    assert!(types.iter().any(|t| t.starts_with("ip-request-resp")), "{types:?}");
    assert!(types
        .iter()
        .any(|t| t == "resource rsc_hold=local isstable=1 info=req_our_resources()"));
    let s = c.node(0).snapshot();
    assert_eq!(s.groups[1].owner.as_deref(), Some("n2"));
    assert_eq!(s.groups[0].owner.as_deref(), Some("n1"));
}

#[test]
fn alone_at_start_waits_initdead_then_takes_every_group() {
    let mut c = Cluster::new(&["n1", "n2"], 1, AutoFailback::On);
    c.start(0);
    c.secs(19);
    assert!(c.running_on(0).is_empty(), "nothing before initdead");
    assert!(!c.node(0).snapshot().comm_up);
    c.secs(3);
    assert_eq!(c.running_on(0), [0, 1]);
    let ev = c.events(0);
    assert!(ev.contains(&Event::NodeStatus { node: "n2".into(), status: NodeStatus::Dead }));
    assert!(ev.contains(&Event::CommUp));
}

#[test]
fn a_peer_that_never_states_its_resources_does_not_block_start_up() {
    use super::harness::{auth, config, craft, WALL0};
    use crate::{Action, GroupId, Input, Instant, LinkId, Node, Output};
    let auth = auth();
    let mut n = Node::new(config("n1", &["n1", "n2"], 1, AutoFailback::On), 1, Instant::ZERO)
        .expect("valid config");
    let mut now = Instant::ZERO;
    n.handle_input(now, Input::WallClock(WALL0));
    let mut started_at = None;
    let mut comm_up_at = None;
    let deliver = |n: &mut Node, now: Instant, m: hb_wire::Message| {
        let v = auth.open(&auth.seal(&m).expect("seal")).expect("open");
        n.handle_input(now, Input::Message { link: LinkId(0), msg: v });
    };
    let mut seq = 1;
    for sec in 0..40u64 {
        let t = Instant::ZERO + Duration::from_secs(sec);
        while let Some(d) = n.poll_timeout().filter(|d| *d <= t) {
            now = d;
            n.handle_input(now, Input::Timeout);
        }
        now = t;
        let st = craft(
            "status",
            &[("st", "active"), ("dt", "2710"), ("protocol", "1")],
            "n2",
            1,
            7,
            Some(seq),
        );
        seq += 1;
        deliver(&mut n, now, st);
        if sec == 1 {
            let rep = craft(
                "repnodes",
                &[("dest", "n1"), ("nodelist", "n1 n2 "), ("delnodelist", " ")],
                "n2",
                1,
                7,
                Some(seq),
            );
            seq += 1;
            deliver(&mut n, now, rep);
        }
        while let Some(o) = n.poll_output() {
            match o {
                Output::Event(Event::CommUp) => comm_up_at = Some(now),
                Output::RunAction { group: GroupId(0), action: Action::Start, .. } => {
                    started_at = Some(now)
                }
                Output::RunAction { group, .. } => {
                    panic!("must not touch the live peer's {group:?}")
                }
                _ => {}
            }
        }
    }
    let (up, started) = (comm_up_at.expect("comm up"), started_at.expect("group 0 started"));
    let waited = started - up;
    assert!(waited >= Duration::from_secs(19) && waited <= Duration::from_secs(21), "{waited:?}");
}
