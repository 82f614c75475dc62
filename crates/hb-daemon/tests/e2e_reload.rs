//! `heartbeat -r` from the client's side, while the client probes the VIP every millisecond:
//! a broken file is refused as a whole (file:line on stderr, exit 6, the daemon not even
//! signalled), a comment-only change reloads without touching the group, and a moved log
//! file is applied in place. All with no probe gap over 100 ms and no owner change.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{cluster, fail, hacf, wait_owner, FAST};
use hb_testnet::cluster::Cluster;
use hb_testnet::probe::Prober;

/// Runs `heartbeat -r` for node `i` as an operator would; returns (exit code, stderr).
fn reload(c: &Cluster, i: usize) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_heartbeat"))
        .arg("-r")
        .args(c.daemon_args(i))
        .output()
        .expect("run heartbeat -r");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn hacf_path(c: &Cluster, i: usize) -> std::path::PathBuf {
    c.node_dir(i).join("ha.d").join("ha.cf")
}

fn wait_log(c: &Cluster, i: usize, needle: &str) {
    let seen = c.wait_until(Duration::from_secs(5), |c| {
        c.ha_log(i).contains(needle) || c.stderr_log(i).contains(needle)
    });
    if seen.is_none() {
        fail(c, &format!("n{} never logged `{needle}`", i + 1));
    }
}

#[test]
fn broken_file_refused_comment_and_logfile_changes_touch_nothing() {
    let Some(mut c) =
        cluster(hacf(&FAST, "on"), |n| format!("n1 {}/24/eth0\n", n.addr(50)), vec![])
    else {
        return;
    };
    let vip = c.net.addr(50);
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_owner(&c, vip, 0, Duration::from_secs(15));
    let pid = c.pid(0).expect("n1 pid");
    let prober = Prober::start(&c.net, vip).expect("prober");
    std::thread::sleep(Duration::from_millis(300));

    // 1. A broken ha.cf: refused by `heartbeat -r` itself, with the line of the error.
    let path = hacf_path(&c, 0);
    let original = std::fs::read_to_string(&path).expect("ha.cf");
    let lines = original.lines().count();
    std::fs::write(&path, format!("{original}keepalive soon\n")).expect("write");
    let (code, err) = reload(&c, 0);
    assert_eq!(code, 6, "heartbeat -r on a broken file: {err}");
    let at = format!("ha.cf:{}:", lines + 1);
    assert!(err.contains(&at) && err.contains("the running one stays"), "stderr: {err}");
    std::thread::sleep(Duration::from_millis(500));
    assert!(c.is_running(0) && c.pid(0) == Some(pid), "n1's daemon did not survive");

    // 2. A comment-only change: accepted, applied as "unchanged", nothing moves.
    std::fs::write(&path, format!("{original}# changed by the reload test\n")).expect("write");
    let (code, err) = reload(&c, 0);
    assert_eq!(code, 0, "heartbeat -r after a comment change: {err}");
    wait_log(&c, 0, "reload: configuration unchanged");
    std::thread::sleep(Duration::from_millis(500));

    // 3. The log file moved: applied in place, the next lines go to the new file.
    assert!(original.contains("/ha-log\n"), "ha.cf without a logfile line: {original}");
    std::fs::write(&path, original.replace("/ha-log\n", "/ha-log2\n")).expect("write");
    let (code, err) = reload(&c, 0);
    assert_eq!(code, 0, "heartbeat -r after a logfile change: {err}");
    let moved = c.node_dir(0).join("ha-log2");
    let seen = c.wait_until(Duration::from_secs(5), |_| {
        std::fs::read_to_string(&moved).is_ok_and(|t| t.contains("log targets, applied"))
    });
    if seen.is_none() {
        fail(&c, "the new logfile did not get the reload's own line");
    }
    std::thread::sleep(Duration::from_millis(300));

    let log = prober.stop();
    // Reply gaps of a few ms are this shared machine's scheduling (the prober's own sender
    // stalls as long); a group stopped and started again, or handed over, is silent for far
    // longer than 100 ms (deadtime here is 1 s).
    let threshold = Duration::from_millis(100);
    let outages = log.outages(threshold);
    let longest = log.outages(log.default_threshold()).iter().map(|o| o.duration).max();
    let replies: usize = log.timeline().iter().map(|s| s.replies).sum();
    eprintln!(
        "reload cases (broken file, comment change, logfile moved): {replies} probe replies, longest reply gap \
         {longest:?} (prober's longest send pause {:?}), {} gaps over {threshold:?}, {} owner \
         changes",
        log.max_send_gap,
        outages.len(),
        log.owner_changes().len()
    );
    assert!(replies > 100, "the prober saw only {replies} replies: it did not probe");
    assert!(outages.is_empty(), "probe outages during the reloads: {outages:?}");
    assert!(log.owner_changes().is_empty(), "owner changed: {:?}", log.owner_changes());
    assert!(c.is_running(0) && c.pid(0) == Some(pid), "n1's daemon restarted");
    c.stop_all(Duration::from_secs(10)).expect("stop");
}
