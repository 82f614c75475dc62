use std::path::Path;
use std::time::Duration;

use super::*;
use crate::haresources::parse_haresources;

const HR: &str = "n1 10.0.0.50 demo-httpd httpd::8080\nn2 IPaddr::10.0.0.60/24 mysqld\n";

fn parse(text: &str) -> Result<Monitors, String> {
    let hr = parse_haresources(Path::new("haresources"), HR).map_err(|e| e.to_string())?;
    parse_monitors(Path::new("monitors"), text, &hr).map_err(|e| e.to_string())
}

fn err(text: &str) -> String {
    parse(text).err().unwrap_or_else(|| panic!("accepted: {text}"))
}

#[test]
fn the_issue_example_parses() {
    let m = parse(
        "# RESOURCE          CHECK                        OPTIONS\n\
         httpd               status                       interval=2s timeout=5s fall=2\n\
         mysqld              tcp:127.0.0.1:3306           interval=500ms fall=3 rise=2\n\
         demo-httpd          http://10.0.0.50/            interval=200ms timeout=150ms fall=2 expect=200\n\
         group 10.0.0.50     restarts=2 window=10min      # policy for the group that holds it\n",
    )
    .unwrap();
    assert_eq!(m.checks.len(), 3);
    let c = &m.checks[0];
    assert_eq!(
        (c.resource.as_str(), c.group_key.as_str(), c.resource_index),
        ("httpd::8080", "10.0.0.50", 2)
    );
    assert_eq!(
        (c.kind.clone(), c.interval, c.timeout, c.fall, c.rise),
        (MonitorKind::Status, Duration::from_secs(2), Duration::from_secs(5), 2, 1)
    );
    assert_eq!(c.location.to_string(), "monitors:2:1");
    let c = &m.checks[1];
    assert_eq!(c.group_key, "IPaddr::10.0.0.60/24");
    assert_eq!(c.kind, MonitorKind::Tcp { host: "127.0.0.1".into(), port: 3306 });
    assert_eq!((c.interval, c.fall, c.rise), (Duration::from_millis(500), 3, 2));
    let c = &m.checks[2];
    assert_eq!(
        c.kind,
        MonitorKind::Http {
            url: "http://10.0.0.50/".into(),
            host: "10.0.0.50".into(),
            port: 80,
            path: "/".into(),
            expect: 200
        }
    );
    assert_eq!((c.interval, c.timeout), (Duration::from_millis(200), Duration::from_millis(150)));
    assert_eq!(m.policies.len(), 1);
    let p = &m.policies[0];
    assert_eq!(
        (p.group_key.as_str(), p.restarts, p.window),
        ("10.0.0.50", 2, Duration::from_secs(600))
    );
    assert_eq!(m.policy_for("IPaddr::10.0.0.60/24").restarts, DEFAULT_RESTARTS);
    assert!(!m.is_empty());
}

#[test]
fn exec_arguments_run_up_to_the_first_option() {
    let m = parse("mysqld exec:/usr/bin/check -h 127.0.0.1 a=b interval=1s\n").unwrap();
    assert_eq!(
        m.checks[0].kind,
        MonitorKind::Exec {
            program: "/usr/bin/check".into(),
            args: vec!["-h".into(), "127.0.0.1".into(), "a=b".into()]
        }
    );
    assert_eq!(m.checks[0].interval, Duration::from_secs(1));
}

#[test]
fn empty_and_comment_only_files_configure_nothing() {
    assert!(parse("").unwrap().is_empty());
    assert!(parse("# nothing\n\n   \n").unwrap().is_empty());
}

