use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

use super::*;

const BASE: &str = "node a b\nbcast eth0\n";

fn parse(text: &str) -> Result<(HaCf, Vec<String>), String> {
    parse_hacf(Path::new("ha.cf"), text, &HacfOptions::default())
        .map(|(h, w)| (h, w.iter().map(|w| w.to_string()).collect()))
        .map_err(|e| e.to_string())
}

fn ok(text: &str) -> HaCf {
    parse(text).unwrap_or_else(|e| panic!("{e}")).0
}

fn err(text: &str) -> String {
    parse(text).err().unwrap_or_else(|| panic!("accepted: {text}"))
}

fn warnings(text: &str) -> Vec<String> {
    parse(text).unwrap_or_else(|e| panic!("{e}")).1
}

fn s(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn defaults_are_heartbeats() {
    let h = ok(BASE);
    assert_eq!(h.nodes, vec!["a", "b"]);
    assert_eq!(h.timers.keepalive, s(1));
    assert_eq!(h.timers.deadtime, s(30));
    assert_eq!(h.timers.warntime, s(15));
    assert_eq!(h.timers.initdead, s(30));
    assert_eq!(h.timers.deadping, s(30));
    assert_eq!(h.auto_failback, AutoFailback::Legacy);
    assert!(h.logging.use_logd, "nothing configured → logd");
    assert_eq!(h.tuning.cluster_name, "linux-ha");
    assert_eq!(h.tuning.compression, Compression::Zlib);
    assert_eq!(h.tuning.max_rexmit_delay, Duration::from_millis(250));
    let clients: Vec<&str> = h.apiauth.iter().map(|a| a.client.as_str()).collect();
    assert_eq!(clients, vec!["ipfail", "ccm", "ping", "lha-snmpagent", "anon"]);
}

#[test]
fn initdead_is_derived_like_heartbeat() {
    // deadtime > 10 s → deadtime; < 6 s → 12 s; else 2 × deadtime.
    assert_eq!(ok(&format!("{BASE}deadtime 20\n")).timers.initdead, s(20));
    assert_eq!(ok(&format!("{BASE}deadtime 5\n")).timers.initdead, s(12));
    assert_eq!(ok(&format!("{BASE}deadtime 10\n")).timers.initdead, s(20));
    assert_eq!(ok(&format!("{BASE}deadtime 6\n")).timers.initdead, s(12));
    assert_eq!(ok(&format!("{BASE}deadtime 5\n")).timers.warntime, Duration::from_millis(2500));
}

#[test]
fn deadtime_must_exceed_twice_keepalive() {
    assert_eq!(
        err(&format!("{BASE}keepalive 2\ndeadtime 4\n")),
        "ha.cf:4:1: deadtime (4 s) must be greater than twice keepalive (2 × 2 s); expected deadtime above 4 s"
    );
    ok(&format!("{BASE}keepalive 2\ndeadtime 4001ms\n"));
    // Only keepalive given: the error points at keepalive.
    assert!(err(&format!("{BASE}keepalive 15\n")).starts_with("ha.cf:3:1: deadtime (30 s)"));
}

#[test]
fn initdead_rules() {
    assert_eq!(
        err(&format!("{BASE}deadtime 30\ninitdead 20\n")),
        "ha.cf:4:1: initdead (20 s) is smaller than deadtime (30 s); expected initdead ≥ deadtime"
    );
    let w = warnings(&format!("{BASE}deadtime 3\ninitdead 5\n"));
    assert!(
        w.iter().any(|w| w.starts_with("ha.cf:4:1: warning: initdead (5 s) may be too small")),
        "{w:?}"
    );
}

#[test]
fn deadping_checked_only_when_given() {
    assert!(err(&format!("{BASE}deadping 2\n"))
        .starts_with("ha.cf:3:1: deadping (2 s) must be greater"));
    assert_eq!(ok(&format!("{BASE}deadping 5\n")).timers.deadping, s(5));
}

#[test]
fn times_accept_ms_and_fractions() {
    let h = ok(&format!("{BASE}keepalive 500ms\ndeadtime 1.7\nwarntime 1200ms\ninitdead 12\n"));
    assert_eq!(h.timers.keepalive, Duration::from_millis(500));
    assert_eq!(h.timers.deadtime, Duration::from_millis(1700));
    assert_eq!(h.timers.warntime, Duration::from_millis(1200));
    assert_eq!(err(&format!("{BASE}keepalive 2s\n")), "ha.cf:3:11: invalid time value `2s`; expected seconds (`2`, `1.5`) or a number with `ms` or `us` (`1500ms`)");
    assert_eq!(err(&format!("{BASE}warntime 0\n")), "ha.cf:3:10: warntime must be greater than 0");
}

#[test]
fn udpport_applies_from_where_it_appears() {
    let h = ok("node a\nbcast eth0\nudpport 700\nbcast eth1\nucast eth2 10.0.0.2\nmcast eth3 239.0.0.1 800 1 0\n");
    assert_eq!(
        h.media,
        vec![
            Medium::Bcast { interface: "eth0".into(), port: 694 },
            Medium::Bcast { interface: "eth1".into(), port: 700 },
            Medium::Ucast {
                interface: "eth2".into(),
                peer: Peer::Addr(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2))),
                port: 700
            },
            Medium::Mcast {
                interface: "eth3".into(),
                group: Ipv4Addr::new(239, 0, 0, 1),
                port: 800,
                ttl: 1,
                loopback: false
            },
        ]
    );
    let other = parse_hacf(Path::new("ha.cf"), BASE, &HacfOptions { default_udp_port: 7000 });
    assert_eq!(
        other.map(|(h, _)| h.media).ok(),
        Some(vec![Medium::Bcast { interface: "eth0".into(), port: 7000 }])
    );
}

