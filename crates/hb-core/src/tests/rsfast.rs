//! Shortcuts when every node is heartbeat-rs (`rsfast.rs`), and heartbeat 3.0.6's timing as
//! soon as one node is not.

use std::time::Duration;

use super::harness::Cluster;
use crate::AutoFailback;

fn two(plain_n2: bool) -> Cluster {
    let mut c = Cluster::new(&["n1", "n2"], 1, AutoFailback::On);
    if plain_n2 {
        c.plain.insert(1);
    }
    c.start_all();
    c
}

#[test]
fn both_heartbeat_rs_started_together_run_their_groups_without_rqstdelay() {
    let mut c = two(false);
    c.run_for(Duration::from_millis(1500));
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
}

#[test]
fn with_a_plain_heartbeat_peer_start_up_keeps_rqstdelay() {
    let mut c = two(true);
    c.run_for(Duration::from_secs(9));
    assert!(c.running_on(0).is_empty(), "n1 started before RQSTDELAY");
    c.secs(4);
    assert_eq!(c.running_on(0), [0]);
    assert_eq!(c.running_on(1), [1]);
}

/// A restarted heartbeat-rs node hears its peer at once (the peer answers its first status),
/// not a keepalive later; a plain heartbeat peer sends nothing extra.
#[test]
fn a_restarted_node_is_greeted_at_once_by_a_heartbeat_rs_peer() {
    for plain in [false, true] {
        let mut c = two(plain);
        c.secs(20);
        c.crash(0);
        c.secs(1);
        let t = c.now;
        c.start(0);
        // Keepalive is 1 s in the harness: within 50 ms only an answer can arrive.
        c.run_for(Duration::from_millis(50));
        let answered =
            c.sent_since(1, t).iter().filter(|m| m.get_str("t") == Some("status")).count();
        if plain {
            // At most its regular keepalive status.
            assert!(answered <= 1, "{answered}");
        } else {
            assert!(answered >= 1, "n2 did not answer the restarted n1 at once");
        }
    }
}
