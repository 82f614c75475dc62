use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use super::*;

/// The issue's seed layout, node A (the other node has BACKUP / 99).
pub(crate) const SEED: &str = r#"vrrp_script httpd_check { script "/usr/local/httpd.sh"  interval 2 }
vrrp_instance VI_1 {
    state MASTER            # BACKUP on the other node
    interface ens33
    lvs_sync_daemon_interface ens33
    virtual_router_id 51
    priority 100            # 99 on the other node
    advert_int 1
    authentication { auth_type PASS  auth_pass 1111 }
    track_script { httpd_check }
    virtual_ipaddress { 192.168.224.100/24 }
}
vrrp_instance VI_2 {
    state MASTER
    interface ens37
    virtual_router_id 52
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    track_script {
        httpd_check
    }
    virtual_ipaddress {
        192.168.198.100/24
    }
}
"#;

fn parse(text: &str) -> KeepalivedConf {
    parse_keepalived(Path::new("/etc/keepalived/keepalived.conf"), text).unwrap()
}

fn messages(c: &KeepalivedConf) -> Vec<String> {
    c.findings.iter().map(|f| f.to_string()).collect()
}

#[test]
fn seed_layout_reads_as_keepalived_2_2_7_reads_it() {
    let c = parse(SEED);
    assert_eq!(c.instances.len(), 2);
    let s = &c.scripts[0];
    assert_eq!(s.name, "httpd_check");
    // One line between braces is one statement: keepalived takes `interval 2` as part of the
    // script line, so the interval stays at its 1 s default (checked with keepalived -d).
    assert_eq!(s.command.argv, ["/usr/local/httpd.sh"]);
    assert_eq!(s.interval, Duration::from_secs(1));
    let v1 = c.instance("VI_1").unwrap();
    assert_eq!((v1.vrid, v1.priority, v1.state), (51, 100, InitialState::Master));
    assert_eq!(v1.interface, "ens33");
    assert_eq!(v1.version, 2);
    assert_eq!(v1.advert_int, Duration::from_secs(1));
    // Same one-line rule: auth_pass is an argument of auth_type, so no password, no auth.
    assert_eq!(v1.auth, None);
    assert_eq!(v1.track_scripts, [Track { name: "httpd_check".into(), weight: None }]);
    assert_eq!(v1.vips.len(), 1);
    assert_eq!(v1.vips[0].to_string(), "192.168.224.100/24");
    let v2 = c.instance("VI_2").unwrap();
    assert_eq!(v2.auth, Some(Auth::Pass("1111".into())));
    assert_eq!(v2.vips[0].addr, "192.168.198.100".parse::<IpAddr>().unwrap());
    let m = messages(&c);
    assert_eq!(m.len(), 3, "{m:#?}");
    assert!(
        m[0].contains(":1:57: warning: script: 'interval 2': words after the script are ignored"),
        "{m:?}"
    );
    assert!(m[1].starts_with("/etc/keepalived/keepalived.conf:5:5: error: lvs_sync_daemon_interface: LVS is not supported"));
    assert!(m[2].contains("(VI_1) authentication specified but no password given"), "{m:?}");
    assert!(c.has_errors(), "keepalived -t fails on this file too");
}

#[test]
fn unknown_keywords_are_located_and_the_parse_goes_on() {
    let c = parse(
        "vrrp_instance A {\n interface e0\n bogus_kw 3\n virtual_router_id 5\n}\nfoo {\n x\n}\n",
    );
    assert_eq!(c.instances[0].vrid, 5);
    let m = messages(&c);
    assert!(
        m.iter().any(|l| l.ends_with(":3:2: error: unknown keyword 'bogus_kw'; ignored")),
        "{m:?}"
    );
    assert!(m.iter().any(|l| l.ends_with(":6:1: error: unknown keyword 'foo'; ignored")), "{m:?}");
}

