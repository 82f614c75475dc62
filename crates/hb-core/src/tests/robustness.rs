//! Arbitrary authenticated input never panics the engine and never makes it run a group twice.

use std::time::Duration;

use super::harness::{craft, Cluster};
use crate::rng::Rng;
use crate::{AdminCommand, AutoFailback, Input, ResourceSet};

const TYPES: [&str; 22] = [
    "status",
    "NS_ackmsg",
    "NS_rexmit",
    "NS_nak_rexmit",
    "reqnodes",
    "repnodes",
    "starting",
    "resource",
    "ask_resources",
    "hb_takeover",
    "ip-request",
    "ip-request-resp",
    "stonith",
    "shutdone",
    "query-cstatus",
    "hbapi-clstat",
    "addnode",
    "setweight",
    "NS_st",
    "ifstat",
    "whatever",
    "STATUS",
];
const FIELDS: [&str; 14] = [
    "st", "dt", "dest", "ackseq", "firstseq", "lastseq", "rsc_hold", "rtype", "isstable", "info",
    "ipaddr", "weown", "node", "nodelist",
];
const VALUES: [&str; 22] = [
    "active",
    "up",
    "init",
    "dead",
    "0",
    "1",
    "ffffffff",
    "4294967295",
    "99999999999",
    "",
    "n1",
    "n2",
    "all",
    "none",
    "local",
    "foreign",
    "full",
    "me",
    "other",
    "done",
    "zz",
    "-1",
];

#[test]
fn random_authenticated_messages_never_panic() {
    let mut rng = Rng::new(0x5eed);
    for round in 0..20 {
        let mut c = Cluster::new(&["n1", "n2"], 2, AutoFailback::On);
        c.start(0);
        c.start(1);
        c.secs(15 + round % 10);
        for _ in 0..300 {
            let t = TYPES[rng.range(0, TYPES.len() as u64 - 1) as usize];
            let mut body: Vec<(&str, &str)> = Vec::new();
            for _ in 0..rng.range(0, 5) {
                let f = FIELDS[rng.range(0, FIELDS.len() as u64 - 1) as usize];
                let v = VALUES[rng.range(0, VALUES.len() as u64 - 1) as usize];
                body.push((f, v));
            }
            let hg = match rng.range(0, 3) {
                0 => 0,
                1 => c.node(0).generation(),
                2 => c.node(0).generation() + 1,
                _ => u32::MAX,
            };
            let seq = match rng.range(0, 3) {
                0 => None,
                1 => Some(rng.range(1, 40) as u32),
                2 => Some(rng.range(1, u64::from(u32::MAX)) as u32),
                _ => Some(0),
            };
            let m = craft(t, &body, "n1", 0, hg, seq);
            c.deliver_msg(1, &m);
            match rng.range(0, 20) {
                0 => c.input(1, Input::Admin(AdminCommand::Standby(ResourceSet::All))),
                1 => c.input(1, Input::Admin(AdminCommand::Takeover(ResourceSet::Local))),
                2 => c.input(1, Input::WallClock(rng.next_u64())),
                3 => c.run_for(Duration::from_millis(rng.range(1, 3000))),
                _ => {}
            }
        }
        c.secs(30);
        // The engine's view of its groups still matches what actually runs.
        let s = c.node(1).snapshot();
        let running: Vec<u16> = s
            .groups
            .iter()
            .filter(|g| g.local_state == crate::GroupState::Running)
            .map(|g| g.id.0)
            .collect();
        assert_eq!(running, c.running_on(1), "round {round}");
        assert!(c.node(1).poll_timeout().is_some());
    }
}
