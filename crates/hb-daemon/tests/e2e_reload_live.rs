//! Live reload from the client's side: a client probes the virtual addresses every
//! millisecond (ARP) while the configuration changes under a running pair. Each case prints,
//! per address, the probes sent, the replies, the probes that got none, the longest reply gap,
//! gaps over 100 ms, owner changes and gratuitous ARPs, and asserts that untouched groups saw
//! no gap, no GARP and no owner change, and that the changed one did what the change means:
//!
//! 1. a comment in ha.cf (`heartbeat -r` on both nodes);
//! 2. timers (`hbctl reload` on n1, then n2);
//! 3. a group added (preferred n2: acquired by n2 when it reloads, whichever reloads first);
//! 4. a resource appended to another group (restarted in place from that resource only: its
//!    first address keeps answering, the new one appears on the same node);
//! 5. an authkeys rotation: key 2 added on n1 then n2, then made active on n1 then n2 — no
//!    packet rejected on either side;
//! 6. a broken ha.cf: refused by `heartbeat -r` (exit 6) and by `hbctl reload` (exit 1), both
//!    with file:line, nothing changed; then a valid change only a restart applies (`realtime
//!    off`), refused by the daemon and reported by `heartbeat -r` (exit 6).
//!
//! Both daemons keep their PIDs throughout.

mod common;

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{cluster, count, fail, hacf, wait_owner, FAST};
use hb_testnet::cluster::Cluster;
use hb_testnet::probe::{ProbeLog, Prober};

/// A reply gap this long means the address stopped answering (the machine's own scheduling
/// stalls the 1 ms prober for a few ms at times; a stop and start of an address, or a move,
/// is silent for far longer than this with deadtime 1 s).
const GAP: Duration = Duration::from_millis(100);

fn conf(c: &Cluster, i: usize, file: &str) -> PathBuf {
    c.node_dir(i).join("ha.d").join(file)
}

fn edit(c: &Cluster, i: usize, file: &str, f: impl Fn(&str) -> String) {
    let path = conf(c, i, file);
    let text = std::fs::read_to_string(&path).expect("read conf");
    std::fs::write(&path, f(&text)).expect("write conf");
}

/// `heartbeat -r` for node `i`; (exit code, stderr).
fn heartbeat_r(c: &Cluster, i: usize) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_heartbeat"))
        .arg("-r")
        .args(c.daemon_args(i))
        .output()
        .expect("run heartbeat -r");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn hbctl() -> PathBuf {
    let path = std::env::var_os("HBCTL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_BIN_EXE_heartbeat")).with_file_name("hbctl"));
    assert!(
        path.is_file(),
        "hbctl not built at {} (cargo build -p hb-ctl, or set HBCTL_BIN)",
        path.display()
    );
    path
}