#[test]
fn long_auth_pass_is_cut_with_a_warning_naming_the_cut() {
    let c = parse("vrrp_instance A {\n interface e0\n virtual_router_id 5\n virtual_ipaddress {\n 10.0.0.1\n }\n authentication {\n auth_type PASS\n auth_pass 123456789abc\n }\n}\n");
    assert_eq!(c.instances[0].auth, Some(Auth::Pass("12345678".into())));
    let m = messages(&c);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains(":9:12: error: auth_pass is longer than 8 characters: cut to '12345678'"));
}

#[test]
fn no_vip_is_allowed_with_a_warning_only() {
    let c = parse("vrrp_instance A {\n interface e0\n virtual_router_id 5\n notify_master \"/bin/move-ip up\"\n}\n");
    assert!(c.instances[0].vips.is_empty());
    assert_eq!(c.instances[0].notify.master.as_ref().unwrap().argv, ["/bin/move-ip", "up"]);
    assert!(!c.has_errors(), "{:?}", messages(&c));
    assert_eq!(c.findings.len(), 1);
}

#[test]
fn invalid_instances_are_dropped_with_errors() {
    let c = parse("vrrp_instance A {\n interface e0\n}\nvrrp_instance B {\n virtual_router_id 300\n interface e0\n}\nvrrp_instance C {\n virtual_router_id 3\n}\n");
    assert!(c.instances.is_empty());
    let m = messages(&c).join("\n");
    assert!(m.contains("(A) the virtual router id must be set"), "{m}");
    assert!(m.contains(":5:20: error: number '300' outside range [1, 255]"), "{m}");
    assert!(m.contains("(C) no interface given"), "{m}");
}

#[test]
fn full_instance_keywords() {
    let text = r#"
global_defs {
  router_id lb1
  vrrp_version 3
  vrrp_garp_master_delay 2
  vrrp_garp_master_repeat 3
  vrrp_garp_master_refresh 60
  script_user nobody nogroup
  enable_script_security
  notification_email { a@b }
}
vrrp_script chk {
  script "/bin/check arg"
  interval 2
  timeout 1
  weight -20
  rise 2
  fall 3
  user www-data
  init_fail
}
vrrp_instance VI {
  interface eth0
  virtual_router_id 7
  priority 150
  advert_int 0.01
  nopreempt
  preempt_delay 30
  virtual_ipaddress {
    10.99.0.10/24 brd 10.99.0.255 dev eth1 scope global label eth1:vip
    fd00::10/64
  }
  virtual_ipaddress_excluded { 10.99.1.10 }
  unicast_src_ip 10.99.0.1
  unicast_peer {
    10.99.0.2
    10.99.0.3
  }
  track_script {
    chk weight 10
  }
  track_interface { eth1 weight -5 }
  notify_master /bin/m
  notify_backup "/bin/b x"
  notify_fault "/bin/f a b"
  notify_stop /bin/s
  notify /bin/n
  garp_master_repeat 9
}
vrrp_sync_group G { group { VI } notify_master /bin/g }
virtual_server 10.0.0.1 80 { real_server 10.0.0.2 80 { weight 1 } }
"#;
    let c = parse(text);
    let g = &c.global;
    assert_eq!(g.router_id.as_deref(), Some("lb1"));
    assert_eq!((g.vrrp_version, g.garp_master_repeat), (3, 3));
    assert_eq!(g.script_user, Some(("nobody".into(), Some("nogroup".into()))));
    assert!(g.enable_script_security);
    let s = &c.scripts[0];
    assert_eq!(s.command.argv, ["/bin/check", "arg"]);
    assert_eq!((s.interval, s.timeout), (Duration::from_secs(2), Duration::from_secs(1)));
    assert_eq!((s.weight, s.rise, s.fall, s.init_fail), (-20, 2, 3, true));
    let i = &c.instances[0];
    assert_eq!((i.version, i.vrid, i.priority), (3, 7, 150));
    assert_eq!(i.advert_int, Duration::from_millis(10));
    assert!(i.nopreempt);
    assert_eq!(i.preempt_delay, Duration::from_secs(30));
    assert_eq!(
        i.vips[0].to_string(),
        "10.99.0.10/24 brd 10.99.0.255 dev eth1 scope global label eth1:vip"
    );
    assert_eq!(i.vips[1].to_string(), "fd00::10/64");
    assert_eq!(i.vips_excluded[0].to_string(), "10.99.1.10/32");
    assert_eq!(i.unicast_peers.len(), 2);
    assert_eq!(i.track_scripts[0].weight, Some(10));
    assert_eq!(i.track_interfaces[0], Track { name: "eth1".into(), weight: Some(-5) });
    assert_eq!(i.notify.fault.as_ref().unwrap().argv, ["/bin/f", "a", "b"]);
    assert_eq!(i.notify.backup.as_ref().unwrap().argv, ["/bin/b", "x"]);
    assert_eq!((i.garp_master_delay, i.garp_master_repeat), (Duration::from_secs(2), 9));
    assert_eq!(c.sync_groups[0].instances, ["VI"]);
    assert!(!c.has_errors(), "{:#?}", messages(&c));
    let m = messages(&c).join("\n");
    assert!(m.contains("virtual_server: LVS is not supported by heartbeat-rs, ignored"), "{m}");
    assert!(m.contains("notification_email: not supported by heartbeat-rs, ignored"), "{m}");
}

