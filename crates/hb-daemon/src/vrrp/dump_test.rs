use std::collections::BTreeMap;
use std::path::Path;

use super::*;
use hb_config::keepalived::parse_keepalived_no_include;

/// The instance as it was when Debian's keepalived 2.2.7 wrote `testdata/` (VI_1 master
/// after one advert, nothing received).
fn captured() -> VrrpStatus {
    VrrpStatus {
        name: "VI_1".into(),
        interface: "d0".into(),
        vrid: 51,
        version: 2,
        state: "MASTER".into(),
        since_ms: 1500,
        base_priority: 100,
        priority: 100,
        master: None,
        advert_int_ms: 1000,
        vips: vec!["10.99.77.100/24".into()],
        track_scripts: vec!["chk weight -10".into()],
        adverts_sent: 1,
        adverts_received: 0,
        became_master: 1,
        released_master: 0,
        priority_zero_sent: 0,
        priority_zero_received: 0,
        address_list_errors: 0,
        rejects: BTreeMap::new(),
    }
}

const CONF: &str = "global_defs {\n router_id probe\n}\nvrrp_script chk {\n script \"/bin/true\"\n \
                    interval 1\n weight -10\n}\nvrrp_instance VI_1 {\n state MASTER\n interface d0\n \
                    virtual_router_id 51\n priority 100\n advert_int 1\n authentication {\n \
                    auth_type PASS\n auth_pass 1111\n }\n track_script {\n chk\n }\n \
                    virtual_ipaddress {\n 10.99.77.100/24\n }\n}\n";

#[test]
fn stats_file_is_keepalived_2_2_7s_byte_for_byte() {
    let real = include_str!("testdata/keepalived-2.2.7.stats");
    assert_eq!(stats(&[captured()]), real);
    let mut s = captured();
    s.rejects.insert("bad_ttl".into(), 3);
    s.rejects.insert("too_short".into(), 1);
    s.rejects.insert("bad_length".into(), 2);
    s.rejects.insert("auth_mismatch".into(), 5);
    let text = stats(&[s.clone(), s]);
    assert_eq!(text.matches("VRRP Instance: VI_1\n").count(), 2);
    assert!(text.contains("    Length: 3\n    TTL: 3\n"), "{text}");
    assert!(text.contains("    Failure: 5\n"), "{text}");
}

fn keys(v: &serde_json::Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

#[test]
fn json_has_keepalived_2_2_7s_shape_and_names() {
    let real: serde_json::Value =
        serde_json::from_str(include_str!("testdata/keepalived-2.2.7.json")).unwrap();
    let conf = parse_keepalived_no_include(Path::new("k.conf"), CONF).unwrap();
    let ours: serde_json::Value =
        serde_json::from_str(&json(&[captured()], &conf, 1_796_528_371.0)).unwrap();
    let (r, o) = (&real[0], &ours[0]);
    assert_eq!(keys(&r["stats"]), keys(&o["stats"]), "every stats key, no other");
    let real_data = keys(&r["data"]);
    let ours_data = keys(&o["data"]);
    for k in &ours_data {
        assert!(real_data.contains(k), "data key {k} is not keepalived's");
    }
    assert!(ours_data.len() >= 20, "{ours_data:?}");
    for k in ["iname", "vrid", "state", "base_priority", "effective_priority", "auth_data"] {
        assert_eq!(r["data"][k], o["data"][k], "{k}");
    }
    assert_eq!(r["stats"]["become_master"], o["stats"]["become_master"]);
    assert_eq!(o["data"]["last_transition"], 1_796_528_369.5);
    assert_eq!(o["data"]["track_script"], serde_json::json!(["'/bin/true'"]));
}

#[test]
fn data_file_uses_keepalived_2_2_7s_headings_and_keys() {
    let real = include_str!("testdata/keepalived-2.2.7.data-topology");
    let conf = parse_keepalived_no_include(Path::new("k.conf"), CONF).unwrap();
    let text = data(&[captured()], &conf, 1_796_528_371.0);
    let topo: &str = text
        .split("------< VRRP Topology >------\n")
        .nth(1)
        .and_then(|t| t.split("------<").next())
        .unwrap();
    let mut compared = 0;
    for line in topo.lines().filter(|l| l.contains(" = ")) {
        let key = line.split(" = ").next().unwrap();
        if key.trim() == "Master router" {
            continue; // ours only, when backup
        }
        let same = real.lines().find(|l| l.split(" = ").next() == Some(key));
        assert!(same.is_some(), "{key:?} is not a line of keepalived's data file");
        compared += 1;
    }
    assert!(compared >= 12, "{compared} lines compared");
    for exact in [
        " VRRP Instance = VI_1",
        "   State = MASTER",
        "   Virtual Router ID = 51",
        "   Effective priority = 100",
        "   Advert interval = 1 sec",
        "   Authentication type = SIMPLE_PASSWORD",
        "   Virtual IP (1):",
        "     10.99.77.100/24 dev d0 scope global set",
        "     chk weight -10",
    ] {
        assert!(real.lines().any(|l| l == exact), "fixture lacks {exact:?}");
        assert!(topo.lines().any(|l| l == exact), "ours lacks {exact:?}:\n{topo}");
    }
    assert!(text.starts_with("------< Global definitions >------\n Router ID = probe\n"));
    assert!(text.contains("------< VRRP Scripts >------\n VRRP Script = chk\n"));
}
