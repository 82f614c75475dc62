//! `hbctl status|standby|takeover|events` and the legacy `hb_standby`/`hb_takeover` names
//! against a fake daemon: a thread on a temporary Unix socket that checks the request line it
//! gets and answers with canned JSON lines.

#![allow(clippy::unwrap_used)] // test fixtures: a failed setup step should abort the test

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hb_api::{EventRecord, GroupStatus, LinkStatus, NodeStatus, Response, Status};
use serde_json::{json, Value};

const HBCTL: &str = env!("CARGO_BIN_EXE_hbctl");

/// Generous bound on every wait, so a broken tool fails the test instead of hanging it.
const LIMIT: Duration = Duration::from_secs(30);

/// A fake daemon serving one connection.
struct FakeDaemon {
    socket: PathBuf,
    server: Option<JoinHandle<Value>>,
    _dir: tempfile::TempDir,
}

impl FakeDaemon {
    /// Answers the first request line with `answers`, one per line. With `hold_open` it then
    /// keeps the connection until the client hangs up; otherwise it closes it.
    fn start(answers: Vec<Response>, hold_open: bool) -> FakeDaemon {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("api.sock");
        let listener = UnixListener::bind(&socket).unwrap();
        listener.set_nonblocking(true).unwrap();
        let server = std::thread::spawn(move || {
            let deadline = Instant::now() + LIMIT;
            let stream = loop {
                match listener.accept() {
                    Ok((stream, _)) => break stream,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        assert!(Instant::now() < deadline, "the tool never connected");
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Err(e) => panic!("accept: {e}"),
                }
            };
            stream.set_nonblocking(false).unwrap();
            stream.set_read_timeout(Some(LIMIT)).unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            assert!(line.ends_with('\n'), "request is one newline-terminated line: {line:?}");
            let request: Value = serde_json::from_str(&line).unwrap();
            let mut writer = &stream;
            for answer in &answers {
                let mut bytes = serde_json::to_vec(answer).unwrap();
                bytes.push(b'\n');
                writer.write_all(&bytes).unwrap();
            }
            if hold_open {
                let mut rest = Vec::new();
                // Returns when the tool exits and its end of the socket closes.
                reader.read_to_end(&mut rest).unwrap();
            }
            request
        });
        FakeDaemon { socket, server: Some(server), _dir: dir }
    }

    /// The request line the daemon received, as JSON.
    fn request(mut self) -> Value {
        self.server.take().unwrap().join().unwrap()
    }
}

fn run(program: &Path, args: &[&str], socket: &Path) -> Output {
    Command::new(program).args(args).env("HB_API_SOCKET", socket).output().unwrap()
}

fn hbctl(args: &[&str], socket: &Path) -> Output {
    run(Path::new(HBCTL), args, socket)
}

/// The binary as `install-links` sees itself (`/proc/self/exe`, symlinks resolved).
fn hbctl_path() -> PathBuf {
    std::fs::canonicalize(HBCTL).unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// A directory with the legacy names, made by `hbctl install-links`.
fn legacy_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(HBCTL).arg("install-links").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    dir
}

fn sample_status() -> Status {
    Status {
        version: "0.1.0".into(),
        node: "alpha".into(),
        rsc_status: "all".into(),
        nodes: vec![
            NodeStatus {
                name: "alpha".into(),
                node_type: "normal".into(),
                status: "active".into(),
                weight: 100,
                site: String::new(),
                links: vec![],
            },
            NodeStatus {
                name: "beta".into(),
                node_type: "normal".into(),
                status: "dead".into(),
                weight: 100,
                site: String::new(),
                links: vec![LinkStatus {
                    name: "eth0".into(),
                    status: "dead".into(),
                    last_heard_ms: Some(42_000),
                    late_heartbeats: 3,
                    max_late_ms: 1_500,
                }],
            },
        ],
        groups: vec![GroupStatus {
            index: 0,
            preferred: "beta".into(),
            resources: vec!["IPaddr::10.99.0.10".into()],
            owner: Some("alpha".into()),
            state: "started".into(),
            since_ms: 30_000,
            reason: "peer beta dead".into(),
        }],
        parameters: BTreeMap::from([("deadtime".to_owned(), "10".to_owned())]),
        checks: BTreeMap::new(),
        reserved_ips: BTreeMap::new(),
        vrrp: Vec::new(),
        arbiter: BTreeMap::new(),
    }
}