#[test]
fn errors_name_line_and_column() {
    assert_eq!(
        err("\nnosuch status\n"),
        "monitors:2:1: no resource `nosuch` in haresources; expected one of: 10.0.0.50, demo-httpd, httpd::8080, IPaddr::10.0.0.60/24, mysqld"
    );
    assert_eq!(err("httpd  statos\n"), "monitors:1:8: unknown check `statos`; expected status, exec:PATH, tcp:HOST:PORT or http://HOST/PATH");
    assert_eq!(err("httpd status interval=fast\n"), "monitors:1:14: invalid time value `fast`; expected `2s`, `500ms`, `10min`, `1h` or seconds");
    assert_eq!(
        err("httpd status fall=0\n"),
        "monitors:1:14: expected a whole number from 1 to 1000, found `0`"
    );
    assert_eq!(
        err("httpd status colour=red\n").split(';').next(),
        Some("monitors:1:14: unknown option `colour`")
    );
    assert_eq!(err("httpd status fall=2 fall=3\n"), "monitors:1:21: option `fall` given twice");
    assert_eq!(
        err("httpd status expect=200\n"),
        "monitors:1:14: expect= is only for http:// checks"
    );
    assert_eq!(err("httpd status interval=5ms\n"), "monitors:1:14: interval must be at least 10ms");
    assert_eq!(err("httpd tcp:127.0.0.1\n"), "monitors:1:7: expected HOST:PORT, found `127.0.0.1`");
    assert_eq!(err("httpd tcp:h:0\n"), "monitors:1:7: bad port `0`");
    assert_eq!(
        err("httpd exec:bin/x\n"),
        "monitors:1:7: exec program `bin/x` must be an absolute path"
    );
    assert_eq!(err("httpd\n"), "monitors:1:1: expected a check after the resource: status, exec:PATH, tcp:HOST:PORT or http://…");
    assert_eq!(err("group mysqld restarts=2\ngroup IPaddr::10.0.0.60/24 window=1h\n"), "monitors:2:1: group `IPaddr::10.0.0.60/24` already has a policy at line 1; expected one per group");
    assert_eq!(
        err("group httpd fall=2\n"),
        "monitors:1:13: `fall` is a check option; a group line takes restarts= and window="
    );
    assert_eq!(err("group\n"), "monitors:1:1: expected `group RESOURCE restarts=N window=TIME`");
    assert_eq!(
        err("httpd status window=1\n"),
        "monitors:1:14: `window` is a group option; write it on a `group` line"
    );
    assert_eq!(err("httpd status 5\n"), "monitors:1:14: expected KEY=VALUE, found `5`");
}

#[test]
fn ambiguous_script_names_must_be_written_in_full() {
    let hr = parse_haresources(Path::new("haresources"), "n1 a::1 x\nn2 a::2 y\n").unwrap();
    let e = parse_monitors(Path::new("monitors"), "a status\n", &hr).unwrap_err().to_string();
    assert_eq!(e, "monitors:1:1: `a` names 2 resources of haresources; write one as it appears there (a::1, a::2)");
    let m = parse_monitors(Path::new("monitors"), "a::2 status\n", &hr).unwrap();
    assert_eq!(m.checks[0].group_key, "a::2");
}

#[test]
fn times_take_unit_suffixes() {
    let t = |s: &str| parse_monitor_time(s);
    assert_eq!(t("2s"), Ok(Duration::from_secs(2)));
    assert_eq!(t("2"), Ok(Duration::from_secs(2)));
    assert_eq!(t("1.5s"), Ok(Duration::from_millis(1500)));
    assert_eq!(t("150ms"), Ok(Duration::from_millis(150)));
    assert_eq!(t("10min"), Ok(Duration::from_secs(600)));
    assert_eq!(t("1h"), Ok(Duration::from_secs(3600)));
    assert!(t("25h").is_err());
    assert!(t("s").is_err());
    assert!(t("2 s").is_err());
    assert!(t("-1s").is_err());
}

#[test]
fn ipv6_targets() {
    let m = parse("httpd tcp:[::1]:80\nmysqld http://[fe80::1]:8080/x expect=204\n").unwrap();
    assert_eq!(m.checks[0].kind, MonitorKind::Tcp { host: "::1".into(), port: 80 });
    assert!(
        matches!(&m.checks[1].kind, MonitorKind::Http { host, port: 8080, path, expect: 204, .. } if host == "fe80::1" && path == "/x")
    );
}

#[test]
fn too_many_lines_are_refused() {
    let text = "httpd status\n".repeat(MAX_MONITORS + 1);
    assert!(err(&text).contains("more than 256 lines"));
}
