//! Reload scenarios through the in-memory harness: what moves, what does not.

use std::time::Duration;

use crate::tests::harness::Cluster;
use crate::{
    Action, AdminCommand, AutoFailback, CoreError, EngineConfig, Event, GroupChange, GroupConfig,
    GroupId, NodeStatus, ResourceSet,
};

fn settled() -> Cluster {
    let mut c = Cluster::new(&["n1", "n2"], 1, AutoFailback::On);
    c.start_all();
    c.secs(20);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
    c
}

fn ownership_events(c: &Cluster, k: usize, t: crate::Instant) -> Vec<Event> {
    c.events_since(k, t).into_iter().filter(|e| matches!(e, Event::Ownership { .. })).collect()
}

fn with_group(cfg: &EngineConfig, name: &str, pref: &str, extra: &[&str]) -> EngineConfig {
    let mut cfg = cfg.clone();
    let mut resources = vec![name.to_owned()];
    resources.extend(extra.iter().map(|r| (*r).to_owned()));
    cfg.groups.push(GroupConfig { name: name.into(), preferred_node: pref.into(), resources });
    cfg
}

#[test]
fn unchanged_configuration_is_an_empty_plan_and_touches_nothing() {
    let mut c = settled();
    let t = c.now;
    let plan = c.reconfigure(0, c.cfgs[0].clone()).expect("reload");
    assert!(plan.is_empty(), "{plan:?}");
    assert!(plan.describe().is_empty());
    c.secs(10);
    assert!(c.actions_since(0, t).is_empty() && c.actions_since(1, t).is_empty());
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
}

#[test]
fn added_group_is_acquired_by_its_preferred_node_whichever_reloads_first() {
    let mut c = settled();
    let t = c.now;
    // n2 reloads first: the group prefers n1, alive, so n2 leaves it alone.
    let cfg = with_group(&c.cfgs[1], "IPaddr::10.99.0.60/24/eth0", "n1", &[]);
    let plan = c.reconfigure(1, cfg).expect("reload n2");
    assert_eq!(
        plan.groups,
        [GroupChange::Added {
            name: "IPaddr::10.99.0.60/24/eth0".into(),
            id: GroupId(2),
            acquired: false
        }]
    );
    c.secs(2);
    assert!(c.actions_since(1, t).is_empty(), "n2 acted: {:?}", c.actions_since(1, t));
    let cfg = with_group(&c.cfgs[0], "IPaddr::10.99.0.60/24/eth0", "n1", &[]);
    let plan = c.reconfigure(0, cfg).expect("reload n1");
    assert!(matches!(plan.groups[..], [GroupChange::Added { acquired: true, .. }]));
    c.secs(2);
    assert_eq!(c.actions_since(0, t), [(GroupId(2), Action::Start)]);
    assert_eq!(c.running_on(0), [0, 2]);
    assert_eq!(c.running_on(1), [1]);
    assert!(c.double_run.is_empty());
    c.secs(30);
    assert_eq!(c.running_on(0), [0, 2], "the new group moved later");
    assert_eq!(c.running_on(1), [1]);
}

#[test]
fn added_group_of_a_dead_node_is_taken_over() {
    let mut c = settled();
    c.crash(0);
    c.secs(12);
    assert_eq!(c.running_on(1), [0, 1]);
    let t = c.now;
    let cfg = with_group(&c.cfgs[1], "IPaddr::10.99.0.60/24/eth0", "n1", &[]);
    let plan = c.reconfigure(1, cfg).expect("reload");
    assert!(matches!(plan.groups[..], [GroupChange::Added { acquired: true, .. }]));
    c.secs(1);
    assert_eq!(c.actions_since(1, t), [(GroupId(2), Action::Start)]);
    assert_eq!(c.running_on(1), [0, 1, 2]);
}

#[test]
fn changed_group_restarts_in_place_from_the_first_changed_resource_and_others_stay() {
    let mut c = settled();
    let t = c.now;
    let name = c.cfgs[0].groups[0].name.clone();
    for k in [0, 1] {
        let mut cfg = c.cfgs[k].clone();
        cfg.groups[0].resources.push("MailTo::root".into());
        let plan = c.reconfigure(k, cfg).expect("reload");
        assert_eq!(
            plan.groups,
            [GroupChange::Changed {
                name: name.clone(),
                old: GroupId(0),
                id: GroupId(0),
                from: 1,
                restart: k == 0
            }],
            "node {k}"
        );
        assert_eq!(plan.describe().len(), 1);
    }
    c.secs(5);
    assert_eq!(c.actions_since(0, t), [(GroupId(0), Action::Stop), (GroupId(0), Action::Start)]);
    assert!(c.actions_since(1, t).is_empty(), "n2 acted: {:?}", c.actions_since(1, t));
    assert!(ownership_events(&c, 0, t).is_empty(), "{:?}", ownership_events(&c, 0, t));
    assert!(ownership_events(&c, 1, t).is_empty(), "{:?}", ownership_events(&c, 1, t));
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
}