fn event(n: u64) -> EventRecord {
    EventRecord {
        unix_ms: 1_700_000_000_000 + n,
        event: ["link_down", "node_dead", "group_acquired"][n as usize % 3].into(),
        detail: format!("event {n}"),
    }
}

#[test]
fn status_prints_tables_of_nodes_links_and_groups() {
    let daemon = FakeDaemon::start(vec![Response::Status(Box::new(sample_status()))], false);
    let out = hbctl(&["status"], &daemon.socket);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("node alpha (heartbeat-rs 0.1.0), resources held here: all\n"));
    let beta = stdout.lines().find(|l| l.starts_with("beta")).unwrap();
    let cells: Vec<&str> = beta.split_whitespace().collect();
    assert_eq!(
        cells,
        ["beta", "normal", "dead", "eth0", "dead", "42.0s", "ago", "3", "(max", "1.5s)"]
    );
    let group = stdout.lines().find(|l| l.starts_with("0 ")).unwrap();
    let cells: Vec<&str> = group.split_whitespace().collect();
    assert_eq!(
        cells,
        ["0", "beta", "IPaddr::10.99.0.10", "alpha", "started", "30.0s", "peer", "beta", "dead"]
    );
    assert_eq!(daemon.request(), json!({"v": 1, "cmd": "status"}));
}

#[test]
fn status_json_is_the_daemons_status() {
    let daemon = FakeDaemon::start(vec![Response::Status(Box::new(sample_status()))], false);
    let out = hbctl(&["status", "--json"], &daemon.socket);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let printed: Status = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, sample_status());
    assert_eq!(daemon.request(), json!({"v": 1, "cmd": "status"}));
}

#[test]
fn status_refused_by_apiauth_says_so() {
    let reason = "uid 1000 gid 1000 is not allowed by apiauth";
    let daemon = FakeDaemon::start(vec![Response::Refused { reason: reason.into() }], false);
    let out = hbctl(&["status"], &daemon.socket);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(text(&out.stderr), format!("hbctl: heartbeat refused: {reason}\n"));
    assert!(out.stdout.is_empty());
    daemon.request();
}

#[test]
fn standby_is_accepted_and_returns_at_once() {
    let daemon = FakeDaemon::start(vec![Response::Accepted { detail: "asked beta".into() }], false);
    let out = hbctl(&["standby", "foreign"], &daemon.socket);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "standby [foreign] accepted: asked beta\n");
    assert_eq!(
        daemon.request(),
        json!({"v": 1, "cmd": "standby", "scope": "foreign", "wait": false})
    );
}

#[test]
fn standby_wait_refused_prints_the_reason_and_fails() {
    let reason = "peer beta is dead: nobody to hand the groups to";
    let daemon = FakeDaemon::start(vec![Response::Refused { reason: reason.into() }], false);
    let out = hbctl(&["standby", "--wait"], &daemon.socket);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), format!("hbctl: standby [all] refused: {reason}\n"));
    assert!(out.stdout.is_empty());
    assert_eq!(daemon.request(), json!({"v": 1, "cmd": "standby", "scope": "all", "wait": true}));
}

#[test]
fn takeover_wait_reports_completion() {
    let daemon =
        FakeDaemon::start(vec![Response::Accepted { detail: "group 0 started".into() }], false);
    let out = hbctl(&["takeover", "local", "--wait"], &daemon.socket);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "takeover [local] complete: group 0 started\n");
    assert_eq!(
        daemon.request(),
        json!({"v": 1, "cmd": "takeover", "scope": "local", "wait": true})
    );
}

