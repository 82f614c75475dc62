//! The daemon's life cycle as init scripts drive it: `heartbeat` with no flag daemonizes,
//! `-s` reports, `-r`/SIGHUP reloads (a broken file is refused — by `-r` itself with exit 6 —,
//! a changed one is applied live under the same PID, nothing moving), `-k` hands over and
//! returns once stopped. Root only.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use hb_testnet::cluster::{Cluster, ClusterSpec};
use hb_testnet::{skip_or, Testnet};

const BIN: &str = env!("CARGO_BIN_EXE_heartbeat");

/// Runs `heartbeat ARGS…` as node `i` would (its namespace and host name).
fn heartbeat(c: &Cluster, i: usize, extra: &[&str]) -> std::process::Output {
    let host = c.host(i);
    let mut args: Vec<String> = vec![
        "netns".into(),
        "exec".into(),
        host.netns.clone(),
        "unshare".into(),
        "--uts".into(),
        "--".into(),
        "sh".into(),
        "-c".into(),
        "hostname \"$0\" && exec \"$@\"".into(),
        host.hostname.clone(),
        BIN.into(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args.extend(c.daemon_args(i));
    Command::new("ip").args(&args).output().expect("run heartbeat")
}

/// Kills the background daemon of node `i` (by the PID in its pid file) if a test failed
/// before `heartbeat -k` ran.
struct PidFileGuard(std::path::PathBuf);

impl Drop for PidFileGuard {
    fn drop(&mut self) {
        if let Ok(text) = std::fs::read_to_string(&self.0) {
            if let Ok(pid) = text.trim().parse::<i32>() {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }
}

fn pid_of(c: &Cluster, i: usize) -> i32 {
    let text = std::fs::read_to_string(c.node_dir(i).join("heartbeat.pid")).expect("pid file");
    text.trim().parse().expect("pid")
}

#[test]
fn daemonize_status_reload_and_stop() {
    let Some(net) = skip_or(Testnet::new(2)) else {
        return;
    };
    let vip = net.addr(50);
    let spec = ClusterSpec {
        hacf: "logfile {dir}/ha-log\nkeepalive 100ms\ndeadtime 1\nwarntime 500ms\ninitdead 2\n\
               bcast eth0\nauto_failback on\nnode n1\nnode n2\n"
            .into(),
        haresources: format!("n1 {vip}/24/eth0\n"),
        authkeys: "auth 2\n2 md5 lifecycle\n".into(),
        scripts: vec![],
    };
    let mut c = Cluster::new(net, &spec, Path::new(BIN)).expect("cluster");
    let _guard = PidFileGuard(c.node_dir(0).join("heartbeat.pid"));
    c.start(1).expect("n2 in the foreground");

    // No flag: daemonizes, returns 0 once the pid file is written.
    let out = heartbeat(&c, 0, &[]);
    assert!(out.status.success(), "start: {}", String::from_utf8_lossy(&out.stderr));
    let pid = pid_of(&c, 0);
    let log = || std::fs::read_to_string(c.node_dir(0).join("ha-log")).unwrap_or_default();
    c.wait_until(Duration::from_secs(15), |c| c.holders(vip).map(|h| h == [0]).unwrap_or(false))
        .unwrap_or_else(|| panic!("n1 never took its VIP\n{}", log()));

    // -s: heartbeat's wording, exit 0.
    let out = heartbeat(&c, 0, &["-s"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text.starts_with(&format!("heartbeat OK [pid {pid} et al] is running on n1 [n1]")),
        "{text}"
    );
    // A second start is refused.
    let out = heartbeat(&c, 0, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already running"));

    // A broken configuration is refused on reload; the daemon keeps running.
    let hacf = c.node_dir(0).join("ha.d/ha.cf");
    let good = std::fs::read_to_string(&hacf).expect("ha.cf");
    std::fs::write(&hacf, format!("{good}keepalive banana\n")).expect("break");
    // `-r` checks first: refused with the file:line, exit 6, the daemon not signalled.
    let out = heartbeat(&c, 0, &["-r"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{err}");
    let line = good.lines().count() + 1;
    assert!(err.contains(&format!("ha.cf:{line}:")), "{err}");
    // A SIGHUP sent some other way is refused by the daemon itself.
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGHUP)
        .expect("SIGHUP");
    c.wait_until(Duration::from_secs(5), |_| {
        log().contains("reload: refused, keeping the running")
    })
    .unwrap_or_else(|| panic!("no refusal logged\n{}", log()));
    assert_eq!(c.holders(vip).expect("holders"), [0], "nothing moved");
    assert_eq!(pid_of(&c, 0), pid);

    // A changed configuration: applied live, nothing moves, no restart.
    std::fs::write(&hacf, good.replace("warntime 500ms", "warntime 600ms")).expect("change");
    let out = heartbeat(&c, 0, &["-r"]);
    assert!(out.status.success());
    c.wait_until(Duration::from_secs(10), |_| log().contains("reload: applied: timers changed"))
        .unwrap_or_else(|| panic!("timer change not applied\n{}", log()));
    assert_eq!(c.holders(vip).expect("holders"), [0], "nothing moved");
    assert_eq!(log().matches("started on node n1").count(), 1, "restarted\n{}", log());
    assert_eq!(pid_of(&c, 0), pid, "same PID");

    // -k: graceful stop, returns when the process is gone; the peer has the VIP at once.
    let out = heartbeat(&c, 0, &["-k"]);
    assert!(out.status.success());
    assert!(!Path::new(&format!("/proc/{pid}")).exists(), "-k returned before the exit");
    c.wait_until(Duration::from_millis(900), |c| c.holders(vip).map(|h| h == [1]).unwrap_or(false))
        .unwrap_or_else(|| panic!("n2 did not take over before deadtime\n{}", c.stderr_log(1)));
    let out = heartbeat(&c, 0, &["-s"]);
    assert_eq!(out.status.code(), Some(3), "stopped, pid file removed");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "heartbeat is stopped. No process");
}