#[test]
fn removed_group_is_reported_for_release_and_the_rest_is_reindexed_untouched() {
    let mut c = settled();
    let t = c.now;
    let mut cfg = c.cfgs[0].clone();
    let gone = cfg.groups.remove(0);
    let plan = c.reconfigure(0, cfg.clone()).expect("reload");
    assert_eq!(
        plan.groups,
        [GroupChange::Removed { name: gone.name.clone(), old: GroupId(0), held: true }]
    );
    assert_eq!(plan.group_map, [None, Some(GroupId(0))]);
    let mut cfg1 = c.cfgs[1].clone();
    cfg1.groups.remove(0);
    let plan = c.reconfigure(1, cfg1).expect("reload n2");
    assert!(matches!(plan.groups[..], [GroupChange::Removed { held: false, .. }]));
    c.secs(30);
    assert!(c.actions_since(0, t).is_empty() && c.actions_since(1, t).is_empty());
    assert_eq!(c.running_on(1), [0], "n2's group (now index 0) stayed");
    assert_eq!(c.node(0).snapshot().groups.len(), 1);
    // Standby still works on the new layout.
    let t = c.now;
    c.input(1, crate::Input::Admin(AdminCommand::Standby(ResourceSet::All)));
    c.secs(10);
    assert_eq!(c.actions_since(0, t), [(GroupId(0), Action::Start)]);
}

#[test]
fn timer_change_takes_effect_from_the_next_keepalive() {
    let mut c = settled();
    let mut cfg = c.cfgs[0].clone();
    cfg.keepalive = Duration::from_millis(250);
    cfg.deadtime = Duration::from_secs(3);
    cfg.initdead = Duration::from_secs(6);
    cfg.warntime = Duration::from_secs(1);
    let plan = c.reconfigure(0, cfg).expect("reload");
    assert!(plan.timers && plan.groups.is_empty());
    let t = c.now;
    c.secs(10);
    let statuses = c.sent_since(0, t).iter().filter(|m| m.get_str("t") == Some("status")).count();
    // 40 keepalives in 10 s (echoes come on top when deadtime is short; 3 s is 12 of them).
    assert!((39..=42).contains(&statuses), "{statuses} statuses in 10 s");
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
}

#[test]
fn added_node_starts_dead_and_a_removed_one_is_forgotten() {
    let mut c = settled();
    let t = c.now;
    let mut cfg = c.cfgs[0].clone();
    cfg.nodes.push("n3".into());
    let plan = c.reconfigure(0, cfg.clone()).expect("reload");
    assert_eq!(plan.nodes_added, ["n3"]);
    let snap = c.node(0).snapshot();
    assert_eq!(snap.nodes.len(), 3);
    assert_eq!(snap.nodes[2].status, NodeStatus::Dead);
    c.secs(15);
    assert_eq!(snap.nodes[1].status, NodeStatus::Active);
    assert!(c.actions_since(0, t).is_empty());
    cfg.nodes.pop();
    let plan = c.reconfigure(0, cfg).expect("reload back");
    assert_eq!(plan.nodes_removed, ["n3"]);
    assert_eq!(c.node(0).snapshot().nodes.len(), 2);
    c.secs(15);
    assert_eq!(c.node(0).snapshot().nodes[1].status, NodeStatus::Active);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
}

#[test]
fn refused_while_an_action_runs_and_for_a_legacy_switch() {
    let mut c = settled();
    let mut cfg = c.cfgs[0].clone();
    cfg.auto_failback = AutoFailback::Legacy;
    assert!(matches!(c.reconfigure(0, cfg), Err(CoreError::Reload(_))));
    let mut cfg = c.cfgs[0].clone();
    cfg.groups[0].resources.push("MailTo::root".into());
    c.reconfigure(0, cfg.clone()).expect("first reload");
    // The restart's stop is outstanding now.
    assert!(c.node(0).reload_blocked().is_some());
    assert!(matches!(c.reconfigure(0, cfg.clone()), Err(CoreError::Busy(_))));
    let mut bad = cfg;
    bad.deadtime = bad.keepalive;
    c.secs(2);
    assert!(matches!(c.reconfigure(0, bad), Err(CoreError::Timing(_))));
    assert_eq!(c.running_on(0), [0]);
}