#[test]
fn standby_failback_is_sent_as_foreign_like_the_script() {
    let daemon = FakeDaemon::start(vec![Response::Accepted { detail: String::new() }], false);
    let out = hbctl(&["standby", "failback"], &daemon.socket);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "standby [foreign] accepted\n");
    assert_eq!(daemon.request()["scope"], "foreign");
}

#[test]
fn legacy_hb_standby_logs_going_standby_and_prints_nothing_else() {
    let links = legacy_dir();
    let daemon = FakeDaemon::start(vec![Response::Accepted { detail: "sent".into() }], false);
    let out = run(&links.path().join("hb_standby"), &[], &daemon.socket);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert!(stderr.ends_with(" Going standby [all].\n") && stderr.lines().count() == 1, "{stderr}");
    assert_eq!(daemon.request(), json!({"v": 1, "cmd": "standby", "scope": "all", "wait": false}));
}

#[test]
fn legacy_hb_standby_wait_refused_exits_1_with_the_reason() {
    let links = legacy_dir();
    let daemon = FakeDaemon::start(vec![Response::Refused { reason: "no peer".into() }], false);
    let program = links.path().join("hb_standby");
    let out = run(&program, &["failback", "--wait"], &daemon.socket);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("Going standby [foreign].\n"), "{stderr}");
    assert!(stderr.ends_with(&format!("{}: refused: no peer\n", program.display())), "{stderr}");
    assert_eq!(
        daemon.request(),
        json!({"v": 1, "cmd": "standby", "scope": "foreign", "wait": true})
    );
}

#[test]
fn legacy_hb_takeover_sends_its_scope_silently() {
    let links = legacy_dir();
    let daemon = FakeDaemon::start(vec![Response::Accepted { detail: "sent".into() }], false);
    let out = run(&links.path().join("hb_takeover"), &["failback"], &daemon.socket);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    assert_eq!(
        daemon.request(),
        json!({"v": 1, "cmd": "takeover", "scope": "failback", "wait": false})
    );
}

#[test]
fn legacy_bad_argument_prints_the_scripts_usage() {
    let links = legacy_dir();
    let program = links.path().join("hb_takeover");
    let out = run(&program, &["everything"], Path::new("/nonexistent/api.sock"));
    assert_eq!(out.status.code(), Some(1));
    let name = program.display();
    assert_eq!(text(&out.stdout), format!("{name}: wrong resources(everything).\nusage:\n"));
    assert_eq!(text(&out.stderr), format!("{name} [all|foreign|local|failback]\n"));
}

#[test]
fn events_stream_until_the_daemon_closes() {
    let events: Vec<EventRecord> = (0..3).map(event).collect();
    let daemon = FakeDaemon::start(events.iter().cloned().map(Response::Event).collect(), false);
    let out = hbctl(&["events", "--follow"], &daemon.socket);
    let printed: Vec<EventRecord> =
        text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(printed, events);
    assert_eq!(text(&out.stderr), "hbctl: heartbeat closed the event stream\n");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(daemon.request(), json!({"v": 1, "cmd": "events"}));
}

#[test]
fn events_count_stops_after_n_while_the_stream_stays_open() {
    let events: Vec<EventRecord> = (0..3).map(event).collect();
    let daemon = FakeDaemon::start(events.iter().cloned().map(Response::Event).collect(), true);
    let out = hbctl(&["events", "--count", "3"], &daemon.socket);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    let expected: Vec<String> = events.iter().map(|e| serde_json::to_string(e).unwrap()).collect();
    assert_eq!(lines, expected);
    assert_eq!(daemon.request(), json!({"v": 1, "cmd": "events"}));
}

#[test]
fn daemon_not_running_is_said_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("api.sock");
    let expected = format!("heartbeat is not running (cannot connect to {}: ", socket.display());
    for args in [&["status"][..], &["status", "--json"], &["standby"], &["takeover"], &["events"]] {
        let out = hbctl(args, &socket);
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.starts_with(&format!("hbctl: {expected}")), "{args:?}: {stderr}");
    }
    // A socket file nobody listens on (daemon crashed): refused, still "not running".
    drop(UnixListener::bind(&socket).unwrap());
    let out = hbctl(&["status"], &socket);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).starts_with(&format!("hbctl: {expected}")));

    let links = legacy_dir();
    let program = links.path().join("hb_standby");
    let out = run(&program, &["local"], &socket);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("Going standby [local].\n"), "{stderr}");
    assert!(stderr.contains(&format!("{}: {expected}", program.display())), "{stderr}");
}