#[test]
fn media_lines() {
    let h = ok("node a\nbcast eth0 eth1,eth2\nucast6 eth1 fe80::1%eth1\nmcast6 eth0 ff12::1:2 694 1 0\nucast eth0 peer-host\n");
    assert_eq!(h.media.len(), 6);
    assert!(matches!(&h.media[3], Medium::Ucast6 { peer: Peer::Addr(IpAddr::V6(_)), .. }));
    assert!(matches!(&h.media[4], Medium::Mcast6 { hops: 1, .. }));
    assert_eq!(
        h.media[5],
        Medium::Ucast { interface: "eth0".into(), peer: Peer::Name("peer-host".into()), port: 694 }
    );
    assert_eq!(
        err("node a\nmcast eth0 10.0.0.1 694 1 0\n"),
        "ha.cf:2:12: invalid multicast group `10.0.0.1`; expected an IPv4 address in 224.0.0.0/4"
    );
    assert_eq!(
        err("node a\nmcast eth0 239.0.0.1 694 5 0\n"),
        "ha.cf:2:26: invalid value `5`; expected a TTL 0–4 (heartbeat's mcast plugin limit)"
    );
    assert_eq!(
        err("node a\nmcast eth0 239.0.0.1 694\n"),
        "ha.cf:2:25: `mcast` line is incomplete; expected `mcast INTERFACE GROUP PORT TTL LOOP`"
    );
    assert_eq!(
        err("node a\nucast eth0\n"),
        "ha.cf:2:11: `ucast` line is incomplete; expected `ucast INTERFACE PEER-ADDRESS`"
    );
    assert_eq!(err("node a\nucast eth0 fe80::1\n"), "ha.cf:2:12: wrong address family `fe80::1`; expected an IPv4 address (use ucast6 for IPv6)");
    assert_eq!(err("node a\nucast6 eth0 fe80::1%eth1\n"), "ha.cf:2:13: scope `%eth1` does not match the interface `eth0`; expected `%eth0` or no scope");
    assert!(warnings("node a\nucast eth0 10.0.0.1 extra\n")[0]
        .starts_with("ha.cf:2:21: warning: extra text"));
}

