//! `hb_standby` / `hb_takeover` (spec §8.7) with replies, as in captures hb-07…hb-11.

use super::harness::Cluster;
use crate::{AdminCommand, AutoFailback, Event, Input, ResourceSet};

fn settled() -> Cluster {
    let mut c = Cluster::new(&["n1", "n2"], 1, AutoFailback::On);
    c.start_all();
    c.secs(20);
    c
}

#[test]
fn standby_all_hands_everything_to_the_peer() {
    let mut c = settled();
    let t = c.now;
    c.input(0, Input::Admin(AdminCommand::Standby(ResourceSet::All)));
    c.secs(3);
    assert!(c.running_on(0).is_empty());
    assert_eq!(c.running_on(1), [0, 1]);
    assert!(c.double_run.is_empty());
    let n1 = c.sent_types_since(0, t);
    let n2 = c.sent_types_since(1, t);
    let pos = |v: &[String], m: &str| v.iter().position(|x| x == m);
    assert_eq!(pos(&n1, "ask_resources rsc_hold=all info=me"), Some(0), "{n1:?}");
    assert!(
        pos(&n1, "resource rsc_hold=none isstable=0 info=standby")
            < pos(&n1, "ask_resources rsc_hold=all info=done")
    );
    assert!(pos(&n2, "ask_resources rsc_hold=all info=other").is_some(), "{n2:?}");
    assert!(pos(&n2, "ask_resources rsc_hold=all info=done").is_some(), "{n2:?}");
    assert!(n2.iter().any(|m| m == "resource rsc_hold=all isstable=1"));
    assert!(n1.iter().any(|m| m == "resource rsc_hold=none isstable=1"));
    assert!(c.events(0).contains(&Event::StandbyCompleted { set: ResourceSet::All }));
    assert!(c.events(1).contains(&Event::StandbyCompleted { set: ResourceSet::All }));
}

#[test]
fn takeover_all_pulls_everything_here() {
    let mut c = settled();
    let t = c.now;
    c.input(0, Input::Admin(AdminCommand::Takeover(ResourceSet::All)));
    c.secs(3);
    assert_eq!(c.running_on(0), [0, 1]);
    assert!(c.running_on(1).is_empty());
    assert_eq!(c.sent_types_since(0, t)[0], "hb_takeover rsc_hold=all");
    assert_eq!(c.sent_types_since(1, t)[0], "ask_resources rsc_hold=all info=me");
    assert!(c.events(0).contains(&Event::StandbyCompleted { set: ResourceSet::All }));
}

#[test]
fn standby_foreign_with_nothing_foreign_still_runs_the_protocol() {
    let mut c = settled();
    let t = c.now;
    c.input(1, Input::Admin(AdminCommand::Standby(ResourceSet::Foreign)));
    c.secs(3);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
    let n2 = c.sent_types_since(1, t);
    assert!(n2.iter().any(|m| m == "ask_resources rsc_hold=foreign info=done"), "{n2:?}");
    assert!(c.events(1).contains(&Event::StandbyCompleted { set: ResourceSet::Foreign }));
}

#[test]
fn standby_local_moves_only_our_own_group() {
    let mut c = settled();
    c.input(1, Input::Admin(AdminCommand::Standby(ResourceSet::Local)));
    c.secs(3);
    assert_eq!(c.running_on(0), [0, 1]);
    assert!(c.running_on(1).is_empty());
}

#[test]
fn takeover_local_then_standby_foreign_round_trip() {
    let mut c = settled();
    c.input(0, Input::Admin(AdminCommand::Standby(ResourceSet::All)));
    c.secs(3);
    // n1 takes back only its own group: n2 runs standby with the mirror set (foreign).
    c.input(0, Input::Admin(AdminCommand::Takeover(ResourceSet::Local)));
    c.secs(3);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
    assert!(c.double_run.is_empty());
}

#[test]
fn standby_refused_while_not_stable_or_alone_or_in_legacy_mode() {
    let mut c = Cluster::new(&["n1", "n2"], 1, AutoFailback::On);
    c.start(0);
    c.secs(1);
    c.input(0, Input::Admin(AdminCommand::Standby(ResourceSet::All)));
    assert!(c.events(0).iter().any(|e| matches!(e, Event::StandbyRefused { .. })));
    c.secs(25);
    c.input(0, Input::Admin(AdminCommand::Standby(ResourceSet::All)));
    let refusals = c.events(0).iter().filter(|e| matches!(e, Event::StandbyRefused { .. })).count();
    assert_eq!(refusals, 2, "alone: nobody to hand over to");
    assert_eq!(c.running_on(0), [0, 1]);

    let mut c = Cluster::new(&["n1", "n2"], 1, AutoFailback::Legacy);
    c.start_all();
    c.secs(5);
    c.input(0, Input::Admin(AdminCommand::Standby(ResourceSet::All)));
    assert!(c.events(0).contains(&Event::StandbyRefused {
        reason: "Standby mode only implemented when nice_failback on".into()
    }));
}

