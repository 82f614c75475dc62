//! End-to-end tests of failing resource scripts: a group whose script fails to start does not
//! stay half-started, and a hung script is killed by the daemon's time limit (shortened here
//! with `HB_SCRIPT_TIMEOUT_MS`). Root only.

mod common;

use std::time::{Duration, Instant};

use common::{assert_running, assert_stays, cluster, count, fail, hacf, wait_owner, FAST};

/// A resource script that fails to start on the nodes listed in `$FAIL_ON` (host names) and
/// logs every call to `{dir}/calls`.
fn failer(fail_on: &str) -> (String, String) {
    let text = format!(
        "#!/bin/sh\necho \"$1\" >>{{dir}}/calls\ncase \"$1\" in\n\
         start) for h in {fail_on}; do [ \"$(hostname)\" = \"$h\" ] && \
         {{ echo \"failer cannot start on $h\"; exit 1; }}; done; exit 0;;\n\
         *) exit 0;;\nesac\n"
    );
    ("failer".into(), text)
}

fn calls(c: &hb_testnet::cluster::Cluster, i: usize, what: &str) -> usize {
    let text = std::fs::read_to_string(c.node_dir(i).join("calls")).unwrap_or_default();
    count(&text, what)
}

#[test]
fn failing_start_script_on_preferred_node_hands_group_to_peer() {
    let Some(mut c) = cluster(
        hacf(&FAST, "on"),
        |n| format!("n1 {}/24/eth0 failer\n", n.addr(50)),
        vec![failer("n1")],
    ) else {
        return;
    };
    let vip = c.net.addr(50);
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    // n1 tries (the VIP comes up, then `failer` fails and the group is stopped again), retries,
    // then hands the group to n2, where it starts.
    let t = wait_owner(&c, vip, 1, Duration::from_secs(30));
    eprintln!(
        "failing start on n1: group running on n2 after {t:?} ({} start attempts on n1)",
        calls(&c, 0, "start")
    );
    assert_stays(&c, vip, 1, Duration::from_secs(5));
    for log in [c.stderr_log(0), c.ha_log(0)] {
        if !log.contains("Resource failer failed to start: failer Start: exit code 1") {
            fail(
                &c,
                "n1's log (stderr or ha-log) does not name the failing script and its exit code",
            );
        }
    }
    if calls(&c, 0, "stop") < calls(&c, 0, "start") {
        fail(&c, "a failed start on n1 was not followed by a stop of the group");
    }
    assert_running(&c, &[0, 1]);
}

#[test]
fn failing_start_script_everywhere_leaves_no_holder() {
    let Some(mut c) = cluster(
        hacf(&FAST, "on"),
        |n| format!("n1 {}/24/eth0 failer\n", n.addr(50)),
        vec![failer("n1 n2")],
    ) else {
        return;
    };
    let vip = c.net.addr(50);
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    c.wait_until(Duration::from_secs(30), |c| calls(c, 0, "start") >= 3)
        .unwrap_or_else(|| fail(&c, "n1 did not retry its failing group"));
    // From here on the VIP may only flash up during a start attempt: sample for 10 s.
    let t0 = Instant::now();
    let (mut samples, mut held) = (0u32, 0u32);
    while t0.elapsed() < Duration::from_secs(10) {
        samples += 1;
        if !c.holders(c.net.addr(50)).expect("holders").is_empty() {
            held += 1;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let starts = (calls(&c, 0, "start"), calls(&c, 1, "start"));
    eprintln!(
        "failing everywhere: VIP seen held in {held} of {samples} samples; start attempts n1 {} n2 {}",
        starts.0, starts.1
    );
    if held * 5 > samples {
        fail(
            &c,
            &format!("VIP {vip} held in {held} of {samples} samples: group stays half-started"),
        );
    }
    for i in 0..2 {
        let log = c.stderr_log(i);
        if calls(&c, i, "start") > 0 && !log.contains("failer Start: exit code 1") {
            fail(&c, &format!("n{}'s log does not name the failing script", i + 1));
        }
    }
    assert_running(&c, &[0, 1]);
}

#[test]
fn hung_start_script_is_killed_by_the_timeout() {
    let hang = (
        "hanger".to_string(),
        "#!/bin/sh\necho \"$1\" >>{dir}/calls\n[ \"$1\" = start ] && [ \"$(hostname)\" = n1 ] && \
         exec sleep 1000\nexit 0\n"
            .to_string(),
    );
    let Some(mut c) =
        cluster(hacf(&FAST, "on"), |n| format!("n1 {}/24/eth0 hanger\n", n.addr(50)), vec![hang])
    else {
        return;
    };
    let vip = c.net.addr(50);
    let env = [("HB_SCRIPT_TIMEOUT_MS", "1500")];
    c.start_with_env(0, &env).expect("start n1");
    c.start_with_env(1, &env).expect("start n2");
    let t = wait_owner(&c, vip, 1, Duration::from_secs(40));
    eprintln!("hung start on n1 (timeout 1.5 s): group running on n2 after {t:?}");
    let log = c.stderr_log(0);
    if !log.contains("hanger failed to start: timed out") {
        fail(&c, "n1's log does not say the hung script timed out");
    }
    // The killed script's process group is gone: no `sleep 1000` left in n1's namespace.
    let pids = c.net.exec(c.host(0), &["ip", "netns", "pids", &c.host(0).netns]).expect("pids");
    let pids = String::from_utf8_lossy(&pids.stdout).into_owned();
    let daemon = c.pid(0).expect("n1 pid").to_string();
    assert!(
        pids.lines().any(|p| p == daemon),
        "n1's daemon not among its namespace's pids: {pids}"
    );
    let left: Vec<&str> = pids
        .lines()
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/cmdline"))
                .is_ok_and(|cmd| cmd.starts_with("sleep\x001000"))
        })
        .collect();
    if !left.is_empty() {
        fail(&c, &format!("hung script processes left running: {left:?}"));
    }
    assert_stays(&c, vip, 1, Duration::from_secs(3));
    assert_running(&c, &[0, 1]);
}