#[test]
fn serial_and_baud() {
    let h = ok("node a\nbaud 38400\nserial /dev/ttyS0 /dev/ttyS1\n");
    assert_eq!(h.media[1], Medium::Serial { device: "/dev/ttyS1".into(), baud: 38400 });
    let (h, w) = parse("node a\nserial /dev/ttyS0\nbaud 38400\n").unwrap();
    assert_eq!(h.media[0], Medium::Serial { device: "/dev/ttyS0".into(), baud: 19200 });
    assert!(
        w[0].starts_with("ha.cf:3:1: warning: baud after the first serial line has no effect"),
        "{w:?}"
    );
    assert_eq!(err("node a\nbaud 1234\nbcast eth0\n"), "ha.cf:2:6: invalid baud rate `1234`; expected one of 9600, 19200, 38400, 57600, 115200, 230400, 460800");
    assert_eq!(
        err("node a\nbaud 9600\nbaud 9600\nbcast eth0\n"),
        "ha.cf:3:1: baud given twice (heartbeat: baudrate multiply specified)"
    );
    assert_eq!(
        err("node a\nserial ttyS0\n"),
        "ha.cf:2:8: serial port `ttyS0` is not a full path; expected a device such as /dev/ttyS0"
    );
}

#[test]
fn udp_is_read_as_bcast() {
    let (h, w) = parse("node a\nudp eth1\n").unwrap();
    assert_eq!(h.media, vec![Medium::Bcast { interface: "eth1".into(), port: 694 }]);
    assert!(w[0].starts_with("ha.cf:2:1: warning: `udp` is the pre-2.0 name of `bcast`"));
}

#[test]
fn nodes_are_lowercased_deduplicated_and_commented() {
    let (h, w) = parse("node Alpha beta # gamma\nnode alpha\nbcast eth0\n").unwrap();
    assert_eq!(h.nodes, vec!["alpha", "beta"]);
    assert!(w[0].starts_with("ha.cf:2:6: warning: node `alpha` listed twice"));
}

#[test]
fn required_directives() {
    assert_eq!(err("node a\n"), "ha.cf:2:1: no heartbeat medium; expected at least one bcast, mcast, mcast6, ucast, ucast6 or serial line");
    assert_eq!(
        err("bcast eth0"),
        "ha.cf:1:1: no nodes defined; expected at least one `node NAME` line"
    );
    assert_eq!(err("node a\nping 10.0.0.1\n"), "ha.cf:3:1: no heartbeat medium; expected at least one bcast, mcast, mcast6, ucast, ucast6 or serial line");
}

#[test]
fn unknown_and_unsupported_directives() {
    assert_eq!(err(&format!("{BASE}  keepalives 2\n")), "ha.cf:3:3: unknown directive `keepalives`; expected an ha.cf directive such as node, keepalive, deadtime, bcast, ucast, mcast, auto_failback (see ha.cf(5))");
    assert_eq!(
        err(&format!("{BASE}Node c\n")).split(';').next(),
        Some("ha.cf:3:1: unknown directive `Node`")
    );
    assert!(err(&format!("{BASE}hbaping fc0\n"))
        .starts_with("ha.cf:3:1: medium `hbaping` is not supported"));
}

#[test]
fn crm_only_off() {
    ok(&format!("{BASE}crm no\n"));
    ok(&format!("{BASE}pacemaker off\n"));
    assert_eq!(err(&format!("{BASE}crm respawn\n")), "ha.cf:3:5: `crm respawn` asks for Pacemaker (CRM) mode; heartbeat-rs supports only v1 mode (haresources): use `crm no` or remove the line");
    assert_eq!(
        err(&format!("{BASE}crm yes\n")).split(';').next(),
        Some("ha.cf:3:5: `crm yes` asks for Pacemaker (CRM) mode")
    );
    assert_eq!(err(&format!("{BASE}crm maybe\n")), "ha.cf:3:5: invalid crm value `maybe`; expected no, off or false (heartbeat-rs supports only v1 mode)");
    assert_eq!(
        err(&format!("{BASE}crm no\npacemaker no\n")),
        "ha.cf:4:1: crm/pacemaker directive used twice; expected at most one"
    );
    let w = warnings(&format!("{BASE}crm_daemon_dir /usr/lib/pacemaker\n"));
    assert!(w.iter().any(|w| w.contains("crm_daemon_dir only applies to Pacemaker")));
}

