use std::collections::BTreeMap;

use hb_api::{GroupStatus, LinkStatus, NodeStatus, Status};

use super::*;

fn link(name: &str, status: &str, heard: Option<u64>, late: u64, max: u64) -> LinkStatus {
    LinkStatus {
        name: name.into(),
        status: status.into(),
        last_heard_ms: heard,
        late_heartbeats: late,
        max_late_ms: max,
    }
}

fn node(name: &str, node_type: &str, status: &str, links: Vec<LinkStatus>) -> NodeStatus {
    NodeStatus {
        name: name.into(),
        node_type: node_type.into(),
        status: status.into(),
        weight: 100,
        site: String::new(),
        links,
    }
}

fn sample() -> Status {
    Status {
        version: "0.1.0".into(),
        node: "alpha".into(),
        rsc_status: "local".into(),
        nodes: vec![
            node("alpha", "normal", "active", vec![]),
            node(
                "beta",
                "normal",
                "active",
                vec![link("eth0", "up", Some(850), 2, 1_250), link("eth1", "dead", None, 0, 0)],
            ),
            node("10.0.0.254", "ping", "ping", vec![link("10.0.0.254", "up", Some(3_000), 0, 0)]),
        ],
        groups: vec![
            GroupStatus {
                index: 0,
                preferred: "alpha".into(),
                resources: vec!["IPaddr::10.0.0.10/24/eth0".into(), "apache2".into()],
                owner: Some("alpha".into()),
                state: "started".into(),
                since_ms: 303_000,
                reason: "failback".into(),
            },
            GroupStatus {
                index: 1,
                preferred: "beta".into(),
                resources: vec!["10.0.0.11".into()],
                owner: None,
                state: "stopped".into(),
                since_ms: 7_500_000,
                reason: String::new(),
            },
        ],
        parameters: BTreeMap::new(),
        checks: BTreeMap::new(),
        reserved_ips: BTreeMap::new(),
        vrrp: Vec::new(),
        arbiter: BTreeMap::new(),
    }
}

#[test]
fn status_table_has_a_row_per_link_and_per_group() {
    let expected = "\
node alpha (heartbeat-rs 0.1.0), resources held here: local

NODE        TYPE    STATUS  LINK        LINK STATUS  LAST HEARD  LATE
alpha       normal  active
beta        normal  active  eth0        up           850ms ago   2 (max 1.2s)
                            eth1        dead         never       0
10.0.0.254  ping    ping    10.0.0.254  up           3.0s ago    0

GROUP  PREFERRED  RESOURCES                          OWNER  STATE    SINCE  REASON
0      alpha      IPaddr::10.0.0.10/24/eth0 apache2  alpha  started  5m03s  failback
1      beta       10.0.0.11                          -      stopped  2h05m  -
";
    assert_eq!(format_status(&sample()), expected);
}

#[test]
fn no_groups_is_said_not_shown_as_an_empty_table() {
    let mut status = sample();
    status.groups.clear();
    assert!(format_status(&status).ends_with("\nno resource groups\n"));
}

#[test]
fn reserved_ips_show_how_often_they_were_claimed_back() {
    let mut status = sample();
    assert!(!format_status(&status).contains("RESERVED IP"));
    status.reserved_ips.insert("ReservedIP::203.0.113.7".into(), 2);
    let text = format_status(&status);
    let table = text.split_once("RESERVED IP").map(|(_, t)| t).unwrap_or_else(|| panic!("{text}"));
    assert!(table.starts_with("              CLAIMED BACK\n"), "{table:?}");
    assert!(table.ends_with("\nReservedIP::203.0.113.7  2\n"), "{table:?}");
}

#[test]
fn the_etcd_arbiter_shows_only_when_configured() {
    let mut status = sample();
    assert!(!format_status(&status).contains("ARBITER"));
    status.arbiter.insert("etcd".into(), "reachable".into());
    status.arbiter.insert("key 10.0.0.1".into(), "n1".into());
    let text = format_status(&status);
    let table = text.split_once("ARBITER").map(|(_, t)| t).unwrap_or_else(|| panic!("{text}"));
    assert!(table.contains("\netcd          reachable\n"), "{table:?}");
    assert!(table.ends_with("\nkey 10.0.0.1  n1\n"), "{table:?}");
}

#[test]
fn durations_pick_a_unit_people_read_at_a_glance() {
    assert_eq!(format_ms(0), "0ms");
    assert_eq!(format_ms(999), "999ms");
    assert_eq!(format_ms(1_000), "1.0s");
    assert_eq!(format_ms(59_999), "59.9s");
    assert_eq!(format_ms(60_000), "1m00s");
    assert_eq!(format_ms(3_599_999), "59m59s");
    assert_eq!(format_ms(3_600_000), "1h00m");
    assert_eq!(format_ms(90_061_000), "1d01h");
}

fn vrrp(name: &str, state: &str, prio: u8, base: u8) -> hb_api::VrrpStatus {
    hb_api::VrrpStatus {
        name: name.into(),
        interface: "ens33".into(),
        vrid: 51,
        version: 2,
        state: state.into(),
        since_ms: 4_200,
        base_priority: base,
        priority: prio,
        master: (state == "BACKUP").then(|| "10.99.0.1".into()),
        advert_int_ms: 1000,
        vips: vec!["192.168.224.100/24".into()],
        track_scripts: vec![],
        adverts_sent: 12,
        adverts_received: 3,
        became_master: 1,
        released_master: 0,
        priority_zero_sent: 0,
        priority_zero_received: 0,
        address_list_errors: 0,
        rejects: [("auth_mismatch".to_owned(), 2), ("bad_ttl".to_owned(), 1)].into(),
    }
}

#[test]
fn vrrp_instances_alone_and_beside_heartbeat_groups() {
    let mut alone = sample();
    alone.nodes.clear();
    alone.groups.clear();
    alone.checks = [("vrrp_script httpd_check".to_owned(), "up".to_owned())].into();
    alone.vrrp = vec![vrrp("VI_1", "MASTER", 100, 100), vrrp("VI_2", "BACKUP", 89, 99)];
    let text = format_status(&alone);
    assert!(text.starts_with("node alpha (heartbeat-rs 0.1.0), keepalived mode\n\n"), "{text}");
    let rows: Vec<&str> = text.lines().collect();
    assert!(rows[2].starts_with("VRRP INSTANCE  INTERFACE  VRID"), "{text}");
    assert!(
        rows[3].starts_with("VI_1") && rows[3].contains("MASTER") && rows[3].contains("this node")
    );
    assert!(rows[3].contains("192.168.224.100/24") && rows[3].contains("12/3"), "{text}");
    assert!(rows[3].trim_end().ends_with(" 3"), "rejected total: {text}");
    assert!(rows[4].contains("89 (base 99)") && rows[4].contains("10.99.0.1"), "{text}");
    assert!(text.contains("vrrp_script httpd_check  up"), "{text}");
    assert!(!text.contains("NODE"), "{text}");

    let both = merge(sample(), Some(alone.clone()));
    let text = format_status(&both);
    assert!(text.contains("NODE") && text.contains("GROUP"), "{text}");
    assert_eq!(text.matches("VRRP INSTANCE").count(), 1, "{text}");
    assert_eq!(both.vrrp.len(), 2);
    let json: Status = serde_json::from_str(&serde_json::to_string(&both).unwrap()).unwrap();
    assert_eq!(json, both);
    assert!(format_status(&merge(sample(), None)).find("VRRP").is_none());
}