#[test]
fn media_with_repeated_names_are_matched_in_order() {
    let mut c = settled();
    let mut plans = Vec::new();
    for k in [0, 1] {
        let mut cfg = c.cfgs[k].clone();
        cfg.links = vec!["eth0".into(), "eth0".into()];
        plans.push(c.reconfigure(k, cfg).expect("reload"));
    }
    assert_eq!(plans[0].links_added, ["eth0"]);
    assert_eq!(plans[0].link_map, [Some(0)]);
    assert!(plans[0].links_removed.is_empty());
    c.secs(15);
    let snap = c.node(0).snapshot();
    assert_eq!(snap.nodes[1].status, NodeStatus::Active);
    let mut cfg = c.cfgs[0].clone();
    cfg.links = vec!["eth1".into(), "eth0".into()];
    let plan = c.reconfigure(0, cfg).expect("reload");
    assert_eq!((plan.links_added, plan.links_removed), (vec!["eth1".into()], vec!["eth0".into()]));
    assert_eq!(plan.link_map, [Some(1), None]);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
}

#[test]
fn changed_group_whose_new_start_fails_is_handled_as_a_failed_start() {
    let mut c = settled();
    let t = c.now;
    c.failing_starts.insert((0, 0));
    for k in [0, 1] {
        let mut cfg = c.cfgs[k].clone();
        cfg.groups[0].resources.push("broken-script".into());
        c.reconfigure(k, cfg).expect("reload");
    }
    c.secs(2);
    assert!(
        c.events_since(0, t)
            .iter()
            .any(|e| matches!(e, Event::StartFailed { group, .. } if *group == GroupId(0))),
        "{:?}",
        c.events_since(0, t)
    );
    assert!(c.running_on(0).is_empty(), "a failed start leaves nothing running");
    // Retried here, then offered to the peer, which runs it: never abandoned.
    c.secs(60);
    assert_eq!(c.running_on(1), [0, 1]);
    assert!(c.double_run.is_empty());
}

/// Seeded random reloads on both nodes, one node after the other at random moments: groups
/// appended, the last one removed, resources changed, timers changed (and a preferred node
/// swapped, which is refused).
/// No group ever runs on both nodes, and once both run the same configuration every group
/// runs on exactly one node.
#[test]
fn random_reload_sequences_never_double_run_and_converge() {
    let mut checked = 0;
    for seed in 1..=40u64 {
        let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut next = |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        let mut c = settled();
        let mut cfg = c.cfgs[0].clone();
        for _ in 0..6 {
            match next(5) {
                0 if cfg.groups.len() < 6 => {
                    let n = cfg.groups.len() + 60;
                    let pref = if next(2) == 0 { "n1" } else { "n2" };
                    cfg = with_group(&cfg, &format!("IPaddr::10.99.0.{n}/24/eth0"), pref, &[]);
                }
                1 if cfg.groups.len() > 1 => {
                    cfg.groups.pop();
                }
                2 => {
                    let g = next(cfg.groups.len() as u64) as usize;
                    cfg.groups[g].resources.push(format!("MailTo::r{}", next(100)));
                }
                3 => {
                    // A new preferred node is refused (see below); the configuration stays.
                    let g = next(cfg.groups.len() as u64) as usize;
                    let mut swapped = cfg.clone();
                    let p = &mut swapped.groups[g].preferred_node;
                    *p = if p == "n1" { "n2".into() } else { "n1".into() };
                    let k = next(2) as usize;
                    swapped.local_node = format!("n{}", k + 1);
                    swapped.uuid = c.cfgs[k].uuid;
                    let refused = c.reconfigure(k, swapped);
                    assert!(matches!(refused, Err(CoreError::Reload(_))), "seed {seed}");
                }
                _ => {
                    cfg.keepalive = Duration::from_millis(500 + 250 * next(3));
                }
            }
            let first = next(2) as usize;
            for (k, pause) in [(first, next(3000)), (1 - first, next(3000))] {
                let mut mine = cfg.clone();
                mine.local_node = format!("n{}", k + 1);
                mine.uuid = c.cfgs[k].uuid;
                // Wait for in-flight actions the way the daemon does.
                let mut tries = 0;
                loop {
                    match c.reconfigure(k, mine.clone()) {
                        Ok(_) => break,
                        Err(CoreError::Busy(_)) if tries < 200 => {
                            tries += 1;
                            c.run_for(Duration::from_millis(50));
                        }
                        Err(e) => panic!("seed {seed}: reload of n{} refused: {e}", k + 1),
                    }
                }
                c.run_for(Duration::from_millis(pause));
            }
            assert!(c.double_run.is_empty(), "seed {seed}: double run {:?}", c.double_run);
        }
        c.secs(60);
        let (a, b) = (c.running_on(0), c.running_on(1));
        let mut all: Vec<u16> = a.iter().chain(&b).copied().collect();
        all.sort_unstable();
        let want: Vec<u16> = (0..cfg.groups.len() as u16).collect();
        assert_eq!(
            all,
            want,
            "seed {seed}: n1 runs {a:?}, n2 runs {b:?}, groups {}",
            cfg.groups.len()
        );
        assert!(c.double_run.is_empty(), "seed {seed}: double run {:?}", c.double_run);
        checked += 1;
    }
    eprintln!("random reload sequences: {checked} seeds of 6 reloads on both nodes checked");
    assert_eq!(checked, 40);
}