#[test]
fn auto_failback_and_nice_failback() {
    assert_eq!(ok(&format!("{BASE}auto_failback on\n")).auto_failback, AutoFailback::On);
    assert_eq!(ok(&format!("{BASE}auto_failback OFF\n")).auto_failback, AutoFailback::Off);
    assert_eq!(ok(&format!("{BASE}auto_failback Legacy\n")).auto_failback, AutoFailback::Legacy);
    assert_eq!(
        err(&format!("{BASE}auto_failback sometimes\n")),
        "ha.cf:3:15: invalid auto_failback `sometimes`; expected on, off or legacy"
    );
    // heartbeat 3.0.6's quirk: nice_failback alone means legacy, after auto_failback on/off it means off.
    assert_eq!(ok(&format!("{BASE}nice_failback on\n")).auto_failback, AutoFailback::Legacy);
    assert_eq!(
        ok(&format!("{BASE}auto_failback on\nnice_failback on\n")).auto_failback,
        AutoFailback::Off
    );
    assert!(warnings(&format!("{BASE}auto_failback on\n")).is_empty());
}

#[test]
fn autojoin_other_than_none_conflicts_with_v1() {
    ok(&format!("{BASE}autojoin none\n"));
    assert!(err(&format!("{BASE}autojoin any\n"))
        .starts_with("ha.cf:3:10: autojoin any conflicts with haresources"));
}

#[test]
fn logging_rules() {
    let h = ok(&format!("{BASE}logfacility local0\n"));
    assert_eq!(h.logging.facility.as_deref(), Some("local0"));
    assert_eq!(h.logging.logfile.as_deref(), Some(Path::new("/dev/null")));
    assert!(!h.logging.use_logd);
    assert_eq!(err(&format!("{BASE}use_logd off\n")), "ha.cf:3:1: use_logd is off and no logfile, debugfile or logfacility is set; expected somewhere to log");
    assert_eq!(err(&format!("{BASE}logfacility loc1\n")), "ha.cf:3:13: invalid logfacility `loc1`; expected a syslog facility such as daemon, local0…local7, or none");
    let h = ok(&format!("{BASE}logfile /var/log/ha.log\nuse_logd yes\n"));
    assert!(h.logging.use_logd);
    assert!(ok(&format!("{BASE}logfacility none\n")).logging.use_logd);
}

#[test]
fn whole_line_directives() {
    let h = ok(&format!(
        "{BASE}apiauth ipfail uid=hacluster,root\napiauth cl_status gid=haclient\nrespawn hacluster /usr/lib/heartbeat/ipfail -v\n\
         stonith_host * baytech 10.0.0.3 mylogin mysecretpassword\nstonith baytech /etc/ha.d/conf/stonith.baytech\n\
         ping 10.0.0.254\nping_group routers 10.0.0.1 10.0.0.2\nwatchdog /dev/watchdog\nenv PATH=/bin\n"
    ));
    assert_eq!(h.apiauth[0].uids, vec!["hacluster", "root"]);
    assert!(!h.apiauth[0].builtin);
    assert_eq!(
        h.apiauth.iter().filter(|a| a.client == "ipfail").count(),
        1,
        "file overrides the default"
    );
    assert_eq!(h.clients[0].command, "/usr/lib/heartbeat/ipfail -v");
    assert_eq!(
        h.stonith[0],
        Stonith::Host {
            host: "*".into(),
            device_type: "baytech".into(),
            params: "10.0.0.3 mylogin mysecretpassword".into()
        }
    );
    assert_eq!(h.ping_nodes, vec![PingNode { address: "10.0.0.254".into(), ipv6: false }]);
    assert_eq!(h.ping_groups[0].members, vec!["10.0.0.1", "10.0.0.2"]);
    assert_eq!(h.env, vec![("PATH".to_owned(), "/bin".to_owned())]);
    assert_eq!(
        err(&format!("{BASE}apiauth x foo=1\n")),
        "ha.cf:3:11: unexpected `foo=1`; expected uid=LIST or gid=LIST"
    );
    assert_eq!(
        err(&format!("{BASE}apiauth x uid=a\napiauth x gid=b\n")),
        "ha.cf:4:9: duplicate apiauth for API client `x`"
    );
    assert_eq!(
        err(&format!("{BASE}respawn root ipfail\n")),
        "ha.cf:3:14: `ipfail` is not an absolute path; expected the program's full path"
    );
    assert_eq!(
        err(&format!("{BASE}watchdog /dev/a\nwatchdog /dev/b\n")),
        "ha.cf:4:1: watchdog device given twice; expected one `watchdog`"
    );
}