#[test]
fn install_links_is_idempotent_and_keeps_other_files() {
    let dir = legacy_dir();
    for name in ["cl_status", "hb_standby", "hb_takeover"] {
        assert_eq!(std::fs::read_link(dir.path().join(name)).unwrap(), hbctl_path());
    }
    let again = Command::new(HBCTL).arg("install-links").arg(dir.path()).output().unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert!(text(&again.stdout).contains("(already there)"));

    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("hb_standby"), "#!/bin/sh\n").unwrap();
    let out = Command::new(HBCTL).arg("install-links").arg(other.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("use --force"));
    assert_eq!(std::fs::read(other.path().join("hb_standby")).unwrap(), b"#!/bin/sh\n");
    assert!(other.path().join("cl_status").is_symlink(), "the other links are still made");
    let forced =
        Command::new(HBCTL).arg("install-links").arg("--force").arg(other.path()).output().unwrap();
    assert_eq!(forced.status.code(), Some(0));
    assert_eq!(std::fs::read_link(other.path().join("hb_standby")).unwrap(), hbctl_path());
}

#[test]
fn install_links_makes_keepalived_point_at_the_daemon_only_when_asked() {
    let dir = legacy_dir();
    assert!(!dir.path().join("keepalived").exists(), "not made without --keepalived");
    let daemon = dir.path().join("heartbeat");
    std::fs::write(&daemon, "#!/bin/sh\n").unwrap();
    let out = Command::new(HBCTL)
        .args(["install-links", "--keepalived", "--daemon-target"])
        .arg(&daemon)
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_link(dir.path().join("keepalived")).unwrap(), daemon);
    assert_eq!(std::fs::read_link(dir.path().join("cl_status")).unwrap(), hbctl_path());
    assert!(text(&out.stdout).contains("keepalived -> "), "{}", text(&out.stdout));
    let other = tempfile::tempdir().unwrap();
    let out = Command::new(HBCTL)
        .args(["install-links", "--keepalived", "--daemon-target", "/nonexistent/heartbeat"])
        .arg(other.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--daemon-target"), "{}", text(&out.stderr));
    assert!(!other.path().join("keepalived").exists());
}

#[test]
fn man_and_completions_are_generated() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(HBCTL).args(["man", "--out-dir"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for page in ["hbctl.1", "hbctl-status.1", "hbctl-events.1", "cl_status.1", "hb_standby.1"] {
        let roff = std::fs::read_to_string(dir.path().join(page)).unwrap();
        assert!(roff.contains("\n.TH "), "{page}");
    }
    let out = Command::new(HBCTL).args(["completions", "bash"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let script = text(&out.stdout);
    assert!(script.contains("install-links") && script.contains("--follow"));
}

#[test]
fn reload_prints_the_changes_applied() {
    let detail = "timers changed\ngroup added: 10.0.0.9/24/eth0 (acquiring here)";
    let d = FakeDaemon::start(vec![Response::Accepted { detail: detail.into() }], false);
    let out = hbctl(&["reload"], &d.socket);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{detail}\n"));
    assert_eq!(d.request(), json!({"v": 1, "cmd": "reload"}));
}

#[test]
fn reload_refused_prints_the_error_with_its_line_and_exits_1() {
    let reason = "/etc/ha.d/ha.cf:12:11: bad keepalive";
    let d = FakeDaemon::start(vec![Response::Refused { reason: reason.into() }], false);
    let out = hbctl(&["reload"], &d.socket);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).is_empty());
    assert!(text(&out.stderr).contains(reason), "{}", text(&out.stderr));
    assert_eq!(d.request()["cmd"], "reload");
}