/// `hbctl reload` against node `i`; (exit code, stdout, stderr).
fn hbctl_reload(c: &Cluster, i: usize) -> (i32, String, String) {
    let out = Command::new(hbctl())
        .arg("reload")
        .env("HB_API_SOCKET", c.api_socket(i))
        .output()
        .expect("run hbctl reload");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn reload_ok(c: &Cluster, i: usize, expect: &str) -> String {
    let (code, out, err) = hbctl_reload(c, i);
    if code != 0 || !out.contains(expect) {
        fail(c, &format!("hbctl reload on n{}: exit {code}, out {out:?}, err {err:?}", i + 1));
    }
    out
}

/// One measured case: probes on `vips` around `change`.
fn measure(c: &Cluster, vips: &[Ipv4Addr], change: impl FnOnce()) -> Vec<ProbeLog> {
    let probers: Vec<Prober> =
        vips.iter().map(|v| Prober::start(&c.net, *v).expect("prober")).collect();
    std::thread::sleep(Duration::from_millis(300));
    change();
    std::thread::sleep(Duration::from_millis(700));
    probers.into_iter().map(Prober::stop).collect()
}

/// Prints the figures of one case and checks that every address in `logs` stayed untouched.
fn untouched(c: &Cluster, case: &str, vips: &[Ipv4Addr], logs: &[ProbeLog]) {
    for (vip, log) in vips.iter().zip(logs) {
        let replies = log.replies.len() as u64;
        let longest = log.outages(log.default_threshold()).iter().map(|o| o.duration).max();
        let gaps = log.outages(GAP);
        eprintln!(
            "reload case {case:<22} {vip}: {} probes, {replies} replies, {} without reply, \
             longest gap {longest:?} (prober's longest send pause {:?}), {} gaps > {GAP:?}, \
             {} owner changes, {} GARPs",
            log.sent,
            log.sent.saturating_sub(replies),
            log.max_send_gap,
            gaps.len(),
            log.owner_changes().len(),
            log.garps.len()
        );
        if replies < 100 {
            fail(c, &format!("{case} {vip}: only {replies} replies: the prober did not probe"));
        }
        if !gaps.is_empty() || !log.owner_changes().is_empty() || !log.garps.is_empty() {
            fail(
                c,
                &format!(
                    "{case} {vip}: untouched address disturbed: gaps {gaps:?}, owner changes \
                     {:?}, {} GARPs",
                    log.owner_changes(),
                    log.garps.len()
                ),
            );
        }
    }
}

#[test]
fn live_reload_cases_leave_untouched_groups_alone() {
    let Some(mut c) = cluster(
        hacf(&FAST, "on"),
        |n| format!("n1 {}/24/eth0\nn1 {}/24/eth0\n", n.addr(50), n.addr(51)),
        vec![],
    ) else {
        return;
    };
    let (a, b) = (c.net.addr(50), c.net.addr(51));
    let (added, appended) = (c.net.addr(52), c.net.addr(53));
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_owner(&c, a, 0, Duration::from_secs(15));
    wait_owner(&c, b, 0, Duration::from_secs(15));
    // Let the start-up announcements pass: from here on a GARP means a group was touched.
    std::thread::sleep(Duration::from_secs(2));
    let pids = [c.pid(0), c.pid(1)];
    let both = [a, b];
    let mut checked = 0;

    // 1. A comment.
    let logs = measure(&c, &both, || {
        for i in [0, 1] {
            edit(&c, i, "ha.cf", |t| format!("{t}# reviewed\n"));
            let (code, err) = heartbeat_r(&c, i);
            assert_eq!(code, 0, "heartbeat -r on n{}: {err}", i + 1);
        }
    });
    untouched(&c, "comment", &both, &logs);
    checked += 1;

    // 2. Timers.
    let logs = measure(&c, &both, || {
        for i in [0, 1] {
            edit(&c, i, "ha.cf", |t| {
                t.replace("keepalive 100ms", "keepalive 200ms")
                    .replace("deadtime 1\n", "deadtime 2\n")
                    .replace("initdead 1\n", "initdead 2\n")
            });
            reload_ok(&c, i, "timers changed");
        }
    });
    untouched(&c, "timers", &both, &logs);
    checked += 1;

    // 3. A group added, preferred by n2.
    let logs = measure(&c, &both, || {
        for i in [0, 1] {
            edit(&c, i, "haresources", |t| format!("{t}n2 {added}/24/eth0\n"));
            let out = reload_ok(&c, i, "group added");
            // n2 takes it when it learns of it; n1 leaves it to its preferred node.
            assert_eq!(out.contains("acquiring here"), i == 1, "n{}: {out}", i + 1);
        }
        wait_owner(&c, added, 1, Duration::from_secs(10));
    });
    untouched(&c, "group added", &both, &logs);
    checked += 1;

    // 4. A resource appended to the second group: restarted from that resource only.
    let logs = measure(&c, &both, || {
        for i in [0, 1] {
            edit(&c, i, "haresources", |t| {
                t.replace(
                    &format!("n1 {b}/24/eth0\n"),
                    &format!("n1 {b}/24/eth0 {appended}/24/eth0\n"),
                )
            });
            let out = reload_ok(&c, i, "group changed");
            assert_eq!(out.contains("restarting in place here"), i == 0, "n{}: {out}", i + 1);
        }
        wait_owner(&c, appended, 0, Duration::from_secs(10));
    });
    untouched(&c, "resource appended", &both, &logs);
    checked += 1;

    // 5. Key rotation: add key 2 everywhere, then send with it, one node after the other.
    let bad_before = [count(&c.ha_log(0), "bad packet"), count(&c.ha_log(1), "bad packet")];
    let logs = measure(&c, &both, || {
        for i in [0, 1] {
            edit(&c, i, "authkeys", |t| format!("{t}2 sha1 rotated-secret\n"));
            reload_ok(&c, i, "accepting keys 1,2");
            std::thread::sleep(Duration::from_millis(300));
        }
        for i in [0, 1] {
            edit(&c, i, "authkeys", |t| t.replace("auth 1\n", "auth 2\n"));
            reload_ok(&c, i, "sending with key 2");
            std::thread::sleep(Duration::from_millis(300));
        }
    });
    untouched(&c, "key rotation", &both, &logs);
    let bad_after = [count(&c.ha_log(0), "bad packet"), count(&c.ha_log(1), "bad packet")];
    eprintln!("reload case key rotation: rejected packets n1 {bad_before:?} -> {bad_after:?}");
    if bad_after != bad_before {
        fail(&c, "packets were rejected across the key rotation");
    }
    checked += 1;

    // 6. A broken file.
    let logs = measure(&c, &both, || {
        let path = conf(&c, 0, "ha.cf");
        let original = std::fs::read_to_string(&path).expect("ha.cf");
        let at = format!("ha.cf:{}:", original.lines().count() + 1);
        std::fs::write(&path, format!("{original}keepalive soon\n")).expect("write");
        let (code, err) = heartbeat_r(&c, 0);
        assert!(code == 6 && err.contains(&at), "heartbeat -r: exit {code}, {err}");
        let (code, out, err) = hbctl_reload(&c, 0);
        assert!(code == 1 && err.contains(&at), "hbctl reload: exit {code}, {out} {err}");
        // A valid change that only a restart applies: refused by the daemon, whose answer
        // `heartbeat -r` passes on.
        std::fs::write(&path, format!("{original}realtime off\n")).expect("write");
        let (code, err) = heartbeat_r(&c, 0);
        assert!(code == 6 && err.contains("only a restart applies"), "-r: exit {code}, {err}");
        std::fs::write(&path, original).expect("restore");
    });
    untouched(&c, "broken file", &both, &logs);
    checked += 1;

    assert_eq!([c.pid(0), c.pid(1)], pids, "a daemon restarted");
    assert!(c.is_running(0) && c.is_running(1), "a daemon died{}", common::logs(&c));
    for (vip, node) in [(a, 0), (b, 0), (added, 1), (appended, 0)] {
        if !common::held_by(&c, vip, node) {
            fail(&c, &format!("{vip} is not held by n{} alone at the end", node + 1));
        }
    }
    eprintln!("live reload: {checked} cases checked, both daemons kept their PIDs");
    assert_eq!(checked, 6);
    c.stop_all(Duration::from_secs(10)).expect("stop");
}

/// Media, nodes and a removed group, while the client probes the untouched group's address:
/// a `ucast` medium added, then the `bcast` one removed (the pair must go on over the new
/// medium alone: no node declared dead after several deadtimes), a node added and removed,
/// metrics.cf added, removed and added again (the metrics server follows), `apiauth` added and
/// removed (the admin socket re-bound), and a group removed (released on
/// its holder, its address gone).
#[test]
fn media_nodes_and_removed_group_change_live() {
    let Some(mut c) = cluster(
        hacf(&FAST, "on"),
        |n| format!("n1 {}/24/eth0\nn1 {}/24/eth0\n", n.addr(50), n.addr(51)),
        vec![],
    ) else {
        return;
    };
    let (a, b) = (c.net.addr(50), c.net.addr(51));
    let ips = [c.net.node(0).ip, c.net.node(1).ip];
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_owner(&c, a, 0, Duration::from_secs(15));
    wait_owner(&c, b, 0, Duration::from_secs(15));
    std::thread::sleep(Duration::from_secs(2));
    let pids = [c.pid(0), c.pid(1)];
    let only_a = [a];
    let mut checked = 0;

    let logs = measure(&c, &only_a, || {
        for i in [0, 1] {
            edit(&c, i, "ha.cf", |t| format!("{t}ucast eth0 {}\nucast eth0 {}\n", ips[0], ips[1]));
            reload_ok(&c, i, "medium added: eth0");
        }
    });
    untouched(&c, "ucast added", &only_a, &logs);
    checked += 1;

    let logs = measure(&c, &only_a, || {
        for i in [0, 1] {
            edit(&c, i, "ha.cf", |t| t.replace("bcast eth0\n", ""));
            reload_ok(&c, i, "medium removed: eth0");
        }
        // Three deadtimes over the ucast medium alone.
        std::thread::sleep(Duration::from_secs(3));
    });
    untouched(&c, "bcast removed", &only_a, &logs);
    for i in [0, 1] {
        if c.ha_log(i).contains("is dead") {
            fail(&c, &format!("n{} declared its peer dead over the new medium", i + 1));
        }
    }
    checked += 1;

    let logs = measure(&c, &only_a, || {
        for i in [0, 1] {
            edit(&c, i, "ha.cf", |t| format!("{t}node n3\n"));
            reload_ok(&c, i, "node added: n3");
        }
        std::thread::sleep(Duration::from_secs(2));
        for i in [0, 1] {
            edit(&c, i, "ha.cf", |t| t.replace("node n3\n", ""));
            reload_ok(&c, i, "node removed: n3");
        }
    });
    untouched(&c, "node added, removed", &only_a, &logs);
    checked += 1;

    // metrics.cf: the server starts, stops and starts again on the same address.
    use common::scrape;
    assert!(scrape::scrape(&c, 0).is_err(), "metrics served before metrics.cf");
    scrape::enable(&c, 0);
    reload_ok(&c, 0, "metrics: serving");
    let (_, up) = scrape::scrape_until(&c, 0, |t| t.contains("heartbeat_"));
    if !up {
        fail(&c, "no metrics after metrics.cf was added");
    }
    std::fs::remove_file(conf(&c, 0, "metrics.cf")).expect("remove metrics.cf");
    reload_ok(&c, 0, "metrics: server stopped");
    if scrape::scrape(&c, 0).is_ok() {
        fail(&c, "metrics still served after metrics.cf was removed");
    }
    scrape::enable(&c, 0);
    reload_ok(&c, 0, "metrics: serving");
    let (_, up) = scrape::scrape_until(&c, 0, |t| t.contains("heartbeat_"));
    if !up {
        fail(&c, "no metrics after metrics.cf came back");
    }
    checked += 1;

    // apiauth: the admin socket is bound again with the mode the new lines call for, and
    // answers (the next reload goes through the new socket).
    let mode = |c: &Cluster| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(c.api_socket(0)).map(|m| m.permissions().mode() & 0o777).unwrap_or(0)
    };
    assert_eq!(mode(&c), 0o600, "root-only socket before");
    edit(&c, 0, "ha.cf", |t| format!("{t}apiauth cl_status uid=nobody\n"));
    reload_ok(&c, 0, "apiauth replaced");
    let opened = c.wait_until(Duration::from_secs(5), |c| mode(c) == 0o666);
    if opened.is_none() {
        fail(&c, &format!("socket mode {:o} after apiauth was added", mode(&c)));
    }
    edit(&c, 0, "ha.cf", |t| t.replace("apiauth cl_status uid=nobody\n", ""));
    reload_ok(&c, 0, "apiauth replaced");
    let closed = c.wait_until(Duration::from_secs(5), |c| mode(c) == 0o600);
    if closed.is_none() {
        fail(&c, &format!("socket mode {:o} after apiauth was removed", mode(&c)));
    }
    checked += 1;

    let logs = measure(&c, &only_a, || {
        for i in [0, 1] {
            edit(&c, i, "haresources", |t| t.replace(&format!("n1 {b}/24/eth0\n"), ""));
            let out = reload_ok(&c, i, "group removed");
            assert_eq!(out.contains("releasing here"), i == 0, "n{}: {out}", i + 1);
        }
        let gone =
            c.wait_until(Duration::from_secs(10), |c| c.holders(b).is_ok_and(|h| h.is_empty()));
        if gone.is_none() {
            fail(&c, &format!("{b} still held after its group was removed"));
        }
    });
    untouched(&c, "group removed", &only_a, &logs);
    checked += 1;

    assert_eq!([c.pid(0), c.pid(1)], pids, "a daemon restarted");
    assert!(common::held_by(&c, a, 0), "{a} left n1{}", common::logs(&c));
    eprintln!("live reload (media, nodes, removal): {checked} cases checked");
    assert_eq!(checked, 6);
    c.stop_all(Duration::from_secs(10)).expect("stop");
}