#[test]
fn v2_advert_int_is_rounded_like_keepalived() {
    let c = parse("vrrp_instance A {\n interface e0\n virtual_router_id 5\n advert_int 1.4\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n");
    assert_eq!(c.instances[0].advert_int, Duration::from_secs(1));
    assert!(c.has_errors());
}

#[test]
fn includes_with_globs_relative_to_the_including_file() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("conf.d")).unwrap();
    std::fs::write(
        d.path().join("conf.d/b.conf"),
        "vrrp_instance B {\n interface e0\n virtual_router_id 2\n}\n",
    )
    .unwrap();
    std::fs::write(
        d.path().join("conf.d/a.conf"),
        "vrrp_instance A {\n interface e0\n virtual_router_id 1\n include ../prio.inc\n}\n",
    )
    .unwrap();
    std::fs::write(d.path().join("prio.inc"), "priority 42\n").unwrap();
    let main = d.path().join("keepalived.conf");
    std::fs::write(&main, "include conf.d/*.conf\ninclude none/*.conf\n").unwrap();
    let c = load_keepalived(&main).unwrap();
    let names: Vec<&str> = c.instances.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["A", "B"]);
    assert_eq!(c.instances[0].priority, 42);
    assert_eq!(c.files.len(), 4);
    let m = messages(&c).join("\n");
    assert!(m.contains("keepalived.conf:2:9: error: include 'none/*.conf' matches no file"), "{m}");
}

#[test]
fn include_loops_are_an_error_not_a_hang() {
    let d = tempfile::tempdir().unwrap();
    let main = d.path().join("k.conf");
    std::fs::write(&main, "include k.conf\n").unwrap();
    let e = load_keepalived(&main).unwrap_err().to_string();
    assert!(e.contains("includes nested deeper than 8"), "{e}");
}

#[test]
fn undefined_track_script_and_sync_member_are_errors() {
    let c = parse("vrrp_instance A {\n interface e0\n virtual_router_id 1\n track_script {\n nope\n }\n}\nvrrp_sync_group G {\n group {\n A\n Z\n }\n}\n");
    let m = messages(&c).join("\n");
    assert!(m.contains("(A) track_script nope is not defined"), "{m}");
    assert!(m.contains("vrrp_sync_group G: no vrrp_instance Z"), "{m}");
}

#[test]
fn interface_check_names_missing_devices() {
    let c = parse(SEED);
    let f = check_interfaces(&c, |n| n == "ens33");
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("(VI_2) interface ens37 does not exist"));
}
