//! `auto_failback legacy`: `ip-request` / `ip-request-resp`, no negotiation.

use super::harness::Cluster;
use crate::{Action, AutoFailback, GroupId};

#[test]
fn legacy_start_together_each_asks_for_its_group() {
    let mut c = Cluster::new(&["n1", "n2"], 1, AutoFailback::Legacy);
    let t = c.now;
    c.start_all();
    c.secs(10);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
    let n1 = c.sent_types_since(0, t);
    assert!(n1.iter().any(|m| m == "ip-request ipaddr=IPaddr::10.99.0.50/24/eth0"), "{n1:?}");
    assert!(!n1.iter().any(|m| m.starts_with("starting") || m.starts_with("resource")), "{n1:?}");
}

#[test]
fn legacy_returning_node_gets_its_group_via_ip_request() {
    let mut c = Cluster::new(&["n1", "n2"], 1, AutoFailback::Legacy);
    c.start_all();
    c.secs(10);
    c.crash(0);
    c.running[0].clear();
    c.secs(12);
    assert_eq!(c.running_on(1), [0, 1], "takeover on death");
    let t = c.now;
    c.start(0);
    c.secs(5);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
    assert!(c.double_run.is_empty());
    let n2 = c.sent_types_since(1, t);
    assert!(
        n2.iter().any(|m| m == "ip-request-resp dest=n1 ipaddr=IPaddr::10.99.0.50/24/eth0"),
        "{n2:?}"
    );
    assert_eq!(c.actions_since(1, t), [(GroupId(0), Action::Stop)]);
}
