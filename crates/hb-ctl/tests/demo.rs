//! `hbctl demo` end to end: the real binary builds its namespaces, runs two real `heartbeat`
//! daemons and prints a timeline and a summary, which is checked here.
//!
//! The demo needs the `heartbeat` binary next to `hbctl`. `cargo test --workspace` builds every
//! package's binaries into the same directory; `cargo test -p hb-ctl` alone may not, and then
//! the test says "skipped: …" (build it with `cargo build -p hb-daemon --bin heartbeat`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const HBCTL: &str = env!("CARGO_BIN_EXE_hbctl");
/// Far above the demo's own limits; only a hung demo gets here.
const LIMIT: Duration = Duration::from_secs(300);

fn skip(why: &str) {
    // Straight to fd 2 so the skip shows in normal `cargo test` output.
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}

fn heartbeat_next_to_hbctl() -> PathBuf {
    Path::new(HBCTL).parent().expect("hbctl has a directory").join("heartbeat")
}

#[test]
fn missing_heartbeat_binary_is_a_clear_error() {
    let out = Command::new(HBCTL)
        .args(["demo", "--heartbeat", "/nonexistent/heartbeat"])
        .output()
        .expect("run hbctl");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no heartbeat binary at /nonexistent/heartbeat"), "{err}");
    assert!(err.contains("cargo build --release"), "{err}");
}

#[test]
fn bad_timers_are_refused() {
    let out = Command::new(HBCTL)
        .args(["demo", "--keepalive", "2", "--deadtime", "1"])
        .output()
        .expect("run hbctl");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("shorter than deadtime"), "{err}");
}

/// (label, served before, served after) of every summary row, in order.
const PHASES: [(&str, &str, &str); 7] = [
    ("kill the web server on n1", "n1", "n1"),
    ("kill -9 heartbeat on n1", "n1", "n2"),
    ("restart n1 (failback)", "n2", "n1"),
    ("stop n1 gracefully (SIGTERM)", "n1", "n2"),
    ("start n1 again (failback)", "n2", "n1"),
    ("cut n1's link", "n1", "n2"),
    ("restore n1's link", "n2", "n1"),
];

#[test]
fn demo_runs_every_phase_and_ends_on_n1() {
    if !nix::unistd::geteuid().is_root() {
        return skip("needs root");
    }
    if !heartbeat_next_to_hbctl().is_file() {
        return skip(&format!(
            "no {} (cargo build -p hb-daemon --bin heartbeat, or run the workspace tests)",
            heartbeat_next_to_hbctl().display()
        ));
    }
    let mut child = Command::new(HBCTL)
        .arg("demo")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start hbctl demo");
    let pid = child.id();
    let t0 = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if t0.elapsed() > LIMIT {
            // SIGINT: the demo cleans up before it exits.
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(i32::try_from(pid).expect("pid")),
                nix::sys::signal::Signal::SIGINT,
            );
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = child.wait_with_output().expect("demo output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let all = format!("--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert!(out.status.success(), "hbctl demo failed\n{all}");

    // The live timeline shows every event as it happens.
    for (label, _, _) in PHASES {
        assert!(stdout.contains(&format!("event: {label}")), "no event line for {label}\n{all}");
    }
    let summary = stdout.split("\nsummary (").nth(1).unwrap_or_else(|| panic!("no summary\n{all}"));
    let rows: Vec<&str> = summary.lines().skip(2).take(PHASES.len()).collect();
    assert_eq!(rows.len(), PHASES.len(), "{all}");
    for ((label, before, after), row) in PHASES.iter().zip(&rows) {
        let rest = row
            .trim_start()
            .strip_prefix(label)
            .unwrap_or_else(|| panic!("row `{row}` is not `{label}`\n{all}"));
        let cols: Vec<&str> = rest.split_whitespace().collect();
        let [ms, "ms", failed, was, now] = cols[..] else {
            panic!("row `{row}` is not `outage ms failed before after`\n{all}")
        };
        let ms: u64 = ms.parse().unwrap_or_else(|_| panic!("outage `{ms}` not a number\n{all}"));
        let failed: u32 = failed.parse().unwrap_or_else(|_| panic!("bad count in `{row}`\n{all}"));
        assert_eq!((was, now), (*before, *after), "row `{row}`\n{all}");
        if label.starts_with("kill the web") || label.starts_with("cut") {
            // Nobody may serve until the service is back or the survivor declares the primary
            // dead. (Not asserted for a kill -9 of heartbeat: a faster hand-over there is the
            // aim of issue 20.)
            assert!(failed > 0 && ms > 0, "no outage measured in `{row}`\n{all}");
        }
    }
    assert!(stdout.contains("\nfinal owner: n1\n"), "{all}");

    // Everything it made is gone.
    let prefix = stdout
        .split("network namespaces ")
        .nth(1)
        .and_then(|s| s.split("-*").next())
        .unwrap_or_else(|| panic!("no namespace prefix printed\n{all}"));
    assert!(stdout.contains(&format!("cleaned up: namespaces {prefix}-* removed")), "{all}");
    let left = hb_testnet::Testnet::existing_namespaces(prefix).expect("ip netns list");
    assert!(left.is_empty(), "namespaces left: {left:?}");
    assert!(!std::env::temp_dir().join(format!("{prefix}-cluster")).exists(), "node dirs left");
}

/// `hbctl demo --reserved-ip`: every event moves the IP at the API stand-in to the expected
/// droplet, and the summary says so.
#[test]
fn reserved_ip_demo_moves_the_ip_at_each_event() {
    if !nix::unistd::geteuid().is_root() {
        return skip("needs root");
    }
    if !heartbeat_next_to_hbctl().is_file() {
        return skip(&format!("no {}", heartbeat_next_to_hbctl().display()));
    }
    let out = Command::new(HBCTL)
        .args(["demo", "--reserved-ip"])
        .output()
        .expect("run hbctl demo --reserved-ip");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let all = format!("{stdout}\n--- stderr\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{all}");
    let summary = stdout.split("\nsummary (").nth(1).unwrap_or_else(|| panic!("no summary\n{all}"));
    let expect = [
        ("start heartbeat on n1 and n2", "n1"),
        ("kill -9 heartbeat on n1", "n2"),
        ("restart n1 (failback)", "n1"),
        ("move the IP behind the cluster's back", "n1"),
        ("stop n1 gracefully (SIGTERM)", "n2"),
        ("start n1 again (failback)", "n1"),
        ("cut n1's link", "n2"),
        ("restore n1's link (split heals)", "n1"),
    ];
    let rows: Vec<&str> = summary.lines().skip(2).take(expect.len()).collect();
    assert_eq!(rows.len(), expect.len(), "{all}");
    for ((label, node), row) in expect.iter().zip(&rows) {
        let rest = row.trim_start().strip_prefix(label).unwrap_or_else(|| panic!("{row}\n{all}"));
        let cols: Vec<&str> = rest.split_whitespace().collect();
        assert!(matches!(cols[..], [_, "ms", n, "(droplet", _] if n == *node), "{row}\n{all}");
    }
    assert!(stdout.contains("API: 45.55.96.8 -> droplet 777"), "{all}");
    assert!(stdout.contains("removed\n"), "{all}");
}