#[test]
fn standby_without_reply_times_out_after_ten_seconds() {
    let cfgs = ["n1", "n2"]
        .iter()
        .map(|n| {
            let mut cfg = super::harness::config(n, &["n1", "n2"], 1, AutoFailback::On);
            cfg.deadtime = std::time::Duration::from_secs(30);
            cfg.initdead = std::time::Duration::from_secs(60);
            cfg
        })
        .collect();
    let mut c = Cluster::with_configs(cfgs);
    c.start_all();
    c.secs(20);
    c.cut.insert((1, 0, 0));
    c.input(0, Input::Admin(AdminCommand::Standby(ResourceSet::All)));
    c.secs(9);
    assert!(!c.events(0).iter().any(|e| matches!(e, Event::StandbyRefused { .. })));
    c.run_for(std::time::Duration::from_millis(1500));
    assert!(c
        .events(0)
        .contains(&Event::StandbyRefused { reason: "No reply to standby request".into() }));
    assert_eq!(c.running_on(0), [0], "nothing given up without a partner");
}

#[test]
fn takeover_without_any_answer_is_reported() {
    let cfgs = ["n1", "n2"]
        .iter()
        .map(|n| {
            let mut cfg = super::harness::config(n, &["n1", "n2"], 1, AutoFailback::On);
            cfg.deadtime = std::time::Duration::from_secs(30);
            cfg.initdead = std::time::Duration::from_secs(60);
            cfg
        })
        .collect();
    let mut c = Cluster::with_configs(cfgs);
    c.start_all();
    c.secs(20);
    c.cut.insert((0, 1, 0));
    c.input(0, Input::Admin(AdminCommand::Takeover(ResourceSet::All)));
    c.secs(9);
    assert!(!c.events(0).iter().any(|e| matches!(e, Event::StandbyRefused { .. })));
    c.secs(2);
    assert!(c
        .events(0)
        .contains(&Event::StandbyRefused { reason: "No reply to takeover request".into() }));
}

/// Heartbeat emits the follow-up of a message before the message itself (spec §6.1); a media
/// reordering can do the same. `me` judged by the sender's state when it sent it.
#[test]
fn standby_request_overtaken_by_its_follow_up_is_still_answered() {
    let mut c = settled();
    let last = c
        .sent_since(0, crate::Instant::ZERO)
        .iter()
        .filter_map(|m| m.get_str("seq").and_then(|s| u32::from_str_radix(s, 16).ok()))
        .max()
        .unwrap_or(0);
    let hg = c.node(0).generation();
    let me = super::harness::craft(
        "ask_resources",
        &[("rsc_hold", "all"), ("info", "me")],
        "n1",
        0,
        hg,
        Some(last + 1),
    );
    let follow = super::harness::craft(
        "resource",
        &[("rsc_hold", "none"), ("rtype", "full"), ("isstable", "0"), ("info", "standby")],
        "n1",
        0,
        hg,
        Some(last + 2),
    );
    let t = c.now;
    c.deliver_msg(1, &follow);
    c.deliver_msg(1, &me);
    let n2 = c.sent_types_since(1, t);
    assert_eq!(n2, ["ask_resources rsc_hold=all info=other"]);
}

/// Issue 18 (simulator seed 880075528): a second `hb_takeover` while the first still waits for
/// its reply is refused at once, and the first still gets its own outcome from its timer: two
/// requests, two answers.
#[test]
fn second_takeover_while_one_is_outstanding_is_refused() {
    let cfgs = ["n1", "n2"]
        .iter()
        .map(|n| {
            let mut cfg = super::harness::config(n, &["n1", "n2"], 1, AutoFailback::On);
            cfg.deadtime = std::time::Duration::from_secs(30);
            cfg.initdead = std::time::Duration::from_secs(60);
            cfg
        })
        .collect();
    let mut c = Cluster::with_configs(cfgs);
    c.start_all();
    c.secs(20);
    c.cut.insert((0, 1, 0));
    let refusals = |c: &Cluster| {
        c.events(0).iter().filter(|e| matches!(e, Event::StandbyRefused { .. })).count()
    };
    c.input(0, Input::Admin(AdminCommand::Takeover(ResourceSet::Foreign)));
    c.secs(1);
    assert_eq!(refusals(&c), 0);
    c.input(0, Input::Admin(AdminCommand::Takeover(ResourceSet::All)));
    assert!(c
        .events(0)
        .contains(&Event::StandbyRefused { reason: "takeover already in progress".into() }));
    assert_eq!(refusals(&c), 1);
    c.secs(10);
    assert!(c
        .events(0)
        .contains(&Event::StandbyRefused { reason: "No reply to takeover request".into() }));
    assert_eq!(refusals(&c), 2, "one outcome per request");
}