#[test]
fn tuning_values() {
    let h = ok(&format!("{BASE}hopfudge 3\nrealtime off\nrtprio 5\nmemreserve 100\nhbgenmethod time\nuuidfrom nodename\nmsgfmt netstring\ncompression bz2\ncompression_threshold 20\ntraditional_compression on\nmax_rexmit_delay 400\ncoredumps no\ndebug 3\ncluster c1\n"));
    assert_eq!(h.tuning.hopfudge, 3);
    assert!(!h.tuning.realtime);
    assert_eq!(h.tuning.rtprio, Some(5));
    assert_eq!(h.tuning.generation_method, GenerationMethod::Time);
    assert_eq!(h.tuning.uuid_from, UuidFrom::NodeName);
    assert_eq!(h.tuning.msgfmt, MsgFormat::Netstring);
    assert_eq!(h.tuning.compression, Compression::Bz2);
    assert_eq!(h.tuning.max_rexmit_delay, Duration::from_millis(400));
    assert_eq!(h.logging.debug_level, 3);
    assert_eq!(h.tuning.cluster_name, "c1");
    assert_eq!(
        err(&format!("{BASE}realtime maybe\n")),
        "ha.cf:3:10: invalid boolean `maybe`; expected on/off, yes/no, true/false, y/n or 1/0"
    );
    assert_eq!(
        err(&format!("{BASE}debug 256\n")),
        "ha.cf:3:7: invalid value `256`; expected a debug level 0–255"
    );
}

#[test]
fn single_valued_directive_with_several_values_warns() {
    let (h, w) = parse(&format!("{BASE}keepalive 1 2\ndeadtime\n")).unwrap();
    assert_eq!(h.timers.keepalive, s(2));
    assert!(w[0].starts_with("ha.cf:3:13: warning: `keepalive` takes one value"), "{w:?}");
    assert_eq!(w[1], "ha.cf:4:1: warning: `deadtime` without a value has no effect");
}

#[test]
fn limits_hold() {
    let mut t = String::from("node a\n");
    for i in 0..=MAX_MEDIA {
        t.push_str(&format!("bcast eth{i}\n"));
    }
    assert!(err(&t).contains("too many media; at most 64"));
    let names: Vec<String> = (0..=MAX_NODES).map(|i| format!("n{i}")).collect();
    assert!(err(&format!("node {}\nbcast eth0\n", names.join(" "))).contains("too many nodes"));
}

#[test]
fn timers_constructor_checks_invariants() {
    let t = Timers::new(s(2), s(8)).unwrap();
    assert_eq!((t.warntime, t.initdead, t.deadping), (s(4), s(16), s(8)));
    assert!(Timers::new(s(2), s(4)).is_err());
    assert!(Timers::new(Duration::ZERO, s(4)).is_err());
    assert!(t.with(s(1), s(7), s(8)).is_err(), "initdead below deadtime");
    assert!(t.with(Duration::ZERO, s(8), s(8)).is_err());
    assert!(t.with(s(1), s(8), s(4)).is_err(), "deadping not above 2 × keepalive");
    assert_eq!(t.with(s(1), s(9), s(5)).map(|t| t.initdead), Ok(s(9)));
    assert_eq!(Timers::new(s(1), s(30)), Ok(Timers::default()));
}

#[test]
fn whole_line_tails_start_at_the_right_word() {
    let h = ok(&format!(
        "{BASE}stonith ab ab cfg  \nstonith_host hh h p1 h  p2\nrespawn r /r/r -r  r\n"
    ));
    assert_eq!(
        h.stonith[0],
        Stonith::File { device_type: "ab".into(), config_file: "ab cfg".into() }
    );
    assert_eq!(
        h.stonith[1],
        Stonith::Host { host: "hh".into(), device_type: "h".into(), params: "p1 h  p2".into() }
    );
    assert_eq!(h.clients[0].command, "/r/r -r  r");
}

#[test]
fn logd_disabled_warning_points_at_first_log_directive() {
    let w = warnings(&format!(
        "{BASE}auto_failback on\ndebugfile /var/log/ha-debug\nlogfile /var/log/ha-log\n"
    ));
    assert_eq!(w, vec!["ha.cf:4:1: warning: logging daemon is disabled (no use_logd); enabling it is recommended"]);
}
